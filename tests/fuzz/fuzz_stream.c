/*
 * fuzz_stream.c: the stream converter, a2o_stream_* (common/README.md §5).
 *
 * Input: option bytes (profile: fz_profile; request shape; caps; split
 * seed; mode), then upstream body bytes (SSE of chat.completion.chunk).
 * Each input is converted three times:
 *   A  fed whole, then finish;
 *   B  fed in pieces whose sizes come from the seed (1-byte pieces for
 *      seed 0), then finish: output and return code must equal A's;
 *   C  as B with begin and pings between pieces and, in some modes, a
 *      transfer failure at a random piece: checked by the event checker.
 * Every output is a sequence of "event: T\ndata: {json with type T}\n\n"
 * frames that obeys §4 (tests/lib/evcheck), each line within the caps;
 * nothing follows the end; nothing stays allocated.  In OOM mode one
 * allocation fails: no leak, no crash, the code is NOMEM.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../common/buf.h"
#include "../../common/conf.h"
#include "../../common/json.h"
#include "../../common/req.h"
#include "../../common/stream.h"
#include "../lib/evcheck.h"
#include "fuzz_util.h"

#define OUT_MAX ((size_t)256 << 20)

static char tool1[] = "Read";
static char tool2[] = "Bash";
static char *offered[] = {tool1, tool2};
static char model[] = "claude-opus-4-1";
static char stop1[] = "STOP";
static char *stops[] = {stop1};

struct run {
    struct a2o_buf out;
    enum a2o_err err; /* the first non-OK code, else OK */
    int started, ended;
};

static unsigned long long
next(unsigned long long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void
note(struct run *r, enum a2o_err e)
{
    if (r->err == A2O_E_OK)
        r->err = e;
}

/*
 * Checks each frame's size against the cap, then the whole output with
 * the §4 checker (tests/lib/evcheck).  A stream that did not end (an
 * error before anything was sent leaves the output empty) is checked as
 * partial.  Tool arguments are the upstream's own bytes: not checked.
 */
static void
check_frames(const struct run *r, size_t cap)
{
    const char *p, *end, *nl;
    char msg[512];

    if (r->out.len == 0)
        return; /* and p may be NULL: no arithmetic on it */
    p = r->out.p;
    end = p + r->out.len;
    for (; p < end; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(end - p));
        FZ_CHECK(nl != NULL, "output ends with a line end");
        FZ_CHECK((size_t)(nl - p) <= cap, "every line within its cap");
    }
    if (ev_check(r->out.p, r->out.len,
                 EV_ANY_ARGS | (r->ended ? 0u : EV_PARTIAL), msg,
                 sizeof msg) != 0) {
        fprintf(stderr, "evcheck: %s\n", msg);
        FZ_CHECK(0, "the output obeys the event invariants");
    }
}

/* Runs one conversion; pieces == 0 feeds whole.  mode bits: 1 begin
 * first, 2 pings between pieces, 4 fail the transfer at a piece. */
