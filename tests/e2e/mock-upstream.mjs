#!/usr/bin/env node
// mock-upstream.mjs: a scriptable OpenAI Chat Completions server for the
// tests, `make demo` and `make bench`.  The contract (endpoints, STEP
// fields, default answers) is tests/e2e/MOCK.md; keep this file in step
// with it.  Node 18, no npm dependencies.
//
//   node tests/e2e/mock-upstream.mjs --port 0 --port-file FILE
//        [--host 127.0.0.1] [--demo] [--allow top_k,reasoning]
//
// Beyond MOCK.md: a STEP may carry "encoding" ("utf8" default, "latin1",
// "base64") for its "chunks", so a test can cut inside a multi-byte
// character; records carry "warnings" (tool calls left unanswered).
//
// --allow adds top-level parameters that the strict validation accepts
// (other upstream dialects: vLLM's top_k, OpenRouter's reasoning, ...).

import { isObj, logger, parseArgs, newRecord, play, control, serve, openaiError, receiveOpenAI, sendJson, readBody } from './lib/mock.mjs';

const opt = parseArgs('mock-upstream', { demo: false }, { '--demo': ['demo', true] },
    '--port N [--port-file FILE] [--host H] [--demo] [--allow p1,p2]');
const log = logger('mock-upstream');

// Top-level parameters OpenAI's Chat Completions API accepts; anything
// else is a 400, as on api.openai.com (the proxy must drop Anthropic-only
// fields such as top_k, thinking, metadata objects it does not map).
const KNOWN_PARAMS = new Set([
    'model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature',
    'top_p', 'n', 'stream', 'stream_options', 'stop', 'presence_penalty',
    'frequency_penalty', 'logit_bias', 'logprobs', 'top_logprobs', 'user',
    'tools', 'tool_choice', 'parallel_tool_calls', 'response_format', 'seed',
    'service_tier', 'reasoning_effort', 'modalities', 'audio', 'prediction',
    'store', 'metadata', 'web_search_options', 'functions', 'function_call',
    'verbosity', 'prompt_cache_key', 'safety_identifier',
]);
for (const p of opt.allow) KNOWN_PARAMS.add(p);

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const PART_TYPES = new Set(['text', 'image_url', 'input_audio', 'file', 'refusal']);

let queue = [];
let records = [];
let seq = 0;

class Invalid extends Error {
    constructor(message, param) {
        super(message);
        this.param = param ?? null;
    }
}

function checkContent(m, i) {
    const c = m.content;
    const where = `messages[${i}].content`;
    if (c === undefined || c === null) {
        // Only an assistant message with tool calls may carry no content.
        if (m.role === 'assistant') return;
        throw new Invalid(`Invalid value for '${where}': expected a string or array, got null.`, where);
    }
    if (typeof c === 'string') return;
    if (!Array.isArray(c)) throw new Invalid(`Invalid type for '${where}': expected a string or array.`, where);
    c.forEach((p, j) => {
        const pw = `${where}[${j}]`;
        if (!isObj(p) || typeof p.type !== 'string') throw new Invalid(`Missing required parameter: '${pw}.type'.`, `${pw}.type`);
        if (!PART_TYPES.has(p.type)) throw new Invalid(`Invalid value: '${p.type}'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', and 'file'.`, `${pw}.type`);
        if (p.type === 'text' && typeof p.text !== 'string') throw new Invalid(`Missing required parameter: '${pw}.text'.`, `${pw}.text`);
        if (p.type === 'image_url' && (!isObj(p.image_url) || typeof p.image_url.url !== 'string'))
            throw new Invalid(`Missing required parameter: '${pw}.image_url.url'.`, `${pw}.image_url.url`);
        if ((m.role === 'tool' || m.role === 'system' || m.role === 'developer') && p.type !== 'text')
            throw new Invalid(`Invalid value: '${p.type}'. Role '${m.role}' messages support text parts only.`, `${pw}.type`);
    });
}

