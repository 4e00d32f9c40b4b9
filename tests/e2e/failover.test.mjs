// Fallback between providers while no byte has reached the client: a
// dead port, a 503, a 429 with retry-after (retried, then failed over),
// an upstream silent until IDLE_TIMEOUT, a cut answer; a 400 does not
// fail over, every target failing gives the last error, a failure after
// the first byte is an event: error.  Stream and non-stream alike.
// COOLDOWN=0 here (cooldown.test.mjs has its own stack), so each case
// starts from the rule's order.  The time each client waited is printed
// for the record.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startStack, freePort } from './lib/stack.mjs';
import { post, assertValidStream, parseSse, chunk, DONE } from './lib/sse.mjs';

let s;
const T = { timeout: 60000 };

before(async () => {
    const dead = await freePort(); // nothing listens there
    s = await startStack('failover', {
        workers: 1,
        mocks: { b: {} },
        env: ({ mocks }) => ({
            PROVIDER_B_BASE_URL: `${mocks.b}/v1`,
            PROVIDER_DOWN_BASE_URL: `http://127.0.0.1:${dead}/v1`,
            IDLE_TIMEOUT: '2',
            COOLDOWN: '0',
            ROUTES: 'dead=down:m1|b:m2;*=default:m1|b:m2',
        }),
    });
});
after(async () => {
    await s?.stop();
});

async function resetAll() {
    await s.mock.reset();
    await s.mocks.b.reset();
}

const body = (stream, model = 'claude-sonnet-4-5') => ({ model, max_tokens: 64, stream, messages: [{ role: 'user', content: 'hi' }] });

// The responder's log lines so far.
function logLines() {
    const f = path.join(s.logs, 'claude-proxy-error.log');
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n') : [];
}

