// client.test.mjs: bad client input, end to end.  Every bad request gets
// a 4xx Anthropic error (naming the field where there is one), never a
// 5xx, and the workers live on.
//
// "Wrong type at every field" is generated: for each path of a valid
// request that the proxy reads, every JSON type the field does not
// accept is put there in turn.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startStack, post, REQ, workerPids, assertError, assertHealthy } from './lib.mjs';

let s;
let pids;
const MAX_BODY = 1024 * 1024;
export const TRIED = { inputs: 0 };

before(async () => {
    s = await startStack('faults-client', { workers: 2, env: { THREADS: '2', MAX_BODY_BYTES: '1M' } });
    pids = workerPids(s);
});
after(async () => {
    console.log(`# bad client input: ${TRIED.inputs} inputs tried`);
    await s?.stop();
});

// A request that exercises every field the proxy reads.
const VALID = {
    model: 'claude-sonnet-4-5',
    max_tokens: 100,
    system: [{ type: 'text', text: 'be brief' }],
    messages: [
        { role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] },
        { role: 'assistant', content: [{ type: 'text', text: 'calling' }, { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'a b', is_error: false }] },
    ],
    tools: [{ name: 'Bash', description: 'run', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }],
    tool_choice: { type: 'auto' },
    stop_sequences: ['END'],
    temperature: 0.5,
    top_p: 0.9,
    stream: false,
    thinking: { type: 'enabled', budget_tokens: 2048 },
};

// What each path accepts besides its own type ("lenient in"), from
// common/README.md §1: content and system may be strings or block arrays;
// tool_result content a string or blocks.
const ALSO_OK = {
    system: ['string'],
    'messages[0].content': ['string'],
    'messages[1].content': ['string'],
    'messages[2].content': ['string'],
    'messages[2].content[0].content': ['array'],
};
// Fields a real client sends that the proxy may ignore when malformed
// (they are dropped or optional hints): a 2xx is fine there, a 4xx too.
const MAY_IGNORE = new Set(['messages[2].content[0].is_error', 'tools[0].description', 'tools[0].input_schema.properties.command.type',
    'tools[0].input_schema.properties.command', 'tools[0].input_schema.properties', 'tools[0].input_schema.type',
    'messages[0].content[1].source.media_type', 'messages[1].content[1].input.command']);

const typeOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? 'number' : typeof v);
const SAMPLES = { string: 'x', number: 7, boolean: true, null: null, object: { a: 1 }, array: [1] };

function* paths(v, p) {
    if (p) yield [p, v];
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* paths(v[i], `${p}[${i}]`);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) yield* paths(x, p ? `${p}.${k}` : k);
}
function setPath(obj, p, val) {
    const parts = p.match(/[^.[\]]+/g);
    let o = obj;
    for (const k of parts.slice(0, -1)) o = o[k];
    o[parts[parts.length - 1]] = val;
}

// null is read as "absent" (lenient in): fine where absent is fine.
async function absentOk(p) {
    const body = structuredClone(VALID);
    const parts = p.match(/[^.[\]]+/g);
    let o = body;
    for (const k of parts.slice(0, -1)) o = o[k];
    if (Array.isArray(o)) return false;
    delete o[parts[parts.length - 1]];
    return (await post(s.base, '/v1/messages', body)).status === 200;
}

test('the valid base request works', async () => {
    const r = await post(s.base, '/v1/messages', VALID);
    assert.equal(r.status, 200, r.text.slice(0, 300));
});

test('wrong type at every field: a 400 naming the field, never a 5xx', async () => {
    const failures = [];
    let named = 0;
    let tried = 0;
    const all = [...paths(VALID, '')];
    for (const [p, v] of all) {
        if (p.includes('input_schema.properties.') || p.startsWith('messages[1].content[1].input.')) continue; // free-form
        const ok = new Set([typeOf(v), ...(ALSO_OK[p] ?? [])]);
        if (p === 'temperature' || p === 'top_p') ok.add('number');
        for (const [t, sample] of Object.entries(SAMPLES)) {
            if (ok.has(t)) continue;
            if (t === 'number' && typeOf(v) === 'number') continue;
            const body = structuredClone(VALID);
            setPath(body, p, sample);
            tried++;
            const r = await post(s.base, '/v1/messages', body);
            if (r.status >= 500) failures.push(`${p} = ${JSON.stringify(sample)}: ${r.status} ${r.text.slice(0, 200)}`);
            else if (r.status === 200 && !MAY_IGNORE.has(p) && !(t === 'null' && await absentOk(p)))
                failures.push(`${p} = ${JSON.stringify(sample)}: accepted (200)`);
            else if (r.status >= 400) {
                if (r.json?.type !== 'error' || r.json.error?.type !== 'invalid_request_error') failures.push(`${p}: ${r.status} ${r.text.slice(0, 200)}`);
                else if (r.json.error.message.includes(p)) named++;
                else if (!MAY_IGNORE.has(p)) failures.push(`${p} = ${JSON.stringify(sample)}: message does not name the field: ${r.json.error.message}`);
            }
        }
    }
    TRIED.inputs += tried;
    console.log(`# wrong types: ${tried} inputs, ${named} named their field`);
    assert.deepEqual(failures, []);
    await assertHealthy(s, pids, 'wrong types');
});

