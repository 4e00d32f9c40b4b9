/*
 * fuzz_nstream.c: the Anthropic SSE relay, a2o_nstream_* (nstream.h).
 *
 * Input: option bytes (line cap; split seed; mode), then upstream body
 * bytes (Anthropic SSE).  Each input is relayed three times:
 *   A  fed whole, then finish;
 *   B  fed in pieces whose sizes come from the seed (1-byte pieces for
 *      seed 0), then finish: output and return code must equal A's;
 *   C  as B with keep-alive pings between pieces and, in some modes, a
 *      transfer failure at a random piece.
 * Invariants on A and C: the output is strict frames
 * "event: T\ndata: {json with type T}\n\n" (tests/lib/evcheck's parser);
 * in the order nstream.h promises (message_start first, block indexes
 * 0, 1, 2... one open at a time, message_delta after the last stop,
 * message_stop or error last); every frame but our own pings and a final
 * error is, byte for byte, an upstream event in upstream order (a relay
 * invents nothing); a return of A2O_E_OK means message_stop was sent;
 * nothing follows the end; started iff bytes were emitted; nothing stays
 * allocated.  evcheck's Claude-side rules (no empty text block, a
 * signature on thinking, ...) are the upstream's to keep, not the
 * relay's, so they are not asserted.  In OOM mode one allocation fails:
 * no leak, no crash, a failure is reported.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../common/buf.h"
#include "../../common/nstream.h"
#include "../../common/sse.h"
#include "../lib/evcheck.h"
#include "fuzz_util.h"

#define OUT_MAX ((size_t)256 << 20)

struct run {
    struct a2o_buf out;
    enum a2o_err err; /* the first non-OK code, else OK */
    int started, ended;
};

