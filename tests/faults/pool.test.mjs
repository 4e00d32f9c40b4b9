// pool.test.mjs: the elastic pool (fcgi/pool.c): it grows instead of queueing in
// silence, answers 529 at once past MAX_THREADS, and shrinks back.
// - 300 paced streams at once with the defaults (2 processes, THREADS 4,
//   MAX_THREADS 256): all complete, each first byte within 1 s;
// - one process held at MAX_THREADS=4 gets 8 streams: 4 complete, 4 get
//   a 529 overloaded_error with retry-after at once;
// - idle threads end after THREAD_IDLE, down to THREADS;
// - the log shows the growth, the shrinking and every 529.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startStack, chunk, DONE, REQ, poolStats, sleep, parseSse, checkEvents } from './lib.mjs';

const stacks = [];
after(async () => {
    for (const s of stacks) await s.stop();
});

// Events paced over about ms milliseconds.
const paced = (ms, n = 5) => ({ sse: [...Array.from({ length: n }, (_, i) => chunk({ content: `p${i} ` })), chunk({}, 'stop'), DONE], interval_ms: Math.round(ms / n) });

// One stream: status, time to the first body byte, the text.
async function stream(base, i) {
    const t0 = Date.now();
    const r = await fetch(base + '/v1/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(REQ({ stream: true, messages: [{ role: 'user', content: `pool-${i}` }] })),
    });
    const rd = r.body.getReader();
    const dec = new TextDecoder();
    let text = '';
    let first = null;
    for (;;) {
        const { done, value } = await rd.read();
        if (done) break;
        if (first === null) first = Date.now() - t0;
        text += dec.decode(value, { stream: true });
    }
    return { status: r.status, first, total: Date.now() - t0, text, retry: r.headers.get('retry-after') };
}

const procLog = (s) => {
    const f = path.join(s.logs, 'claude-proxy.log');
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
};

test('300 paced streams at once with the defaults: all complete, first bytes within 1 s', { timeout: 120000 }, async () => {
    const s = await startStack('faults-pool-300', { env: {} });
    stacks.push(s);
    const N = 300;
    await s.mock.script(Array.from({ length: N }, () => paced(1000)));
    const rs = await Promise.all(Array.from({ length: N }, (_, i) => stream(s.base, i)));
    const firsts = rs.map((r) => r.first).sort((a, b) => a - b);
    const pct = (q) => firsts[Math.min(N - 1, Math.floor(q * N))];
    console.log(`# ${N} streams: first byte ms p50 ${pct(0.5)} p99 ${pct(0.99)} max ${firsts[N - 1]}; whole stream max ${Math.max(...rs.map((r) => r.total))} ms; threads now ${poolStats(s).threads}`);
    for (const r of rs) {
        assert.equal(r.status, 200);
        const { frames, errors } = parseSse(r.text);
        assert.deepEqual(errors, []);
        assert.deepEqual(checkEvents(frames), []);
        assert.equal(frames[frames.length - 1].event, 'message_stop');
    }
    assert.ok(firsts[N - 1] <= 1000, `slowest first byte ${firsts[N - 1]} ms`);
    assert.match(procLog(s), /pool: grew to \d+ threads/);
});

test('MAX_THREADS=4: of 8 streams, 4 complete and 4 get a 529 at once; then the pool shrinks back', { timeout: 60000 }, async () => {
    const s = await startStack('faults-pool-max', { workers: 1, env: { THREADS: '2', MAX_THREADS: '4', THREAD_IDLE: '1' } });
    stacks.push(s);
    const idle = poolStats(s).threads;
    await s.mock.script(Array.from({ length: 8 }, () => paced(3000)));
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => stream(s.base, i)));
    const ok = rs.filter((r) => r.status === 200);
    const full = rs.filter((r) => r.status === 529);
    console.log(`# 8 streams at MAX_THREADS=4: ${ok.length} x 200 in ${ok.map((r) => r.total).join(',')} ms; ${full.length} x 529 in ${full.map((r) => r.total).join(',')} ms`);
    assert.equal(ok.length, 4);
    assert.equal(full.length, 4);
    for (const r of full) {
        assert.ok(r.total < 1000, `529 after ${r.total} ms`);
        assert.equal(r.retry, '1');
        const j = JSON.parse(r.text);
        assert.equal(j.type, 'error');
        assert.equal(j.error.type, 'overloaded_error');
        assert.match(j.error.message, /MAX_THREADS/);
    }
    for (const r of ok) assert.equal(parseSse(r.text).frames.pop().event, 'message_stop');
    assert.equal((await s.mock.requests()).length, 4, 'only the served ones reached the upstream');
    // the log: growth, and each 529
    const log = procLog(s);
    assert.match(log, /pool: grew to \d+ threads/);
    assert.equal((log.match(/pool: all 4 threads busy: 529/g) || []).length, 4);
    // idle: back to THREADS (the main thread, THREADS workers; the start
    // may have grown one more already, for the first request).  That it
    // grew is the log line above: its thread count at this moment is a
    // race with THREAD_IDLE.
    const end = Date.now() + 15000;
    let st;
    while ((st = poolStats(s)).threads > 1 + 2 && Date.now() < end) await sleep(200);
    assert.equal(st.threads, 1 + 2, 'threads after idling: main + THREADS');
    assert.ok(st.threads <= idle);
    assert.match(procLog(s), /pool: shrank to 2 threads/);
});
