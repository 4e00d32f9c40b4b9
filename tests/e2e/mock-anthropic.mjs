#!/usr/bin/env node
// mock-anthropic.mjs: a scriptable upstream that speaks Anthropic's
// Messages API (/v1/messages), strict like api.anthropic.com, for the
// PROVIDER_<NAME>_API=anthropic passthrough.  Same CLI and control
// endpoints as mock-upstream.mjs; the contract is the "mock-anthropic"
// section of tests/e2e/MOCK.md: keep this file in step with it.  Node 18,
// no npm dependencies.
//
//   node tests/e2e/mock-anthropic.mjs --port 0 --port-file FILE
//        [--host 127.0.0.1] [--key KEY] [--no-count-tokens]
//        [--allow field1,field2]

import { isObj, logger, parseArgs, parseBody, newRecord, play, control, serve, sendJson, readBody } from './lib/mock.mjs';

const opt = parseArgs('mock-anthropic', { key: null, countTokens: true },
    { '--key': ['key', String], '--no-count-tokens': ['countTokens', false] },
    '--port N [--port-file FILE] [--host H] [--key KEY] [--no-count-tokens] [--allow f1,f2]');
const log = logger('mock-anthropic');

// Top-level fields of POST /v1/messages (Anthropic's API reference, plus
// what Claude Code 2.1.3xx sends); anything else is a 400 "Extra inputs
// are not permitted", as on api.anthropic.com.
const KNOWN_FIELDS = new Set([
    'model', 'messages', 'max_tokens', 'system', 'metadata', 'stop_sequences',
    'stream', 'temperature', 'top_k', 'top_p', 'tools', 'tool_choice',
    'thinking', 'service_tier', 'container', 'context_management',
    'mcp_servers', 'output_config', 'inference_geo',
]);
for (const f of opt.allow) KNOWN_FIELDS.add(f);
// count_tokens takes the same minus the generation settings.
const COUNT_FIELDS = new Set(['model', 'messages', 'system', 'tools', 'tool_choice',
    'thinking', 'mcp_servers', 'context_management', 'output_config', ...opt.allow]);

// Content block types a request may carry, and who may send them.
const USER_BLOCKS = new Set(['text', 'image', 'document', 'search_result', 'tool_result', 'container_upload']);
const ASSISTANT_BLOCKS = new Set(['text', 'thinking', 'redacted_thinking', 'tool_use', 'server_tool_use',
    'web_search_tool_result', 'web_fetch_tool_result', 'code_execution_tool_result', 'mcp_tool_use',
    'mcp_tool_result']);
const RESULT_BLOCKS = new Set(['text', 'image', 'document', 'search_result', 'tool_reference']);

let queue = [];       // steps for /v1/messages
let countQueue = [];  // steps for /v1/messages/count_tokens ("for":"count_tokens")
let records = [];
let seq = 0;

class Invalid extends Error {
    constructor(message, status = 400, type = 'invalid_request_error') {
        super(message);
        this.status = status;
        this.type = type;
    }
}


function checkBlock(b, where, role) {
    if (!isObj(b) || typeof b.type !== 'string') throw new Invalid(`${where}.type: Field required`);
    const allowed = role === 'user' ? USER_BLOCKS : ASSISTANT_BLOCKS;
    if (!allowed.has(b.type)) {
        const any = USER_BLOCKS.has(b.type) || ASSISTANT_BLOCKS.has(b.type);
        throw new Invalid(any ? `${where}: a block of type '${b.type}' is not allowed in a '${role}' message`
            : `${where}.type: Input tag '${b.type}' found using 'type' does not match any of the expected tags`);
    }
    if (b.type === 'text' && typeof b.text !== 'string') throw new Invalid(`${where}.text: Field required`);
    if (b.type === 'image' && !isObj(b.source)) throw new Invalid(`${where}.source: Field required`);
    if (b.type === 'document' && !isObj(b.source)) throw new Invalid(`${where}.source: Field required`);
    if (b.type === 'thinking' && (typeof b.thinking !== 'string' || typeof b.signature !== 'string'))
        throw new Invalid(`${where}: thinking blocks need 'thinking' and 'signature' strings`);
    if (b.type === 'tool_use') {
        if (typeof b.id !== 'string' || !/^[a-zA-Z0-9_-]+$/.test(b.id)) throw new Invalid(`${where}.id: String should match pattern '^[a-zA-Z0-9_-]+$'`);
        if (typeof b.name !== 'string' || b.name === '') throw new Invalid(`${where}.name: Field required`);
        if (!isObj(b.input)) throw new Invalid(`${where}.input: Input should be a valid dictionary`);
    }
    if (b.type === 'tool_result') {
        if (typeof b.tool_use_id !== 'string') throw new Invalid(`${where}.tool_use_id: Field required`);
        if (b.content !== undefined && typeof b.content !== 'string') {
            if (!Array.isArray(b.content)) throw new Invalid(`${where}.content: Input should be a valid list`);
            b.content.forEach((c, k) => {
                if (!isObj(c) || !RESULT_BLOCKS.has(c.type)) throw new Invalid(`${where}.content.${k}.type: unknown tool result block`);
            });
        }
    }
}

