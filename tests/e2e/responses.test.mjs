// PROVIDER_<NAME>_API=responses: OpenAI's Responses API behind the
// proxy, checked with the official SDK against a strict mock: the
// encrypted reasoning round trip over three turns with tools, the
// stop-sequence cut, max_output_tokens, a refusal, errors before and
// inside the stream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, sdk } from './lib/stack.mjs';
import { post, parseSse, assertValidStream } from './lib/sse.mjs';

let s;
let client;
const T = { timeout: 30000 };
const TOOLS = [{ name: 'get_time', description: 'the time', input_schema: { type: 'object', properties: {} } }];

before(async () => {
    s = await startStack('responses', {
        mocks: { oai: { file: 'mock-responses.mjs' } },
        env: ({ mocks }) => ({
            PROVIDER_OAI_BASE_URL: `${mocks.oai}/v1`,
            PROVIDER_OAI_API: 'responses',
            PROVIDER_OAI_API_KEY: 'sk-upstream-e2e-secret-oai',
            ROUTES: '*=oai:gpt-5-codex',
        }),
    });
    client = await sdk(s.base);
});
after(async () => {
    await s?.stop();
});

const oai = () => s.mocks.oai;

async function ask(stream, body) {
    return stream ? client.messages.stream(body).finalMessage() : client.messages.create(body);
}

test('encrypted reasoning round-trips over three turns with tools', T, async () => {
    for (const stream of [false, true]) {
        await oai().reset();
        const base = { model: 'claude-sonnet-4-6', max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 }, tools: TOOLS };
        const msgs = [{ role: 'user', content: 'use the tool please' }];
        const m1 = await ask(stream, { ...base, messages: msgs });
        assert.equal(m1.stop_reason, 'tool_use');
        const th = m1.content.find((b) => b.type === 'thinking');
        assert.ok(th && th.signature.length > 0, JSON.stringify(m1.content));
        const tu = m1.content.find((b) => b.type === 'tool_use');
        msgs.push({ role: 'assistant', content: m1.content },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: tu.id, content: '12:00' }] });
        const m2 = await ask(stream, { ...base, messages: msgs });
        assert.equal(m2.content.find((b) => b.type === 'text').text, 'Got the tool result.');
        msgs.push({ role: 'assistant', content: m2.content }, { role: 'user', content: 'and once more, use the tool' });
        const m3 = await ask(stream, { ...base, messages: msgs });
        assert.equal(m3.stop_reason, 'tool_use');
        const reqs = await oai().requests();
        assert.equal(reqs.length, 3);
        for (const r of reqs) assert.equal(r.valid, true, r.error);
        // turn 2 and 3 carried turn 1's reasoning item back
        for (const r of reqs.slice(1)) {
            const items = r.body.input.filter((i) => i.type === 'reasoning');
            assert.ok(items.length >= 1, JSON.stringify(r.body.input).slice(0, 500));
            assert.ok(items.every((i) => typeof i.encrypted_content === 'string' && i.encrypted_content.length > 0));
            assert.equal(r.body.store, false);
            assert.deepEqual(r.body.include, ['reasoning.encrypted_content']);
        }
        assert.equal(reqs[0].headers.authorization, 'Bearer sk-upstream-e2e-secret-oai');
    }
});

test('a foreign thinking signature is dropped, not sent', T, async () => {
    await oai().reset();
    await client.messages.create({ model: 'claude-x', max_tokens: 64, messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'mine', signature: 'EqQBCkgIAhABGAIiQ...anthropic' }, { type: 'text', text: 'Hello' }] },
        { role: 'user', content: 'again' }] });
    const [r] = await oai().requests();
    assert.equal(r.valid, true, r.error);
    assert.equal(r.body.input.filter((i) => i.type === 'reasoning').length, 0);
});

test('stop sequences are cut by the proxy', T, async () => {
    for (const stream of [false, true]) {
        await oai().reset();
        const m = await ask(stream, { model: 'claude-x', max_tokens: 64, stop_sequences: ['mock'], messages: [{ role: 'user', content: 'hi' }] });
        assert.equal(m.stop_reason, 'stop_sequence');
        assert.equal(m.stop_sequence, 'mock');
        assert.equal(m.content[0].text, 'Hello from the ');
        const [r] = await oai().requests();
        assert.equal(r.body.stop, undefined);
    }
});

