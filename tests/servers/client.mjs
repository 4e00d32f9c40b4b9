// client.mjs: the web server suite's client side.  Runs every case against
// every server named in the plan file and prints TAP.  No dependencies:
// node's http only.
//
//   node tests/servers/client.mjs PLAN.json
//
// PLAN.json: {"mode":"proxy"|"standin", "ping_ms":15000, "silence_ms":90000,
//             "state":DIR, "evcheck":PATH|"",
//             "servers":[{"name","url","mock","standin_log"}]}
// mode proxy: the real claude-proxy in front of a mock upstream (the mock
//   paces the stream and records what reached it); mode standin: the
//   tests/servers/standin responder (pacing from the x-standin header).
//
// The slow cases (90 s of upstream silence; a client that leaves) start
// first on every server at once; the others then run server by server;
// the slow ones are awaited at the end, so the wall time is about
// silence_ms plus the quick cases.
import http from 'node:http';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const MODE = plan.mode;
const PING = plan.ping_ms ?? 15000;
const SILENCE = plan.silence_ms ?? 90000;
const MIB = 1 << 20;
let tapN = 0;
const lines = [];
const timing = {};

function tap(ok, name, detail) {
  tapN += 1;
  const d = detail ? ` # ${detail}` : '';
  const line = `${ok ? 'ok' : 'not ok'} ${tapN} - ${name}${d}`;
  lines.push(line);
  console.log(line);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One HTTP request; resolves {status, headers, body, events, times}.
// opts.sse: parse the body as SSE and time each event's arrival.
// opts.onEvent(ev, req): called per event (may destroy the request).
function request(url, opts) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname + u.search,
      method: opts.method || 'GET', headers: opts.headers || {},
      agent: false,
    }, (res) => {
      const chunks = [];
      const events = [];
      let pending = '';
      res.on('data', (c) => {
        chunks.push(c);
        if (!opts.sse) return;
        const t = Date.now();
        pending += c.toString('utf8');
        let i;
        while ((i = pending.indexOf('\n\n')) >= 0) {
          const frame = pending.slice(0, i);
          pending = pending.slice(i + 2);
          const ev = { t, type: null, data: null };
          for (const l of frame.split('\n')) {
            if (l.startsWith('event:')) ev.type = l.slice(6).trim();
            if (l.startsWith('data:')) {
              try { ev.data = JSON.parse(l.slice(5)); } catch { ev.data = l.slice(5); }
            }
          }
          events.push(ev);
          if (opts.onEvent) opts.onEvent(ev, req);
        }
      });
      res.on('end', () => resolve({
        status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8'), events, complete: true,
      }));
      res.on('error', () => resolve({
        status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8'), events, complete: false,
      }));
      res.on('close', () => resolve({
        status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8'), events,
        complete: res.complete,
      }));
    });
    req.on('error', (e) => (opts.expectAbort ? resolve({ aborted: true }) : reject(e)));
    if (opts.timeout) req.setTimeout(opts.timeout, () => req.destroy(new Error('client timeout')));
    if (opts.body !== undefined) req.end(opts.body); else req.end();
  });
}

async function mockCall(s, method, path, body) {
  const r = await request(s.mock + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return r.body ? JSON.parse(r.body) : null;
}

// An OpenAI stream chunk carrying `text`.
function chunk(text, finish) {
  return 'data: ' + JSON.stringify({
    id: 'chatcmpl-servers', object: 'chat.completion.chunk', created: 1,
    model: 'mock', choices: [{ index: 0, delta: finish ? {} : { content: text },
      finish_reason: finish || null }],
  });
}

function sseStep(n, interval, extra) {
  const sse = [];
  for (let i = 0; i < n; i++) sse.push(chunk(`e${i} `));
  sse.push(chunk(null, 'stop'));
  sse.push('data: [DONE]');
  return { sse, interval_ms: interval, ...extra };
}

// Messages request; `marker` identifies it in the mock's records.
function msgBody(marker, stream) {
  return JSON.stringify({
    model: 'claude-sonnet-4-5', max_tokens: 64, stream,
    messages: [{ role: 'user', content: `say hello ${marker}` }],
  });
}

function standinHdr(spec, id) {
  return MODE === 'standin' ? { 'x-standin': spec, 'x-standin-id': id } : {};
}

// The upstream record (proxy mode) or standin log line of request `marker`.
async function record(s, marker) {
  if (MODE === 'proxy') {
    const all = await mockCall(s, 'GET', '/__requests');
    return all.requests.find((q) => JSON.stringify(q.body ?? '').includes(marker));
  }
  let text = '';
  try { text = fs.readFileSync(s.standin_log, 'utf8'); } catch { return undefined; }
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .find((q) => q.id === marker);
}

async function waitRecord(s, marker, pred, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const r = await record(s, marker);
    if (r && pred(r)) return r;
    if (Date.now() > end) return r;
    await sleep(200);
  }
}