// Sends one request; checks it was answered by b:m2 after `attempts`
// attempts, with the log line naming the failover; returns the time.
async function failsOver(what, stream, attempts, why, model) {
    const t0 = Date.now();
    const r = await post(s.base, '/v1/messages', body(stream, model));
    const ms = Date.now() - t0;
    assert.equal(r.status, 200, `${what}: ${r.text.slice(0, 300)}`);
    if (stream) assertValidStream(r.text);
    else assert.equal(r.json.content[0].text, 'Hello from the mock upstream.');
    assert.equal(r.headers.get('x-claude-proxy-upstream'), 'b:m2');
    assert.equal(r.headers.get('x-claude-proxy-attempts'), String(attempts));
    const b = await s.mocks.b.requests();
    assert.equal(b.length, 1);
    assert.equal(b[0].body.model, 'm2');
    const id = r.headers.get('request-id');
    let line;
    for (let i = 0; i < 20 && !line; i++) {
        line = logLines().find((l) => l.includes(`id=${id}`));
        if (!line) await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(line, `a log line for ${id}`);
    assert.match(line, new RegExp(`upstream=b:m2 rule=\\S+ attempts=${attempts} failover=${why}`));
    console.log(`# ${what}, stream ${stream}: answered by the fallback after ${ms} ms`);
    return ms;
}

test('a dead port fails over to the next target', T, async () => {
    for (const stream of [false, true]) {
        await resetAll();
        await failsOver('dead port', stream, 2, 'down:connect', 'claude-dead-1');
    }
});

test('a 503 fails over', T, async () => {
    for (const stream of [false, true]) {
        await resetAll();
        await s.mock.script([{ status: 503, json: { error: { message: 'down for maintenance' } } }]);
        await failsOver('503', stream, 2, 'default:503');
        assert.equal((await s.mock.requests()).length, 1);
    }
});

test('a 429 with retry-after 1 is retried once, then fails over', T, async () => {
    for (const stream of [false, true]) {
        await resetAll();
        const e429 = { status: 429, headers: { 'retry-after': '1' }, json: { error: { message: 'slow down' } } };
        await s.mock.script([e429, e429]);
        const ms = await failsOver('429 retry-after 1', stream, 3, 'default:429,default:429');
        const a = await s.mock.requests();
        assert.equal(a.length, 2);
        assert.ok(a[1].t_start - a[0].t_start >= 950, `waited ${a[1].t_start - a[0].t_start} ms`);
        assert.ok(ms >= 1000);
    }
});

test('a 429 that clears on the retry is answered by the same target', T, async () => {
    await resetAll();
    await s.mock.script([{ status: 429, headers: { 'retry-after': '1' }, json: { error: { message: 'slow down' } } }]);
    const r = await post(s.base, '/v1/messages', body(false));
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-claude-proxy-upstream'), 'default:m1');
    assert.equal(r.headers.get('x-claude-proxy-attempts'), '2');
    assert.equal((await s.mocks.b.requests()).length, 0);
});

test('an upstream silent until IDLE_TIMEOUT fails over', T, async () => {
    for (const stream of [false, true]) {
        await resetAll();
        await s.mock.script([{ delay_ms: 6000 }]);
        const ms = await failsOver('silent upstream', stream, 2, 'default:idle');
        assert.ok(ms >= 1900 && ms < 5500, `${ms} ms`);
    }
});

test('an answer cut before the client got a byte fails over', T, async () => {
    for (const stream of [false, true]) {
        await resetAll();
        // the status line and part of a body, then the connection is
        // cut.  (A connection cut before any byte is retried by libcurl
        // itself when it was a kept-alive one.)
        await s.mock.script([stream
            ? { sse: [': keep-alive'], interval_ms: 100, destroy_after: 1 }
            : { chunks: ['{"id":"x","choices":['], headers: { 'content-type': 'application/json' }, interval_ms: 100, destroy_after: 1 }]);
        await failsOver('cut answer', stream, 2, 'default:\\w+');
    }
});

test('a 400 does not fail over', T, async () => {
    for (const stream of [false, true]) {
        await resetAll();
        await s.mock.script([{ status: 400, json: { error: { message: 'bad parameter foo' } } }]);
        const r = await post(s.base, '/v1/messages', body(stream));
        assert.equal(r.status, 400);
        assert.equal(r.json.error.type, 'invalid_request_error');
        assert.equal(r.headers.get('x-claude-proxy-upstream'), 'default:m1');
        assert.equal((await s.mocks.b.requests()).length, 0);
    }
});

test('when every target fails, the client gets the last failure with its retry-after', T, async () => {
    for (const stream of [false, true]) {
        await resetAll();
        await s.mock.script([{ status: 503, json: { error: { message: 'first down' } } }]);
        await s.mocks.b.script([{ status: 529, headers: { 'retry-after': '30' }, json: { error: { message: 'second overloaded' } } }]);
        const r = await post(s.base, '/v1/messages', body(stream));
        assert.equal(r.status, 529, r.text);
        assert.equal(r.json.error.type, 'overloaded_error');
        assert.match(r.json.error.message, /second overloaded/);
        assert.equal(r.headers.get('retry-after'), '30');
        assert.equal(r.headers.get('x-claude-proxy-upstream'), 'b:m2');
        assert.equal(r.headers.get('x-claude-proxy-attempts'), '2');
    }
});

test('a failure after the first byte is an event: error, not retried', T, async () => {
    await resetAll();
    await s.mock.script([{ sse: [chunk({ role: 'assistant', content: 'Hel' }), chunk({ content: 'lo' }), DONE], interval_ms: 200, destroy_after: 2 }]);
    const r = await post(s.base, '/v1/messages', body(true));
    assert.equal(r.status, 200);
    const { frames } = parseSse(r.text);
    assert.equal(frames[0].event, 'message_start');
    assert.equal(frames[frames.length - 1].event, 'error');
    assert.equal(r.headers.get('x-claude-proxy-upstream'), 'default:m1');
    assert.equal((await s.mocks.b.requests()).length, 0);
});