function checkSystem(s) {
    if (s === undefined || typeof s === 'string') return;
    if (!Array.isArray(s)) throw new Invalid('system: Input should be a valid string or list');
    s.forEach((b, i) => {
        if (!isObj(b) || b.type !== 'text' || typeof b.text !== 'string') throw new Invalid(`system.${i}: only text blocks are allowed`);
    });
}

// Validation strict like api.anthropic.com; throws Invalid.
function validate(body, count) {
    if (!isObj(body)) throw new Invalid('The request body must be a JSON object');
    const known = count ? COUNT_FIELDS : KNOWN_FIELDS;
    for (const k of Object.keys(body)) if (!known.has(k)) throw new Invalid(`${k}: Extra inputs are not permitted`);
    if (typeof body.model !== 'string' || body.model === '') throw new Invalid('model: Field required');
    if (!count && (!Number.isInteger(body.max_tokens) || body.max_tokens < 1)) throw new Invalid('max_tokens: Field required (a positive integer)');
    if ('stream' in body && typeof body.stream !== 'boolean') throw new Invalid('stream: Input should be a valid boolean');
    if ('stop_sequences' in body && (!Array.isArray(body.stop_sequences) || body.stop_sequences.some((s) => typeof s !== 'string')))
        throw new Invalid('stop_sequences: Input should be a valid list of strings');
    checkSystem(body.system);
    if ('tools' in body) {
        if (!Array.isArray(body.tools)) throw new Invalid('tools: Input should be a valid list');
        body.tools.forEach((t, i) => {
            if (!isObj(t) || typeof t.name !== 'string' || t.name === '') throw new Invalid(`tools.${i}.name: Field required`);
            if (t.type === undefined && !isObj(t.input_schema)) throw new Invalid(`tools.${i}.input_schema: Field required`);
        });
    }
    if (!Array.isArray(body.messages)) throw new Invalid('messages: Field required');
    if (body.messages.length === 0) throw new Invalid('messages: at least one message is required');
    let pending = null; // tool_use ids the next user message must answer
    body.messages.forEach((m, i) => {
        const where = `messages.${i}`;
        if (!isObj(m)) throw new Invalid(`${where}: Input should be a valid dictionary`);
        if (m.role !== 'user' && m.role !== 'assistant') throw new Invalid(`${where}.role: Input should be 'user' or 'assistant'`);
        if (i === 0 && m.role !== 'user') throw new Invalid('messages: first message must use the "user" role');
        if (i > 0 && body.messages[i - 1]?.role === m.role) throw new Invalid(`messages: roles must alternate between "user" and "assistant", but found multiple "${m.role}" roles in a row`);
        if (typeof m.content !== 'string' && !Array.isArray(m.content)) throw new Invalid(`${where}.content: Input should be a valid string or list`);
        const blocks = typeof m.content === 'string' ? [] : m.content;
        blocks.forEach((b, j) => checkBlock(b, `${where}.content.${j}`, m.role));
        const results = new Set(blocks.filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id));
        if (m.role === 'user') {
            for (const id of results) {
                if (!pending || !pending.has(id))
                    throw new Invalid(`${where}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`);
            }
            if (pending) {
                const missing = [...pending].filter((id) => !results.has(id));
                if (missing.length) throw new Invalid(`messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`);
            }
            pending = null;
        } else {
            const uses = blocks.filter((b) => b.type === 'tool_use').map((b) => b.id);
            pending = uses.length ? new Set(uses) : null;
        }
    });
}

