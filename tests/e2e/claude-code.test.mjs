// Replays four real Claude Code requests (2.1.112 and 2.1.332, first turn
// and tool-result turn; keys redacted at capture) through lighttpd with
// their headers: 200, a valid event stream, and an upstream body that the
// strict mock accepts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack } from './lib/stack.mjs';
import { assertValidStream, assemble } from './lib/sse.mjs';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const FIXTURES = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
// Hop-by-hop or recomputed by fetch; everything else is sent as captured.
const SKIP = new Set(['host', 'connection', 'content-length', 'accept-encoding', 'transfer-encoding']);

let s;
before(async () => {
    s = await startStack('claude-code');
});
after(async () => {
    await s?.stop();
});

test('the fixtures are all there', () => {
    assert.equal(FIXTURES.length, 4, FIXTURES.join(' '));
});

for (const name of FIXTURES) {
    test(`Claude Code request ${name}`, { timeout: 30000 }, async () => {
        const fx = JSON.parse(fs.readFileSync(path.join(DIR, name), 'utf8'));
        const headers = {};
        for (const [k, v] of Object.entries(fx.headers)) {
            if (!SKIP.has(k.toLowerCase())) headers[k] = v;
        }
        headers['x-api-key'] = 'sk-ant-replayed-client-key';
        await s.mock.reset();
        const res = await fetch(s.base + fx.url, { method: fx.method, headers, body: JSON.stringify(fx.body) });
        const text = await res.text();
        assert.equal(res.status, 200, text.slice(0, 500));
        assert.match(res.headers.get('content-type'), /^text\/event-stream/);
        const msg = assemble(assertValidStream(text));
        assert.equal(msg.model, fx.body.model);
        assert.ok(msg.content.length >= 1);
        assert.ok(['end_turn', 'tool_use'].includes(msg.stop_reason), msg.stop_reason);

        const rs = await s.mock.requests();
        assert.equal(rs.length, 1);
        const up = rs[0];
        assert.equal(up.valid, true, up.error);
        assert.deepEqual(up.warnings, []);
        const b = up.body;
        assert.equal(b.stream, true);
        assert.equal(b.model, fx.body.model);
        // Claude Code asks for 32000 / 128000: passed on, not clamped.
        assert.equal(b.max_tokens ?? b.max_completion_tokens, fx.body.max_tokens);
        assert.equal(b.tools.length, fx.body.tools.filter((t) => t.input_schema).length);
        // One system message, first; the billing header block is gone.
        assert.equal(b.messages[0].role, 'system');
        assert.equal(b.messages.filter((m) => m.role === 'system').length, 1);
        assert.doesNotMatch(JSON.stringify(b.messages[0]), /x-anthropic-billing-header/);

        const results = fx.body.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : []))
            .filter((c) => c.type === 'tool_result');
        for (const tr of results) {
            const i = b.messages.findIndex((m) => m.role === 'tool' && m.tool_call_id === tr.tool_use_id);
            assert.ok(i > 0, `no tool message for ${tr.tool_use_id}`);
            const prev = b.messages[i - 1];
            assert.ok(prev.role === 'tool' || (prev.role === 'assistant' && prev.tool_calls?.some((c) => c.id === tr.tool_use_id)),
                'the tool message follows its assistant tool_calls');
            const call = b.messages.flatMap((m) => m.tool_calls ?? []).find((c) => c.id === tr.tool_use_id);
            assert.equal(typeof call.function.arguments, 'string');
            JSON.parse(call.function.arguments);
            assert.equal(b.messages[i].content, tr.content);
        }
    });
}
