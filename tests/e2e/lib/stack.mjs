// stack.mjs: starts the whole stack for one e2e test file -- the mock
// upstream, then deploy/run.sh (lighttpd in front of the spawn-fcgi +
// multiwatch pool of the real binary) -- on free 127.0.0.1 ports, and
// stops it by PID.  State lives in $B/e2e/<name>/.
//
//   const s = await startStack('basic', { env: { PROXY_API_KEY: 'k' } });
//   ... s.base, s.mock.script([...]), await s.mock.requests() ...
//   await s.stop();

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const B = path.resolve(ROOT, process.env.B || 'build');
export const UPSTREAM_KEY = 'sk-upstream-e2e-secret-0123456789';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Processes alive right now, so a signal or a crash still stops them.
const live = new Set();
function cleanupSync() {
    for (const p of live) {
        try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ }
    }
}
process.on('exit', cleanupSync);
for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => {
        cleanupSync();
        process.exit(130);
    });
}

// A free TCP port on 127.0.0.1 (bound, then closed): nothing listens on
// it until the caller starts something there.
export function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

async function waitFor(what, fn, ms, proc, logFile) {
    const end = Date.now() + ms;
    for (;;) {
        const v = await fn();
        if (v) return v;
        if (proc && proc.exitCode !== null) {
            throw new Error(`${what}: process exited ${proc.exitCode}\n${tail(logFile)}`);
        }
        if (Date.now() > end) throw new Error(`${what}: not ready after ${ms} ms\n${tail(logFile)}`);
        await sleep(50);
    }
}

function tail(file, n = 30) {
    try {
        return fs.readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
    } catch {
        return '';
    }
}

function exited(proc) {
    if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    return new Promise((r) => proc.once('exit', r));
}

async function stopProc(proc, ms = 15000) {
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) {
        live.delete(proc);
        return;
    }
    try { proc.kill('SIGTERM'); } catch { /* gone */ }
    let timer;
    const done = await Promise.race([
        exited(proc).then(() => true),
        new Promise((r) => { timer = setTimeout(() => r(false), ms); }),
    ]);
    clearTimeout(timer);
    if (!done) {
        try { proc.kill('SIGKILL'); } catch { /* gone */ }
        await exited(proc);
    }
    live.delete(proc);
}