static void
convert(const struct a2o_stream_opts *o, const char *p, size_t n,
        unsigned long long seed, unsigned mode, struct run *r)
{
    struct a2o_stream *s;
    struct a2o_diag d;
    size_t off = 0, len;
    unsigned long long fail_piece = seed % 7;
    unsigned piece = 0;
    size_t before_end;

    memset(r, 0, sizeof *r);
    a2o_buf_init(&r->out, OUT_MAX);
    s = a2o_stream_new(o);
    FZ_CHECK(s != NULL, "stream_new");
    if (mode & 1)
        note(r, a2o_stream_begin(s, &r->out));
    while (off < n) {
        len = n - off;
        if (seed != 1) {
            size_t lim = seed == 0 ? 1 : (size_t)(1 + next(&seed) % 64);

            if (len > lim)
                len = lim;
        }
        a2o_diag_clear(&d);
        note(r, a2o_stream_feed(s, p + off, len, &r->out, &d));
        fz_check_diag(&d);
        off += len;
        if (mode & 2)
            note(r, a2o_stream_ping(s, &r->out));
        if ((mode & 4) && piece++ == fail_piece) {
            a2o_diag_clear(&d);
            a2o_stream_fail(s, A2O_E_TIMEOUT, &d, &r->out);
            break;
        }
    }
    a2o_diag_clear(&d);
    note(r, a2o_stream_finish(s, &r->out, &d));
    fz_check_diag(&d);
    r->started = a2o_stream_started(s);
    r->ended = a2o_stream_ended(s);

    /* Nothing follows the end: more bytes, a ping, a second finish. */
    before_end = r->out.len;
    if (r->ended) {
        (void)a2o_stream_feed(s, "data: {}\n\n", 10, &r->out, &d);
        (void)a2o_stream_ping(s, &r->out);
        (void)a2o_stream_finish(s, &r->out, &d);
        FZ_CHECK(r->out.len == before_end, "nothing after the end");
    }
    {
        struct a2o_usage u;

        a2o_stream_usage(s, &u);
        FZ_CHECK(u.input_tokens >= 0 && u.output_tokens >= 0,
                 "usage non-negative");
    }
    a2o_stream_free(s);
    FZ_CHECK(r->started == (r->out.len > 0), "started iff bytes emitted");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct a2o_profile prof;
    struct a2o_reqmeta meta;
    struct a2o_stream_opts o;
    struct run a, b, c;
    unsigned mb, caps, sd, mode;
    unsigned long long seed;
    size_t cap, n;
    const char *p;
    long before;

    fz_init();
    fz_profile(&in, &prof);
    mb = fz_byte(&in);
    caps = fz_byte(&in);
    sd = fz_byte(&in);
    mode = fz_byte(&in);
    p = (const char *)in.p;
    n = in.n;

    memset(&meta, 0, sizeof meta);
    meta.client_model = model;
    meta.stream = 1;
    meta.thinking = mb & 1;
    meta.stop = (mb & 2) ? stops : NULL;
    meta.nstop = (mb & 2) ? 1 : 0;
    meta.tools = offered; /* what a text tool call may name */
    meta.ntools = 2;
    meta.input_estimate = (long)(mb >> 2) * 10;
    memset(&o, 0, sizeof o);
    o.meta = &meta;
    o.profile = &prof;
    o.msg_id = "msg_fuzz0123456789";
    o.seed = 42u + mb;
    o.upstream = (mb & 4) ? "https://gateway.example/v1" : NULL;
    /* Small caps reach the TOOBIG paths; large ones the normal ones. */
    o.max_line = (caps & 1) ? (size_t)16 << (caps >> 4) : (size_t)1 << 20;
    o.max_block =
        (caps & 2) ? (size_t)16 << ((caps >> 2) & 15) : (size_t)1 << 20;
    cap = 6 * (o.max_line > o.max_block ? o.max_line : o.max_block) + 4096;
    before = fz_live();

    if (mode & 0x80) {
        struct a2o_stream *s = a2o_stream_new(&o);
        struct a2o_buf out;
        struct a2o_diag d;

        a2o_buf_init(&out, OUT_MAX);
        if (s != NULL) {
            enum a2o_err e1, e2;

            fz_fail_at((long)(mode & 0x7f) + 1);
            e1 = a2o_stream_feed(s, p, n, &out, &d);
            e2 = a2o_stream_finish(s, &out, &d);
            FZ_CHECK(!fz_failed() || e1 != A2O_E_OK || e2 != A2O_E_OK,
                     "a failed allocation is reported");
            FZ_CHECK(e1 != A2O_E_INTERNAL && e2 != A2O_E_INTERNAL,
                     "OOM is not INTERNAL");
            fz_fail_at(0);
            a2o_stream_free(s);
        }
        a2o_buf_free(&out);
        FZ_CHECK(fz_live() == before, "no leak under OOM");
        return 0;
    }

    seed = ((unsigned long long)sd << 8) | 0x5bd1e995u;
    if (sd == 0)
        seed = 0;
    convert(&o, p, n, 1, 0, &a);
    check_frames(&a, cap);
    FZ_CHECK(a.err != A2O_E_INTERNAL && a.err != A2O_E_BADJSON &&
                 a.err != A2O_E_NOMEM,
             "upstream bytes give upstream error codes");
    convert(&o, p, n, seed, 0, &b);
    FZ_CHECK(a.err == b.err, "split feeding gives the same code");
    FZ_CHECK(a.out.len == b.out.len &&
                 (a.out.len == 0 || memcmp(a.out.p, b.out.p, a.out.len) == 0),
             "split feeding gives the same bytes");
    a2o_buf_free(&b.out);
    a2o_buf_free(&a.out);

    convert(&o, p, n, seed ? seed : 7, mode & 7, &c);
    check_frames(&c, cap);
    a2o_buf_free(&c.out);
    FZ_CHECK(fz_live() == before, "no leak");
    return 0;
}
