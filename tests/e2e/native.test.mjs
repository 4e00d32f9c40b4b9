// PROVIDER_<NAME>_API=anthropic: an upstream that speaks /v1/messages
// itself (vLLM, llama.cpp, Ollama 0.14+), behind routing and keys.  The
// body passes through but for the routed model, Claude Code's billing
// block and the provider's drop list; anthropic-version goes through,
// anthropic-beta only with _BETA=pass; the key goes as x-api-key and
// Bearer; streams are relayed event by event and checked; count_tokens
// is forwarded, with the local estimate when the upstream lacks it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, sdk } from './lib/stack.mjs';
import { post, parseSse, assertValidStream } from './lib/sse.mjs';

let s;
let client;
const KEY = 'sk-upstream-e2e-secret-native';
const T = { timeout: 30000 };

before(async () => {
    s = await startStack('native', {
        mocks: {
            ant: { file: 'mock-anthropic.mjs', args: ['--key', KEY, '--allow', 'context_management,x_custom'] },
            bare: { file: 'mock-anthropic.mjs', args: ['--no-count-tokens'] },
        },
        env: ({ mocks }) => ({
            PROVIDER_ANT_BASE_URL: mocks.ant,
            PROVIDER_ANT_API: 'anthropic',
            PROVIDER_ANT_API_KEY: KEY,
            PROVIDER_ANT_BETA: 'pass',
            PROVIDER_DROPPY_BASE_URL: mocks.ant,
            PROVIDER_DROPPY_API: 'anthropic',
            PROVIDER_DROPPY_API_KEY: KEY,
            PROVIDER_DROPPY_DROP_FIELDS: 'context_management,x_custom',
            PROVIDER_BARE_BASE_URL: mocks.bare,
            PROVIDER_BARE_API: 'anthropic',
            PROVIDER_BARE_API_KEY: 'sk-upstream-e2e-secret-bare',
            ROUTES: 'droppy=droppy:local-model;bare=bare:bare-model;*=ant:local-model',
        }),
    });
    client = await sdk(s.base);
});
after(async () => {
    await s?.stop();
});

const BILLING = 'x-anthropic-billing-header: cc_version=2.1.332; cc_entrypoint=cli; cch=0a1b2;';
const claudeCodeBody = (extra = {}) => ({
    model: 'claude-sonnet-4-6',
    max_tokens: 1024,
    system: [
        { type: 'text', text: BILLING },
        { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } },
    ],
    thinking: { type: 'enabled', budget_tokens: 512 },
    metadata: { user_id: 'user_abc_account_def_session_0123' },
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hello', cache_control: { type: 'ephemeral' } }] }],
    ...extra,
});

test('the body passes through but for the model and the billing block', T, async () => {
    await s.mocks.ant.reset();
    const sent = claudeCodeBody({ context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] }, x_custom: { a: [1, 2.5, 'x'] } });
    const r = await post(s.base, '/v1/messages', sent, { 'anthropic-beta': 'context-1m-2025-08-07' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('x-claude-proxy-upstream'), 'ant:local-model');
    const [up] = await s.mocks.ant.requests();
    assert.equal(up.valid, true, up.error);
    const want = structuredClone(sent);
    want.model = 'local-model';
    want.system = want.system.slice(1);
    assert.deepEqual(up.body, want);
    // headers: the key both ways, the version and (BETA=pass) the betas
    assert.equal(up.headers['x-api-key'], KEY);
    assert.equal(up.headers.authorization, `Bearer ${KEY}`);
    assert.equal(up.headers['anthropic-version'], '2023-06-01');
    assert.equal(up.headers['anthropic-beta'], 'context-1m-2025-08-07');
    // the answer is the upstream's, unchanged
    assert.equal(r.json.type, 'message');
    assert.equal(r.json.content.find((b) => b.type === 'text').text, 'Hello from the mock Anthropic upstream.');
});

test('the drop list removes fields, betas are dropped by default', T, async () => {
    await s.mocks.ant.reset();
    const r = await post(s.base, '/v1/messages', claudeCodeBody({ model: 'claude-droppy', context_management: { edits: [] }, x_custom: 1 }),
        { 'anthropic-beta': 'interleaved-thinking-2025-05-14' });
    assert.equal(r.status, 200, r.text);
    const [up] = await s.mocks.ant.requests();
    assert.equal(up.body.context_management, undefined);
    assert.equal(up.body.x_custom, undefined);
    assert.deepEqual(up.body.thinking, { type: 'enabled', budget_tokens: 512 });
    assert.equal(up.headers['anthropic-beta'], undefined);
});

