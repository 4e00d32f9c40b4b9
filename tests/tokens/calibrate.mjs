// calibrate.mjs: measures common/tokens.c's estimate against a reference
// tokenizer and refreshes tests/data/tokens/counts.json.
//
// Not part of `make check`, and it installs nothing.  The reference is
// @anthropic-ai/tokenizer (Claude's published BPE; newer Claude models
// use an unpublished one that counts somewhat more), installed by hand in
// a scratch directory outside the repository:
//
//   mkdir -p /tmp/tok && cd /tmp/tok && npm install @anthropic-ai/tokenizer
//   node tests/tokens/calibrate.mjs /tmp/tok            # report
//   node tests/tokens/calibrate.mjs /tmp/tok --write    # + counts.json
//
// The estimator below mirrors tokens.c (same classes, same weights); keep
// the two in step when changing either.  The weights were fitted by least
// squares on relative error over ~270 chunks of local text (Debian
// licences, /usr/include headers, Python's standard library, JSON
// schemas, the Claude Code fixtures, CJK samples); the committed samples
// are a small, redistributable subset used by test_tokens.  Samples: tests/data/tokens/*.txt
// (counted as text) and *.json (counted as the unformatted JSON text,
// estimated from the parsed tree as tokens.c does), but for counts.json
// and estimates.json, test_tokens' goldens.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const scratch = process.argv[2];
if (!scratch) {
  console.error('usage: calibrate.mjs <dir with node_modules> [--write]');
  process.exit(2);
}
const req = createRequire(path.join(path.resolve(scratch), 'x.js'));
const { countTokens } = req('@anthropic-ai/tokenizer');
const dir = path.join(path.dirname(new URL(import.meta.url).pathname),
  '..', 'data', 'tokens');

// The weights of tokens.c, in thousandths of a token.
const W = {
  SEG_SHORT: 1150, SEG_MID: 920, SEG_LONG: 560, SEG_EXTRA: 630, CAPS: 200,
  DIGIT_RUN: 570, DIGIT: 240, PUNCT_RUN: 1000, PUNCT: 100, NEWLINE_RUN: 1200,
  U_LATIN: 1000, U_ALPHA: 600, U_MID: 1500, U_CJK: 1000, U_ASTRAL: 2500,
};

function cls(c) {
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) return 'L';
  if (c >= 48 && c <= 57) return 'D';
  if (c === 32 || c === 9) return 'S';
  if (c === 10 || c === 13) return 'N';
  if (c >= 0x80) return 'O';
  return 'P';
}

// The running estimate of tokens.c (struct est, feed, end_run).
class Est {
  constructor() { this.m = 0; this.k = ''; this.run = 0; this.seg = 0; this.caps = true; this.prev = 0; }
  endSeg() {
    if (this.seg === 0) return;
    if (this.seg <= 2) this.m += W.SEG_SHORT;
    else if (this.seg <= 8) this.m += W.SEG_MID;
    else this.m += W.SEG_LONG + W.SEG_EXTRA * (this.seg - 9);
    this.seg = 0;
  }
  endRun() {
    if (this.k === 'L') { this.endSeg(); if (this.caps && this.run >= 3) this.m += W.CAPS * this.run; }
    else if (this.k === 'D') this.m += W.DIGIT_RUN + W.DIGIT * this.run;
    else if (this.k === 'P') this.m += W.PUNCT_RUN + W.PUNCT * this.run;
    else if (this.k === 'N') this.m += W.NEWLINE_RUN;
    this.k = ''; this.run = 0;
  }
  feed(s) {
    for (const c of Buffer.from(s, 'utf8')) {
      const k = cls(c), upper = c >= 65 && c <= 90;
      if (k !== this.k) { this.endRun(); this.k = k; this.caps = true; }
      this.run++;
      if (k === 'L') {
        if (upper && this.prev >= 97 && this.prev <= 122) this.endSeg();
        this.seg++;
        this.caps = this.caps && upper;
      } else if (k === 'O' && c >= 0xc0) {
        this.m += c <= 0xcd ? W.U_LATIN : c <= 0xdf ? W.U_ALPHA
          : c <= 0xe2 ? W.U_MID : c <= 0xef ? W.U_CJK : W.U_ASTRAL;
      }
      this.prev = c;
    }
  }
}

// tokens.c feeds JSON as cJSON prints it, strings unescaped.
function feedJson(e, v) {
  if (typeof v === 'string') { e.feed('"'); e.feed(v); e.feed('"'); }
  else if (typeof v === 'number' || typeof v === 'boolean' || v === null) e.feed(String(v));
  else if (Array.isArray(v)) {
    e.feed('[');
    v.forEach((x, i) => { if (i) e.feed(','); feedJson(e, x); });
    e.feed(']');
  } else {
    e.feed('{');
    Object.entries(v).forEach(([k, x], i) => {
      if (i) e.feed(',');
      e.feed('"'); e.feed(k); e.feed('":'); feedJson(e, x);
    });
    e.feed('}');
  }
}

function estimate(sample) {
  const e = new Est();
  if (sample.json !== undefined) feedJson(e, sample.json);
  else e.feed(sample.text);
  e.endRun();
  return Math.ceil(e.m / 1000);
}

const samples = fs.readdirSync(dir).filter((f) => /\.(txt|json)$/.test(f))
  .filter((f) => f !== 'counts.json' && f !== 'estimates.json').sort().map((f) => {
    const raw = fs.readFileSync(path.join(dir, f), 'utf8');
    if (f.endsWith('.json')) {
      const json = JSON.parse(raw);
      return { f, json, ref: countTokens(JSON.stringify(json)) };
    }
    return { f, text: raw, ref: countTokens(raw) };
  });

function report() {
  let worst = 0;
  console.log('sample                  bytes  reference  estimate   error');
  for (const s of samples) {
    const est = estimate(s);
    const bytes = Buffer.byteLength(s.text ?? JSON.stringify(s.json));
    const err = (est - s.ref) / s.ref;
    worst = Math.max(worst, Math.abs(err));
    console.log(`${s.f.padEnd(22)} ${String(bytes).padStart(6)} ${String(s.ref).padStart(10)} ${String(est).padStart(9)} ${(100 * err).toFixed(1).padStart(6)}%`);
  }
  console.log(`worst |error|: ${(100 * worst).toFixed(1)}%`);
  return worst;
}

report();

if (process.argv.includes('--write')) {
  const out = {};
  for (const s of samples) out[s.f] = s.ref;
  fs.writeFileSync(path.join(dir, 'counts.json'), JSON.stringify(out, null, 2) + '\n');
  console.log('wrote counts.json');
}