// ---- default answers -------------------------------------------------

const TEXT = 'Hello from the mock Anthropic upstream.';
const TEXT_PARTS = ['Hello from ', 'the mock Anthropic ', 'upstream.'];
const TOOL_TEXT = 'Got the tool result.';
const SIGNATURE = 'bW9jay1zaWduYXR1cmU=';

function inputTokens(body) {
    return Math.max(1, Math.ceil(JSON.stringify([body?.system ?? '', body?.messages ?? [], body?.tools ?? []]).length / 4));
}

function lastUserText(body) {
    const ms = body.messages;
    const last = ms[ms.length - 1];
    if (last.role !== 'user') return '';
    if (typeof last.content === 'string') return last.content;
    return last.content.filter((b) => b.type === 'text').map((b) => b.text).join('\n');
}

// {kind:'text', text} or {kind:'tool', name}, plus thinking when asked.
function defaultPlan(body) {
    const ms = body.messages;
    const last = ms[ms.length - 1];
    const thinking = ['enabled', 'adaptive'].includes(body.thinking?.type);
    const afterResult = last.role === 'user' && Array.isArray(last.content) && last.content.some((b) => b.type === 'tool_result');
    if (afterResult) return { kind: 'text', text: TOOL_TEXT, thinking };
    const tools = (body.tools ?? []).filter((t) => isObj(t.input_schema));
    if (tools.length && /tool/.test(lastUserText(body))) return { kind: 'tool', name: tools[0].name, thinking };
    return { kind: 'text', text: TEXT, thinking };
}

function messageOf(body, id) {
    return { id: `msg_mock${String(id).padStart(6, '0')}`, type: 'message', role: 'assistant', model: body.model };
}

