// Non-streaming requests through lighttpd -> spawn-fcgi pool -> the mock:
// text, system, stop sequences, images, thinking, tools, the local
// endpoints and the proxy's own 400s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, sdk, UPSTREAM_KEY } from './lib/stack.mjs';
import { post } from './lib/sse.mjs';

let s;
let client;
const MODEL = 'claude-e2e-sonnet';
// A 1x1 PNG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

before(async () => {
    s = await startStack('basic');
    client = await sdk(s.base);
});
after(async () => {
    await s?.stop();
});

const T = { timeout: 30000 };

test('plain text answer through the SDK', T, async () => {
    await s.mock.reset();
    const m = await client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }] });
    assert.equal(m.type, 'message');
    assert.equal(m.role, 'assistant');
    assert.equal(m.model, MODEL);
    assert.match(m.id, /^msg_/);
    assert.deepEqual(m.content, [{ type: 'text', text: 'Hello from the mock upstream.' }]);
    assert.equal(m.stop_reason, 'end_turn');
    assert.equal(m.stop_sequence, null);
    assert.equal(m.usage.output_tokens, 7);
    assert.ok(m.usage.input_tokens > 0);

    const r = await s.mock.last();
    assert.equal(r.valid, true, r.error);
    assert.equal(r.body.model, MODEL);
    assert.equal(r.body.max_tokens ?? r.body.max_completion_tokens, 64);
    assert.notEqual(r.body.stream, true);
    assert.equal(r.body.messages.length, 1);
    assert.equal(r.body.messages[0].role, 'user');
    const c = r.body.messages[0].content;
    assert.equal(typeof c === 'string' ? c : c.map((p) => p.text).join(''), 'Hello');
    // The configured upstream key goes upstream, never the client's.
    assert.equal(r.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.ok(!JSON.stringify(r.headers).includes('sk-ant-client-key'));
});

test('system as a block array becomes one leading system message', T, async () => {
    await s.mock.reset();
    await client.messages.create({
        model: MODEL, max_tokens: 32,
        system: [{ type: 'text', text: 'You are terse.' }, { type: 'text', text: 'Answer in French.', cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'Hi' }],
    });
    const r = await s.mock.last();
    assert.equal(r.valid, true, r.error);
    assert.deepEqual(r.body.messages[0], { role: 'system', content: 'You are terse.\n\nAnswer in French.' });
    assert.equal(r.body.messages.filter((m) => m.role === 'system').length, 1);
    assert.ok(!JSON.stringify(r.body).includes('cache_control'));
});

test('stop sequences go up as stop and come back as stop_sequence', T, async () => {
    await s.mock.reset();
    // vLLM names the matched stop string in choice.stop_reason.
    await s.mock.script([{ json: {
        id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'mock',
        choices: [{ index: 0, message: { role: 'assistant', content: '1 2 3' }, finish_reason: 'stop', stop_reason: 'END' }],
        usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
    } }]);
    const m = await client.messages.create({
        model: MODEL, max_tokens: 32, stop_sequences: ['END', 'STOP'], messages: [{ role: 'user', content: 'Count' }],
    });
    assert.equal(m.stop_reason, 'stop_sequence');
    assert.equal(m.stop_sequence, 'END');
    assert.deepEqual(m.content, [{ type: 'text', text: '1 2 3' }]);
    assert.deepEqual(m.usage.input_tokens, 12);
    const r = await s.mock.last();
    assert.deepEqual(r.body.stop, ['END', 'STOP']);
});

test('an image block becomes an image_url data URL part', T, async () => {
    await s.mock.reset();
    await client.messages.create({
        model: MODEL, max_tokens: 32,
        messages: [{ role: 'user', content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
            { type: 'text', text: 'What is this?' },
        ] }],
    });
    const r = await s.mock.last();
    assert.equal(r.valid, true, r.error);
    const parts = r.body.messages[0].content;
    assert.deepEqual(parts, [
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
        { type: 'text', text: 'What is this?' },
    ]);
});

