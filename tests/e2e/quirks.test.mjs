// Upstreams met under other host names (gateways, local runtimes):
// - Gemini's thought signature behind a gateway goes back to the
//   upstream that sent it, and to no other;
// - tool calls a local model writes as text (<tool_call>...) become
//   tool_use blocks, for offered tools only;
// - Claude Code's session id becomes prompt_cache_key where switched on;
// - GET /v1/models lists today's Claude ids.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, sdk } from './lib/stack.mjs';
import { post, parseSse, assertValidStream, chunk, DONE } from './lib/sse.mjs';

let s;
let client;
const T = { timeout: 30000 };
const TOOLS = [{ name: 'get_time', description: 'the time', input_schema: { type: 'object', properties: { tz: { type: 'string' } } } }];

before(async () => {
    s = await startStack('quirks', {
        mocks: { gw: {}, other: {} },
        env: ({ mocks }) => ({
            // a gateway on a host we do not recognise as Gemini's
            PROVIDER_GW_BASE_URL: `${mocks.gw}/v1`,
            PROVIDER_GW_PROMPT_CACHE_KEY: 'on',
            PROVIDER_OTHER_BASE_URL: `${mocks.other}/v1`,
            ROUTES: 'other=other:m-other;*=gw:gemini-3-pro-preview',
        }),
    });
    client = await sdk(s.base);
});
after(async () => {
    await s?.stop();
});

const signed = (stream) => {
    const call = { index: 0, id: 'call_gw_1', type: 'function', function: { name: 'get_time', arguments: '{"tz":"UTC"}' },
        extra_content: { google: { thought_signature: 'c2lnLWZyb20tZ2VtaW5p' } } };
    return stream
        ? { sse: [chunk({ role: 'assistant', tool_calls: [call] }), chunk({}, 'tool_calls'), DONE] }
        : { json: { id: 'c1', object: 'chat.completion', created: 1, model: 'gemini-3-pro-preview',
            choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ ...call, index: undefined }] }, finish_reason: 'tool_calls' }],
            usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } } };
};

test('a thought signature behind a gateway goes back to that upstream only', T, async () => {
    for (const stream of [false, true]) {
        await s.mocks.gw.reset();
        await s.mocks.other.reset();
        await s.mocks.gw.script([signed(stream)]);
        const ask = { model: 'claude-sonnet-4-6', max_tokens: 256, tools: TOOLS, messages: [{ role: 'user', content: 'time?' }] };
        const first = stream ? await client.messages.stream(ask).finalMessage() : await client.messages.create(ask);
        assert.equal(first.stop_reason, 'tool_use');
        const tu = first.content.find((b) => b.type === 'tool_use');
        assert.deepEqual(tu.input, { tz: 'UTC' });
        const turn2 = (model) => ({ ...ask, model, messages: [...ask.messages,
            { role: 'assistant', content: [tu] },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: tu.id, content: '12:00' }] }] });
        await client.messages.create(turn2('claude-sonnet-4-6'));
        const back = (await s.mocks.gw.requests())[1].body.messages.find((m) => m.role === 'assistant');
        assert.equal(back.tool_calls[0].id, 'call_gw_1');
        assert.equal(back.tool_calls[0].extra_content?.google?.thought_signature, 'c2lnLWZyb20tZ2VtaW5p');
        // the same history sent to another upstream carries no signature
        await client.messages.create(turn2('claude-other'));
        const [o] = await s.mocks.other.requests();
        assert.equal(o.valid, true, o.error);
        const oa = o.body.messages.find((m) => m.role === 'assistant');
        assert.equal(oa.tool_calls[0].extra_content, undefined);
    }
});

