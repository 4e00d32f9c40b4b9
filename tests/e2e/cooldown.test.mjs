// COOLDOWN: a target that failed is skipped by the process while another
// target of its rule is usable, and tried again once COOLDOWN passed;
// when every target is cooling down they are tried in order anyway.
// One worker process, since each process keeps its own cooldowns.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './lib/stack.mjs';
import { post } from './lib/sse.mjs';

let s;
const COOL = 3;

before(async () => {
    s = await startStack('cooldown', {
        workers: 1,
        mocks: { b: {} },
        env: ({ mocks }) => ({
            PROVIDER_B_BASE_URL: `${mocks.b}/v1`,
            COOLDOWN: String(COOL),
            ROUTES: '*=default:m1|b:m2',
        }),
    });
});
after(async () => {
    await s?.stop();
});

const req = (stream) => ({ model: 'claude-sonnet-4-5', max_tokens: 16, stream, messages: [{ role: 'user', content: 'hi' }] });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('a failed target cools down, then is tried again', { timeout: 60000 }, async () => {
    await s.mock.reset();
    await s.mocks.b.reset();
    await s.mock.script([{ status: 502, body: '<html>bad gateway</html>' }]);
    let r = await post(s.base, '/v1/messages', req(false));
    assert.equal(r.headers.get('x-claude-proxy-upstream'), 'b:m2');
    const t0 = Date.now();
    // cooling: b first, default not even tried (stream and non-stream)
    for (const stream of [true, false]) {
        r = await post(s.base, '/v1/messages', req(stream));
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('x-claude-proxy-upstream'), 'b:m2');
        assert.equal(r.headers.get('x-claude-proxy-attempts'), null);
    }
    assert.equal((await s.mock.requests()).length, 1);
    // when b fails too while default cools down, default is still tried
    await s.mocks.b.script([{ status: 503, json: { error: { message: 'b down' } } }]);
    r = await post(s.base, '/v1/messages', req(false));
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-claude-proxy-upstream'), 'default:m1');
    assert.equal(r.headers.get('x-claude-proxy-attempts'), '2');
    // both failed recently now: in rule order again once the time passed
    await sleep(Math.max(0, COOL * 1000 + 300 - (Date.now() - t0)));
    await sleep(COOL * 1000);
    await s.mock.reset();
    await s.mocks.b.reset();
    r = await post(s.base, '/v1/messages', req(true));
    assert.equal(r.headers.get('x-claude-proxy-upstream'), 'default:m1');
    assert.equal((await s.mocks.b.requests()).length, 0);
});