test('missing required fields name the field', async () => {
    for (const f of ['model', 'max_tokens', 'messages']) {
        const body = structuredClone(VALID);
        delete body[f];
        const r = await post(s.base, '/v1/messages', body);
        assertError(r, 400, 'invalid_request_error', `missing ${f}`);
        assert.match(r.json.error.message, new RegExp(f), `names ${f}`);
        TRIED.inputs++;
    }
    for (const [p, del] of [['messages[0].role', (b) => delete b.messages[0].role], ['messages[0].content', (b) => delete b.messages[0].content],
        ['messages[0].content[0].type', (b) => delete b.messages[0].content[0].type], ['tools[0].name', (b) => delete b.tools[0].name],
        ['messages[2].content[0].tool_use_id', (b) => delete b.messages[2].content[0].tool_use_id]]) {
        const body = structuredClone(VALID);
        del(body);
        const r = await post(s.base, '/v1/messages', body);
        TRIED.inputs++;
        assertError(r, 400, 'invalid_request_error', `missing ${p}`);
        assert.ok(r.json.error.message.includes(p), `names ${p}: ${r.json.error.message}`);
    }
    await assertHealthy(s, pids, 'missing fields');
});

const BAD_BODIES = {
    'malformed JSON': '{"model": "m", "max_tokens": 1, "messages": [',
    'trailing bytes': JSON.stringify(REQ()) + ' x',
    'two values': JSON.stringify(REQ()) + JSON.stringify(REQ()),
    '10,000-deep nesting': '['.repeat(10000) + ']'.repeat(10000),
    '10,000-deep objects': JSON.stringify(REQ()).replace('"hello"', '{"a":'.repeat(10000) + '1' + '}'.repeat(10000)),
    'invalid UTF-8': Buffer.concat([Buffer.from('{"model":"m\xff"'.slice(0, 11), 'latin1'), Buffer.from([0xff, 0xfe]), Buffer.from('","max_tokens":1,"messages":[]}')]),
    'overlong UTF-8': Buffer.concat([Buffer.from('{"model":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('","max_tokens":1,"messages":[{"role":"user","content":"x"}]}')]),
    'lone surrogate escape': '{"model":"\\ud800","max_tokens":1,"messages":[{"role":"user","content":"x"}]}',
    'NUL byte raw': Buffer.from('{"model":"m\u0000","max_tokens":1,"messages":[{"role":"user","content":"x"}]}'),
    'empty body': '',
    'only whitespace': '   \n',
    'a JSON string': '"hello"',
    'a JSON array': '[]',
    'null': 'null',
};
for (const [name, body] of Object.entries(BAD_BODIES)) {
    test(`bad body: ${name} is a 400`, async () => {
        const r = await post(s.base, '/v1/messages', body);
        TRIED.inputs++;
        assertError(r, 400, 'invalid_request_error', name);
        await assertHealthy(s, pids, name);
    });
}

test('escaped NUL inside a string is data, not a crash', async () => {
    const r = await post(s.base, '/v1/messages', REQ({ messages: [{ role: 'user', content: 'a\u0000b' }] }));
    TRIED.inputs++;
    assert.ok(r.status === 200 || r.status === 400, `${r.status} ${r.text.slice(0, 200)}`);
    await assertHealthy(s, pids, 'escaped NUL');
});

const NUMBERS = { 'huge max_tokens': 1e308, 'overflow max_tokens': '1e400', 'negative max_tokens': -1, 'fractional max_tokens': 1.5, 'zero max_tokens': 0,
    'max_tokens 2^63': 9223372036854775808, 'NaN-like temperature': '1e999', 'negative temperature': -5 };
for (const [name, v] of Object.entries(NUMBERS)) {
    test(`huge or odd number: ${name} is never a 5xx`, async () => {
        const key = name.includes('temperature') ? 'temperature' : 'max_tokens';
        const body = JSON.stringify(REQ()).replace('"max_tokens":64', key === 'max_tokens' ? `"max_tokens":${v}` : `"max_tokens":64,"temperature":${v}`);
        const r = await post(s.base, '/v1/messages', body);
        TRIED.inputs++;
        assert.ok(r.status === 200 || r.status === 400, `${name}: ${r.status} ${r.text.slice(0, 200)}`);
        if (r.status === 400) {
            assertError(r, 400, 'invalid_request_error', name);
            assert.match(r.json.error.message, new RegExp(key), `names ${key}`);
        }
        if (name.includes('max_tokens') && !['huge max_tokens', 'max_tokens 2^63'].includes(name)) assert.equal(r.status, 400, `${name} rejected`);
        await assertHealthy(s, pids, name);
    });
}

test('wrong content type: not a 5xx', async () => {
    const r = await post(s.base, '/v1/messages', JSON.stringify(REQ()), { 'content-type': 'text/plain' });
    TRIED.inputs++;
    assert.ok(r.status < 500, `${r.status}`);
    if (r.status !== 200) assertError(r, r.status, r.json?.error?.type, 'content type');
});

test('wrong method is a 405, unknown path a 404', async () => {
    for (const m of ['GET', 'PUT', 'DELETE', 'PATCH']) {
        const r = await fetch(s.base + '/v1/messages', { method: m });
        const j = await r.json();
        TRIED.inputs++;
        assert.equal(r.status, 405, m);
        assert.equal(j.error.type, 'invalid_request_error');
    }
    // (lighttpd itself rejects "%00" in a path with its own 400 page.)
    const raw = await post(s.base, '/v1/messages%00', REQ());
    assert.ok(raw.status >= 400 && raw.status < 500, `%00: ${raw.status}`);
    for (const p of ['/v1/nothing', '/v2/messages', '/v1/messages/x/y', '/../../etc/passwd', '/v1/messages/count_tokens/x']) {
        const r = await post(s.base, p, REQ());
        TRIED.inputs++;
        assert.ok(r.status === 404 || r.status === 400, `${p}: ${r.status}`);
        assert.equal(r.json?.type, 'error', `${p}: Anthropic error body`);
    }
    await assertHealthy(s, pids, 'methods and paths');
});

test('a body over MAX_BODY_BYTES is a 413 request_too_large', async () => {
    const body = JSON.stringify(REQ({ messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY + 10) }] }));
    const r = await post(s.base, '/v1/messages', body);
    TRIED.inputs++;
    assertError(r, 413, 'request_too_large', 'over the cap');
    await assertHealthy(s, pids, 'over the cap');
});