function spawnLogged(cmd, args, opts, logFile) {
    const fd = fs.openSync(logFile, 'a');
    const proc = spawn(cmd, args, { ...opts, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    live.add(proc);
    return proc;
}

// Only what the stack needs from our environment: a developer's own
// OPENAI_* or PROXY_API_KEY must not leak into the tests.
function baseEnv() {
    const env = {};
    for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS']) {
        if (process.env[k] !== undefined) env[k] = process.env[k];
    }
    return env;
}

export class Mock {
    constructor(url) {
        this.url = url;
    }
    async #call(method, p, body) {
        const r = await fetch(this.url + p, {
            method,
            headers: body ? { 'content-type': 'application/json' } : {},
            body: body ? JSON.stringify(body) : undefined,
        });
        if (r.status !== 200) throw new Error(`mock ${p}: ${r.status} ${await r.text()}`);
        return r.json();
    }
    script(steps) {
        return this.#call('POST', '/__script', { steps });
    }
    reset() {
        return this.#call('POST', '/__reset', {});
    }
    async requests() {
        return (await this.#call('GET', '/__requests')).requests;
    }
    async last() {
        const rs = await this.requests();
        if (rs.length === 0) throw new Error('the mock received no request');
        return rs[rs.length - 1];
    }
}

// Starts one mock (tests/e2e/<file>) of the stack in dir; its process
// and URL.
async function startMock(dir, name, file, args) {
    const portFile = path.join(dir, `${name}.port`);
    const log = path.join(dir, `${name}.log`);
    const proc = spawnLogged(process.execPath,
        [path.join(ROOT, 'tests/e2e', file), '--port', '0', '--port-file', portFile, ...args],
        { cwd: ROOT, env: baseEnv() }, log);
    const port = await waitFor(`${name} (${file})`, () => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').trim(), 10000, proc, log);
    return { proc, url: `http://127.0.0.1:${port}` };
}

// Starts mock + pool + lighttpd.  opts.env: settings for the responder
// (PROXY_API_KEY, MAX_BODY_BYTES, ...), or a function of the mocks'
// URLs ({ mockUrl, mocks: { name: url } }) that returns them;
// opts.workers: pool size; opts.mocks: more upstreams, { name: { file,
// args } } (file in tests/e2e/, default mock-upstream.mjs), reachable as
// s.mocks[name] (a Mock) for providers.
export async function startStack(name, opts = {}) {
    const dir = path.join(B, 'e2e', name);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const prog = path.join(B, 'claude-proxy');
    if (!fs.existsSync(prog)) throw new Error(`${prog} is missing: build it first (make)`);

    const main = await startMock(dir, 'mock', 'mock-upstream.mjs', opts.mockArgs ?? []);
    const mock = main.proc;
    const mockUrl = main.url;
    const extra = {};
    for (const [n, m] of Object.entries(opts.mocks ?? {})) {
        try {
            extra[n] = await startMock(dir, n, m.file ?? 'mock-upstream.mjs', m.args ?? []);
        } catch (e) {
            for (const x of Object.values(extra)) await stopProc(x.proc);
            await stopProc(mock);
            throw e;
        }
    }
    const urls = Object.fromEntries(Object.entries(extra).map(([n, x]) => [n, x.url]));
    const userEnv = typeof opts.env === 'function' ? opts.env({ mockUrl, mocks: urls }) : (opts.env ?? {});

    // A free port can be taken between the probe and lighttpd's bind:
    // try a few.
    let run;
    let port;
    const runLog = path.join(dir, 'run.log');
    for (let attempt = 0; ; attempt++) {
        port = await freePort();
        const env = {
            ...baseEnv(),
            B: path.relative(ROOT, B) || '.',
            PORT: String(port),
            HOST: '127.0.0.1',
            WORKERS: String(opts.workers ?? 2),
            RUN_DIR: path.join(dir, 'run'),
            ENV_FILE: '',
            OPENAI_BASE_URL: `${mockUrl}/v1`,
            OPENAI_API_KEY: UPSTREAM_KEY,
            ...userEnv,
        };
        fs.writeFileSync(runLog, '');
        run = spawnLogged('sh', [path.join(ROOT, 'deploy/run.sh')], { cwd: ROOT, env }, runLog);
        try {
            await waitFor('deploy/run.sh', () => /is serving on/.test(fs.readFileSync(runLog, 'utf8')), 30000, run, runLog);
            break;
        } catch (e) {
            await stopProc(run);
            if (attempt >= 2 || !/bind|Address already in use/i.test(e.message)) {
                for (const x of Object.values(extra)) await stopProc(x.proc);
                await stopProc(mock);
                throw e;
            }
        }
    }
    const base = `http://127.0.0.1:${port}`;
    return {
        base,
        port,
        dir,
        mockUrl,
        mock: new Mock(mockUrl),
        mocks: Object.fromEntries(Object.entries(urls).map(([n, u]) => [n, new Mock(u)])),
        logs: path.join(dir, 'run', 'logs'),
        async stop() {
            await stopProc(run);
            await stopProc(mock);
            for (const x of Object.values(extra)) await stopProc(x.proc);
        },
    };
}

// The official SDK pointed at the stack.  maxRetries 0 unless asked:
// a test sees exactly what the proxy answered.
export async function sdk(base, opts = {}) {
    const { default: Anthropic } = await import('@anthropic-ai/sdk');
    return new Anthropic({ baseURL: base, apiKey: 'sk-ant-client-key', maxRetries: 0, timeout: 20000, ...opts });
}
