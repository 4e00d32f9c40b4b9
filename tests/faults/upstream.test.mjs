// upstream.test.mjs: upstream faults, end to end (lighttpd -> pool ->
// mock upstream).  Each fault: the right Anthropic status and error.type
// (or `event: error` once a stream has begun), the same workers alive,
// and the next request fine.
//
// One stack with short timeouts for the mock-driven faults, and small
// stacks whose upstream is unreachable in three ways.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import {
    startStack, post, REQ, chunk, usageChunk, DONE, closedPort, workerPids,
    assertError, assertStreamFailed, assertStreamOk, streamText, assertHealthy,
} from './lib.mjs';

// common/README.md §8: upstream status -> client status and error.type.
const STATUS_MAP = {
    400: [400, 'invalid_request_error'], 401: [401, 'authentication_error'],
    403: [403, 'permission_error'], 404: [404, 'not_found_error'],
    408: [504, 'timeout_error'], 413: [413, 'request_too_large'],
    422: [400, 'invalid_request_error'], 429: [429, 'rate_limit_error'],
    500: [500, 'api_error'], 502: [502, 'api_error'],
    503: [529, 'overloaded_error'], 504: [504, 'timeout_error'],
    529: [529, 'overloaded_error'],
};
export const FAULTS = []; // names of the faults tried, for the summary

let s;
let pids;
// The volume faults (100,000 chunks, 50 MB) on a stack of their own with
// a generous IDLE_TIMEOUT: the mock needs seconds to prepare 50 MB on a
// loaded 2-core machine, and that silence is not what these tests are
// about (the stall tests above check IDLE_TIMEOUT).
let big;
let bigPids;
before(async () => {
    s = await startStack('faults-upstream', {
        workers: 2,
        env: { THREADS: '2', IDLE_TIMEOUT: '2', PING_INTERVAL: '1', MAX_SSE_LINE: '64k' },
    });
    pids = workerPids(s);
    assert.equal(pids.length, 2, 'two workers');
});
after(async () => {
    console.log(`# upstream faults: ${FAULTS.length} tried`);
    await s?.stop();
    await big?.stop();
});

async function fault(name, step, req, check, st = s, stPids = pids) {
    FAULTS.push(name);
    await st.mock.reset();
    await st.mock.script([step]);
    const r = await post(st.base, '/v1/messages', req);
    await check(r);
    await assertHealthy(st, stPids, name);
}

async function startBig() {
    if (!big) {
        big = await startStack('faults-upstream-big', {
            workers: 1,
            env: { THREADS: '2', IDLE_TIMEOUT: '60', PING_INTERVAL: '1' },
        });
        bigPids = workerPids(big);
    }
}

async function bigFault(name, step, req, check) {
    await startBig();
    return fault(name, step, req, check, big, bigPids);
}

