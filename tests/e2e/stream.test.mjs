// Streaming through the whole stack: the SDK's MessageStream, the raw
// event order (common/README.md §5), tools, thinking and the upstream
// tool-call dialects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, sdk } from './lib/stack.mjs';
import { post, assertValidStream, assemble, chunk, usageChunk, DONE } from './lib/sse.mjs';

let s;
let client;
const MODEL = 'claude-e2e-sonnet';
const T = { timeout: 30000 };

before(async () => {
    // Pings every second, so a short stall shows them; debug logging so
    // the secrets check of 50-e2e.sh sees the most verbose log.
    s = await startStack('stream', { env: { PING_INTERVAL: '1', LOG_LEVEL: 'debug' } });
    client = await sdk(s.base);
});
after(async () => {
    await s?.stop();
});

// Raw stream request; returns the checked frames and the assembled message.
async function rawStream(body) {
    const r = await post(s.base, '/v1/messages', { model: MODEL, max_tokens: 256, stream: true, ...body });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^text\/event-stream/);
    const frames = assertValidStream(r.text);
    return { frames, msg: assemble(frames), types: frames.map((f) => f.event).filter((t) => t !== 'ping') };
}

const tool = (name, props = {}) => ({ name, description: `the ${name} tool`, input_schema: { type: 'object', properties: props } });

test('SDK messages.stream() and finalMessage()', T, async () => {
    await s.mock.reset();
    const stream = client.messages.stream({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }] });
    let text = '';
    stream.on('text', (t) => { text += t; });
    const m = await stream.finalMessage();
    assert.equal(text, 'Hello from the mock upstream.');
    assert.deepEqual(m.content, [{ type: 'text', text: 'Hello from the mock upstream.' }]);
    assert.equal(m.stop_reason, 'end_turn');
    assert.equal(m.model, MODEL);
    assert.equal(m.usage.output_tokens, 7);
    const r = await s.mock.last();
    assert.equal(r.valid, true, r.error);
    assert.equal(r.body.stream, true);
    assert.deepEqual(r.body.stream_options, { include_usage: true });
});

test('raw event order and the real input_tokens in message_delta', T, async () => {
    await s.mock.reset();
    const { frames, types, msg } = await rawStream({ messages: [{ role: 'user', content: 'Hello' }] });
    assert.deepEqual(types, ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta',
        'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    assert.equal(frames[1].event, 'ping', 'a ping right after message_start');
    assert.equal(msg.content[0].text, 'Hello from the mock upstream.');
    // The mock counts prompt tokens as ceil(len(JSON(messages)) / 4).
    const r = await s.mock.last();
    const prompt = Math.ceil(JSON.stringify(r.body.messages).length / 4);
    const md = frames.find((f) => f.event === 'message_delta').data;
    assert.equal(md.delta.stop_reason, 'end_turn');
    assert.equal(md.usage.input_tokens, prompt);
    assert.equal(md.usage.output_tokens, 7);
});

test('tool round trip, streamed, arguments split across chunks', T, async () => {
    await s.mock.reset();
    await s.mock.script([{ sse: [
        chunk({ role: 'assistant', content: '' }),
        chunk({ content: 'Let me check.' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_s1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: 'ty": "Pa' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: 'ris"}' } }] }),
        chunk({}, 'tool_calls'),
        usageChunk(40, 12),
        DONE,
    ], interval_ms: 20 }]);
    const weather = tool('get_weather', { city: { type: 'string' } });
    const q = { role: 'user', content: 'Weather in Paris?' };
    const stream = client.messages.stream({ model: MODEL, max_tokens: 100, tools: [weather], messages: [q] });
    const jsonDeltas = [];
    stream.on('inputJson', (d) => jsonDeltas.push(d));
    const m1 = await stream.finalMessage();
    assert.equal(m1.stop_reason, 'tool_use');
    assert.deepEqual(m1.content.map((b) => b.type), ['text', 'tool_use']);
    assert.equal(m1.content[0].text, 'Let me check.');
    const tu = m1.content[1];
    assert.equal(tu.name, 'get_weather');
    assert.deepEqual(tu.input, { city: 'Paris' });
    assert.ok(jsonDeltas.length >= 1);
    assert.equal(jsonDeltas.join(''), '{"city": "Paris"}');
    assert.equal(m1.usage.output_tokens, 12);

    const stream2 = client.messages.stream({
        model: MODEL, max_tokens: 100, tools: [weather],
        messages: [q, { role: 'assistant', content: m1.content },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: tu.id, content: [{ type: 'text', text: '18 C' }] }] }],
    });
    const m2 = await stream2.finalMessage();
    assert.deepEqual(m2.content, [{ type: 'text', text: 'Got the tool result.' }]);
    const r = await s.mock.last();
    assert.equal(r.valid, true, r.error);
    const ms = r.body.messages;
    assert.deepEqual(ms.map((x) => x.role), ['user', 'assistant', 'tool']);
    assert.equal(ms[1].content, 'Let me check.');
    assert.equal(ms[1].tool_calls[0].id, 'call_s1');
    assert.equal(typeof ms[1].tool_calls[0].function.arguments, 'string');
    assert.deepEqual(JSON.parse(ms[1].tool_calls[0].function.arguments), { city: 'Paris' });
    assert.deepEqual(ms[2], { role: 'tool', tool_call_id: 'call_s1', content: '18 C' });
});

