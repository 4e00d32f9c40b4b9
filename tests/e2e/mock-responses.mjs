#!/usr/bin/env node
// mock-responses.mjs: a scriptable, strict OpenAI Responses API server
// (POST /v1/responses) for the e2e tests.  Same CLI and control endpoints
// as mock-upstream.mjs; the contract is the "Responses mock" section of
// tests/e2e/MOCK.md.  Node 18, no npm dependencies.
//
//   node tests/e2e/mock-responses.mjs --port 0 --port-file FILE
//        [--host 127.0.0.1] [--demo] [--allow p1,p2]
//
// The wire format follows the type definitions of the official `openai`
// npm package (resources/responses/responses.d.ts); the validation
// messages imitate api.openai.com's.

import crypto from 'node:crypto';
import { isObj, logger, parseArgs, newRecord, play, control, serve, openaiError, receiveOpenAI, sendJson, readBody } from './lib/mock.mjs';

const opt = parseArgs('mock-responses', { demo: false }, { '--demo': ['demo', true] },
    '--port N [--port-file FILE] [--host H] [--demo] [--allow p1,p2]');
const log = logger('mock-responses');

// ResponseCreateParams: anything else is "Unknown parameter".
const KNOWN_PARAMS = new Set([
    'background', 'context_management', 'conversation', 'include', 'input',
    'instructions', 'max_output_tokens', 'max_tool_calls', 'metadata', 'model',
    'parallel_tool_calls', 'previous_response_id', 'prompt', 'prompt_cache_key',
    'prompt_cache_retention', 'reasoning', 'safety_identifier', 'service_tier',
    'store', 'stream', 'stream_options', 'temperature', 'text', 'tool_choice',
    'tools', 'top_logprobs', 'top_p', 'truncation', 'user',
]);
for (const p of opt.allow) KNOWN_PARAMS.add(p);

