// load.test.mjs (check-slow): LOAD_STREAMS (500) concurrent slow streams
// through lighttpd into a pool of 4 processes x 128 threads; every one
// completes with the right text and a valid event sequence; no worker
// dies.  Then a soak phase is `make soak` (soak.test.mjs).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, chunk, usageChunk, DONE, REQ, post, workerPids, poolStats, assertStreamOk, streamText } from './lib.mjs';

const N = Number(process.env.LOAD_STREAMS || 500);
let s;
let pids;
before(async () => {
    s = await startStack('faults-load', { workers: 4, env: { THREADS: '128', PING_INTERVAL: '5' } });
    pids = workerPids(s);
});
after(async () => { await s?.stop(); });

test(`${N} concurrent slow streams all complete and are correct`, { timeout: 600000 }, async () => {
    const words = Array.from({ length: 20 }, (_, i) => `word${i} `);
    const steps = Array.from({ length: N }, () => ({
        sse: [...words.map((w) => chunk({ content: w })), chunk({}, 'stop'), usageChunk(5, 20), DONE], interval_ms: 150,
    }));
    await s.mock.script(steps);
    const t0 = Date.now();
    const rs = await Promise.all(Array.from({ length: N }, () => post(s.base, '/v1/messages', REQ({ stream: true }))));
    const secs = (Date.now() - t0) / 1000;
    const bad = [];
    rs.forEach((r, i) => {
        try {
            const frames = assertStreamOk(r, `stream ${i}`);
            assert.equal(streamText(frames), words.join(''));
        } catch (e) { bad.push(e.message.slice(0, 200)); }
    });
    const st = poolStats(s);
    console.log(`# ${N} streams of ~3 s each in ${secs.toFixed(1)} s; pool RSS ${st.rss} kB, PSS ${st.pss} kB, threads ${st.threads}`);
    assert.deepEqual(bad.slice(0, 5), []);
    assert.ok(secs < 60, `all ran concurrently (${secs} s)`);
    assert.deepEqual(workerPids(s), pids, 'no worker died');
});
