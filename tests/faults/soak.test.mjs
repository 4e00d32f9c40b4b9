// soak.test.mjs (`make soak`): SOAK_SECONDS (default 180) of mixed
// traffic -- plain, stream, tool calls, upstream errors, bad input,
// aborted streams -- 8 at a time.  Pool RSS is sampled every 10 s after a
// 30 s warm-up; the last sample must be within 5% of the first.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, chunk, DONE, REQ, post, workerPids, poolStats, sleep } from './lib.mjs';

const SECS = Number(process.env.SOAK_SECONDS || 180);
let s;
let pids;
before(async () => {
    s = await startStack('faults-soak', { workers: 2, env: { THREADS: '4', PING_INTERVAL: '1' } });
    pids = workerPids(s);
});
after(async () => { await s?.stop(); });

const TOOLS = [{ name: 'Bash', description: 'run', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }];
async function one(i) {
    switch (i % 6) {
    case 0: return post(s.base, '/v1/messages', REQ());
    case 1: return post(s.base, '/v1/messages', REQ({ stream: true }));
    case 2: return post(s.base, '/v1/messages', REQ({ stream: true, tools: TOOLS, messages: [{ role: 'user', content: 'use a tool' }] }));
    case 3: return post(s.base, '/v1/messages', '{"model":');
    case 4: return post(s.base, '/v1/messages', REQ({ model: 'bad-status-please' }));
    default: {
        const ac = new AbortController();
        setTimeout(() => ac.abort(), 20);
        return post(s.base, '/v1/messages', REQ({ stream: true }), {}, ac.signal).catch(() => null);
    }
    }
}

test(`soak ${SECS} s: RSS flat within 5%`, { timeout: (SECS + 120) * 1000 }, async () => {
    const end = Date.now() + SECS * 1000;
    const warm = Date.now() + Math.min(30, SECS / 4) * 1000;
    const samples = [];
    const anon = [];
    let n = 0;
    let nextSample = warm;
    await Promise.all(Array.from({ length: 8 }, async () => {
        while (Date.now() < end) {
            const i = n++;
            if (i % 50 === 4) await s.mock.script([{ status: 503, json: { error: { message: 'busy' } } }]);
            await one(i);
            if (Date.now() >= nextSample) {
                nextSample += 10000;
                const st = poolStats(s);
                samples.push(st.rss);
                anon.push(st.anon);
            }
        }
    }));
    await sleep(1000);
    const st = poolStats(s);
    samples.push(st.rss);
    anon.push(st.anon);
    console.log(`# soak: ${n} requests in ${SECS} s; RSS samples kB: ${samples.join(' ')}; RssAnon ${anon[0]} -> ${anon[anon.length - 1]} kB`);
    assert.ok(samples.length >= 2, 'sampled');
    const first = samples[0];
    const last = samples[samples.length - 1];
    assert.ok(last <= first * 1.05, `RSS ${first} -> ${last} kB (> 5%)`);
    assert.deepEqual(workerPids(s), pids, 'no worker died');
});