// Peak RSS (VmHWM, kB) of the big stack's one worker.
function peakRss() {
    const st = fs.readFileSync(`/proc/${bigPids[0]}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(st)[1]);
}

// `make valgrind` runs this suite with workers under memcheck, whose
// freed-block quarantine (20 MB) and shadow memory make RSS meaningless.
const underMemcheck = () => fs.readFileSync(`/proc/${bigPids[0]}/comm`, 'utf8').startsWith('memcheck');
// ASan (make SANITIZE=1 check) keeps freed memory in quarantine (256 MB
// by default), so peak RSS grows with all that was ever allocated: the
// buffering check is judged on the plain build only.
const underAsan = () => fs.readFileSync(`/proc/${bigPids[0]}/maps`, 'utf8').includes('libasan');

for (const [st, [want, type]] of Object.entries(STATUS_MAP)) {
    const status = Number(st);
    const json = { error: { message: `upstream says ${status}`, type: 'x', code: null } };
    const html = `<html><head><title>${status} Oops</title></head><body><h1>${status}</h1><script>x()</script></body></html>`;
    const headers = status === 429 ? { 'retry-after': '7' } : {};
    for (const stream of [false, true]) {
        test(`status ${status} with a JSON body, stream ${stream}`, () =>
            fault(`status ${status} json stream=${stream}`, { status, json, headers }, REQ({ stream }), (r) => {
                assertError(r, want, type, `${status} json`);
                assert.match(r.json.error.message, new RegExp(`upstream says ${status}`), 'the upstream message is kept');
                if (status === 429) assert.equal(r.headers.get('retry-after'), '7', 'retry-after copied');
            }));
        test(`status ${status} with an HTML body, stream ${stream}`, () =>
            fault(`status ${status} html stream=${stream}`, { status, body: html, headers }, REQ({ stream }), (r) => {
                assertError(r, want, type, `${status} html`);
                assert.doesNotMatch(r.json.error.message, /<script|<html/i, 'HTML reduced');
            }));
    }
}

test('invalid JSON in a 200 answer is a 502', () =>
    fault('invalid json', { status: 200, body: '{"choices":[{"message":', headers: { 'content-type': 'application/json' } },
        REQ(), (r) => assertError(r, 502, 'api_error', 'invalid json')));

test('an empty 200 answer is a 502', () =>
    fault('empty 200', { status: 200, body: '', headers: { 'content-type': 'application/json' } },
        REQ(), (r) => assertError(r, 502, 'api_error', 'empty 200')));

test('an empty 200 stream is an error, never a fake success', () =>
    fault('empty 200 stream', { status: 200, chunks: [] }, REQ({ stream: true }),
        (r) => assertStreamFailed(r, 502, 'api_error', 'empty stream')));

test('a stream that ends without [DONE] is closed properly', () =>
    fault('no [DONE]', { sse: [chunk({ content: 'Hel' }), chunk({ content: 'lo' }), chunk({}, 'stop')] },
        REQ({ stream: true }), (r) => {
            const frames = assertStreamOk(r, 'no [DONE]');
            assert.equal(streamText(frames), 'Hello');
        }));

test('a stream cut inside a JSON line ends in event: error', () =>
    fault('cut inside a JSON line', {
        chunks: [chunk({ content: 'partial ' }) + '\n\n', 'data: {"id":"x","choices":[{"delta":{"cont'],
        destroy_after: 2,
    }, REQ({ stream: true }), (r) => {
        assertStreamFailed(r, 502, 'api_error', 'cut');
    }));

test('a non-stream answer cut short is a 502', () =>
    fault('non-stream cut', { chunks: ['{"choices":[{"message":{"content":"abc'], destroy_after: 1,
        headers: { 'content-type': 'application/json' } }, REQ(), (r) => assertError(r, 502, 'api_error', 'cut')));

test('a stall before the first byte is a 504 (non-stream)', () =>
    fault('stall before first byte', { delay_ms: 4000 }, REQ(), (r) => assertError(r, 504, 'timeout_error', 'stall')));

test('a stall before the first byte of a stream is a timeout', () =>
    fault('stall before first byte, stream', { delay_ms: 4000, sse: [chunk({ content: 'late' }), DONE] },
        REQ({ stream: true }), (r) => assertStreamFailed(r, 504, 'timeout_error', 'stall')));

test('a stall mid-stream ends in event: error timeout_error, after pings', () =>
    fault('stall mid-stream', { sse: [chunk({ content: 'a' }), chunk({ content: 'b' }), chunk({ content: 'c' }), DONE],
        stall_after: 2, stall_ms: 5000 }, REQ({ stream: true }), (r) => {
        const frames = assertStreamFailed(r, 504, 'timeout_error', 'mid stall');
        assert.ok(frames.some((f) => f.event === 'ping'), 'pings went out during the silence');
    }));

test('an in-band error chunk before any content is an HTTP error', () =>
    fault('in-band error first', { sse: ['data: {"error":{"message":"in-band trouble","code":429}}', DONE] },
        REQ({ stream: true }), (r) => {
            assertStreamFailed(r, 429, 'rate_limit_error', 'in-band first');
        }));

test('an in-band error chunk after content is event: error', () =>
    fault('in-band error after content', {
        sse: [chunk({ content: 'some text' }), 'data: {"error":{"message":"in-band trouble","code":500}}', DONE],
    }, REQ({ stream: true }), (r) => {
        const frames = assertStreamFailed(r, 500, 'api_error', 'in-band after');
        assert.equal(r.status, 200, 'the stream had begun');
        assert.match(frames[frames.length - 1].data.error.message, /in-band trouble/);
    }));

test('finish_reason "error" is an error, not a success', () =>
    fault('finish_reason error', { sse: [chunk({ content: 'x' }), chunk({}, 'error'), DONE] },
        REQ({ stream: true }), (r) => {
            const { status, text } = r;
            assert.equal(status, 200);
            assert.match(text, /event: error/, 'ends in event: error');
        }));

test('an SSE line over MAX_SSE_LINE ends the stream with an error', () =>
    fault('sse line over the cap', { sse: [chunk({ content: 'ok ' }), chunk({ content: 'x'.repeat(100 * 1024) }), DONE] },
        REQ({ stream: true }), (r) => {
            assert.equal(r.status, 200);
            const frames = assertStreamFailed(r, 0, 'api_error', 'line cap');
            assert.ok(frames.length >= 2);
        }));

test('an SSE line over the cap as the first line is an HTTP error', () =>
    fault('sse first line over the cap', { sse: [chunk({ content: 'y'.repeat(100 * 1024) }), DONE] },
        REQ({ stream: true }), (r) => {
            assert.ok(r.status >= 500 && r.status < 600, `a 5xx, got ${r.status}`);
            assertError(r, r.status, 'api_error', 'first line cap');
        }));

test('100,000 tiny chunks stream intact', { timeout: 300000 }, () => {
    let text = '';
    let all = '';
    for (let i = 0; all.length < 300000; i++) {
        text += `w${i} `;
        all += chunk({ content: `w${i} ` }) + '\n\n';
    }
    all += chunk({}, 'stop') + '\n\n' + usageChunk(10, 20) + '\n\n' + DONE + '\n\n';
    const pieces = [];
    for (let k = 0; k < all.length; k += 3) pieces.push(all.slice(k, k + 3));
    assert.ok(pieces.length >= 100000);
    return bigFault('100,000 tiny chunks', { chunks: pieces }, REQ({ stream: true }), (r) => {
        const frames = assertStreamOk(r, 'tiny chunks');
        assert.equal(streamText(frames), text);
    });
});

test('a 50 MB stream passes (streams are not buffered)', { timeout: 300000 }, async () => {
    const piece = 'z'.repeat(50 * 1024);
    const n = 1000; // 50 MB of text
    const sse = [];
    for (let i = 0; i < n; i++) sse.push(chunk({ content: piece }));
    sse.push(chunk({}, 'stop'), DONE);
    // Warm the worker up first, so its peak RSS before is its working set.
    await startBig();
    await big.mock.reset();
    assertStreamOk(await post(big.base, '/v1/messages', REQ({ stream: true })), 'warm-up');
    const hwm0 = peakRss();
    await bigFault('50 MB stream', { sse }, REQ({ stream: true }), (r) => {
        const frames = assertStreamOk(r, '50 MB stream');
        assert.equal(streamText(frames).length, piece.length * n);
    });
    // Buffering the stream would need 50 MB at least once; converting it
    // piece by piece needs a few pieces (50 kB each) at a time.
    const grew = peakRss() - hwm0;
    if (underMemcheck() || underAsan()) {
        console.log(`# 50 MB stream: under memcheck or ASan, peak RSS (grew ${grew} kB) not judged`);
        return;
    }
    console.log(`# 50 MB stream: worker peak RSS grew ${grew} kB`);
    assert.ok(grew < 16 * 1024, `peak RSS grew ${grew} kB: the stream was buffered`);
});

