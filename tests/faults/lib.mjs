// lib.mjs: helpers shared by the fault suites.  The stack itself (mock
// upstream + deploy/run.sh: lighttpd in front of a spawn-fcgi pool) is
// the e2e harness, imported as it is.
//
// Pool accounting: run.sh writes the spawn-fcgi/multiwatch PID to
// <dir>/run/pool.pid; the workers are its children.  A worker that
// crashes is restarted by multiwatch with a new PID, so "the worker is
// alive" is checked as "the set of worker PIDs did not change".

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

export { startStack, ROOT, B, UPSTREAM_KEY } from '../e2e/lib/stack.mjs';
export { post, parseSse, checkEvents, assemble, chunk, usageChunk, DONE } from '../e2e/lib/sse.mjs';
import { post, parseSse, checkEvents } from '../e2e/lib/sse.mjs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const REQ = (extra = {}) => ({
    model: 'claude-sonnet-4-5',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'hello' }],
    ...extra,
});

// A TCP port with nothing listening on it (bound, then closed).
export { freePort as closedPort } from '../e2e/lib/stack.mjs';

// PIDs of the pool's workers (children of the multiwatch process).
export function workerPids(s) {
    const parent = Number(fs.readFileSync(path.join(s.dir, 'run', 'pool.pid'), 'utf8').trim());
    const pids = [];
    for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        let stat;
        try { stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8'); } catch { continue; }
        // pid (comm) state ppid ...: comm may hold spaces, so cut at ')'.
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === parent) pids.push(Number(d));
    }
    return pids.sort((a, b) => a - b);
}

// fds, threads, RSS, its anonymous part (heap and stacks: what a leak
// grows; PSS also moves with how many other processes share the
// libraries) and PSS (kB) of one process.
export function procStats(pid) {
    const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
    const threads = fs.readdirSync(`/proc/${pid}/task`).length;
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const anon = Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0);
    let pss = 0;
    try {
        pss = Number(/Pss:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch { /* older kernels */ }
    return { fds, threads, rss, anon, pss };
}

export function poolStats(s) {
    const per = workerPids(s).map((p) => ({ pid: p, ...procStats(p) }));
    const sum = (k) => per.reduce((a, x) => a + x[k], 0);
    return { per, fds: sum('fds'), threads: sum('threads'), rss: sum('rss'), anon: sum('anon'), pss: sum('pss') };
}

// Violations, each cut short: a 50 MB stream must not flood the report.
const short = (list) => list.slice(0, 5).map((e) => (e.length > 200 ? e.slice(0, 200) + '...' : e));

// The Anthropic error shape with the given status and error.type.
export function assertError(r, status, type, what = '') {
    assert.equal(r.status, status, `${what}: status ${r.status}, body ${r.text.slice(0, 300)}`);
    assert.ok(r.json, `${what}: error body is JSON: ${r.text.slice(0, 300)}`);
    assert.equal(r.json.type, 'error', `${what}: type`);
    assert.equal(r.json.error?.type, type, `${what}: error.type in ${r.text.slice(0, 300)}`);
    assert.equal(typeof r.json.error.message, 'string', `${what}: message`);
}

// A stream answer that ended in `event: error` of the given type (after a
// valid beginning), or, when nothing had been sent yet, the HTTP error.
export function assertStreamFailed(r, status, type, what = '') {
    if (r.status !== 200) return assertError(r, status, type, what);
    const { frames, errors } = parseSse(r.text);
    assert.deepEqual(short(errors), [], `${what}: framing`);
    assert.deepEqual(short(checkEvents(frames)), [], `${what}: §4 order\n${r.text.slice(-2000)}`);
    const last = frames[frames.length - 1];
    assert.equal(last?.event, 'error', `${what}: last event ${last?.event}`);
    assert.equal(last.data.error?.type, type, `${what}: error type ${JSON.stringify(last.data)}`);
    return frames;
}

// A complete, valid stream; returns the frames.
export function assertStreamOk(r, what = '') {
    assert.equal(r.status, 200, `${what}: status ${r.status} ${r.text.slice(0, 300)}`);
    assert.match(r.headers.get('content-type') ?? '', /text\/event-stream/, `${what}: content-type`);
    const { frames, errors } = parseSse(r.text);
    assert.deepEqual(short(errors), [], `${what}: framing`);
    assert.deepEqual(short(checkEvents(frames)), [], `${what}: §4 order`);
    assert.equal(frames[frames.length - 1].event, 'message_stop', `${what}: ends with message_stop`);
    return frames;
}

// The text a valid stream carried.
export function streamText(frames) {
    return frames.filter((f) => f.event === 'content_block_delta' && f.data.delta.type === 'text_delta')
        .map((f) => f.data.delta.text).join('');
}

// After a fault: the same workers are alive and a plain request works.
export async function assertHealthy(s, pidsBefore, what = '', headers = {}) {
    const r = await post(s.base, '/v1/messages', REQ(), headers);
    assert.equal(r.status, 200, `${what}: next request ${r.status} ${r.text.slice(0, 300)}`);
    assert.equal(r.json?.type, 'message', `${what}: next request is a message`);
    assert.deepEqual(workerPids(s), pidsBefore, `${what}: a worker died (multiwatch restarted it)`);
}

// Every file under the stack's log directory, as text.
export function readLogs(s) {
    const out = {};
    for (const f of fs.readdirSync(s.logs)) {
        const p = path.join(s.logs, f);
        if (fs.statSync(p).isFile()) out[f] = fs.readFileSync(p, 'latin1');
    }
    return out;
}
