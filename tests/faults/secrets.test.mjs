// secrets.test.mjs: keys never reach a log line or a response body, the
// upstream sees only the configured key, the upstream URL never comes
// from request data, and log lines cannot be forged.
//
// Every path is run with distinctive keys: success (plain, stream, the
// haiku route), client auth failures, each upstream error status, cut
// and stalled streams, in-band errors, bad client input, and an upstream
// error message that quotes the upstream key back.  LOG_LEVEL=debug, so
// the most verbose logging is what is checked.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startStack, post, REQ, chunk, DONE, workerPids, readLogs, assertHealthy } from './lib.mjs';

const K = {
    openai: 'sk-SECRET-OPENAI-7f3a9c1e5b2d4f60',
    haiku: 'sk-SECRET-HAIKU-2b8e6d4c0a9f1e37',
    proxy: 'SECRET-PROXY-KEY-5d1c9e7a3f0b2468',
    wrongX: 'SECRET-WRONG-XKEY-8a6c4e2f0d1b3957',
    wrongBearer: 'SECRET-WRONG-BEARER-1e3d5c7b9a0f2468',
};
const SECRETS = Object.values(K);
let s;
let pids;
let evil;
let evilHits = 0;
const bodies = [];

before(async () => {
    evil = http.createServer((req, res) => { evilHits++; res.end('{}'); });
    evil.on('connection', () => { evilHits++; });
    await new Promise((r) => evil.listen(0, '127.0.0.1', r));
    s = await startStack('faults-secrets', {
        workers: 1,
        env: {
            THREADS: '2', LOG_LEVEL: 'debug', IDLE_TIMEOUT: '2', PING_INTERVAL: '1',
            OPENAI_API_KEY: K.openai, HAIKU_MODEL_NAME: 'haiku-upstream', HAIKU_API_KEY: K.haiku, PROXY_API_KEY: K.proxy,
        },
    });
    pids = workerPids(s);
});
after(async () => {
    await s?.stop();
    evil?.close();
});

const AUTH = { 'x-api-key': K.proxy };
async function call(body, headers = AUTH, p = '/v1/messages') {
    const r = await post(s.base, p, body, headers);
    bodies.push(r.text + JSON.stringify(Object.fromEntries(r.headers)));
    return r;
}
async function step(st, body, headers) {
    await s.mock.script([st]);
    return call(body, headers);
}

test('success paths with the key as x-api-key and as Bearer', async () => {
    assert.equal((await call(REQ())).status, 200);
    assert.equal((await call(REQ({ stream: true }))).status, 200);
    assert.equal((await call(REQ(), { authorization: `Bearer ${K.proxy}` })).status, 200);
    assert.equal((await call(REQ({ model: 'claude-3-5-haiku-latest' }))).status, 200);
    assert.equal((await call(REQ({ model: 'claude-3-5-haiku-latest', stream: true }))).status, 200);
    assert.equal((await call(null, AUTH, '/v1/messages/count_tokens')).status >= 400, true);
    assert.equal((await call(REQ(), AUTH, '/v1/messages/count_tokens')).status, 200);
});

test('the upstream sees the configured key, never the client key', async () => {
    const recs = await s.mock.requests();
    assert.ok(recs.length >= 5);
    for (const r of recs) {
        const want = r.body?.model === 'haiku-upstream' ? K.haiku : K.openai;
        assert.equal(r.headers.authorization, `Bearer ${want}`, 'the route\'s own key');
        const all = JSON.stringify(r);
        assert.ok(!all.includes(K.proxy), 'the proxy key is not forwarded upstream');
    }
});

test('client auth failures', async () => {
    for (const h of [{}, { 'x-api-key': K.wrongX }, { authorization: `Bearer ${K.wrongBearer}` },
        { 'x-api-key': K.proxy.slice(0, -1) }, { 'x-api-key': K.proxy + 'x' }, { authorization: K.proxy }]) {
        const r = await call(REQ(), h);
        assert.equal(r.status, 401, JSON.stringify(h));
        assert.equal(r.json?.error?.type, 'authentication_error');
    }
});