test('a 50 MB non-stream answer under MAX_RESPONSE_BYTES (64M) passes', { timeout: 300000 }, () => {
    const content = 'q'.repeat(50 * 1024 * 1024);
    return bigFault('50 MB non-stream', { json: { id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1 } } },
        REQ(), (r) => {
            assert.equal(r.status, 200, r.text.slice(0, 300));
            assert.equal(r.json.content[0].text.length, content.length);
        });
});

// Unreachable upstreams, each on its own small stack.
async function unreachable(name, env, stream) {
    FAULTS.push(`${name} stream=${stream}`);
    const u = await startStack(`faults-${name.replace(/\W+/g, '-')}`, { workers: 1, env: { THREADS: '2', CONNECT_TIMEOUT: '3', ...env } });
    try {
        const p = workerPids(u);
        for (const st of [false, true]) {
            const r = await post(u.base, '/v1/messages', REQ({ stream: st }));
            assertError(r, 502, 'api_error', `${name} stream=${st}`);
        }
        assert.deepEqual(workerPids(u), p, `${name}: worker alive`);
        const h = await fetch(u.base + '/v1/models');
        assert.equal(h.status, 200, 'the worker still answers');
    } finally {
        await u.stop();
    }
}

test('connection refused is a 502', async () => {
    const port = await closedPort();
    await unreachable('connection refused', { OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` }, 'both');
});

// The lookup goes to the machine's resolver: give a slow one time to say
// NXDOMAIN (a lookup cut by CONNECT_TIMEOUT is a 504, rightly).
test('an unresolvable host is a 502', () =>
    unreachable('unresolvable host', { OPENAI_BASE_URL: 'http://upstream.invalid/v1', CONNECT_TIMEOUT: '30' }, 'both'));

test('TLS to a plain HTTP port is a 502', async () => {
    const plain = http.createServer((req, res) => res.end('plain'));
    await new Promise((r) => plain.listen(0, '127.0.0.1', r));
    try {
        await unreachable('tls to plain port', { OPENAI_BASE_URL: `https://127.0.0.1:${plain.address().port}/v1` }, 'both');
    } finally {
        plain.close();
    }
});