test('tool calls written as text become tool_use for offered tools', T, async () => {
    const text = '<tool_call>{"name":"get_time","arguments":{"tz":"CET"}}</tool_call>';
    await s.mocks.gw.reset();
    // streamed in odd pieces, split inside the tag
    await s.mocks.gw.script([{ sse: [chunk({ role: 'assistant', content: '<tool' }), chunk({ content: text.slice(5, 30) }), chunk({ content: text.slice(30) }), chunk({}, 'stop'), DONE] }]);
    const r = await post(s.base, '/v1/messages', { model: 'claude-x', max_tokens: 64, stream: true, tools: TOOLS, messages: [{ role: 'user', content: 'time?' }] });
    assertValidStream(r.text);
    const frames = parseSse(r.text).frames;
    const start = frames.find((f) => f.event === 'content_block_start' && f.data.content_block.type === 'tool_use');
    assert.ok(start, r.text);
    assert.equal(start.data.content_block.name, 'get_time');
    assert.equal(frames.find((f) => f.event === 'message_delta').data.delta.stop_reason, 'tool_use');
    assert.ok(!r.text.includes('tool_call>'), 'no raw tag reaches the client');
    // whole, through the SDK
    await s.mocks.gw.script([{ json: { id: 'c2', object: 'chat.completion', created: 1, model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }] } }]);
    const m = await client.messages.create({ model: 'claude-x', max_tokens: 64, tools: TOOLS, messages: [{ role: 'user', content: 'time?' }] });
    assert.equal(m.stop_reason, 'tool_use');
    assert.deepEqual(m.content.find((b) => b.type === 'tool_use').input, { tz: 'CET' });
    // a tool that was not offered stays text
    const other = '<tool_call>{"name":"rm_rf","arguments":{}}</tool_call>';
    await s.mocks.gw.script([{ json: { id: 'c3', object: 'chat.completion', created: 1, model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: other }, finish_reason: 'stop' }] } }]);
    const n = await client.messages.create({ model: 'claude-x', max_tokens: 64, tools: TOOLS, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(n.stop_reason, 'end_turn');
    assert.equal(n.content[0].text, other);
});

test('two whole calls of one tool stay two; interleaved arguments reach their own call', T, async () => {
    const read = [{ name: 'Read', description: 'read', input_schema: { type: 'object', properties: { p: { type: 'string' } } } }];
    const tc = (x) => chunk({ tool_calls: [x] });
    await s.mocks.gw.reset();
    // neither id nor index, the same tool twice
    await s.mocks.gw.script([{ sse: [chunk({ role: 'assistant' }),
        tc({ function: { name: 'Read', arguments: '{"p":"a"}' } }),
        tc({ function: { name: 'Read', arguments: '{"p":"b"}' } }), chunk({}, 'tool_calls'), DONE] }]);
    let m = await client.messages.stream({ model: 'claude-x', max_tokens: 64, tools: read, messages: [{ role: 'user', content: 'read' }] }).finalMessage();
    assert.deepEqual(m.content.filter((b) => b.type === 'tool_use').map((b) => b.input), [{ p: 'a' }, { p: 'b' }]);
    // two calls whose argument fragments interleave
    await s.mocks.gw.script([{ sse: [chunk({ role: 'assistant' }),
        tc({ index: 0, id: 'c0', type: 'function', function: { name: 'Read', arguments: '{"p":' } }),
        tc({ index: 1, id: 'c1', type: 'function', function: { name: 'Read', arguments: '{"p":' } }),
        tc({ index: 1, function: { arguments: '"two"}' } }),
        tc({ index: 0, function: { arguments: '"one"}' } }), chunk({}, 'tool_calls'), DONE] }]);
    m = await client.messages.stream({ model: 'claude-x', max_tokens: 64, tools: read, messages: [{ role: 'user', content: 'read' }] }).finalMessage();
    assert.deepEqual(m.content.filter((b) => b.type === 'tool_use').map((b) => b.input), [{ p: 'one' }, { p: 'two' }]);
});

test("Claude Code's session id becomes prompt_cache_key", T, async () => {
    await s.mocks.gw.reset();
    const r = await post(s.base, '/v1/messages', { model: 'claude-x', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
        { 'x-claude-code-session-id': '6f1c1a2e-5b7d-4c1e-9f7e-0a1b2c3d4e5f' });
    assert.equal(r.status, 200, r.text);
    const [up] = await s.mocks.gw.requests();
    assert.equal(up.valid, true, up.error);
    assert.equal(up.body.prompt_cache_key, '6f1c1a2e-5b7d-4c1e-9f7e-0a1b2c3d4e5f');
    // not where the switch is off
    await s.mocks.other.reset();
    await post(s.base, '/v1/messages', { model: 'claude-other', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
        { 'x-claude-code-session-id': 'abc' });
    assert.equal((await s.mocks.other.requests())[0].body.prompt_cache_key, undefined);
});

test("GET /v1/models lists today's Claude ids", T, async () => {
    const ids = (await (await fetch(s.base + '/v1/models')).json()).data.map((m) => m.id);
    for (const id of ['claude-opus-5-5', 'claude-sonnet-4-6', 'claude-haiku-5-5', 'claude-haiku-4-5-20251001']) assert.ok(ids.includes(id), id);
});