test('the official SDK works through it, whole and streamed, with tools', T, async () => {
    await s.mocks.ant.reset();
    const tools = [{ name: 'get_time', description: 'time', input_schema: { type: 'object', properties: {} } }];
    const m = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 256, tools, messages: [{ role: 'user', content: 'use the tool' }] });
    assert.equal(m.stop_reason, 'tool_use');
    const tu = m.content.find((b) => b.type === 'tool_use');
    assert.equal(tu.name, 'get_time');
    const stream = client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 256, tools, messages: [
        { role: 'user', content: 'use the tool' },
        { role: 'assistant', content: [tu] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: tu.id, content: '12:00' }] }] });
    const events = [];
    stream.on('streamEvent', (e) => events.push(e.type));
    const final = await stream.finalMessage();
    assert.equal(final.content[0].text, 'Got the tool result.');
    assert.equal(events[0], 'message_start');
    assert.equal(events[events.length - 1], 'message_stop');
    for (const r of await s.mocks.ant.requests()) assert.equal(r.valid, true, r.error);
});

test('a raw stream is relayed event by event and passes the checker', T, async () => {
    await s.mocks.ant.reset();
    const r = await post(s.base, '/v1/messages', claudeCodeBody({ stream: true }));
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /text\/event-stream/);
    assertValidStream(r.text);
    const { frames } = parseSse(r.text);
    assert.deepEqual(frames.map((f) => f.event).filter((e) => e !== 'ping').slice(0, 2), ['message_start', 'content_block_start']);
});

test('a broken upstream stream ends in an error event', T, async () => {
    await s.mocks.ant.reset();
    await s.mocks.ant.script([{ sse: [
        { event: 'message_start', data: { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } } } },
        { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'orphan' } } },
    ] }]);
    const r = await post(s.base, '/v1/messages', claudeCodeBody({ stream: true }));
    assert.equal(r.status, 200);
    const { frames } = parseSse(r.text);
    assert.equal(frames[0].event, 'message_start');
    const last = frames[frames.length - 1];
    assert.equal(last.event, 'error');
    assert.equal(last.data.error.type, 'api_error');
    // and a stream cut before message_stop
    await s.mocks.ant.script([{ sse: [
        { event: 'message_start', data: { type: 'message_start', message: { id: 'msg_2', type: 'message', role: 'assistant', model: 'm', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } } } },
        'event: ping\ndata: {"type":"ping"}',
    ], interval_ms: 100, destroy_after: 2 }]);
    const c = await post(s.base, '/v1/messages', claudeCodeBody({ stream: true }));
    const cf = parseSse(c.text).frames;
    assert.equal(cf[cf.length - 1].event, 'error');
});

test('an upstream error before the stream keeps its status', T, async () => {
    await s.mocks.ant.reset();
    await s.mocks.ant.script([{ status: 529, headers: { 'retry-after': '20' } }]);
    const r = await post(s.base, '/v1/messages', claudeCodeBody({ stream: true }));
    assert.equal(r.status, 529);
    assert.equal(r.json.error.type, 'overloaded_error');
    assert.equal(r.headers.get('retry-after'), '20');
});

test('count_tokens is forwarded, and estimated locally on a 404', T, async () => {
    await s.mocks.ant.reset();
    const body = { model: 'claude-sonnet-4-6', system: [{ type: 'text', text: BILLING }, { type: 'text', text: 'sys' }], messages: [{ role: 'user', content: 'count me' }] };
    const r = await post(s.base, '/v1/messages/count_tokens', body);
    assert.equal(r.status, 200, r.text);
    const [up] = await s.mocks.ant.requests();
    assert.match(up.path, /\/v1\/messages\/count_tokens$/);
    assert.equal(up.body.model, 'local-model');
    assert.equal(up.body.system.length, 1);
    assert.equal(r.json.input_tokens, up.body ? r.json.input_tokens : -1);
    assert.equal(r.headers.get('x-claude-proxy-upstream'), 'ant:local-model');
    // an upstream without count_tokens: the local estimate
    const b = await post(s.base, '/v1/messages/count_tokens', { ...body, model: 'claude-bare' });
    assert.equal(b.status, 200, b.text);
    assert.ok(b.json.input_tokens > 0);
    assert.equal(b.headers.get('x-claude-proxy-upstream'), null);
    assert.equal((await s.mocks.bare.requests()).length, 1);
});
