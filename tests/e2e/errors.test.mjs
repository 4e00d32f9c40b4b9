// Failures through the whole stack, seen by the official SDK: the proxy
// key, upstream 429/500 (and the SDK's retries), the body cap, upstream
// errors before and after the stream started, and a client that goes
// away mid-stream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, sdk } from './lib/stack.mjs';
import { post, parseSse, checkEvents, chunk, usageChunk, DONE } from './lib/sse.mjs';

const PROXY_KEY = 'proxy-key-e2e-7f3a9c1d';
const MAX_BODY = 64 * 1024;
const MODEL = 'claude-e2e-haiku';
const T = { timeout: 30000 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hello = { model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'Hello' }] };

let s;
let client;

before(async () => {
    s = await startStack('errors', { env: { PROXY_API_KEY: PROXY_KEY, MAX_BODY_BYTES: String(MAX_BODY) } });
    client = await sdk(s.base, { apiKey: PROXY_KEY });
});
after(async () => {
    await s?.stop();
});

test('a proxy key is required: 401 without it, x-api-key and Bearer both work', T, async () => {
    await s.mock.reset();
    const wrong = await sdk(s.base, { apiKey: 'not-the-key' });
    await assert.rejects(wrong.messages.create(hello), (e) => {
        assert.equal(e.status, 401);
        assert.equal(e.error?.error?.type, 'authentication_error');
        assert.ok(!JSON.stringify(e.error).includes(PROXY_KEY));
        return true;
    });
    const none = await post(s.base, '/v1/messages', hello);
    assert.equal(none.status, 401);
    assert.equal(none.json.error.type, 'authentication_error');
    assert.equal((await s.mock.requests()).length, 0, 'a rejected request never reaches the upstream');

    assert.equal((await client.messages.create(hello)).content[0].text, 'Hello from the mock upstream.');
    const bearer = await sdk(s.base, { apiKey: null, authToken: PROXY_KEY });
    assert.equal((await bearer.messages.create(hello)).content[0].text, 'Hello from the mock upstream.');
    // The proxy key is ours: it never goes upstream.
    for (const r of await s.mock.requests()) assert.ok(!JSON.stringify(r.headers).includes(PROXY_KEY));
});

test('upstream 429 reaches the SDK as RateLimitError with retry-after', T, async () => {
    await s.mock.reset();
    await s.mock.script([{ status: 429, headers: { 'retry-after': '7' },
        json: { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } } }]);
    const { RateLimitError } = await import('@anthropic-ai/sdk');
    await assert.rejects(client.messages.create(hello), (e) => {
        assert.ok(e instanceof RateLimitError, e.constructor.name);
        assert.equal(e.status, 429);
        assert.equal(e.headers.get('retry-after'), '7');
        assert.equal(e.error.type, 'error');
        assert.equal(e.error.error.type, 'rate_limit_error');
        assert.match(e.error.error.message, /Rate limit reached/);
        return true;
    });
    // Streamed too: the status comes before any event.  A retry-after
    // past RETRY_MAX_WAIT (5 s) is passed on, not waited out.
    await s.mock.script([{ status: 429, headers: { 'retry-after': '9' }, json: { error: { message: 'slow down' } } }]);
    const r = await post(s.base, '/v1/messages', { ...hello, stream: true }, { 'x-api-key': PROXY_KEY });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '9');
    assert.equal(r.json.error.type, 'rate_limit_error');
});

test('upstream 500 then success: the SDK retry succeeds', T, async () => {
    await s.mock.reset();
    await s.mock.script([{ status: 500, json: { error: { message: 'internal boom', type: 'server_error' } } }]);
    const retrying = await sdk(s.base, { apiKey: PROXY_KEY, maxRetries: 2 });
    const m = await retrying.messages.create(hello);
    assert.equal(m.content[0].text, 'Hello from the mock upstream.');
    const rs = await s.mock.requests();
    assert.equal(rs.length, 2);
    assert.deepEqual(rs[0].body, rs[1].body);

    await s.mock.script([{ status: 500, json: { error: { message: 'internal boom', type: 'server_error' } } }]);
    await assert.rejects(client.messages.create(hello), (e) => {
        assert.ok(e.status >= 500, String(e.status));
        assert.equal(e.error.error.type, 'api_error');
        assert.match(e.error.error.message, /internal boom/);
        return true;
    });
});