test('the same tool stream, raw, is a valid event sequence', T, async () => {
    await s.mock.reset();
    const { types, msg } = await rawStream({ tools: [tool('Bash')], messages: [{ role: 'user', content: 'use a tool' }] });
    assert.deepEqual(types.filter((t) => t.startsWith('content_block_s')), ['content_block_start', 'content_block_stop']);
    assert.equal(msg.content[0].type, 'tool_use');
    assert.equal(msg.content[0].name, 'Bash');
    assert.deepEqual(msg.content[0].input, {});
    assert.equal(msg.stop_reason, 'tool_use');
});

test('reasoning_content deltas become one thinking block with a signature', T, async () => {
    await s.mock.reset();
    await s.mock.script([{ sse: [
        chunk({ role: 'assistant', content: '' }),
        chunk({ reasoning_content: 'Let me ' }),
        chunk({ reasoning_content: 'think.' }),
        chunk({ content: 'Forty' }),
        chunk({ content: '-two.' }),
        chunk({}, 'stop'),
        usageChunk(20, 6),
        DONE,
    ] }]);
    const { msg } = await rawStream({ thinking: { type: 'enabled', budget_tokens: 2048 }, max_tokens: 4096, messages: [{ role: 'user', content: 'Answer?' }] });
    assert.deepEqual(msg.content.map((b) => b.type), ['thinking', 'text']);
    assert.equal(msg.content[0].thinking, 'Let me think.');
    assert.ok(msg.content[0].signature.length > 0);
    assert.equal(msg.content[1].text, 'Forty-two.');

    await s.mock.script([{ sse: [
        chunk({ reasoning_content: 'Hmm.' }), chunk({ content: 'Yes.' }), chunk({}, 'stop'), usageChunk(3, 2), DONE,
    ] }]);
    const m = await client.messages.stream({
        model: MODEL, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 }, messages: [{ role: 'user', content: 'Q' }],
    }).finalMessage();
    assert.equal(m.content[0].type, 'thinking');
    assert.equal(m.content[0].thinking, 'Hmm.');
    assert.deepEqual(m.content[1], { type: 'text', text: 'Yes.' });
});

// --- the upstream dialects of common/README.md §5 ----------------------

test('dialect: tool calls without index (a new id is a new call)', T, async () => {
    await s.mock.reset();
    await s.mock.script([{ sse: [
        chunk({ role: 'assistant' }),
        chunk({ tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'alpha', arguments: '' } }] }),
        chunk({ tool_calls: [{ function: { arguments: '{"x":' } }] }),
        chunk({ tool_calls: [{ function: { arguments: '1}' } }] }),
        chunk({ tool_calls: [{ id: 'call_b', type: 'function', function: { name: 'beta', arguments: '{"y":2}' } }] }),
        chunk({}, 'tool_calls'),
        usageChunk(10, 10),
        DONE,
    ] }]);
    const { msg } = await rawStream({ tools: [tool('alpha'), tool('beta')], messages: [{ role: 'user', content: 'go' }] });
    assert.deepEqual(msg.content.map((b) => [b.type, b.name, b.input]), [['tool_use', 'alpha', { x: 1 }], ['tool_use', 'beta', { y: 2 }]]);
    assert.notEqual(msg.content[0].id, msg.content[1].id);
});

test('dialect: the whole arguments in the first delta', T, async () => {
    await s.mock.reset();
    await s.mock.script([{ sse: [
        chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_w', type: 'function', function: { name: 'alpha', arguments: '{"path":"/etc/hosts","n":3}' } }] }),
        chunk({}, 'tool_calls'),
        usageChunk(10, 10),
        DONE,
    ] }]);
    const { msg } = await rawStream({ tools: [tool('alpha')], messages: [{ role: 'user', content: 'go' }] });
    assert.equal(msg.content.length, 1);
    assert.deepEqual(msg.content[0].input, { path: '/etc/hosts', n: 3 });
});

