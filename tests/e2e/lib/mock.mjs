// mock.mjs: what the scriptable upstreams share (tests/e2e/mock-upstream.mjs,
// mock-responses.mjs, mock-anthropic.mjs): the command line, request
// records, the step player, the control endpoints and the listening
// server.  The step fields and control endpoints are tests/e2e/MOCK.md's.
// What makes each mock as strict as the API it stands for stays in that
// mock: its validation, its default answers and its error bodies, handed
// to the functions here as callbacks.  Node 18, no npm dependencies.

import http from 'node:http';
import fs from 'node:fs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// The options every mock takes; a mock adds its own to `spec`.
const COMMON_OPTIONS = {
    '--port': ['port', Number],
    '--port-file': ['portFile', String],
    '--host': ['host', String],
    '--allow': ['allow', (v) => v.split(',').filter(Boolean)],
};

// The options of mock name from process.argv: those above and spec's,
// whose defaults are in defaults.  spec maps an option to [key, parse]:
// parse turns the option's value into opt[key]; a parse that is not a
// function makes a switch without a value, which sets opt[key] to it.
// usage is the synopsis printed on errors.
export function parseArgs(name, defaults, spec, usage) {
    const opt = { port: 0, host: '127.0.0.1', portFile: null, allow: [], ...defaults };
    const all = { ...COMMON_OPTIONS, ...spec };
    const fail = (msg) => {
        process.stderr.write(`${name}: ${msg}\nusage: ${name}.mjs ${usage}\n`);
        process.exit(2);
    };
    for (let i = 2; i < process.argv.length; i++) {
        const a = process.argv[i];
        const o = Object.hasOwn(all, a) ? all[a] : null;
        if (o === null) fail(`unknown argument ${a}`);
        const [key, parse] = o;
        if (typeof parse !== 'function') {
            opt[key] = parse;
            continue;
        }
        if (i + 1 >= process.argv.length) fail(`${a} needs a value`);
        opt[key] = parse(process.argv[++i]);
    }
    return opt;
}

// log(msg) of mock name: a line on stderr.
export const logger = (name) => (msg) => process.stderr.write(`${name}: ${msg}\n`);

export function readBody(req) {
    return new Promise((resolve, reject) => {
        const parts = [];
        req.on('data', (c) => parts.push(c));
        req.on('end', () => resolve(Buffer.concat(parts)));
        req.on('error', reject);
    });
}

export function sendJson(res, status, obj, headers = {}) {
    const data = JSON.stringify(obj);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...headers });
    res.end(data);
}

// Parses buf as JSON into rec.body (its text when it is not JSON): the
// body, or the SyntaxError that says why not.
export function parseBody(rec, buf) {
    try {
        rec.body = JSON.parse(buf.toString('utf8'));
        return rec.body;
    } catch (e) {
        rec.body = buf.toString('utf8');
        return e;
    }
}

// The record of one request (what /__requests lists), pushed to records;
// first carries the fields a mock puts before the common ones.
export function newRecord(req, res, records, first = {}) {
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
    const rec = { ...first, headers, body: null, valid: false, error: null, closed_early: false, t_start: Date.now(), t_end: null };
    records.push(rec);
    res.on('close', () => {
        rec.t_end = Date.now();
        // The client went away before we finished (and not because a
        // step cut the connection on purpose).
        if (!res.writableFinished && !rec._state?.selfCut) rec.closed_early = true;
    });
    return rec;
}

// Plays one step (or the default) on res; rec is this request's record.
// The mock's part, in api:
//   headers        headers every answer carries (a step's own win)
//   sse(e)         the text of one "sse" entry (default: e itself)
//   events(step)   event texts from fields of the mock's own, or null
//   stream()       the default answer's event texts when the client
//                  asked for a stream, else null (then a JSON answer)
//   json(status)   the default JSON answer for status (an error body
//                  unless 200)
// Event texts go out followed by a blank line, "chunks" as they are.
export async function play(res, step, rec, api) {
    const state = { selfCut: false };
    rec._state = state;
    if (step.delay_ms) await sleep(step.delay_ms);
    if (res.destroyed) return;
    const status = step.status ?? 200;
    const headers = { ...(api.headers ?? {}), ...(step.headers ?? {}) };
    const has = (k) => Object.keys(headers).some((h) => h.toLowerCase() === k);

    let events = null;
    let raw = false;
    if (Array.isArray(step.sse)) events = api.sse ? step.sse.map(api.sse) : step.sse;
    else if (api.events) events = api.events(step);
    if (events === null && Array.isArray(step.chunks)) { events = step.chunks; raw = true; }

    const isNone = events === null && step.json === undefined && step.body === undefined;
    if (isNone && status === 200) events = api.stream();

    const cut = () => { state.selfCut = true; res.socket?.destroy(); };

    if (events === null) {
        if (step.destroy_after !== undefined) return cut();
        let data;
        if (step.body !== undefined) {
            data = String(step.body);
            if (!has('content-type')) headers['content-type'] = /^\s*</.test(data) ? 'text/html' : 'text/plain';
        } else {
            data = JSON.stringify(step.json !== undefined ? step.json : api.json(status));
            if (!has('content-type')) headers['content-type'] = 'application/json';
        }
        headers['content-length'] = Buffer.byteLength(data);
        res.writeHead(status, headers);
        res.end(data);
        return;
    }

    if (!has('content-type')) headers['content-type'] = 'text/event-stream';
    if (!has('cache-control')) headers['cache-control'] = 'no-cache';
    res.writeHead(status, headers);
    res.flushHeaders();
    for (let n = 0; n < events.length; n++) {
        if (step.destroy_after !== undefined && n >= step.destroy_after) return cut();
        if (step.stall_ms && step.stall_after !== undefined && n === step.stall_after) await sleep(step.stall_ms);
        else if (n > 0 && step.interval_ms) await sleep(step.interval_ms);
        if (res.destroyed) return;
        if (raw) res.write(events[n], step.encoding ?? 'utf8');
        else res.write(events[n] + '\n\n');
    }
    if (step.destroy_after !== undefined && events.length >= step.destroy_after) return cut();
    // stall_after = the number of events: the answer stays open after them
    if (step.stall_ms && step.stall_after === events.length) await sleep(step.stall_ms);
    if (res.destroyed) return;
    res.end();
}