const INCLUDABLE = new Set([
    'reasoning.encrypted_content', 'message.output_text.logprobs',
    'file_search_call.results', 'web_search_call.action.sources',
    'message.input_image.image_url', 'computer_call_output.output.image_url',
    'code_interpreter_call.outputs',
]);
const EFFORTS = new Set(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']);
const SUMMARIES = new Set(['auto', 'concise', 'detailed']);
const IMAGE_DETAIL = new Set(['low', 'high', 'auto', 'original']);

let queue = [];
let records = [];
let seq = 0;
// encrypted_content handed out, by reasoning item id: a reasoning item
// sent back must carry exactly what it was given (store:false replay).
const issued = new Map();

class Invalid extends Error {
    constructor(message, param) {
        super(message);
        this.param = param ?? null;
    }
}

const isStr = (v) => typeof v === 'string';

// o-series, gpt-5 and codex models reject sampling parameters.
const reasoningModel = (m) => /^(o\d|gpt-5)|codex/i.test(String(m).split('/').pop());

function checkPart(p, role, w) {
    if (!isObj(p) || !isStr(p.type)) throw new Invalid(`Missing required parameter: '${w}.type'.`, `${w}.type`);
    if (role === 'assistant') {
        if (p.type === 'output_text') {
            if (!isStr(p.text)) throw new Invalid(`Missing required parameter: '${w}.text'.`, `${w}.text`);
            return;
        }
        if (p.type === 'refusal') {
            if (!isStr(p.refusal)) throw new Invalid(`Missing required parameter: '${w}.refusal'.`, `${w}.refusal`);
            return;
        }
        throw new Invalid(`Invalid value: '${p.type}'. Supported values are: 'output_text' and 'refusal'.`, `${w}.type`);
    }
    if (p.type === 'input_text') {
        if (!isStr(p.text)) throw new Invalid(`Missing required parameter: '${w}.text'.`, `${w}.text`);
        return;
    }
    if (role !== 'user')
        throw new Invalid(`Invalid value: '${p.type}'. Role '${role}' supports 'input_text' only.`, `${w}.type`);
    if (p.type === 'input_image') {
        if (!IMAGE_DETAIL.has(p.detail)) throw new Invalid(`Invalid value for '${w}.detail': expected one of 'low', 'high', 'auto' or 'original'.`, `${w}.detail`);
        if (!isStr(p.image_url) && !isStr(p.file_id)) throw new Invalid(`Missing required parameter: '${w}.image_url'.`, `${w}.image_url`);
        if (isStr(p.image_url) && !/^(https?:\/\/|data:image\/[a-z+.-]+;base64,)/.test(p.image_url))
            throw new Invalid(`Invalid '${w}.image_url': expected a URL or a base64 data URL.`, `${w}.image_url`);
        return;
    }
    if (p.type === 'input_file') {
        if (isStr(p.file_data)) {
            if (!isStr(p.filename)) throw new Invalid(`Missing required parameter: '${w}.filename'.`, `${w}.filename`);
            if (!/^data:[a-z]+\/[a-z0-9.+-]+;base64,/.test(p.file_data)) throw new Invalid(`Invalid '${w}.file_data': expected a base64 data URL.`, `${w}.file_data`);
        } else if (!isStr(p.file_id) && !isStr(p.file_url)) {
            throw new Invalid(`Missing required parameter: '${w}.file_data'.`, `${w}.file_data`);
        }
        return;
    }
    throw new Invalid(`Invalid value: '${p.type}'. Supported values are: 'input_text', 'input_image' and 'input_file'.`, `${w}.type`);
}

function checkInput(input, warnings) {
    if (isStr(input)) return;
    if (!Array.isArray(input)) throw new Invalid("Invalid type for 'input': expected a string or an array of input items.", 'input');
    const calls = new Map();   // call_id -> answered
    input.forEach((it, i) => {
        const w = `input[${i}]`;
        if (!isObj(it)) throw new Invalid(`Invalid type for '${w}': expected an object.`, w);
        const type = it.type ?? (it.role ? 'message' : undefined);
        if (type === 'message') {
            if (!['user', 'assistant', 'system', 'developer'].includes(it.role))
                throw new Invalid(`Invalid value for '${w}.role'.`, `${w}.role`);
            if (isStr(it.content)) return;
            if (!Array.isArray(it.content)) throw new Invalid(`Invalid type for '${w}.content'.`, `${w}.content`);
            it.content.forEach((p, j) => checkPart(p, it.role, `${w}.content[${j}]`));
        } else if (type === 'function_call') {
            for (const k of ['call_id', 'name', 'arguments'])
                if (!isStr(it[k])) throw new Invalid(`Missing required parameter: '${w}.${k}'.`, `${w}.${k}`);
            try { JSON.parse(it.arguments); } catch { throw new Invalid(`Invalid '${w}.arguments': not valid JSON.`, `${w}.arguments`); }
            calls.set(it.call_id, false);
        } else if (type === 'function_call_output') {
            if (!isStr(it.call_id)) throw new Invalid(`Missing required parameter: '${w}.call_id'.`, `${w}.call_id`);
            if (!calls.has(it.call_id)) throw new Invalid(`No tool call found for function call output with call_id ${it.call_id}.`, 'input');
            if (!isStr(it.output) && !Array.isArray(it.output)) throw new Invalid(`Invalid type for '${w}.output'.`, `${w}.output`);
            if (calls.get(it.call_id)) warnings.push(`call_id ${it.call_id} answered twice`);
            calls.set(it.call_id, true);
        } else if (type === 'reasoning') {
            if (!isStr(it.id)) throw new Invalid(`Missing required parameter: '${w}.id'.`, `${w}.id`);
            if (!Array.isArray(it.summary)) throw new Invalid(`Missing required parameter: '${w}.summary'.`, `${w}.summary`);
            it.summary.forEach((s, j) => {
                if (!isObj(s) || s.type !== 'summary_text' || !isStr(s.text))
                    throw new Invalid(`Invalid value for '${w}.summary[${j}]'.`, `${w}.summary[${j}]`);
            });
            if (!issued.has(it.id)) throw new Invalid(`Item with id '${it.id}' not found. Items are not persisted when \`store\` is set to false.`, 'input');
            if (it.encrypted_content !== issued.get(it.id))
                throw new Invalid(`The encrypted content for item ${it.id} could not be verified.`, 'input');
            const nx = input[i + 1];
            const follows = isObj(nx) && (nx.type === 'function_call' ||
                ((nx.type ?? 'message') === 'message' && nx.role === 'assistant'));
            if (!follows)
                throw new Invalid(`Item '${it.id}' of type 'reasoning' was provided without its required following item.`, 'input');
        } else {
            throw new Invalid(`Invalid value for '${w}.type': '${type}'.`, `${w}.type`);
        }
    });
    for (const [id, answered] of calls)
        if (!answered) throw new Invalid(`No tool output found for function call ${id}.`, 'input');
}

function checkTools(body) {
    const names = new Set();
    if ('tools' in body) {
        if (!Array.isArray(body.tools)) throw new Invalid("Invalid type for 'tools': expected an array.", 'tools');
        body.tools.forEach((t, i) => {
            const w = `tools[${i}]`;
            if (!isObj(t) || t.type !== 'function') throw new Invalid(`Invalid value for '${w}.type': expected 'function'.`, `${w}.type`);
            if ('function' in t) throw new Invalid(`Unknown parameter: '${w}.function'.`, `${w}.function`);
            if (!isStr(t.name) || !/^[a-zA-Z0-9_-]{1,64}$/.test(t.name))
                throw new Invalid(`Invalid '${w}.name': string does not match pattern '^[a-zA-Z0-9_-]{1,64}$'.`, `${w}.name`);
            if (t.parameters !== null && !isObj(t.parameters)) throw new Invalid(`Invalid type for '${w}.parameters'.`, `${w}.parameters`);
            if (typeof t.strict !== 'boolean') throw new Invalid(`Missing required parameter: '${w}.strict'.`, `${w}.strict`);
            names.add(t.name);
        });
    }
    const tc = body.tool_choice;
    if (tc === undefined) return;
    if (isStr(tc)) {
        if (!['auto', 'none', 'required'].includes(tc)) throw new Invalid(`Invalid value for 'tool_choice': '${tc}'.`, 'tool_choice');
        return;
    }
    if (!isObj(tc) || tc.type !== 'function' || !isStr(tc.name)) throw new Invalid("Invalid value for 'tool_choice'.", 'tool_choice');
    if ('function' in tc) throw new Invalid("Unknown parameter: 'tool_choice.function'.", 'tool_choice.function');
    if (!names.has(tc.name)) throw new Invalid(`Tool choice '${tc.name}' not found in 'tools' parameter.`, 'tool_choice');
}

// Validation strict like api.openai.com; throws Invalid, returns warnings.
function validate(body) {
    const warnings = [];
    if (!isObj(body)) throw new Invalid('The request body must be a JSON object.');
    for (const k of Object.keys(body))
        if (!KNOWN_PARAMS.has(k)) throw new Invalid(`Unknown parameter: '${k}'.`, k);
    if (!isStr(body.model) || body.model === '') throw new Invalid("Missing required parameter: 'model'.", 'model');
    if (!('input' in body)) throw new Invalid("Missing required parameter: 'input'.", 'input');
    if ('instructions' in body && body.instructions !== null && !isStr(body.instructions))
        throw new Invalid("Invalid type for 'instructions': expected a string.", 'instructions');
    if ('max_output_tokens' in body) {
        const v = body.max_output_tokens;
        if (!Number.isInteger(v)) throw new Invalid("Invalid type for 'max_output_tokens': expected an integer.", 'max_output_tokens');
        if (v < 16) throw new Invalid(`Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got ${v} instead.`, 'max_output_tokens');
    }
    for (const k of ['stream', 'store', 'parallel_tool_calls'])
        if (k in body && typeof body[k] !== 'boolean') throw new Invalid(`Invalid type for '${k}': expected a boolean.`, k);
    for (const k of ['temperature', 'top_p']) {
        if (!(k in body)) continue;
        if (typeof body[k] !== 'number') throw new Invalid(`Invalid type for '${k}': expected a number.`, k);
        if (reasoningModel(body.model)) throw new Invalid(`Unsupported parameter: '${k}' is not supported with this model.`, k);
    }
    for (const k of ['user', 'prompt_cache_key', 'safety_identifier'])
        if (k in body && !isStr(body[k])) throw new Invalid(`Invalid type for '${k}': expected a string.`, k);
    if ('include' in body) {
        if (!Array.isArray(body.include)) throw new Invalid("Invalid type for 'include'.", 'include');
        body.include.forEach((v, i) => {
            if (!INCLUDABLE.has(v)) throw new Invalid(`Invalid value for 'include[${i}]': '${v}'.`, `include[${i}]`);
        });
        if (body.include.includes('reasoning.encrypted_content') && body.store !== false)
            throw new Invalid("Encrypted content is only supported with 'store' set to false.", 'include');
    }
    if ('reasoning' in body && body.reasoning !== null) {
        const r = body.reasoning;
        if (!isObj(r)) throw new Invalid("Invalid type for 'reasoning'.", 'reasoning');
        for (const k of Object.keys(r))
            if (!['effort', 'summary', 'generate_summary'].includes(k)) throw new Invalid(`Unknown parameter: 'reasoning.${k}'.`, `reasoning.${k}`);
        if ('effort' in r && !EFFORTS.has(r.effort)) throw new Invalid(`Invalid value for 'reasoning.effort': '${r.effort}'.`, 'reasoning.effort');
        if ('summary' in r && !SUMMARIES.has(r.summary)) throw new Invalid(`Invalid value for 'reasoning.summary': '${r.summary}'.`, 'reasoning.summary');
    }
    if ('text' in body) {
        const f = body.text?.format;
        if (!isObj(body.text) || (f !== undefined && (!isObj(f) || !['text', 'json_object', 'json_schema'].includes(f.type))))
            throw new Invalid("Invalid value for 'text.format'.", 'text.format');
        if (f?.type === 'json_schema' && (!isStr(f.name) || !isObj(f.schema)))
            throw new Invalid("Missing required parameter: 'text.format.name' / 'text.format.schema'.", 'text.format');
    }
    if ('metadata' in body && body.metadata !== null && !isObj(body.metadata)) throw new Invalid("Invalid type for 'metadata'.", 'metadata');
    checkTools(body);
    checkInput(body.input, warnings);
    return warnings;
}

// ---- default answers -------------------------------------------------

const TEXT_PARTS = ['Hello from ', 'the mock ', 'Responses API.'];
const TOOL_TEXT = 'Got the tool result.';
const THOUGHT = ['Thinking about ', 'the answer.'];

function itemText(it) {
    if (!isObj(it)) return '';
    if (isStr(it.content)) return it.content;
    if (Array.isArray(it.content)) return it.content.filter((p) => p?.type === 'input_text').map((p) => p.text).join('\n');
    return '';
}

// {kind:'text', parts} or {kind:'tool', name}; reasoning when asked for.
function defaultPlan(body) {
    const items = Array.isArray(body.input) ? body.input : [{ type: 'message', role: 'user', content: String(body.input) }];
    const last = items[items.length - 1];
    const prev = items[items.length - 2];
    const reasoning = isObj(body.reasoning);
    if (last?.type === 'function_call_output' || (last?.role === 'user' && prev?.type === 'function_call_output'))
        return { kind: 'text', parts: [TOOL_TEXT], reasoning };
    const tools = Array.isArray(body.tools) ? body.tools : [];
    if (tools.length > 0 && last?.role === 'user' && (opt.demo || /tool/.test(itemText(last))))
        return { kind: 'tool', name: tools[0].name, reasoning };
    return { kind: 'text', parts: TEXT_PARTS, reasoning };
}

function usageOf(body, out, cachedReq) {
    const inp = Math.max(1, Math.ceil(JSON.stringify(body.input ?? '').length / 4));
    return {
        input_tokens: inp, input_tokens_details: { cached_tokens: cachedReq ? Math.floor(inp / 2) : 0 },
        output_tokens: out, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: inp + out,
    };
}

function responseObject(body, id, status, output, usage) {
    return {
        id: `resp_mock_${id}`, object: 'response', created_at: Math.floor(Date.now() / 1000), status,
        background: false, error: null, incomplete_details: null, instructions: body.instructions ?? null,
        max_output_tokens: body.max_output_tokens ?? null, model: body.model, output,
        parallel_tool_calls: body.parallel_tool_calls ?? true, previous_response_id: null,
        reasoning: body.reasoning ?? { effort: null, summary: null }, store: body.store ?? true,
        temperature: body.temperature ?? 1, text: body.text ?? { format: { type: 'text' } },
        tool_choice: body.tool_choice ?? 'auto', tools: body.tools ?? [], top_p: body.top_p ?? 1,
        truncation: 'disabled', usage, user: body.user ?? null, metadata: body.metadata ?? {},
    };
}

// The answer as output items plus the events that stream them, in the
// order OpenAI sends them.
function defaultAnswer(body, id) {
    const plan = defaultPlan(body);
    const ev = [];
    const out = [];
    const e = (type, f) => ev.push({ type, ...f });
    const wantEc = Array.isArray(body.include) && body.include.includes('reasoning.encrypted_content');
    const pending = responseObject(body, id, 'in_progress', [], null);
    e('response.created', { response: pending });
    e('response.in_progress', { response: pending });
    if (plan.reasoning) {
        const rid = `rs_mock_${id}`;
        const oi = out.length;
        const text = THOUGHT.join('');
        e('response.output_item.added', { output_index: oi, item: { id: rid, type: 'reasoning', summary: [] } });
        e('response.reasoning_summary_part.added', { item_id: rid, output_index: oi, summary_index: 0, part: { type: 'summary_text', text: '' } });
        for (const d of THOUGHT) e('response.reasoning_summary_text.delta', { item_id: rid, output_index: oi, summary_index: 0, delta: d });
        e('response.reasoning_summary_text.done', { item_id: rid, output_index: oi, summary_index: 0, text });
        e('response.reasoning_summary_part.done', { item_id: rid, output_index: oi, summary_index: 0, part: { type: 'summary_text', text } });
        const item = { id: rid, type: 'reasoning', summary: [{ type: 'summary_text', text }] };
        if (wantEc) {
            item.encrypted_content = crypto.createHash('sha256').update(`${rid}:${text}`).digest('base64');
            issued.set(rid, item.encrypted_content);
        }
        e('response.output_item.done', { output_index: oi, item });
        out.push(item);
    }
    const oi = out.length;
    if (plan.kind === 'text') {
        const mid = `msg_mock_${id}`;
        const text = plan.parts.join('');
        e('response.output_item.added', { output_index: oi, item: { id: mid, type: 'message', status: 'in_progress', role: 'assistant', content: [] } });
        e('response.content_part.added', { item_id: mid, output_index: oi, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
        for (const d of plan.parts) e('response.output_text.delta', { item_id: mid, output_index: oi, content_index: 0, delta: d, logprobs: [] });
        e('response.output_text.done', { item_id: mid, output_index: oi, content_index: 0, text, logprobs: [] });
        const part = { type: 'output_text', text, annotations: [], logprobs: [] };
        e('response.content_part.done', { item_id: mid, output_index: oi, content_index: 0, part });
        const item = { id: mid, type: 'message', status: 'completed', role: 'assistant', content: [part] };
        e('response.output_item.done', { output_index: oi, item });
        out.push(item);
    } else {
        const fid = `fc_mock_${id}`;
        const call = { id: fid, type: 'function_call', status: 'in_progress', arguments: '', call_id: `call_mock_${id}`, name: plan.name };
        e('response.output_item.added', { output_index: oi, item: call });
        for (const d of ['{', '}']) e('response.function_call_arguments.delta', { item_id: fid, output_index: oi, delta: d });
        e('response.function_call_arguments.done', { item_id: fid, output_index: oi, arguments: '{}' });
        const item = { ...call, status: 'completed', arguments: '{}' };
        e('response.output_item.done', { output_index: oi, item });
        out.push(item);
    }
    const done = responseObject(body, id, 'completed', out, usageOf(body, plan.kind === 'text' ? 7 : 5, isStr(body.prompt_cache_key)));
    e('response.completed', { response: done });
    ev.forEach((x, n) => { x.sequence_number = n; });
    return { json: done, events: ev };
}

// "event: T\ndata: {...}" for an event object (sequence_number kept).
const frame = (x) => `event: ${x.type}\ndata: ${JSON.stringify(x)}`;

// ---- plumbing (tests/e2e/lib/mock.mjs) ---------------------------------

async function handleResponses(req, res) {
    const id = ++seq;
    const rec = newRecord(req, res, records);
    rec.warnings = [];
    const body = await receiveOpenAI(req, res, rec, id, log, validate, Invalid);
    if (body === null) return;
    const step = queue.length ? queue.shift() : {};
    log(`#${id} ${body.stream ? 'stream' : 'json'} model=${body.model} step=${JSON.stringify(step).slice(0, 120)}`);
    await play(res, step, rec, {
        // "events": objects, framed here, numbered unless they say
        events: (st) => (Array.isArray(st.events)
            ? st.events.map((x, n) => frame({ ...x, sequence_number: x.sequence_number ?? n })) : null),
        stream: () => (body.stream === true ? defaultAnswer(body, id).events.map(frame) : null),
        json: (status) => (status === 200 ? defaultAnswer(body, id).json : openaiError(status, `mock upstream error ${status}`)),
    });
}

serve(opt, log, async (req, res) => {
    const path = req.url.split('?')[0];
    if (req.method === 'POST' && path.endsWith('/responses')) return await handleResponses(req, res);
    const done = await control(req, res, path, {
        records: () => records,
        reset: () => { queue = []; records = []; issued.clear(); },
        enqueue: (steps) => { queue.push(...steps); return { queued: queue.length }; },
    });
    if (done) return;
    if (path === '/__issue' && req.method === 'POST') {
        // lets a test hand out encrypted content of its own scripts
        const { id, encrypted_content: ec } = JSON.parse((await readBody(req)).toString('utf8'));
        issued.set(String(id), String(ec));
        return sendJson(res, 200, { ok: true });
    }
    if (req.method === 'GET' && path.endsWith('/models'))
        return sendJson(res, 200, { object: 'list', data: [{ id: 'gpt-5-codex', object: 'model', created: 0, owned_by: 'mock' }] });
    await readBody(req);
    sendJson(res, 404, openaiError(404, `no route ${req.method} ${path}`));
}, openaiError, opt.demo ? ' (demo)' : '');