test('upstream errors, including one that quotes the upstream key', async () => {
    for (const status of [400, 401, 403, 404, 408, 413, 422, 429, 500, 502, 503, 504, 529]) {
        for (const stream of [false, true]) {
            await step({ status, json: { error: { message: `Incorrect API key provided: ${K.openai}. You passed ${K.haiku}` } } }, REQ({ stream }));
            await step({ status, body: `<html><body>key ${K.openai}</body></html>` }, REQ({ stream }));
        }
    }
    await step({ sse: [chunk({ content: 'x' }), `data: {"error":{"message":"bad key ${K.openai}"}}`] }, REQ({ stream: true }));
    await step({ sse: [`data: {"error":{"message":"bad key ${K.openai}","code":401}}`] }, REQ({ stream: true }));
    await step({ status: 200, body: `not json ${K.openai}` }, REQ());
});

test('cut, stalled and oversized upstream answers', async () => {
    await step({ chunks: [chunk({ content: 'a' }) + '\n\n', 'data: {"cho'], destroy_after: 2 }, REQ({ stream: true }));
    await step({ delay_ms: 3500 }, REQ());
    await step({ sse: [chunk({ content: 'a' }), chunk({ content: 'b' }), DONE], stall_after: 1, stall_ms: 3500 }, REQ({ stream: true }));
});

test('bad client input', async () => {
    await call('{"model":');
    await call(JSON.stringify(REQ()) + 'x');
    await call(REQ({ max_tokens: 'many' }));
    await call(REQ({ messages: [{ role: 'user', content: [{ type: 7 }] }] }));
    const r = await call(REQ({ model: `claude\nFAKE-LOG-LINE status=200 \u001b[31mred` }));
    assert.ok(r.status < 500);
});

test('the upstream URL never comes from request data', async () => {
    const evilUrl = `http://127.0.0.1:${evil.address().port}/v1`;
    const before0 = (await s.mock.requests()).length;
    const tries = [
        [REQ({ base_url: evilUrl, api_base: evilUrl, url: evilUrl }), { ...AUTH }],
        [REQ({ model: evilUrl }), { ...AUTH }],
        [REQ(), { ...AUTH, 'x-forwarded-host': `127.0.0.1:${evil.address().port}`, 'x-upstream-url': evilUrl, 'openai-base-url': evilUrl, forwarded: `host=127.0.0.1:${evil.address().port}` }],
        [REQ({ metadata: { user_id: evilUrl } }), { ...AUTH }],
    ];
    for (const [body, h] of tries) {
        const r = await call(body, h);
        assert.equal(r.status, 200, r.text.slice(0, 200));
    }
    assert.equal((await s.mock.requests()).length, before0 + tries.length, 'every request went to the configured upstream');
    assert.equal(evilHits, 0, 'nothing reached the address named in the request');
});

test('no key in any response body or header', () => {
    const leaks = [];
    bodies.forEach((b, i) => { for (const k of SECRETS) if (b.includes(k)) leaks.push(`response ${i}: ${k.slice(0, 12)}...`); });
    assert.deepEqual(leaks, []);
});

test('no key in any log line; log lines are not forgeable', async () => {
    await assertHealthy(s, pids, 'before reading logs', AUTH);
    await s.stop(); // flush everything the servers buffer
    const logs = readLogs(s);
    assert.ok(Object.keys(logs).length >= 2, `logs found: ${Object.keys(logs)}`);
    const leaks = [];
    for (const [f, text] of Object.entries(logs)) {
        for (const k of SECRETS) if (text.includes(k)) leaks.push(`${f}: ${k.slice(0, 12)}...`);
        for (const line of text.split('\n')) {
            if (line.startsWith('FAKE-LOG-LINE')) leaks.push(`${f}: a forged line`);
            if (line.includes('\u001b')) leaks.push(`${f}: a raw ESC byte`);
        }
    }
    assert.deepEqual(leaks, []);
    s = null;
});