// A chunked upload (no Content-Length from the client), raw HTTP.
function chunked(body, pieces) {
    const u = new URL(s.base);
    return new Promise((resolve, reject) => {
        const req = http.request({ host: u.hostname, port: u.port, path: '/v1/messages', method: 'POST',
            headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
            let t = '';
            res.setEncoding('utf8');
            res.on('data', (d) => { t += d; });
            res.on('end', () => { let j = null; try { j = JSON.parse(t); } catch { /* */ } resolve({ status: res.statusCode, text: t, json: j, headers: new Map(Object.entries(res.headers)) }); });
        });
        req.on('error', reject);
        const step = Math.ceil(body.length / pieces);
        for (let i = 0; i < body.length; i += step) req.write(body.slice(i, i + step));
        req.end();
    });
}

test('a chunked upload is read whole', async () => {
    const r = await chunked(JSON.stringify(REQ()), 7);
    TRIED.inputs++;
    assert.equal(r.status, 200, r.text.slice(0, 200));
    assert.equal(r.json.type, 'message');
});

test('a chunked upload over the cap is a 413', async () => {
    const r = await chunked(JSON.stringify(REQ({ messages: [{ role: 'user', content: 'y'.repeat(MAX_BODY + 10) }] })), 20);
    TRIED.inputs++;
    assert.equal(r.status, 413, r.text.slice(0, 200));
    assert.equal(r.json?.error?.type, 'request_too_large');
    await assertHealthy(s, pids, 'chunked over the cap');
});

test('the workers are the same ones at the end', () => {
    assert.deepEqual(workerPids(s), pids);
});