test('max_output_tokens: raised to 16, and incomplete means max_tokens', T, async () => {
    await oai().reset();
    await oai().script([{ json: { id: 'resp_1', object: 'response', created_at: 1, model: 'gpt-5-codex', status: 'incomplete',
        incomplete_details: { reason: 'max_output_tokens' },
        output: [{ type: 'message', id: 'msg_1', role: 'assistant', status: 'incomplete', content: [{ type: 'output_text', text: 'Partial', annotations: [] }] }],
        usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 4 }, output_tokens: 16, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 26 } } }]);
    const m = await client.messages.create({ model: 'claude-x', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(m.stop_reason, 'max_tokens');
    assert.equal(m.content[0].text, 'Partial');
    assert.equal(m.usage.input_tokens, 6);
    assert.equal(m.usage.cache_read_input_tokens, 4);
    assert.equal(m.usage.output_tokens, 16);
    const [r] = await oai().requests();
    assert.equal(r.body.max_output_tokens, 16);
});

test('a refusal is text with stop_reason refusal', T, async () => {
    await oai().reset();
    await oai().script([{ json: { id: 'resp_2', object: 'response', created_at: 1, model: 'gpt-5-codex', status: 'completed',
        output: [{ type: 'message', id: 'msg_2', role: 'assistant', status: 'completed', content: [{ type: 'refusal', refusal: 'I cannot help with that.' }] }],
        usage: { input_tokens: 5, input_tokens_details: { cached_tokens: 0 }, output_tokens: 6, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 11 } } }]);
    const m = await client.messages.create({ model: 'claude-x', max_tokens: 64, messages: [{ role: 'user', content: 'bad' }] });
    assert.equal(m.stop_reason, 'refusal');
    assert.equal(m.content[0].text, 'I cannot help with that.');
});

test('errors: a status before the stream, response.failed inside it', T, async () => {
    for (const stream of [false, true]) {
        await oai().reset();
        await oai().script([{ status: 429, headers: { 'retry-after': '9' }, json: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } } }]);
        const r = await post(s.base, '/v1/messages', { model: 'claude-x', max_tokens: 64, stream, messages: [{ role: 'user', content: 'hi' }] });
        assert.equal(r.status, 429);
        assert.equal(r.json.error.type, 'rate_limit_error');
        assert.equal(r.headers.get('retry-after'), '9');
    }
    await oai().reset();
    const resp = { id: 'resp_3', object: 'response', created_at: 1, model: 'gpt-5-codex', status: 'in_progress', output: [] };
    await oai().script([{ events: [
        { type: 'response.created', response: resp },
        { type: 'response.in_progress', response: resp },
        { type: 'response.output_item.added', output_index: 0, item: { type: 'message', id: 'msg_3', role: 'assistant', status: 'in_progress', content: [] } },
        { type: 'response.content_part.added', item_id: 'msg_3', output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } },
        { type: 'response.output_text.delta', item_id: 'msg_3', output_index: 0, content_index: 0, delta: 'Hel' },
        { type: 'response.failed', response: { ...resp, status: 'failed', error: { code: 'server_error', message: 'the model crashed' } } },
    ], interval_ms: 20 }]);
    const r = await post(s.base, '/v1/messages', { model: 'claude-x', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.status, 200);
    const { frames } = parseSse(r.text);
    assert.equal(frames[0].event, 'message_start');
    const last = frames[frames.length - 1];
    assert.equal(last.event, 'error');
    assert.match(last.data.error.message, /the model crashed/);
});

test('a plain stream through the SDK keeps every invariant', T, async () => {
    await oai().reset();
    const r = await post(s.base, '/v1/messages', { model: 'claude-x', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    assertValidStream(r.text);
    assert.equal(r.headers.get('x-claude-proxy-upstream'), 'oai:gpt-5-codex');
});