test('reasoning_content comes back as a thinking block first', T, async () => {
    await s.mock.reset();
    await s.mock.script([{ json: {
        id: 'chatcmpl-2', object: 'chat.completion', created: 1, model: 'mock',
        choices: [{ index: 0, message: { role: 'assistant', reasoning_content: 'The user greets me.', content: 'Hi!' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 },
    } }]);
    const m = await client.messages.create({
        model: MODEL, max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [{ role: 'user', content: 'Hi' }],
    });
    assert.equal(m.content.length, 2);
    assert.equal(m.content[0].type, 'thinking');
    assert.equal(m.content[0].thinking, 'The user greets me.');
    assert.equal(typeof m.content[0].signature, 'string');
    assert.ok(m.content[0].signature.length > 0);
    assert.deepEqual(m.content[1], { type: 'text', text: 'Hi!' });
    const r = await s.mock.last();
    assert.equal(r.valid, true, r.error);
    assert.ok(!('thinking' in r.body), 'no Anthropic thinking parameter upstream');
});

const WEATHER = {
    name: 'get_weather',
    description: 'Weather of a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

test('tool round trip, not streamed', T, async () => {
    await s.mock.reset();
    await s.mock.script([{ json: {
        id: 'chatcmpl-3', object: 'chat.completion', created: 1, model: 'mock',
        choices: [{ index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', content: null,
            tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] } }],
        usage: { prompt_tokens: 30, completion_tokens: 8, total_tokens: 38 },
    } }]);
    const q = { role: 'user', content: 'Weather in Paris?' };
    const m1 = await client.messages.create({ model: MODEL, max_tokens: 100, tools: [WEATHER], messages: [q] });
    assert.equal(m1.stop_reason, 'tool_use');
    const tu = m1.content.find((b) => b.type === 'tool_use');
    assert.ok(tu, JSON.stringify(m1.content));
    assert.equal(tu.name, 'get_weather');
    assert.deepEqual(tu.input, { city: 'Paris' });
    assert.match(tu.id, /^[a-zA-Z0-9_-]+$/);
    const r1 = await s.mock.last();
    assert.deepEqual(r1.body.tools, [{ type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: WEATHER.input_schema } }]);

    const m2 = await client.messages.create({
        model: MODEL, max_tokens: 100, tools: [WEATHER],
        messages: [q, { role: 'assistant', content: m1.content }, { role: 'user', content: [
            { type: 'tool_result', tool_use_id: tu.id, content: '18 C, sunny' },
            { type: 'text', text: 'Thanks.' },
        ] }],
    });
    assert.deepEqual(m2.content, [{ type: 'text', text: 'Got the tool result.' }]);
    const r2 = await s.mock.last();
    assert.equal(r2.valid, true, r2.error);
    const ms = r2.body.messages;
    assert.deepEqual(ms.map((m) => m.role), ['user', 'assistant', 'tool', 'user']);
    assert.equal(ms[1].tool_calls.length, 1);
    const call = ms[1].tool_calls[0];
    assert.equal(call.id, 'call_w1');
    assert.equal(call.type, 'function');
    assert.equal(call.function.name, 'get_weather');
    assert.equal(typeof call.function.arguments, 'string');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
    assert.deepEqual(ms[2], { role: 'tool', tool_call_id: 'call_w1', content: '18 C, sunny' });
    const last = ms[3].content;
    assert.equal(typeof last === 'string' ? last : last.map((p) => p.text).join(''), 'Thanks.');
});

test('count_tokens answers locally and grows with the input', T, async () => {
    await s.mock.reset();
    const small = await client.messages.countTokens({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] });
    const big = await client.messages.countTokens({
        model: MODEL, system: 'You are a helpful assistant. '.repeat(50), tools: [WEATHER],
        messages: [{ role: 'user', content: 'Tell me a long story about a lighthouse keeper. '.repeat(40) }],
    });
    assert.ok(Number.isInteger(small.input_tokens) && small.input_tokens > 0, JSON.stringify(small));
    assert.ok(big.input_tokens > small.input_tokens * 10, `${big.input_tokens} vs ${small.input_tokens}`);
    assert.equal((await s.mock.requests()).length, 0, 'count_tokens must not call the upstream');
});

test('models.list lists claude-named models', T, async () => {
    const page = await client.models.list();
    assert.ok(page.data.length >= 1);
    for (const m of page.data) {
        assert.equal(m.type, 'model');
        assert.match(m.id, /^claude/);
        assert.equal(typeof m.display_name, 'string');
        assert.equal(typeof m.created_at, 'string');
    }
});

test('GET /health and the OPTIONS preflight are answered by lighttpd with CORS', T, async () => {
    await s.mock.reset();
    const h = await fetch(`${s.base}/health`);
    assert.equal(h.status, 200);
    assert.deepEqual(await h.json(), { status: 'ok' });
    assert.equal(h.headers.get('access-control-allow-origin'), '*');
    const o = await fetch(`${s.base}/v1/messages`, {
        method: 'OPTIONS',
        headers: { origin: 'http://example.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key,content-type' },
    });
    assert.ok(o.status === 200 || o.status === 204, `status ${o.status}`);
    assert.equal(o.headers.get('access-control-allow-origin'), '*');
    assert.match(o.headers.get('access-control-allow-methods'), /POST/);
    assert.match(o.headers.get('access-control-allow-headers'), /x-api-key/);
    assert.match(o.headers.get('access-control-allow-headers'), /anthropic-version/);
    // CORS on the responder's answers too.
    const m = await post(s.base, '/v1/messages', { model: MODEL, max_tokens: 8, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(m.status, 200);
    assert.equal(m.headers.get('access-control-allow-origin'), '*');
});

test('malformed requests get a 400 naming the field', T, async () => {
    await s.mock.reset();
    const bad = await post(s.base, '/v1/messages', {
        model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'ok' }, { role: 'assistant', content: [{ type: 5 }] }],
    });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.json.type, 'error');
    assert.equal(bad.json.error.type, 'invalid_request_error');
    assert.match(bad.json.error.message, /messages\[1\]\.content\[0\]\.type/);

    const nomax = await post(s.base, '/v1/messages', { model: MODEL, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(nomax.status, 400);
    assert.match(nomax.json.error.message, /max_tokens/);

    const notjson = await post(s.base, '/v1/messages', '{"model": "x", "max_tokens": 1,');
    assert.equal(notjson.status, 400);
    assert.equal(notjson.json.error.type, 'invalid_request_error');

    await assert.rejects(
        client.messages.create({ model: MODEL, max_tokens: 10, messages: 'nope' }),
        (e) => e.status === 400 && /messages/.test(e.message),
    );
    assert.equal((await s.mock.requests()).length, 0, 'nothing invalid reaches the upstream');
});

test('unknown paths get an Anthropic 404', T, async () => {
    const r = await post(s.base, '/v1/nothing-here', {});
    assert.equal(r.status, 404);
    assert.equal(r.json.type, 'error');
    assert.equal(r.json.error.type, 'not_found_error');
});