/* The upstream's events as the relay would write their data. */
struct events {
    char **data;
    size_t *len;
    size_t n;
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

static int
blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* Keeps one upstream event: trimmed, line ends as spaces (plain malloc,
 * outside the hooks' count). */
static enum a2o_err
keep(void *arg, const struct a2o_sse_event *ev)
{
    struct events *e = arg;
    const char *p = ev->data;
    size_t n = ev->datan, i;
    char *c;

    while (n > 0 && blank(*p)) {
        p++;
        n--;
    }
    while (n > 0 && blank(p[n - 1]))
        n--;
    c = malloc(n + 1);
    e->data = realloc(e->data, (e->n + 1) * sizeof(*e->data));
    e->len = realloc(e->len, (e->n + 1) * sizeof(*e->len));
    FZ_CHECK(c != NULL && e->data != NULL && e->len != NULL, "malloc");
    for (i = 0; i < n; i++)
        c[i] = p[i] == '\n' ? ' ' : p[i];
    c[n] = '\0';
    e->data[e->n] = c;
    e->len[e->n++] = n;
    return A2O_E_OK;
}

static void
events_free(struct events *e)
{
    size_t i;

    for (i = 0; i < e->n; i++)
        free(e->data[i]);
    free(e->data);
    free(e->len);
}

/* The data text of frame i of out (ev_parse checked the shape). */
static const char *
frame_data(const char *p, size_t n, size_t i, size_t *len)
{
    const char *end = p + n, *d, *nl;

    for (;;) {
        d = (const char *)memchr(p, '\n', (size_t)(end - p)) + 7; /* data: */
        nl = memchr(d, '\n', (size_t)(end - d));
        if (i-- == 0)
            break;
        p = nl + 2;
    }
    *len = (size_t)(nl - d);
    return d;
}

static int
index_of(const cJSON *d)
{
    const cJSON *ix = cJSON_GetObjectItemCaseSensitive(d, "index");

    return cJSON_IsNumber(ix) ? (int)ix->valuedouble : -2;
}

/* The order nstream.h promises, frame by frame. */
static void
check_order(const struct ev_frame *v, size_t nv)
{
    int open = -1, nextix = 0, delta = 0;
    size_t i;

    for (i = 0; i < nv; i++) {
        const char *t = v[i].name;
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(v[i].data, "type");

        FZ_CHECK(cJSON_IsString(ty) && strcmp(ty->valuestring, t) == 0,
                 "event name equals data.type");
        if (strcmp(t, "error") == 0 || strcmp(t, "message_stop") == 0) {
            FZ_CHECK(i + 1 == nv, "error and message_stop are last");
            FZ_CHECK(t[0] == 'e' || delta, "message_stop after message_delta");
            continue;
        }
        FZ_CHECK((i == 0) == (strcmp(t, "message_start") == 0),
                 "message_start first, once");
        if (strcmp(t, "content_block_start") == 0) {
            FZ_CHECK(!delta && open < 0 && index_of(v[i].data) == nextix,
                     "block starts in order");
            open = nextix++;
        } else if (strcmp(t, "content_block_delta") == 0) {
            FZ_CHECK(open >= 0 && index_of(v[i].data) == open,
                     "delta for the open block");
        } else if (strcmp(t, "content_block_stop") == 0) {
            FZ_CHECK(open >= 0 && index_of(v[i].data) == open,
                     "stop for the open block");
            open = -1;
        } else if (strcmp(t, "message_delta") == 0) {
            FZ_CHECK(open < 0, "message_delta with no block open");
            delta = 1;
        } else {
            FZ_CHECK(strcmp(t, "ping") == 0 || strcmp(t, "message_start") == 0,
                     "only known events are relayed");
        }
    }
}

/*
 * Checks r's output: frames, order, and that every frame but our pings
 * and a final error is the next matching upstream event.
 */
static void
check_output(const struct run *r, const struct events *up, int pings)
{
    struct ev_frame *v;
    size_t nv, i, at = 0;
    char msg[256];

    FZ_CHECK(r->started == (r->out.len > 0), "started iff bytes emitted");
    if (r->out.len == 0) {
        FZ_CHECK(r->err != A2O_E_OK, "no output is an error");
        return;
    }
    if (ev_parse(r->out.p, r->out.len, &v, &nv, msg, sizeof msg) != 0) {
        fprintf(stderr, "ev_parse: %s\n", msg);
        FZ_CHECK(0, "the output is strict frames");
    }
    check_order(v, nv);
    FZ_CHECK(r->ended, "a stream that started has ended");
    FZ_CHECK(r->err != A2O_E_OK || strcmp(v[nv - 1].name, "message_stop") == 0,
             "OK means message_stop was sent");
    for (i = 0; i < nv; i++) {
        size_t len, k;
        const char *d = frame_data(r->out.p, r->out.len, i, &len);

        if (i + 1 == nv && strcmp(v[i].name, "error") == 0)
            break; /* ours or the upstream's: both fine */
        /* with pings of our own in between, a ping cannot be told from
         * the upstream's: pings are then not matched at all */
        if (pings && strcmp(v[i].name, "ping") == 0)
            continue;
        for (k = at; k < up->n; k++)
            if (up->len[k] == len && memcmp(up->data[k], d, len) == 0)
                break;
        if (k < up->n) {
            at = k + 1;
            continue;
        }
        FZ_CHECK(0, "every frame is an upstream event, in order");
    }
    ev_free(v, nv);
}

/* Runs one relay; seed 1 feeds whole.  mode bits: 1 pings between
 * pieces, 2 fail the transfer at a piece. */
static void
relay(const struct a2o_nstream_opts *o, const char *p, size_t n,
      unsigned long long seed, unsigned mode, struct run *r)
{
    struct a2o_nstream *s;
    struct a2o_diag d;
    size_t off = 0, len, before_end;
    unsigned long long fail_piece = seed % 7;
    unsigned piece = 0;

    memset(r, 0, sizeof *r);
    a2o_buf_init(&r->out, OUT_MAX);
    s = a2o_nstream_new(o);
    FZ_CHECK(s != NULL, "nstream_new");
    while (off < n) {
        len = n - off;
        if (seed != 1) {
            size_t lim = seed == 0 ? 1 : (size_t)(1 + next(&seed) % 64);

            if (len > lim)
                len = lim;
        }
        a2o_diag_clear(&d);
        note(r, a2o_nstream_feed(s, p + off, len, &r->out, &d));
        fz_check_diag(&d);
        off += len;
        if (mode & 1)
            note(r, a2o_nstream_ping(s, &r->out));
        if ((mode & 2) && piece++ == fail_piece && a2o_nstream_started(s)) {
            a2o_diag_clear(&d);
            a2o_nstream_fail(s, A2O_E_TIMEOUT, &d, &r->out);
            note(r, A2O_E_TIMEOUT);
            break;
        }
    }
    a2o_diag_clear(&d);
    note(r, a2o_nstream_finish(s, &r->out, &d));
    fz_check_diag(&d);
    if (r->err != A2O_E_OK)
        fz_check_err_body(r->err, &d);
    r->started = a2o_nstream_started(s);
    r->ended = a2o_nstream_ended(s);

    /* Nothing follows the end: more bytes, a ping, a second finish. */
    before_end = r->out.len;
    if (r->ended) {
        (void)a2o_nstream_feed(s, "data: {\"type\":\"ping\"}\n\n", 24, &r->out,
                               &d);
        (void)a2o_nstream_ping(s, &r->out);
        (void)a2o_nstream_finish(s, &r->out, &d);
        FZ_CHECK(r->out.len == before_end, "nothing after the end");
    }
    {
        struct a2o_usage u;

        a2o_nstream_usage(s, &u);
        FZ_CHECK(u.input_tokens >= 0 && u.output_tokens >= 0 &&
                     u.cache_read_input_tokens >= 0 &&
                     u.cache_creation_input_tokens >= 0,
                 "usage non-negative");
    }
    a2o_nstream_free(s);
}

static void
oom_run(const struct a2o_nstream_opts *o, const char *p, size_t n, unsigned at)
{
    struct a2o_nstream *s = a2o_nstream_new(o);
    struct a2o_buf out;
    struct a2o_diag d;
    enum a2o_err e1, e2;

    a2o_buf_init(&out, OUT_MAX);
    if (s != NULL) {
        fz_fail_at((long)at + 1);
        e1 = a2o_nstream_feed(s, p, n, &out, &d);
        e2 = a2o_nstream_finish(s, &out, &d);
        FZ_CHECK(!fz_failed() || e1 != A2O_E_OK || e2 != A2O_E_OK,
                 "a failed allocation is reported");
        FZ_CHECK(e1 != A2O_E_INTERNAL && e2 != A2O_E_INTERNAL,
                 "OOM is not INTERNAL");
        fz_fail_at(0);
        a2o_nstream_free(s);
    }
    a2o_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct a2o_nstream_opts o;
    struct events up;
    struct run a, b, c;
    struct a2o_sse rd;
    unsigned caps, sd, mode;
    unsigned long long seed;
    const char *p;
    size_t n;
    long before;

    fz_init();
    caps = fz_byte(&in);
    sd = fz_byte(&in);
    mode = fz_byte(&in);
    p = (const char *)in.p;
    n = in.n;
    /* Small caps reach the TOOBIG paths; large ones the normal ones. */
    o.max_line = (caps & 1) ? (size_t)16 << (caps >> 4) : (size_t)1 << 20;
    before = fz_live();

    if (mode & 0x80) {
        oom_run(&o, p, n, mode & 0x7f);
        FZ_CHECK(fz_live() == before, "no leak under OOM");
        return 0;
    }

    /* the upstream's events, read as the relay reads them */
    memset(&up, 0, sizeof up);
    a2o_sse_init(&rd, o.max_line);
    if (a2o_sse_feed(&rd, p, n, keep, &up) == A2O_E_OK)
        (void)a2o_sse_finish(&rd, keep, &up);
    a2o_sse_free(&rd);

    seed = ((unsigned long long)sd << 8) | 0x5bd1e995u;
    if (sd == 0)
        seed = 0;
    relay(&o, p, n, 1, 0, &a);
    check_output(&a, &up, 0);
    FZ_CHECK(a.err != A2O_E_INTERNAL && a.err != A2O_E_BADJSON &&
                 a.err != A2O_E_NOMEM,
             "upstream bytes give upstream error codes");
    relay(&o, p, n, seed, 0, &b);
    FZ_CHECK(a.err == b.err, "split feeding gives the same code");
    FZ_CHECK(a.out.len == b.out.len &&
                 (a.out.len == 0 || memcmp(a.out.p, b.out.p, a.out.len) == 0),
             "split feeding gives the same bytes");
    a2o_buf_free(&b.out);
    a2o_buf_free(&a.out);

    relay(&o, p, n, seed ? seed : 7, mode & 3, &c);
    check_output(&c, &up, (mode & 1) != 0);
    a2o_buf_free(&c.out);
    events_free(&up);
    FZ_CHECK(fz_live() == before, "no leak");
    return 0;
}