// Validation strict like api.openai.com; throws Invalid.  Returns a list
// of warnings for what real OpenAI also rejects but the contract does not
// (tool calls left unanswered), so tests can assert on them.
function validate(body) {
    const warnings = [];
    if (!isObj(body)) throw new Invalid('The request body must be a JSON object.');
    for (const k of Object.keys(body)) {
        if (!KNOWN_PARAMS.has(k)) throw new Invalid(`Unrecognized request argument supplied: ${k}`, k);
    }
    if (typeof body.model !== 'string' || body.model === '') throw new Invalid("Missing required parameter: 'model'.", 'model');
    if (!Array.isArray(body.messages)) throw new Invalid("Missing required parameter: 'messages'.", 'messages');
    if (body.messages.length === 0) throw new Invalid("Invalid 'messages': empty array. Expected an array with minimum length 1.", 'messages');
    for (const k of ['max_tokens', 'max_completion_tokens']) {
        if (k in body && (!Number.isInteger(body[k]) || body[k] < 1)) throw new Invalid(`Invalid '${k}': expected a positive integer.`, k);
    }
    if ('stream' in body && typeof body.stream !== 'boolean') throw new Invalid("Invalid type for 'stream': expected a boolean.", 'stream');
    if ('stream_options' in body && body.stream !== true) throw new Invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
    if ('stop' in body && body.stop !== null && typeof body.stop !== 'string') {
        if (!Array.isArray(body.stop) || body.stop.some((s) => typeof s !== 'string')) throw new Invalid("Invalid type for 'stop'.", 'stop');
        if (body.stop.length > 4) throw new Invalid("Invalid 'stop': array too long. Expected an array with maximum length 4.", 'stop');
    }
    if ('tools' in body) {
        if (!Array.isArray(body.tools)) throw new Invalid("Invalid type for 'tools': expected an array.", 'tools');
        body.tools.forEach((t, i) => {
            if (!isObj(t) || t.type !== 'function') throw new Invalid(`Invalid value for 'tools[${i}].type': expected 'function'.`, `tools[${i}].type`);
            if (!isObj(t.function) || typeof t.function.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(t.function.name))
                throw new Invalid(`Invalid 'tools[${i}].function.name': string does not match pattern '^[a-zA-Z0-9_-]{1,64}$'.`, `tools[${i}].function.name`);
            if ('parameters' in t.function && !isObj(t.function.parameters))
                throw new Invalid(`Invalid type for 'tools[${i}].function.parameters': expected an object.`, `tools[${i}].function.parameters`);
        });
    }

    let seenNonSystem = false;
    const callIds = new Set();   // every tool_call id issued so far
    let open = null;             // ids of the tool_calls block being answered
    body.messages.forEach((m, i) => {
        if (!isObj(m)) throw new Invalid(`Invalid type for 'messages[${i}]': expected an object.`, `messages[${i}]`);
        if (!ROLES.has(m.role)) throw new Invalid(`Invalid value for 'messages[${i}].role'.`, `messages[${i}].role`);
        if (m.role === 'system' || m.role === 'developer') {
            if (seenNonSystem) throw new Invalid(`Invalid 'messages[${i}]': a system message must come before all other messages.`, `messages[${i}].role`);
        } else {
            seenNonSystem = true;
        }
        if (m.role !== 'tool' && open && open.size > 0) {
            warnings.push(`tool_call ids not answered before messages[${i}]: ${[...open].join(',')}`);
        }
        if (m.role !== 'tool') open = null;
        checkContent(m, i);
        if (m.role === 'assistant' && 'tool_calls' in m) {
            if (!Array.isArray(m.tool_calls)) throw new Invalid(`Invalid type for 'messages[${i}].tool_calls'.`, `messages[${i}].tool_calls`);
            open = new Set();
            m.tool_calls.forEach((tc, j) => {
                const w = `messages[${i}].tool_calls[${j}]`;
                if (!isObj(tc) || typeof tc.id !== 'string' || tc.id === '') throw new Invalid(`Missing required parameter: '${w}.id'.`, `${w}.id`);
                if (tc.type !== 'function') throw new Invalid(`Missing required parameter: '${w}.type'.`, `${w}.type`);
                if (!isObj(tc.function) || typeof tc.function.name !== 'string') throw new Invalid(`Missing required parameter: '${w}.function.name'.`, `${w}.function.name`);
                if (typeof tc.function.arguments !== 'string')
                    throw new Invalid(`Invalid type for '${w}.function.arguments': expected a string, but got ${tc.function.arguments === null ? 'null' : typeof tc.function.arguments} instead.`, `${w}.function.arguments`);
                callIds.add(tc.id);
                open.add(tc.id);
            });
        }
        if (m.role === 'tool') {
            const w = `messages[${i}]`;
            if (typeof m.tool_call_id !== 'string') throw new Invalid(`Missing required parameter: '${w}.tool_call_id'.`, `${w}.tool_call_id`);
            if (!callIds.has(m.tool_call_id))
                throw new Invalid(`Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls' (${w}.tool_call_id=${m.tool_call_id}).`, `${w}.tool_call_id`);
            // OpenAI also wants the answers right after the assistant's
            // tool_calls, without a user message in between.
            if (!open || !open.has(m.tool_call_id))
                throw new Invalid(`Invalid parameter: messages with role 'tool' must directly follow the assistant message with the matching 'tool_calls' (${w}).`, `${w}.tool_call_id`);
            open.delete(m.tool_call_id);
        }
    });
    if (open && open.size > 0) warnings.push(`tool_call ids not answered at the end: ${[...open].join(',')}`);
    return warnings;
}

// ---- default answers -------------------------------------------------

const TEXT = 'Hello from the mock upstream.';
const TEXT_PARTS = ['Hello from ', 'the mock ', 'upstream.'];
const TOOL_TEXT = 'Got the tool result.';