// A stream is correct when it starts with message_start, ends with
// message_stop, and its text deltas spell `want`.
function streamOk(r, want) {
  const ev = r.events.filter((e) => e.type !== 'ping');
  const text = ev.filter((e) => e.type === 'content_block_delta')
    .map((e) => (e.data && e.data.delta ? e.data.delta.text : JSON.stringify(e.data))).join('');
  const textOk = MODE === 'standin' ? /^(e\d+@\d+ )+$/.test(text) : text === want;
  return r.status === 200 && ev.length > 0 && ev[0].type === 'message_start' &&
    ev[ev.length - 1].type === 'message_stop' && textOk;
}

const CORS = (h) => h['access-control-allow-origin'] === '*';
const isErr = (body, type) => {
  try { const j = JSON.parse(body); return j.type === 'error' && j.error.type === type; } catch { return false; }
};

// Proxy mode: the raw SSE body of `r` through the Anthropic event checker
// (build/tests/evcheck, common/README.md §5).  {ok, why}; a missing checker is a
// failure, not a skip (make check-servers builds it).
function evcheck(r, name) {
  if (MODE !== 'proxy') return { ok: true, why: '' };
  if (!plan.evcheck) return { ok: false, why: 'evcheck not built' };
  const f = `${plan.state}/${name}.sse`;
  fs.writeFileSync(f, r.body);
  const p = spawnSync(plan.evcheck, [f], { encoding: 'utf8' });
  return { ok: p.status === 0, why: p.status === 0 ? 'evcheck ok' : (p.stdout + p.stderr).trim() };
}

// ---- slow cases -----
// The leaver goes after the second text delta, when the upstream falls
// silent: the hard case, where only pings (or the responder watching its
// FastCGI socket) can reveal that the client is gone.------------------------------------------------------

async function silence(s) {
  const m = `silence-${s.name}`;
  const hdr = { 'content-type': 'application/json', 'x-api-key': 'sk-servers', ...standinHdr(`n=3,interval=100,stall_after=1,stall=${SILENCE},ping=${PING}`, m) };
  if (MODE === 'proxy') await mockCall(s, 'POST', '/__script', { steps: [sseStep(3, 100, { stall_after: 1, stall_ms: SILENCE })] });
  const t0 = Date.now();
  const p = request(s.url + '/v1/messages', { method: 'POST', headers: hdr, body: msgBody(m, true), sse: true, timeout: SILENCE + 60000 })
    .catch((e) => ({ error: e.message, events: [] }))
    .then((r) => ({ ...r, tEnd: Date.now() }));
  if (MODE === 'proxy') await waitRecord(s, m, () => true, 10000);
  return async () => {
    const r = await p;
    const pings = r.events.filter((e) => e.type === 'ping').length;
    const dt = r.tEnd - t0;
    tap(!r.error && streamOk(r, 'e0 e1 e2 ') && dt >= SILENCE && pings >= Math.floor(SILENCE / PING) - 1,
      `${s.name}: stream with ${SILENCE / 1000} s of upstream silence completes`,
      r.error || `${(dt / 1000).toFixed(1)} s, ${pings} pings, status ${r.status}`);
  };
}

async function leaver(s) {
  const m = `leaver-${s.name}`;
  const hdr = { 'content-type': 'application/json', 'x-api-key': 'sk-servers', ...standinHdr(`n=5,interval=100,stall_after=2,stall=${4 * PING},ping=${PING}`, m) };
  if (MODE === 'proxy') await mockCall(s, 'POST', '/__script', { steps: [sseStep(5, 100, { stall_after: 2, stall_ms: 4 * PING })] });
  let tLeave = 0;
  let deltas = 0;
  const p = request(s.url + '/v1/messages', {
    method: 'POST', headers: hdr, body: msgBody(m, true), sse: true, expectAbort: true,
    onEvent: (ev, req) => {
      if (ev.type === 'content_block_delta') deltas += 1;
      if (deltas === 2 && !tLeave) { tLeave = Date.now(); req.destroy(); }
    },
  }).catch(() => ({}));
  if (MODE === 'proxy') await waitRecord(s, m, () => true, 10000);
  return async () => {
    await p;
    const r = await waitRecord(s, m, (q) => q.closed_early === true, 2 * PING + 10000);
    const lag = r && r.t_end ? r.t_end - tLeave : NaN;
    tap(tLeave > 0 && r && r.closed_early === true && lag <= 2 * PING + 3000,
      `${s.name}: client leaving mid-stream closes the upstream within two ping intervals`,
      `closed ${(lag / 1000).toFixed(1)} s after the client left (limit ${2 * PING / 1000} s)`);
  };
}

