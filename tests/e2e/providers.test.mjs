// Several providers: ROUTES picks the provider and the model by model
// substring, *, think, long, image and + joins, stream and non-stream
// alike; each mock reports which request it got.  Three mocks stand for
// three providers: "default" (OPENAI_BASE_URL), "local" and "gem".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, sdk } from './lib/stack.mjs';
import { post, assertValidStream } from './lib/sse.mjs';

let s;
let client;
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

before(async () => {
    s = await startStack('providers', {
        mocks: { local: {}, gem: {} },
        env: ({ mocks }) => ({
            PROVIDER_LOCAL_BASE_URL: `${mocks.local}/v1`,
            PROVIDER_LOCAL_API_KEY: 'sk-upstream-e2e-secret-local',
            PROVIDER_Gem_BASE_URL: `${mocks.gem}/v1`,
            MODEL_MAP: 'sonnet=mapped-sonnet',
            LONG_CONTEXT_TOKENS: '2000',
            ROUTES: 'haiku=local:qwen3-4b;opus+think=gem:deep-think;image=gem:vision;'
                + 'long=gem:long-ctx;sonnet=local;opus=default:big-opus',
        }),
    });
    client = await sdk(s.base);
});
after(async () => {
    await s?.stop();
});

const T = { timeout: 30000 };
const all = () => [s.mock, s.mocks.local, s.mocks.gem];
const names = ['default', 'local', 'gem'];

async function resetAll() {
    for (const m of all()) await m.reset();
}

// Which mock got the one request, and that request.
async function who() {
    const seen = [];
    for (const [i, m] of all().entries()) for (const r of await m.requests()) seen.push({ name: names[i], r });
    assert.equal(seen.length, 1, `one upstream request, got ${seen.map((x) => x.name).join(',')}`);
    return seen[0];
}

// Sends body stream and non-stream; both must reach provider:model.
async function routes(body, provider, model) {
    for (const stream of [false, true]) {
        await resetAll();
        const r = await post(s.base, '/v1/messages', { max_tokens: 64, ...body, stream });
        assert.equal(r.status, 200, r.text.slice(0, 300));
        assert.equal(r.headers.get('x-claude-proxy-upstream'), `${provider}:${model}`);
        assert.equal(r.headers.get('x-claude-proxy-attempts'), null);
        if (stream) assertValidStream(r.text);
        else assert.equal(r.json.model, body.model, 'the client model is echoed');
        const { name, r: up } = await who();
        assert.equal(name, provider, `stream ${stream}`);
        assert.equal(up.valid, true, up.error);
        assert.equal(up.body.model, model);
        assert.equal(up.body.stream === true, stream);
    }
}

const hi = [{ role: 'user', content: 'hi' }];

test('a model substring picks its provider and model', T, async () => {
    await routes({ model: 'claude-haiku-4-5', messages: hi }, 'local', 'qwen3-4b');
    // the provider's own key goes to it
    await resetAll();
    await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: hi });
    assert.equal((await who()).r.headers.authorization, 'Bearer sk-upstream-e2e-secret-local');
});

test('a provider alone keeps the client model after MODEL_MAP', T, async () => {
    await routes({ model: 'claude-sonnet-4-5', messages: hi }, 'local', 'mapped-sonnet');
});

test('model+think needs both: thinking on goes to its target, off falls through', T, async () => {
    await routes({ model: 'claude-opus-4-1', thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 2048, messages: hi },
        'gem', 'deep-think');
    await routes({ model: 'claude-opus-4-1', thinking: { type: 'adaptive' }, messages: hi }, 'gem', 'deep-think');
    await routes({ model: 'claude-opus-4-1', messages: hi }, 'default', 'big-opus');
});

test('image: an image anywhere, even inside a tool result', T, async () => {
    await routes({ model: 'claude-x', messages: [{ role: 'user', content: [
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
        { type: 'text', text: 'what is this' }] }] }, 'gem', 'vision');
    await routes({ model: 'claude-x', messages: [
        { role: 'user', content: 'look' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'shot', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] }] }],
        tools: [{ name: 'shot', description: 'screenshot', input_schema: { type: 'object', properties: {} } }] }, 'gem', 'vision');
});

test('long: a request whose estimate reaches LONG_CONTEXT_TOKENS', T, async () => {
    const words = Array.from({ length: 3000 }, (_, i) => `word${i % 113}`).join(' ');
    await routes({ model: 'claude-x', messages: [{ role: 'user', content: words }] }, 'gem', 'long-ctx');
    // and a short one with no rule goes to default, unchanged
    await routes({ model: 'claude-x', messages: hi }, 'default', 'claude-x');
});

test('the rules name their models in GET /v1/models, after the claude ids', T, async () => {
    const r = await fetch(s.base + '/v1/models');
    const ids = (await r.json()).data.map((m) => m.id);
    for (const m of ['qwen3-4b', 'deep-think', 'vision', 'long-ctx', 'big-opus']) assert.ok(ids.includes(m), m);
    assert.ok(ids.indexOf('claude-haiku-4-5') < ids.indexOf('qwen3-4b'));
    const one = await (await fetch(s.base + '/v1/models/claude-haiku-4-5')).json();
    assert.equal(one.display_name, 'claude-haiku-4-5 (qwen3-4b)');
});

test('count_tokens stays local', T, async () => {
    await resetAll();
    const r = await post(s.base, '/v1/messages/count_tokens', { model: 'claude-haiku-4-5', messages: hi });
    assert.equal(r.status, 200);
    assert.ok(r.json.input_tokens > 0);
    for (const m of all()) assert.equal((await m.requests()).length, 0);
});