function defaultJson(body, id) {
    const plan = defaultPlan(body);
    const content = [];
    if (plan.thinking) content.push({ type: 'thinking', thinking: 'Thinking it over.', signature: SIGNATURE });
    if (plan.kind === 'text') content.push({ type: 'text', text: plan.text });
    else content.push({ type: 'tool_use', id: `toolu_mock${id}`, name: plan.name, input: {} });
    return {
        ...messageOf(body, id), content,
        stop_reason: plan.kind === 'text' ? 'end_turn' : 'tool_use', stop_sequence: null,
        usage: { input_tokens: inputTokens(body), output_tokens: plan.kind === 'text' ? 7 : 5,
            cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    };
}

const frame = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}`;

// The event order of Anthropic's streaming docs.
function defaultSse(body, id) {
    const plan = defaultPlan(body);
    const ev = [frame('message_start', { message: { ...messageOf(body, id), content: [], stop_reason: null, stop_sequence: null,
        usage: { input_tokens: inputTokens(body), output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } } })];
    let index = 0;
    const delta = (d) => frame('content_block_delta', { index, delta: d });
    if (plan.thinking) {
        ev.push(frame('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
        ev.push(frame('ping', {}));
        ev.push(delta({ type: 'thinking_delta', thinking: 'Thinking it over.' }));
        ev.push(delta({ type: 'signature_delta', signature: SIGNATURE }));
        ev.push(frame('content_block_stop', { index }));
        index++;
    }
    if (plan.kind === 'text') {
        ev.push(frame('content_block_start', { index, content_block: { type: 'text', text: '' } }));
        if (!plan.thinking) ev.push(frame('ping', {}));
        for (const t of plan.text === TEXT ? TEXT_PARTS : [plan.text]) ev.push(delta({ type: 'text_delta', text: t }));
    } else {
        ev.push(frame('content_block_start', { index, content_block: { type: 'tool_use', id: `toolu_mock${id}`, name: plan.name, input: {} } }));
        if (!plan.thinking) ev.push(frame('ping', {}));
        for (const p of ['', '{', '}']) ev.push(delta({ type: 'input_json_delta', partial_json: p }));
    }
    ev.push(frame('content_block_stop', { index }));
    ev.push(frame('message_delta', { delta: { stop_reason: plan.kind === 'text' ? 'end_turn' : 'tool_use', stop_sequence: null },
        usage: { output_tokens: plan.kind === 'text' ? 7 : 5 } }));
    ev.push(frame('message_stop', {}));
    return ev;
}

// ---- plumbing (tests/e2e/lib/mock.mjs) ---------------------------------

// Anthropic's error.type for an HTTP status (its "Errors" page).
const ERROR_TYPES = { 400: 'invalid_request_error', 401: 'authentication_error', 402: 'billing_error',
    403: 'permission_error', 404: 'not_found_error', 413: 'request_too_large', 429: 'rate_limit_error',
    500: 'api_error', 504: 'timeout_error', 529: 'overloaded_error' };

function anthropicError(status, message, type) {
    return { type: 'error', error: { type: type ?? ERROR_TYPES[status] ?? 'api_error', message }, request_id: `req_mock${seq}` };
}

// An "sse" entry: a string is one event's text; an object {event, data}
// (data an object or a raw string) is framed here.
function sseText(e) {
    if (typeof e === 'string') return e;
    const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
    return e.event === undefined ? `data: ${data}` : `event: ${e.event}\ndata: ${data}`;
}

async function handleMessages(req, res, path, count) {
    const id = ++seq;
    const rec = newRecord(req, res, records, { path });
    const headers = rec.headers;
    const reject = (e) => {
        rec.error = e.message;
        log(`#${id} ${e.status} ${e.message}`);
        return sendJson(res, e.status, anthropicError(e.status, e.message, e.type), { 'request-id': `req_mock${id}` });
    };

    const buf = await readBody(req);
    // Header checks first, as Anthropic's gateway does.
    if (!headers['x-api-key']) return reject(new Invalid('x-api-key header is required', 401, 'authentication_error'));
    if (opt.key !== null && headers['x-api-key'] !== opt.key) return reject(new Invalid('invalid x-api-key', 401, 'authentication_error'));
    if (!headers['anthropic-version']) return reject(new Invalid('anthropic-version: header is required'));
    if (count && !opt.countTokens) return reject(new Invalid(`Not Found: ${path}`, 404, 'not_found_error'));
    const body = parseBody(rec, buf);
    if (body instanceof SyntaxError)
        return reject(new Invalid(`There was an issue with your request body: invalid JSON (${body.message})`));
    try {
        validate(body, count);
        rec.valid = true;
    } catch (e) {
        if (!(e instanceof Invalid)) throw e;
        return reject(e);
    }
    const q = count ? countQueue : queue;
    const step = q.length ? q.shift() : {};
    log(`#${id} ${count ? 'count_tokens' : body.stream ? 'stream' : 'json'} model=${body.model} step=${JSON.stringify(step).slice(0, 120)}`);
    await play(res, step, rec, {
        headers: { 'request-id': `req_mock${id}` },
        sse: sseText,
        stream: () => (!count && body?.stream === true ? defaultSse(body, id) : null),
        json: (status) => (status !== 200 ? anthropicError(status, `mock upstream error ${status}`)
            : count ? { input_tokens: inputTokens(body) }
            : defaultJson(body, id)),
    });
}

serve(opt, log, async (req, res) => {
    const path = req.url.split('?')[0];
    if (req.method === 'POST' && path.endsWith('/v1/messages/count_tokens')) return await handleMessages(req, res, path, true);
    if (req.method === 'POST' && path.endsWith('/v1/messages')) return await handleMessages(req, res, path, false);
    const done = await control(req, res, path, {
        records: () => records,
        reset: () => { queue = []; countQueue = []; records = []; },
        enqueue: (steps) => {
            for (const s of steps) (s.for === 'count_tokens' ? countQueue : queue).push(s);
            return { queued: queue.length, queued_count_tokens: countQueue.length };
        },
    });
    if (done) return;
    await readBody(req);
    sendJson(res, 404, anthropicError(404, `Not Found: ${req.method} ${path}`));
}, anthropicError);
