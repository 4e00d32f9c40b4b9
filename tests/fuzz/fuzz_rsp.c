/*
 * fuzz_rsp.c: the Responses API readers: the stream converter with
 * api A2O_API_RESPONSES (rsp_stream.c) and a2o_rsp_resp_convert_bytes
 * (rsp_resp.c).
 *
 * Input: four option bytes (request shape: thinking, stop sequences;
 * caps; split seed; mode), then the upstream body: Responses SSE events
 * (mode bit 0x40 clear) or one Responses object (bit set).
 *
 * Stream invariants: fed whole and in pieces (sizes from the seed, 1 byte
 * for seed 0) the bytes and the code are the same; the output obeys
 * common/README.md §5 (tests/lib/evcheck), each line within its cap; no text
 * delta contains a stop sequence (they are applied here, Responses has
 * none); nothing follows the end; started iff bytes went out; upstream
 * bytes never give INTERNAL, BADJSON or NOMEM.  Whole responses: success
 * is one strict JSON message whose text holds no stop sequence; failures
 * carry a message.  Mode bit 0x80: one allocation fails, no leak, the
 * failure is reported.  Nothing stays allocated.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../common/buf.h"
#include "../../common/conf.h"
#include "../../common/json.h"
#include "../../common/rsp.h"
#include "../../common/stream.h"
#include "../lib/evcheck.h"
#include "fuzz_util.h"

#define OUT_MAX ((size_t)256 << 20)

static char model[] = "claude-opus-4-5";
static char stop1[] = "STOP";
static char stop2[] = "\n\nHuman:";
static char *stops[] = {stop1, stop2};

struct run {
    struct a2o_buf out;
    enum a2o_err err; /* the first non-OK code */
    int started, ended;
};

static void
note(struct run *r, enum a2o_err e)
{
    if (r->err == A2O_E_OK)
        r->err = e;
}

/* 1 when s holds one of the request's stop sequences. */
static int
has_stop(const struct a2o_reqmeta *m, const char *s)
{
    size_t i;

    for (i = 0; s != NULL && i < m->nstop; i++)
        if (strstr(s, m->stop[i]) != NULL)
            return 1;
    return 0;
}

/* Line caps, §4 order, and no stop sequence in any text delta. */
static void
check_out(const struct run *r, size_t cap, const struct a2o_reqmeta *m)
{
    struct ev_frame *v;
    size_t nv, i;
    const char *p, *end, *nl;
    char msg[512];

    if (r->out.len == 0)
        return;
    end = r->out.p + r->out.len;
    for (p = r->out.p; p < end; p = nl + 1) {
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
    FZ_CHECK(ev_parse(r->out.p, r->out.len, &v, &nv, msg, sizeof msg) == 0,
             "the output parses");
    for (i = 0; i < nv; i++) {
        const cJSON *dl = cJSON_GetObjectItemCaseSensitive(v[i].data, "delta");

        FZ_CHECK(!has_stop(m, a2o_json_str(dl, "text")),
                 "no text delta holds a stop sequence");
    }
    ev_free(v, nv);
}

/* One stream conversion; seed 1 feeds whole. */
static void
stream_run(const struct a2o_stream_opts *o, const char *p, size_t n,
           unsigned long long seed, struct run *r)
{
    struct a2o_stream *s;
    struct a2o_diag d;
    size_t off = 0, len, before;

    memset(r, 0, sizeof *r);
    a2o_buf_init(&r->out, OUT_MAX);
    s = a2o_stream_new(o);
    FZ_CHECK(s != NULL, "stream_new");
    while (off < n) {
        len = n - off;
        if (seed != 1) {
            size_t lim;

            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            lim = seed == 0 ? 1 : (size_t)(1 + seed % 61);
            if (len > lim)
                len = lim;
        }
        a2o_diag_clear(&d);
        note(r, a2o_stream_feed(s, p + off, len, &r->out, &d));
        fz_check_diag(&d);
        off += len;
    }
    a2o_diag_clear(&d);
    note(r, a2o_stream_finish(s, &r->out, &d));
    fz_check_diag(&d);
    r->started = a2o_stream_started(s);
    r->ended = a2o_stream_ended(s);
    before = r->out.len;
    if (r->ended) {
        (void)a2o_stream_feed(s, "data: {}\n\n", 10, &r->out, &d);
        (void)a2o_stream_ping(s, &r->out);
        (void)a2o_stream_finish(s, &r->out, &d);
        FZ_CHECK(r->out.len == before, "nothing after the end");
    }
    a2o_stream_free(s);
    FZ_CHECK(r->started == (r->out.len > 0), "started iff bytes emitted");
}

/* The whole-response converter on the same bytes. */
static void
whole(const struct a2o_stream_opts *so, const char *p, size_t n)
{
    struct a2o_resp_opts o;
    struct a2o_usage u;
    struct a2o_diag d;
    char *out = NULL;
    size_t outn = 0;
    enum a2o_err err;
    cJSON *j;
    const cJSON *b;

    memset(&o, 0, sizeof o);
    o.meta = so->meta;
    o.msg_id = so->msg_id;
    o.seed = so->seed;
    err = a2o_rsp_resp_convert_bytes(p, n, &o, &out, &outn, &u, &d);
    fz_check_diag(&d);
    FZ_CHECK(err != A2O_E_INTERNAL && err != A2O_E_BADJSON &&
                 err != A2O_E_NOMEM,
             "upstream bytes give upstream error codes");
    if (err != A2O_E_OK) {
        FZ_CHECK(d.msg[0] != '\0', "a failure says why");
        return;
    }
    FZ_CHECK(fz_json_ok(out, outn), "the message is strict JSON");
    j = cJSON_Parse(out);
    FZ_CHECK(j != NULL, "the message parses");
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(j, "content"))
        FZ_CHECK(!has_stop(so->meta, a2o_json_str(b, "text")),
                 "no text block holds a stop sequence");
    FZ_CHECK(u.input_tokens >= 0 && u.output_tokens >= 0, "usage >= 0");
    cJSON_Delete(j);
    cJSON_free(out);
}