function lastMessage(body) {
    const ms = Array.isArray(body?.messages) ? body.messages : [];
    return ms.length ? ms[ms.length - 1] : null;
}

function messageText(m) {
    if (!m) return '';
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) return m.content.filter((p) => p && p.type === 'text').map((p) => p.text).join('\n');
    return '';
}

// What the default behaviour answers: {kind:'text', text} or {kind:'tool', name}.
function defaultPlan(body) {
    const last = lastMessage(body);
    const tools = Array.isArray(body?.tools) ? body.tools : [];
    // "After a tool result": also when text follows the tool messages
    // (Claude Code appends <system-reminder> text to its tool results).
    const ms = body.messages;
    if (last && (last.role === 'tool' || (last.role === 'user' && ms.length > 1 && ms[ms.length - 2].role === 'tool')))
        return { kind: 'text', text: TOOL_TEXT };
    if (tools.length > 0 && last) {
        const wants = opt.demo || (last.role === 'user' && /tool/.test(messageText(last)));
        if (wants) return { kind: 'tool', name: tools[0]?.function?.name ?? 'tool' };
    }
    return { kind: 'text', text: TEXT };
}

function promptTokens(body) {
    return Math.max(1, Math.ceil(JSON.stringify(body?.messages ?? []).length / 4));
}

function usageOf(body, completion) {
    const p = promptTokens(body);
    return { prompt_tokens: p, completion_tokens: completion, total_tokens: p + completion };
}

function defaultJson(body, id) {
    const plan = defaultPlan(body);
    const message = plan.kind === 'text'
        ? { role: 'assistant', content: plan.text }
        : { role: 'assistant', content: null, tool_calls: [{ id: `call_mock_${id}`, type: 'function', function: { name: plan.name, arguments: '{}' } }] };
    return {
        id: `chatcmpl-mock-${id}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000),
        model: body?.model ?? 'mock',
        choices: [{ index: 0, message, finish_reason: plan.kind === 'text' ? 'stop' : 'tool_calls' }],
        usage: usageOf(body, plan.kind === 'text' ? 7 : 5),
    };
}

function defaultSse(body, id) {
    const plan = defaultPlan(body);
    const base = { id: `chatcmpl-mock-${id}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body?.model ?? 'mock' };
    const chunk = (delta, finish = null) => 'data: ' + JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
    const ev = [chunk({ role: 'assistant', content: '' })];
    if (plan.kind === 'text') {
        const parts = plan.text === TEXT ? TEXT_PARTS : [plan.text];
        for (const t of parts) ev.push(chunk({ content: t }));
        ev.push(chunk({}, 'stop'));
    } else {
        ev.push(chunk({ tool_calls: [{ index: 0, id: `call_mock_${id}`, type: 'function', function: { name: plan.name, arguments: '' } }] }));
        ev.push(chunk({ tool_calls: [{ index: 0, function: { arguments: '{' } }] }));
        ev.push(chunk({ tool_calls: [{ index: 0, function: { arguments: '}' } }] }));
        ev.push(chunk({}, 'tool_calls'));
    }
    ev.push('data: ' + JSON.stringify({ ...base, choices: [], usage: usageOf(body, plan.kind === 'text' ? 7 : 5) }));
    ev.push('data: [DONE]');
    return ev;
}

// ---- plumbing (tests/e2e/lib/mock.mjs) ---------------------------------

async function handleCompletions(req, res) {
    const id = ++seq;
    const rec = newRecord(req, res, records);
    rec.warnings = [];
    const body = await receiveOpenAI(req, res, rec, id, log, validate, Invalid);
    if (body === null) return;
    const step = queue.length ? queue.shift() : {};
    log(`#${id} ${body.stream ? 'stream' : 'json'} model=${body.model} step=${JSON.stringify(step).slice(0, 120)}`);
    await play(res, step, rec, {
        stream: () => (body?.stream === true ? defaultSse(body, id) : null),
        json: (status) => (status === 200 ? defaultJson(body, id) : openaiError(status, `mock upstream error ${status}`)),
    });
}

serve(opt, log, async (req, res) => {
    const path = req.url.split('?')[0];
    if (req.method === 'POST' && path.endsWith('/chat/completions')) return await handleCompletions(req, res);
    const done = await control(req, res, path, {
        records: () => records,
        reset: () => { queue = []; records = []; },
        enqueue: (steps) => { queue.push(...steps); return { queued: queue.length }; },
    });
    if (done) return;
    if (req.method === 'GET' && path.endsWith('/models')) {
        return sendJson(res, 200, { object: 'list', data: [{ id: 'mock-model', object: 'model', created: 0, owned_by: 'mock' }] });
    }
    await readBody(req);
    sendJson(res, 404, openaiError(404, `no route ${req.method} ${path}`));
}, openaiError, opt.demo ? ' (demo)' : '');