// ---- quick cases ----------------------------------------------------------

async function health(s) {
  const r = await request(s.url + '/health', { headers: { origin: 'http://example.test' } });
  let ok = false;
  try { ok = JSON.parse(r.body).status === 'ok'; } catch { /* no */ }
  tap(r.status === 200 && ok && CORS(r.headers), `${s.name}: /health answered with CORS headers`,
    `status ${r.status}, allow-origin ${r.headers['access-control-allow-origin']}`);
}

// Claude Code's HEAD of its base URL, answered by the responder ("/").
async function root(s) {
  const r = await request(s.url + '/', { method: 'HEAD' });
  tap(r.status === 200 && CORS(r.headers), `${s.name}: HEAD of the base URL reaches the responder`,
    `status ${r.status}, content-type ${r.headers['content-type']}`);
}

// Nothing beside the responder is served as a file (shared hosting keeps
// the binary and its settings in the web directory: apache/htaccess).
async function hidden(s) {
  const seen = [];
  for (const f of ['claude-proxy.env', 'claude-proxy', 'claude-proxy.fcgi', '.htaccess']) {
    const r = await request(`${s.url}/${f}`, {});
    if ((r.status !== 404 && r.status !== 403) || /OPENAI_BASE_URL|ELF|#!/.test(r.body)) seen.push(`${f}: ${r.status}`);
  }
  tap(seen.length === 0, `${s.name}: files beside the responder are not served (404/403)`,
    seen.join(', '));
}

async function preflight(s) {
  const r = await request(s.url + '/v1/messages', {
    method: 'OPTIONS',
    headers: { origin: 'http://example.test', 'access-control-request-method': 'POST',
      'access-control-request-headers': 'x-api-key,content-type,anthropic-version' },
  });
  const ah = (r.headers['access-control-allow-headers'] || '').toLowerCase();
  const am = (r.headers['access-control-allow-methods'] || '').toUpperCase();
  tap((r.status === 204 || r.status === 200) && r.body === '' && CORS(r.headers) &&
      ah.includes('x-api-key') && ah.includes('authorization') && am.includes('POST'),
    `${s.name}: OPTIONS preflight answered by the server with CORS headers`,
    `status ${r.status}, allow-headers "${ah}"`);
}

async function keys(s) {
  for (const [hname, hval, want] of [
    ['x-api-key', 'sk-servers-xkey', 'sk-servers-xkey'],
    ['authorization', 'Bearer sk-servers-bearer', 'sk-servers-bearer']]) {
    const m = `keys-${hname}-${s.name}`;
    const r = await request(s.url + '/v1/messages', {
      method: 'POST', headers: { 'content-type': 'application/json', [hname]: hval },
      body: msgBody(m, false),
    });
    let seen = '';
    if (MODE === 'proxy') {
      const q = await record(s, m);
      seen = q ? q.headers.authorization || '' : '(no upstream request)';
    } else {
      try {
        const e = JSON.parse(r.body).standin;
        seen = hname === 'x-api-key' ? e.HTTP_X_API_KEY : e.HTTP_AUTHORIZATION;
      } catch { seen = '(bad body)'; }
    }
    // and the answer is an Anthropic message (not a page of the server's)
    let msg = false;
    try { const j = JSON.parse(r.body); msg = j.type === 'message' && j.role === 'assistant' && j.content.length > 0; } catch { /* no */ }
    tap(r.status === 200 && seen.endsWith(want) && msg, `${s.name}: ${hname} reaches the responder`,
      `status ${r.status}${seen.endsWith(want) ? '' : ', upstream saw a different key'}${msg ? '' : ', not a message body'}`);
  }
}

async function timing_(s) {
  const n = 10;
  const interval = 300;
  const m = `timing-${s.name}`;
  if (MODE === 'proxy') await mockCall(s, 'POST', '/__script', { steps: [sseStep(n, interval)] });
  const t0 = Date.now();
  const r = await request(s.url + '/v1/messages', {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-servers', ...standinHdr(`n=${n},interval=${interval}`, m) },
    body: msgBody(m, true), sse: true,
  });
  const ts = r.events.filter((e) => e.type === 'content_block_delta').map((e) => e.t);
  const gaps = ts.slice(1).map((t, i) => t - ts[i]);
  const sorted = [...gaps].sort((a, b) => a - b);
  const med = sorted[Math.floor(sorted.length / 2)];
  const first = ts.length ? ts[0] - t0 : NaN;
  timing[s.name] = { interval, first_delta_ms: first, gaps };
  // Buffering shows as gaps near 0 (all at the end); allow scheduling
  // jitter but require every event to arrive on its own.
  const ev = evcheck(r, `timing-${s.name}`);
  const ok = streamOk(r, Array.from({ length: n }, (_, i) => `e${i} `).join('')) && ev.ok &&
    gaps.length === n - 1 && sorted[0] >= interval * 0.5 && Math.abs(med - interval) <= 100;
  tap(ok, `${s.name}: SSE events arrive one by one as produced (every ${interval} ms)`,
    `first delta after ${first} ms; gaps min ${sorted[0]} median ${med} max ${sorted[sorted.length - 1]} ms${ev.why ? '; ' + ev.why : ''}`);
}

function bigBody(size, marker) {
  const head = `{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"${marker} `;
  const tail = '"}]}';
  return head + 'a'.repeat(size - head.length - tail.length) + tail;
}

async function bodies(s) {
  const m = `big-${s.name}`;
  const ok32 = bigBody(32 * MIB, m);
  const t0 = Date.now();
  const r = await request(s.url + '/v1/messages', {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-servers' }, body: ok32,
  });
  let got = r.status === 200;
  if (got && MODE === 'standin') got = JSON.parse(r.body).standin.body_bytes === 32 * MIB;
  tap(got, `${s.name}: a 32 MiB body is accepted`, `status ${r.status} in ${Date.now() - t0} ms`);
  const big = bigBody(32 * MIB + 1, `${m}-over`);
  const r2 = await request(s.url + '/v1/messages', {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-servers' }, body: big,
  }).catch((e) => ({ status: 0, body: e.message, headers: {} }));
  tap(r2.status === 413 && isErr(r2.body, 'request_too_large'),
    `${s.name}: a body over 32 MiB gets 413 in Anthropic's format`,
    `status ${r2.status}, content-type ${r2.headers['content-type']}, CORS ${CORS(r2.headers) ? 'yes' : 'no'}, body ${r2.body.slice(0, 80)}`);
}

async function concurrent(s) {
  const n = 64;
  const m = `conc-${s.name}`;
  if (MODE === 'proxy') {
    await mockCall(s, 'POST', '/__script', { steps: Array.from({ length: n }, () => sseStep(8, 50)) });
  }
  const want = Array.from({ length: 8 }, (_, i) => `e${i} `).join('');
  const t0 = Date.now();
  const rs = await Promise.all(Array.from({ length: n }, (_, i) => request(s.url + '/v1/messages', {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-servers', ...standinHdr('n=8,interval=50', `${m}-${i}`) },
    body: msgBody(`${m}-${i}`, true), sse: true, timeout: 120000,
  }).catch((e) => ({ error: e.message, events: [] }))));
  const good = rs.filter((r) => !r.error && streamOk(r, want)).length;
  const bad = rs.find((r) => r.error || !streamOk(r, want));
  if (bad) console.error(s.name, 'bad stream', JSON.stringify(bad.events ? bad.events.slice(0, 6) : bad).slice(0, 1500));
  const errs = [...new Set(rs.filter((r) => r.error || !streamOk(r, want)).map((r) => r.error || `status ${r.status}`))];
  tap(good === n, `${s.name}: ${n} concurrent streams complete correctly`,
    `${good}/${n} in ${Date.now() - t0} ms${errs.length ? '; ' + errs.slice(0, 3).join(', ') : ''}`);
}

// ---- main -----------------------------------------------------------------

const only = process.env.SERVERS_CASES ? process.env.SERVERS_CASES.split(',') : null;
const want = (c) => !only || only.includes(c);
const slow = [];
for (const s of plan.servers) {
  if (MODE === 'proxy') await mockCall(s, 'POST', '/__reset');
  try { if (s.standin_log) fs.writeFileSync(s.standin_log, ''); } catch { /* none */ }
}
for (const s of plan.servers) {
  if (want('silence')) slow.push(await silence(s));
  if (want('leaver')) slow.push(await leaver(s));
}
for (const s of plan.servers) {
  for (const [c, f] of [['health', health], ['root', root], ['hidden', hidden],
    ['preflight', preflight], ['keys', keys],
    ['timing', timing_], ['bodies', bodies], ['concurrent', concurrent]]) {
    if (!want(c)) continue;
    try { await f(s); } catch (e) { tap(false, `${s.name}: ${c}`, `exception ${e.message}`); }
  }
}
for (const f of slow) await f();
if (plan.timing_file) fs.writeFileSync(plan.timing_file, JSON.stringify(timing, null, 1) + '\n');
console.log(`1..${tapN}`);
process.exit(0);