/* Mode 0x80: one allocation fails somewhere. */
static void
oom(const struct a2o_stream_opts *o, const char *p, size_t n, unsigned k,
    int as_whole)
{
    long before = fz_live();
    struct a2o_buf out;
    struct a2o_diag d;
    enum a2o_err e1 = A2O_E_OK, e2 = A2O_E_OK;

    a2o_buf_init(&out, OUT_MAX);
    fz_fail_at((long)k + 1);
    if (as_whole) {
        struct a2o_resp_opts ro;
        char *txt = NULL;
        size_t tn;

        memset(&ro, 0, sizeof ro);
        ro.meta = o->meta;
        ro.msg_id = o->msg_id;
        e1 = a2o_rsp_resp_convert_bytes(p, n, &ro, &txt, &tn, NULL, &d);
        cJSON_free(txt);
    } else {
        struct a2o_stream *s = a2o_stream_new(o);

        if (s != NULL) {
            e1 = a2o_stream_feed(s, p, n, &out, &d);
            e2 = a2o_stream_finish(s, &out, &d);
            a2o_stream_free(s);
        }
    }
    FZ_CHECK(e1 != A2O_E_INTERNAL && e2 != A2O_E_INTERNAL,
             "OOM is not INTERNAL");
    fz_fail_at(0);
    a2o_buf_free(&out);
    FZ_CHECK(fz_live() == before, "no leak under OOM");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct a2o_profile prof;
    struct a2o_reqmeta meta;
    struct a2o_stream_opts o;
    struct run a, b;
    unsigned mb, caps, sd, mode;
    unsigned long long seed;
    size_t cap, n;
    const char *p;
    long before;

    fz_init();
    mb = fz_byte(&in);
    caps = fz_byte(&in);
    sd = fz_byte(&in);
    mode = fz_byte(&in);
    p = (const char *)in.p;
    n = in.n;
    memset(&prof, 0, sizeof prof);
    memset(&meta, 0, sizeof meta);
    meta.client_model = model;
    meta.stream = 1;
    meta.thinking = mb & 1;
    meta.stop = (mb & 2) ? stops : NULL;
    meta.nstop = (mb & 2) ? 2 : 0;
    meta.input_estimate = (long)(mb >> 2) * 10;
    memset(&o, 0, sizeof o);
    o.meta = &meta;
    o.profile = &prof;
    o.msg_id = "msg_fuzz0123456789";
    o.seed = 42u + mb;
    o.api = A2O_API_RESPONSES;
    o.max_line = (caps & 1) ? (size_t)16 << (caps >> 4) : (size_t)1 << 20;
    o.max_block =
        (caps & 2) ? (size_t)16 << ((caps >> 2) & 15) : (size_t)1 << 20;
    cap = 6 * (o.max_line > o.max_block ? o.max_line : o.max_block) + 4096;
    before = fz_live();

    if (mode & 0x80) {
        oom(&o, p, n, mode & 0x3f, (mode & 0x40) != 0);
        return 0;
    }
    if (mode & 0x40) {
        whole(&o, p, n);
        FZ_CHECK(fz_live() == before, "no leak");
        return 0;
    }
    seed = sd == 0 ? 0 : ((unsigned long long)sd << 8) | 0x5bd1e995u;
    stream_run(&o, p, n, 1, &a);
    check_out(&a, cap, &meta);
    FZ_CHECK(a.err != A2O_E_INTERNAL && a.err != A2O_E_BADJSON &&
                 a.err != A2O_E_NOMEM,
             "upstream bytes give upstream error codes");
    stream_run(&o, p, n, seed, &b);
    FZ_CHECK(a.err == b.err, "split feeding gives the same code");
    FZ_CHECK(a.out.len == b.out.len &&
                 (a.out.len == 0 || memcmp(a.out.p, b.out.p, a.out.len) == 0),
             "split feeding gives the same bytes");
    a2o_buf_free(&a.out);
    a2o_buf_free(&b.out);
    FZ_CHECK(fz_live() == before, "no leak");
    return 0;
}