test('an HTML error page upstream becomes a short Anthropic error', T, async () => {
    await s.mock.reset();
    await s.mock.script([{ status: 502, body: '<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>' }]);
    const r = await post(s.base, '/v1/messages', hello, { 'x-api-key': PROXY_KEY });
    assert.ok(r.status >= 500, String(r.status));
    assert.equal(r.json.type, 'error');
    assert.equal(r.json.error.type, 'api_error');
    assert.doesNotMatch(r.json.error.message, /<html|<h1/i);
});

test('a body over MAX_BODY_BYTES gets 413 request_too_large', T, async () => {
    await s.mock.reset();
    const big = { ...hello, messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY + 1000) }] };
    await assert.rejects(client.messages.create(big), (e) => {
        assert.equal(e.status, 413);
        assert.equal(e.error.error.type, 'request_too_large');
        return true;
    });
    // Just under the cap passes.
    const ok = { ...hello, messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY - 1000) }] };
    assert.equal((await client.messages.create(ok)).content[0].text, 'Hello from the mock upstream.');
    // Far over lighttpd's own limit (MAX_BODY_BYTES + 1 MiB): still 413.
    const huge = await post(s.base, '/v1/messages', 'y'.repeat(MAX_BODY + 2 * 1024 * 1024), { 'x-api-key': PROXY_KEY });
    assert.equal(huge.status, 413);
    assert.equal((await s.mock.requests()).length, 1);
});

test('an upstream that dies mid-stream gives an error event', T, async (t) => {
    await s.mock.reset();
    // Paced, so the first events are on their way to the client before
    // the cut: then the status is already 200.
    await s.mock.script([{ sse: [chunk({ role: 'assistant', content: 'Half an ans' }), chunk({ content: 'wer' })], destroy_after: 2, interval_ms: 300 }]);
    const r = await post(s.base, '/v1/messages', { ...hello, stream: true }, { 'x-api-key': PROXY_KEY });
    assert.equal(r.status, 200);
    const { frames } = parseSse(r.text);
    const types = frames.map((f) => f.event);
    // A cut connection is a failure, not a clean end: an error event
    // ends the stream, with no message_stop (common/README.md §5).
    assert.equal(types.at(-1), 'error', types.join(','));
    assert.ok(!types.includes('message_stop'));
    assert.deepEqual(checkEvents(frames), []);
    t.diagnostic(`events: ${types.join(',')}`);
});

test('an in-band upstream error object mid-stream is an error event', T, async () => {
    await s.mock.reset();
    await s.mock.script([{ sse: [
        chunk({ role: 'assistant', content: 'Start' }),
        'data: ' + JSON.stringify({ error: { message: 'Provider returned error', code: 502 } }),
        DONE,
    ] }]);
    const r = await post(s.base, '/v1/messages', { ...hello, stream: true }, { 'x-api-key': PROXY_KEY });
    const { frames } = parseSse(r.text);
    assert.deepEqual(checkEvents(frames), []);
    const err = frames.find((f) => f.event === 'error');
    assert.ok(err, frames.map((f) => f.event).join(','));
    assert.match(err.data.error.message, /Provider returned error/);
});

test('a client that goes away mid-stream closes the upstream connection within 2 s', T, async (t) => {
    await s.mock.reset();
    const events = [chunk({ role: 'assistant', content: '' })];
    for (let i = 0; i < 60; i++) events.push(chunk({ content: `word${i} ` }));
    events.push(chunk({}, 'stop'), usageChunk(5, 60), DONE);
    await s.mock.script([{ sse: events, interval_ms: 200 }]);
    const stream = client.messages.stream(hello);
    const ended = stream.finalMessage().then(() => null, (e) => e);
    let got = 0;
    await new Promise((resolve, reject) => {
        stream.on('text', () => {
            got++;
            if (got === 2) resolve();
        });
        stream.on('error', reject);
    });
    stream.abort();
    const t0 = Date.now();
    const { APIUserAbortError } = await import('@anthropic-ai/sdk');
    assert.ok((await ended) instanceof APIUserAbortError);
    let rec;
    while (Date.now() - t0 < 5000) {
        [rec] = await s.mock.requests();
        if (rec?.t_end) break;
        await sleep(50);
    }
    assert.ok(rec?.t_end, 'the upstream connection is still open 5 s after the client left');
    assert.equal(rec.closed_early, true);
    const lag = rec.t_end - t0;
    t.diagnostic(`upstream closed ${lag} ms after the client aborted`);
    assert.ok(lag < 2000, `upstream closed ${lag} ms after the client left`);
    // The pool is still healthy afterwards.
    assert.equal((await client.messages.create(hello)).content[0].text, 'Hello from the mock upstream.');
});