// ---- the two OpenAI mocks (Chat Completions, Responses) -------------

// An OpenAI error body, as api.openai.com sends it.
export function openaiError(status, message, param = null) {
    const type = status >= 500 ? 'server_error' : status === 429 ? 'requests' : 'invalid_request_error';
    const code = status === 429 ? 'rate_limit_exceeded' : null;
    return { error: { message, type, param, code } };
}

// Reads the body of request number id into rec and checks it with
// validate (it returns warnings, and throws an Invalid, the mock's error
// class with a .param, for what OpenAI rejects): the body, or null once a
// 400 has answered it, as api.openai.com's.
export async function receiveOpenAI(req, res, rec, id, log, validate, Invalid) {
    const body = parseBody(rec, await readBody(req));
    if (body instanceof SyntaxError) {
        rec.error = `We could not parse the JSON body of your request. (${body.message})`;
        log(`#${id} invalid JSON`);
        sendJson(res, 400, openaiError(400, rec.error));
        return null;
    }
    try {
        rec.warnings = validate(body);
        rec.valid = true;
    } catch (e) {
        if (!(e instanceof Invalid)) throw e;
        rec.error = e.message;
        log(`#${id} 400 ${e.message}`);
        sendJson(res, 400, openaiError(400, e.message, e.param));
        return null;
    }
    return body;
}

// ---- control endpoints and the server ---------------------------------

// The control endpoints of MOCK.md for path, or false when path is none
// of them.  ctl: records() (the list), reset(), enqueue(steps) (the
// answer's extra fields, such as how many are queued).
export async function control(req, res, path, ctl) {
    if (path === '/__health') return sendJson(res, 200, { status: 'ok' }), true;
    if (path === '/__requests' && req.method === 'GET') {
        const out = ctl.records().map(({ _state, ...r }) => r);
        return sendJson(res, 200, { requests: out }), true;
    }
    if (path === '/__reset' && req.method === 'POST') {
        await readBody(req);
        ctl.reset();
        return sendJson(res, 200, { ok: true }), true;
    }
    if (path === '/__script' && req.method === 'POST') {
        let steps;
        try {
            steps = JSON.parse((await readBody(req)).toString('utf8')).steps;
        } catch (e) {
            return sendJson(res, 400, { error: `bad script: ${e.message}` }), true;
        }
        if (!Array.isArray(steps) || steps.some((s) => !isObj(s))) return sendJson(res, 400, { error: 'steps must be an array of objects' }), true;
        return sendJson(res, 200, { ok: true, ...ctl.enqueue(steps) }), true;
    }
    return false;
}

// Listens on opt.host:opt.port with handle(req, res) and writes the port
// to opt.portFile once bound; internal errors become error(status,
// message), the mock's error body.  note is added to the log line.
export function serve(opt, log, handle, error, note = '') {
    const server = http.createServer(async (req, res) => {
        try {
            await handle(req, res);
        } catch (e) {
            log(`internal error: ${e.stack}`);
            if (!res.headersSent) sendJson(res, 500, error(500, 'mock internal error'));
            else res.destroy();
        }
    });
    // Long streams and stalls are the point: no server-side timeouts.
    server.requestTimeout = 0;
    server.headersTimeout = 0;
    server.timeout = 0;
    server.keepAliveTimeout = 30000;

    server.listen(opt.port, opt.host, () => {
        const port = server.address().port;
        if (opt.portFile) {
            fs.writeFileSync(opt.portFile + '.tmp', `${port}\n`);
            fs.renameSync(opt.portFile + '.tmp', opt.portFile);
        }
        log(`listening on http://${opt.host}:${port}${note}`);
    });

    for (const sig of ['SIGTERM', 'SIGINT']) {
        process.on(sig, () => {
            log(`${sig}, exiting`);
            server.close();
            process.exit(0);
        });
    }
    return server;
}