test('dialect: the same index reused for a different call', T, async () => {
    await s.mock.reset();
    await s.mock.script([{ sse: [
        chunk({ role: 'assistant' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'alpha', arguments: '{"a":1}' } }] }),
        chunk({ tool_calls: [{ index: 0, id: 'call_2', type: 'function', function: { name: 'beta', arguments: '{"b":2}' } }] }),
        chunk({}, 'tool_calls'),
        usageChunk(10, 10),
        DONE,
    ] }]);
    const { msg } = await rawStream({ tools: [tool('alpha'), tool('beta')], messages: [{ role: 'user', content: 'go' }] });
    assert.deepEqual(msg.content.map((b) => [b.name, b.input]), [['alpha', { a: 1 }], ['beta', { b: 2 }]]);
});

test('dialect: usage after the finish chunk reaches message_delta', T, async () => {
    await s.mock.reset();
    await s.mock.script([{ sse: [
        chunk({ role: 'assistant', content: 'Done' }),
        chunk({}, 'stop'),
        usageChunk(1234, 56, { prompt_tokens_details: { cached_tokens: 1000 } }),
        DONE,
    ], interval_ms: 30 }]);
    const { frames } = await rawStream({ messages: [{ role: 'user', content: 'go' }] });
    const md = frames.find((f) => f.event === 'message_delta').data;
    assert.equal(md.usage.output_tokens, 56);
    assert.equal(md.usage.input_tokens, 234);
    assert.equal(md.usage.cache_read_input_tokens, 1000);
    assert.equal(md.delta.stop_reason, 'end_turn');
});

test('an upstream that ends without [DONE] still ends the message', T, async () => {
    await s.mock.reset();
    await s.mock.script([{ sse: [chunk({ role: 'assistant', content: 'Partial answer' }), chunk({}, 'length')] }]);
    const { msg, types } = await rawStream({ messages: [{ role: 'user', content: 'go' }] });
    assert.equal(types[types.length - 1], 'message_stop');
    assert.equal(msg.stop_reason, 'max_tokens');
    assert.equal(msg.content[0].text, 'Partial answer');
});

test('an upstream stream split at odd byte boundaries gives the same answer', T, async () => {
    await s.mock.reset();
    const text = [chunk({ role: 'assistant', content: 'Hé' }), chunk({ content: 'llo ✓' }), chunk({}, 'stop'), usageChunk(4, 2), DONE]
        .map((e) => e + '\n\n').join('');
    const bytes = Buffer.from(text);
    // Cut inside "data:", inside the multi-byte characters, between \n\n.
    const cuts = [3, 17, 40, 41, bytes.indexOf(Buffer.from('✓')) + 1, bytes.length - 3];
    const pieces = [];
    let at = 0;
    for (const c of [...cuts, bytes.length]) {
        pieces.push(bytes.subarray(at, c));
        at = c;
    }
    await s.mock.script([{ chunks: pieces.map((p) => p.toString('base64')), encoding: 'base64', interval_ms: 15 }]);
    const { msg } = await rawStream({ messages: [{ role: 'user', content: 'go' }] });
    assert.equal(msg.content[0].text, 'Héllo ✓');
});

// --- what lighttpd must not get in the way of -------------------------

