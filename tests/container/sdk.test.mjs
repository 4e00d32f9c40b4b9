// sdk.test.mjs: the official Anthropic SDK through the compose stack:
// nginx (web container) -> the socket volume -> the pool container -> the
// mock upstream on the host's 127.0.0.1.  A representative subset of
// tests/e2e/ (same SDK, same mock, same stream checks), then SIGTERM to
// the pool in the middle of a stream.  tests/container/run.sh starts the
// stack and passes:
//   CP_BASE  http://127.0.0.1:PORT (nginx)
//   CP_MOCK  the mock upstream's URL
//   CP_STOP  a shell command that stops the pool container (SIGTERM)
//   CP_STATE a shell command that prints the pool's "running exitcode"
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execSync } from 'node:child_process';
import { Mock, sdk } from '../e2e/lib/stack.mjs';
import { post, assertValidStream, assemble, chunk, DONE } from '../e2e/lib/sse.mjs';

const BASE = process.env.CP_BASE;
const mock = new Mock(process.env.CP_MOCK);
const MODEL = 'claude-container-sonnet';
const T = { timeout: 30000 };
let client;

before(async () => {
    client = await sdk(BASE);
});

test('GET /health through nginx reaches a worker', T, async () => {
    const r = await fetch(`${BASE}/health`);
    assert.equal(r.status, 200);
    assert.equal((await r.json()).status, 'ok');
});

test('SDK messages.create() through nginx and the socket volume', T, async () => {
    await mock.reset();
    const m = await client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }] });
    assert.deepEqual(m.content, [{ type: 'text', text: 'Hello from the mock upstream.' }]);
    assert.equal(m.stop_reason, 'end_turn');
    assert.equal(m.model, MODEL);
    const r = await mock.last();
    assert.equal(r.valid, true, r.error);
});

test('SDK messages.stream(): events in order, text assembled', T, async () => {
    await mock.reset();
    const stream = client.messages.stream({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }] });
    let text = '';
    stream.on('text', (t) => { text += t; });
    const m = await stream.finalMessage();
    assert.equal(text, 'Hello from the mock upstream.');
    assert.equal(m.usage.output_tokens, 7);
    assert.deepEqual((await mock.last()).body.stream_options, { include_usage: true });
});

test('SDK tool use: a streamed tool call, then its result', T, async () => {
    await mock.reset();
    const tools = [{ name: 'get_weather', description: 'weather', input_schema: { type: 'object', properties: {} } }];
    const messages = [{ role: 'user', content: 'use the tool' }];
    const m = await client.messages.stream({ model: MODEL, max_tokens: 64, tools, messages }).finalMessage();
    assert.equal(m.stop_reason, 'tool_use');
    const use = m.content.find((b) => b.type === 'tool_use');
    assert.equal(use.name, 'get_weather');
    messages.push({ role: 'assistant', content: m.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] });
    const m2 = await client.messages.create({ model: MODEL, max_tokens: 64, tools, messages });
    assert.equal(m2.content[0].text, 'Got the tool result.');
});

test('an upstream 429 arrives as rate_limit_error with retry-after', T, async () => {
    await mock.reset();
    await mock.script([{ status: 429, headers: { 'retry-after': '7' }, json: { error: { message: 'slow down', type: 'rate_limit' } } }]);
    const err = await client.messages.create({ model: MODEL, max_tokens: 8, messages: [{ role: 'user', content: 'x' }] })
        .then(() => null, (e) => e);
    assert.ok(err, 'the SDK must throw');
    assert.equal(err.status, 429);
    assert.equal(err.error?.error?.type, 'rate_limit_error');
    assert.equal(err.headers?.['retry-after'] ?? err.headers?.get?.('retry-after'), '7');
});

test('nginx answers the CORS preflight and its own 413 in Anthropic JSON', T, async () => {
    const pre = await fetch(`${BASE}/v1/messages`, { method: 'OPTIONS', headers: { origin: 'http://x', 'access-control-request-method': 'POST' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    const big = await fetch(`${BASE}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(33 << 20) });
    assert.equal(big.status, 413);
    assert.equal((await big.json()).error.type, 'request_too_large');
});

const sh = (cmd) => execSync(cmd, { encoding: 'utf8' }).trim();

test('SIGTERM to the pool: the open stream finishes, then the container exits 0', { timeout: 90000 }, async () => {
    await mock.reset();
    const words = Array.from({ length: 12 }, (_, i) => `w${i} `);
    await mock.script([{ interval_ms: 400, sse: [...words.map((w) => chunk({ content: w })), chunk({}, 'stop'), DONE] }]);
    const pending = post(BASE, '/v1/messages', { model: MODEL, max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'slow' }] });
    // the stream is open once the mock has the request
    const t0 = Date.now();
    while ((await mock.requests()).length === 0) {
        assert.ok(Date.now() - t0 < 10000, 'the request never reached the mock');
        await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 800));
    const stop = spawn('sh', ['-c', process.env.CP_STOP], { stdio: 'ignore' });
    const stopped = new Promise((r) => stop.on('exit', r));
    const r = await pending;
    assert.equal(r.status, 200, r.text);
    const frames = assertValidStream(r.text);
    assert.equal(frames.at(-1).event, 'message_stop');
    assert.equal(assemble(frames).content[0].text, words.join(''));
    await stopped;
    const tStop = Date.now() - t0;
    assert.equal(sh(process.env.CP_STATE), 'false 0', 'the pool container has exited with status 0');
    assert.ok(tStop >= 12 * 400 - 1500, `stopped after ${tStop} ms, before the stream could finish`);
});
