// sse.mjs: raw HTTP + SSE helpers for the e2e tests, and an independent
// check of an Anthropic event stream against common/README.md §5 (so a bug
// the SDK tolerates still fails a test).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { B } from './stack.mjs';

// POST JSON (or a raw string) and read the whole answer.
export async function post(base, p, body, headers = {}, signal) {
    const r = await fetch(base + p, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
        body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
        signal,
    });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, headers: r.headers, text, json };
}

// Splits an SSE body into frames [{event, data (parsed JSON), raw}].
// Strict on what we emit: every frame has an `event:` line and one
// `data:` line of JSON, frames end with a blank line.
export function parseSse(text) {
    const frames = [];
    const errors = [];
    if (text.length && !text.endsWith('\n\n')) errors.push('the stream does not end with a blank line');
    for (const block of text.split('\n\n')) {
        if (block.trim() === '') continue;
        let event = null;
        let data = null;
        for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data = data === null ? line.slice(6) : data + '\n' + line.slice(6);
            else if (line.startsWith(':')) continue;
            else errors.push(`unexpected line ${JSON.stringify(line)}`);
        }
        let parsed = null;
        try { parsed = JSON.parse(data); } catch { errors.push(`data is not JSON: ${data}`); }
        frames.push({ event, data: parsed, raw: block });
    }
    return { frames, errors };
}

// common/README.md §5, invariants 1 to 6; returns a list of violations.
export function checkEvents(frames) {
    const errs = [];
    const types = frames.map((f) => f.event);
    frames.forEach((f, i) => {
        if (!f.event) errs.push(`frame ${i}: no event: line`);
        else if (!f.data || f.data.type !== f.event) errs.push(`frame ${i}: event ${f.event} but data.type ${f.data?.type}`);
    });
    if (types[0] !== 'message_start') errs.push(`first event is ${types[0]}, not message_start`);
    if (types.filter((t) => t === 'message_start').length !== 1) errs.push('not exactly one message_start');
    const errorAt = types.indexOf('error');
    const ended = errorAt >= 0 ? errorAt : types.length;
    if (errorAt >= 0 && errorAt !== types.length - 1) errs.push('events after an error event');
    if (errorAt < 0) {
        if (types[types.length - 1] !== 'message_stop') errs.push(`last event is ${types[types.length - 1]}, not message_stop`);
        if (types.filter((t) => t === 'message_delta').length !== 1) errs.push('not exactly one message_delta');
        if (types[types.length - 2] !== 'message_delta') errs.push('message_delta is not right before message_stop');
    }
    let open = null; // {index, type, text}
    let next = 0;
    for (let i = 1; i < ended; i++) {
        const { event: t, data: d } = frames[i];
        if (!d) continue;
        if (t === 'content_block_start') {
            if (open) errs.push(`frame ${i}: block ${d.index} starts while ${open.index} is open`);
            if (d.index !== next) errs.push(`frame ${i}: block index ${d.index}, expected ${next}`);
            next = d.index + 1;
            open = { index: d.index, type: d.content_block?.type, text: '' };
        } else if (t === 'content_block_delta') {
            if (!open || open.index !== d.index) { errs.push(`frame ${i}: delta for block ${d.index}, which is not open`); continue; }
            const want = { text: 'text_delta', tool_use: 'input_json_delta', thinking: ['thinking_delta', 'signature_delta'] }[open.type];
            if (!want || ![want].flat().includes(d.delta?.type)) errs.push(`frame ${i}: ${d.delta?.type} in a ${open.type} block`);
            if (d.delta?.type === 'text_delta') open.text += d.delta.text;
        } else if (t === 'content_block_stop') {
            if (!open || open.index !== d.index) errs.push(`frame ${i}: stop of block ${d.index}, which is not open`);
            else if (open.type === 'text' && open.text === '') errs.push(`frame ${i}: empty text block ${d.index}`);
            open = null;
        } else if (t === 'message_delta') {
            if (open) errs.push(`frame ${i}: message_delta while block ${open.index} is open`);
        } else if (t !== 'ping' && t !== 'message_stop') {
            errs.push(`frame ${i}: unexpected event ${t}`);
        }
    }
    return errs;
}

// Parses and checks; throws with the whole stream on any violation.  Also
// runs the project's own checker $B/tests/evcheck (when built) on the
// raw bytes.
export function assertValidStream(text) {
    const { frames, errors } = parseSse(text);
    const all = [...errors, ...checkEvents(frames)];
    const ev = evcheck(text);
    if (ev && ev.status !== 0) all.push(`evcheck exit ${ev.status}: ${ev.stderr}${ev.stdout}`);
    if (all.length) throw new Error(`invalid event stream:\n  ${all.join('\n  ')}\n--- stream ---\n${text}`);
    return frames;
}

export function evcheckPath() {
    const p = path.join(B, 'tests', 'evcheck');
    return fs.existsSync(p) ? p : null;
}

function evcheck(text) {
    const p = evcheckPath();
    if (!p) return null;
    return spawnSync(p, [], { input: text, encoding: 'utf8', timeout: 10000 });
}

// Rebuilds the message from the events: content blocks with their text,
// tool input (parsed from the concatenated partial_json), thinking.
export function assemble(frames) {
    const msg = { ...frames[0].data.message, content: [] };
    const partial = {};
    for (const { event, data } of frames) {
        if (event === 'content_block_start') msg.content[data.index] = { ...data.content_block };
        else if (event === 'content_block_delta') {
            const b = msg.content[data.index];
            const d = data.delta;
            if (d.type === 'text_delta') b.text += d.text;
            else if (d.type === 'thinking_delta') b.thinking += d.thinking;
            else if (d.type === 'signature_delta') b.signature = (b.signature ?? '') + d.signature;
            else if (d.type === 'input_json_delta') partial[data.index] = (partial[data.index] ?? '') + d.partial_json;
        } else if (event === 'message_delta') {
            Object.assign(msg, data.delta);
            msg.usage = { ...msg.usage, ...data.usage };
        }
    }
    for (const [i, s] of Object.entries(partial)) msg.content[i].input = s === '' ? {} : JSON.parse(s);
    return msg;
}

// OpenAI chunk helpers for scripted mock streams.
export function chunk(delta, finish = null, extra = {}) {
    return 'data: ' + JSON.stringify({
        id: 'chatcmpl-e2e', object: 'chat.completion.chunk', created: 1, model: 'mock',
        choices: [{ index: 0, delta, finish_reason: finish }], ...extra,
    });
}

export function usageChunk(prompt, completion, extra = {}) {
    return 'data: ' + JSON.stringify({
        id: 'chatcmpl-e2e', object: 'chat.completion.chunk', created: 1, model: 'mock', choices: [],
        usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, ...extra },
    });
}

export const DONE = 'data: [DONE]';