// Reads a streamed response as it arrives: [{t (ms since the request), text}].
async function timedChunks(body) {
    const t0 = Date.now();
    const r = await fetch(`${s.base}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: MODEL, max_tokens: 256, stream: true, ...body }),
    });
    assert.equal(r.status, 200);
    const dec = new TextDecoder();
    const out = [];
    for await (const c of r.body) out.push({ t: Date.now() - t0, text: dec.decode(c, { stream: true }) });
    return out;
}

test('events arrive as the upstream sends them, not at the end', T, async (t) => {
    await s.mock.reset();
    const ev = [chunk({ role: 'assistant', content: '' })];
    for (let i = 0; i < 6; i++) ev.push(chunk({ content: `part${i} ` }));
    ev.push(chunk({}, 'stop'), usageChunk(5, 6), DONE);
    await s.mock.script([{ sse: ev, interval_ms: 250 }]);
    const got = await timedChunks({ messages: [{ role: 'user', content: 'go' }] });
    const all = got.map((c) => c.text).join('');
    assertValidStream(all);
    const firstText = got.find((c) => c.text.includes('part0')).t;
    const end = got[got.length - 1].t;
    t.diagnostic(`first text at ${firstText} ms, end at ${end} ms, ${got.length} reads`);
    assert.ok(end >= 2000, `the upstream paced 9 events 250 ms apart, end at ${end}`);
    assert.ok(end - firstText >= 1200, `part0 at ${firstText} ms, end at ${end} ms: buffered`);
});

test('a ping goes out while the upstream is silent', T, async () => {
    await s.mock.reset();
    await s.mock.script([{ sse: [
        chunk({ role: 'assistant', content: 'Thinking' }),
        chunk({ content: ' done.' }), chunk({}, 'stop'), usageChunk(5, 2), DONE,
    ], stall_after: 1, stall_ms: 2600 }]);
    const got = await timedChunks({ messages: [{ role: 'user', content: 'go' }] });
    const frames = assertValidStream(got.map((c) => c.text).join(''));
    const types = frames.map((f) => f.event);
    const firstDelta = types.indexOf('content_block_delta');
    const pingsInStall = types.slice(firstDelta, types.lastIndexOf('content_block_delta')).filter((x) => x === 'ping').length;
    assert.ok(pingsInStall >= 1, types.join(','));
    // ...and each one reached the client during the silence, not after.
    const pingReads = got.filter((c) => c.t > 500 && c.t < 2500 && c.text.includes('event: ping'));
    assert.ok(pingReads.length >= 1, JSON.stringify(got.map((c) => [c.t, c.text.slice(0, 30)])));
});

test('the last events reach the client while the upstream holds its answer open', T, async (t) => {
    // An upstream that keeps its answer open for 3 s after [DONE] must not
    // keep message_stop from the client that long: the events of a
    // stream are flushed as they come, the last ones too.  (Holding them
    // back to send them with the end records saved one write(), within
    // the noise of make bench, and made them wait for curl's next
    // progress call, 0.2 s here, or for the end of such an answer.)
    await s.mock.reset();
    await s.mock.script([{ sse: [
        chunk({ role: 'assistant', content: 'All' }),
        chunk({ content: ' said.' }), chunk({}, 'stop'), usageChunk(5, 2), DONE,
    ], interval_ms: 100, stall_after: 5, stall_ms: 3000 }]);
    const t0 = Date.now();
    const got = await timedChunks({ messages: [{ role: 'user', content: 'go' }] });
    const end = Date.now() - t0; /* the last read: the response's end */
    const frames = assertValidStream(got.map((c) => c.text).join(''));
    assert.equal(assemble(frames).content[0].text, 'All said.');
    const stop = got.find((c) => c.text.includes('event: message_stop'));
    t.diagnostic(`first read at ${got[0].t} ms, message_stop at ${stop.t} ms, end at ${end} ms`);
    assert.ok(end >= 3000, `the upstream held its answer 3 s after its events, the response ended at ${end} ms`);
    // relative to the end, so that a slow machine shifts both
    assert.ok(end - stop.t >= 2000, `message_stop at ${stop.t} ms, the answer ended at ${end} ms`);
});

test('eight concurrent streams through the pool all complete', { timeout: 60000 }, async () => {
    await s.mock.reset();
    const N = 8;
    const steps = [];
    for (let i = 0; i < N; i++) {
        const ev = [chunk({ role: 'assistant', content: '' })];
        for (let j = 0; j < 5; j++) ev.push(chunk({ content: `w${j} ` }));
        ev.push(chunk({}, 'stop'), usageChunk(5, 5), DONE);
        steps.push({ sse: ev, interval_ms: 100 });
    }
    await s.mock.script(steps);
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: N }, () =>
        client.messages.stream({ model: MODEL, max_tokens: 32, messages: [{ role: 'user', content: 'go' }] }).finalMessage()));
    for (const m of results) assert.equal(m.content[0].text, 'w0 w1 w2 w3 w4 ');
    // 2 processes x 4 threads: all eight at once, not one after another.
    assert.ok(Date.now() - t0 < 4000, `${Date.now() - t0} ms for ${N} streams of ~0.7 s`);
    const rs = await s.mock.requests();
    assert.equal(rs.length, N);
    assert.ok(rs.every((r) => r.valid && !r.closed_early));
});

test('a 3 MB request body (Claude Code sized) goes through', T, async () => {
    await s.mock.reset();
    const big = 'The quick brown fox jumps over the lazy dog. '.repeat(70000);
    const m = await client.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: big }] });
    assert.equal(m.content[0].text, 'Hello from the mock upstream.');
    const r = await s.mock.last();
    assert.equal(r.body.messages[0].content.length === big.length || r.body.messages[0].content[0]?.text?.length === big.length, true);
});
