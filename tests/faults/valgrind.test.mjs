// valgrind.test.mjs (`make valgrind`): one worker under memcheck
// (--leak-check=full --error-exitcode=1) through a set of success, fault
// and bad-input requests; then the pool is stopped (the worker exits on
// SIGTERM) and every valgrind log must say 0 errors, 0 bytes definitely
// lost.  The make target points B at a directory whose claude-proxy is
// a wrapper that execs valgrind on the real binary.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startStack, chunk, DONE, REQ, post, B } from './lib.mjs';

let s;
before(async () => {
    s = await startStack('faults-valgrind', { workers: 1, env: { THREADS: '2', IDLE_TIMEOUT: '10', PING_INTERVAL: '2', MAX_SSE_LINE: '64k' } });
});
after(async () => { await s?.stop(); });

test('requests through a worker under memcheck', { timeout: 600000 }, async () => {
    const TOOLS = [{ name: 'Bash', input_schema: { type: 'object', properties: { c: { type: 'string' } } } }];
    const cases = [
        [null, REQ()], [null, REQ({ stream: true })],
        [null, REQ({ stream: true, tools: TOOLS, messages: [{ role: 'user', content: 'use a tool' }] })],
        [{ status: 429, json: { error: { message: 'slow down' } }, headers: { 'retry-after': '1' } }, REQ()],
        [{ status: 503, body: '<html>busy</html>' }, REQ({ stream: true })],
        [{ status: 200, body: '{"choices":' }, REQ()],
        [{ chunks: [chunk({ content: 'a' }) + '\n\n', 'data: {"x'], destroy_after: 2 }, REQ({ stream: true })],
        [{ sse: [chunk({ content: 'a' }), 'data: {"error":{"message":"x"}}', DONE] }, REQ({ stream: true })],
        [{ sse: [chunk({ content: 'q'.repeat(100000) }), DONE] }, REQ({ stream: true })],
        [null, '{"model":'], [null, REQ({ max_tokens: 'x' })], [null, '['.repeat(5000) + ']'.repeat(5000)],
    ];
    for (const [st, body] of cases) {
        if (st) await s.mock.script([st]);
        const r = await post(s.base, '/v1/messages', body);
        assert.ok(r.status > 0);
    }
    const ac = new AbortController();
    await s.mock.script([{ sse: [chunk({ content: 'a' }), chunk({ content: 'b' }), DONE], stall_after: 1, stall_ms: 8000 }]);
    setTimeout(() => ac.abort(), 1500);
    await post(s.base, '/v1/messages', REQ({ stream: true }), {}, ac.signal).catch(() => null);
    await new Promise((r) => setTimeout(r, 6000));
    await s.stop();
    s = null;
    const dir = path.join(B, 'vglogs');
    const logs = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
    assert.ok(logs.length >= 1, 'a valgrind log exists');
    for (const l of logs) {
        const errs = /ERROR SUMMARY: (\d+) errors/.exec(l);
        assert.ok(errs, `a finished valgrind log:\n${l.slice(-1500)}`);
        assert.equal(Number(errs[1]), 0, l.slice(-4000));
        const lost = /definitely lost: ([\d,]+) bytes/.exec(l);
        assert.equal(lost ? Number(lost[1].replace(/,/g, '')) : 0, 0, l.slice(-4000));
    }
    console.log(`# valgrind: ${logs.length} worker log(s), 0 errors, 0 bytes definitely lost`);
});
