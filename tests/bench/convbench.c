/*
 * convbench.c: the conversion path of claude-proxy without any I/O, for
 * `make bench-core` (timings) and for callgrind (instructions).
 *
 *   convbench core BODY200K BODY2M   timings and the target ratios
 *   convbench cycle BODY N           N request cycles (callgrind)
 *   convbench req BODY N             N request conversions only
 *   convbench cjson BODY N           N cJSON parse+print of BODY
 *   convbench sse BYTES N            N stream conversions of BYTES of SSE
 *   convbench tokens BODY N          N token estimates of BODY's tree
 *
 * A request cycle is what a worker does for one non-stream and one
 * stream answer: a2o_req_convert_bytes of the client body, then
 * a2o_resp_convert_bytes of the bench upstream's chat.completion, then a
 * stream converter over the bench upstream's SSE answer.  Each step is a
 * separate non-inlined function so callgrind_annotate can show its
 * inclusive cost; tests/bench/run.sh runs callgrind with
 * --toggle-collect=cycle_one so start-up is not counted.
 *
 * Reference points, as the performance targets put them: converting a
 * request should cost at most ~1.3x cJSON parse + print of the same body
 * (the least any cJSON-based converter does), grow linearly with size,
 * and the stream converter should do >= 100 MB/s of upstream SSE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../common/buf.h"
#include "../../common/conf.h"
#include "../../common/err.h"
#include "../../common/json.h"
#include "../../common/req.h"
#include "../../common/resp.h"
#include "../../common/route.h"
#include "../../common/stream.h"
#include "../../common/tokens.h"
#include "answers.h"
#include "pace.h"

static const char sse_tool0[] =
    "data: " BENCH_CHUNK_HEAD
    "\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
    "\"id\":\"call_bench0\",\"type\":\"function\",\"function\":{\"name\":"
    "\"Bash\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n";
static const char sse_toolarg[] =
    "data: " BENCH_CHUNK_HEAD
    "\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
    "\"function\":{\"arguments\":\"{\\\"command\\\": \\\"ls\"}}]},"
    "\"finish_reason\":null}]}\n\n";
static struct a2o_conf conf;

static char *
slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    long len;
    char *p;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0) {
        perror(path);
        exit(2);
    }
    rewind(f);
    p = malloc((size_t)len + 1);
    if (p == NULL || fread(p, 1, (size_t)len, f) != (size_t)len)
        exit(2);
    p[len] = '\0';
    fclose(f);
    *n = (size_t)len;
    return p;
}

static void
fail(const char *what, enum a2o_err e, const struct a2o_diag *d)
{
    fprintf(stderr, "convbench: %s: %s: %s %s\n", what, a2o_err_name(e),
            d->path, d->msg);
    exit(1);
}

/* Request conversion; returns the meta (caller frees) and fills *rt. */
static struct a2o_reqmeta *__attribute__((noinline))
step_req(const char *body, size_t n, struct a2o_route *rt)
{
    struct a2o_reqmeta *meta = NULL;
    struct a2o_diag d;
    char *out = NULL;
    size_t outn;
    enum a2o_err e;

    a2o_diag_clear(&d);
    e = a2o_req_convert_bytes(body, n, &conf, &out, &outn, &meta, rt, &d);
    if (e != A2O_E_OK)
        fail("a2o_req_convert_bytes", e, &d);
    cJSON_free(out);
    return meta;
}

static void __attribute__((noinline))
step_resp(const struct a2o_reqmeta *meta, const struct a2o_route *rt)
{
    struct a2o_resp_opts o;
    struct a2o_diag d;
    char *out = NULL;
    size_t outn;
    enum a2o_err e;

    memset(&o, 0, sizeof(o));
    o.meta = meta;
    o.profile = &rt->profile;
    o.msg_id = "msg_bench0000000000000000000";
    o.seed = 1;
    a2o_diag_clear(&d);
    e = a2o_resp_convert_bytes(bench_completion, strlen(bench_completion), &o,
                               &out, &outn, NULL, &d);
    if (e != A2O_E_OK)
        fail("a2o_resp_convert_bytes", e, &d);
    cJSON_free(out);
}

/* Runs one stream converter over p (n bytes) fed in pieces of `piece`
 * bytes; the output buffer is emptied after each feed, as fcgi/ writes it
 * out.  Returns the bytes emitted. */
static size_t __attribute__((noinline))
step_stream(const struct a2o_reqmeta *meta, const struct a2o_route *rt,
            const char *p, size_t n, size_t piece)
{
    struct a2o_stream_opts o;
    struct a2o_stream *s;
    struct a2o_buf out;
    struct a2o_diag d;
    size_t off, emitted = 0;
    enum a2o_err e;

    memset(&o, 0, sizeof(o));
    o.meta = meta;
    o.profile = &rt->profile;
    o.msg_id = "msg_bench0000000000000000000";
    o.seed = 1;
    o.max_line = conf.max_sse_line;
    o.max_block = conf.max_response;
    s = a2o_stream_new(&o);
    if (s == NULL)
        exit(1);
    a2o_buf_init(&out, conf.max_response);
    a2o_diag_clear(&d);
    for (off = 0; off < n; off += piece) {
        size_t k = n - off < piece ? n - off : piece;

        e = a2o_stream_feed(s, p + off, k, &out, &d);
        if (e != A2O_E_OK)
            fail("a2o_stream_feed", e, &d);
        emitted += out.len;
        a2o_buf_reset(&out);
    }
    e = a2o_stream_finish(s, &out, &d);
    if (e != A2O_E_OK)
        fail("a2o_stream_finish", e, &d);
    emitted += out.len;
    a2o_buf_free(&out);
    a2o_stream_free(s);
    return emitted;
}

static char small_sse[4096];
static size_t small_sse_len;

/* One request cycle (see the top comment). */
static void __attribute__((noinline)) cycle_one(const char *body, size_t n)
{
    struct a2o_route rt;
    struct a2o_reqmeta *meta = step_req(body, n, &rt);

    step_resp(meta, &rt);
    step_stream(meta, &rt, small_sse, small_sse_len, 16384);
    a2o_reqmeta_free(meta);
}

static void __attribute__((noinline)) cjson_one(const char *body, size_t n)
{
    cJSON *t = cJSON_ParseWithLength(body, n);
    char *out;

    if (t == NULL)
        exit(1);
    out = cJSON_PrintUnformatted(t);
    cJSON_free(out);
    cJSON_Delete(t);
}

static void __attribute__((noinline)) req_only(const char *body, size_t n)
{
    struct a2o_route rt;

    a2o_reqmeta_free(step_req(body, n, &rt));
}

/* The token estimate alone (message_start's input_tokens): the tree is
 * parsed outside, so callgrind with --toggle-collect=tokens_one counts
 * only the walk and the runs. */
static long __attribute__((noinline)) tokens_one(const cJSON *req)
{
    return a2o_tokens_request(req);
}

static int
tokens_only(const char *path, long iters)
{
    size_t n;
    char *body = slurp(path, &n);
    cJSON *t = cJSON_ParseWithLength(body, n);
    long k, est = 0;

    if (t == NULL)
        exit(1);
    for (k = 0; k < iters; k++)
        est = tokens_one(t);
    printf("tokens: %zu bytes x %ld, estimate %ld\n", n, iters, est);
    cJSON_Delete(t);
    free(body);
    return 0;
}

/* Best time per call of f(body, n), in ns: batches of at least 50 ms,
 * the best of 5 (the least disturbed by other processes). */
static double
time_it(void (*f)(const char *, size_t), const char *body, size_t n)
{
    double best = 1e30;
    long iters = 1;
    int round;

    for (round = 0; round < 6; round++) {
        long long t0 = bench_now_ns(), dt;
        long k;

        for (k = 0; k < iters; k++)
            f(body, n);
        dt = bench_now_ns() - t0;
        if (dt < 50000000LL && round == 0) {
            iters = iters * 50000000LL / (dt > 0 ? dt : 1) + 1;
            round = -1;
            continue;
        }
        if ((double)dt / (double)iters < best)
            best = (double)dt / (double)iters;
    }
    return best;
}

/* A long upstream stream: text deltas and a tool call with many argument
 * fragments, ~bytes long. */
static char *
big_sse(size_t bytes, size_t *n)
{
    char *p = malloc(bytes + 65536);
    size_t len = 0;

    memcpy(p, bench_sse_role, strlen(bench_sse_role));
    len = strlen(bench_sse_role);
    while (len < bytes / 2) {
        memcpy(p + len, bench_sse_text, strlen(bench_sse_text));
        len += strlen(bench_sse_text);
    }
    memcpy(p + len, sse_tool0, sizeof(sse_tool0) - 1);
    len += sizeof(sse_tool0) - 1;
    while (len < bytes) {
        memcpy(p + len, sse_toolarg, sizeof(sse_toolarg) - 1);
        len += sizeof(sse_toolarg) - 1;
    }
    memcpy(p + len, bench_sse_end, strlen(bench_sse_end));
    len += strlen(bench_sse_end);
    *n = len;
    return p;
}

static const char *stream_meta_body =
    "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":1024,\"stream\":true,"
    "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tools\":[{"
    "\"name\":\"Bash\",\"input_schema\":{\"type\":\"object\"}}]}";

static int
core(const char *f200, const char *f2m)
{
    size_t n200, n2m, nsse;
    char *b200 = slurp(f200, &n200), *b2m = slurp(f2m, &n2m), *sse;
    double conv200, cj200, conv2m, cj2m, st;
    struct a2o_route rt;
    struct a2o_reqmeta *meta;
    long long t0;
    int k;

    conv200 = time_it(req_only, b200, n200);
    cj200 = time_it(cjson_one, b200, n200);
    conv2m = time_it(req_only, b2m, n2m);
    cj2m = time_it(cjson_one, b2m, n2m);

    meta = step_req(stream_meta_body, strlen(stream_meta_body), &rt);
    sse = big_sse(8u << 20, &nsse);
    st = 1e30;
    for (k = 0; k < 5; k++) {
        double dt;

        t0 = bench_now_ns();
        step_stream(meta, &rt, sse, nsse, 16384);
        dt = (double)(bench_now_ns() - t0);
        if (dt < st)
            st = dt;
    }
    a2o_reqmeta_free(meta);

    printf("convert 200 KB request      %9.1f us   (%zu bytes)\n",
           conv200 / 1e3, n200);
    printf("cJSON parse+print 200 KB    %9.1f us\n", cj200 / 1e3);
    printf("convert 2 MB request        %9.1f us   (%zu bytes)\n", conv2m / 1e3,
           n2m);
    printf("cJSON parse+print 2 MB      %9.1f us\n", cj2m / 1e3);
    printf("stream converter            %9.1f MB/s (%zu bytes of SSE, "
           "16 KB feeds)\n",
           (double)nsse / (st / 1e9) / 1e6, nsse);
    printf("ratios: convert/cJSON 200 KB %.2f (target <= 1.3)  "
           "2 MB/200 KB %.1f (target ~%.1f, linear)  stream %.0f MB/s "
           "(target >= 100)\n",
           conv200 / cj200, conv2m / conv200, (double)n2m / (double)n200,
           (double)nsse / (st / 1e9) / 1e6);
    printf("core: convert_vs_cjson=%.3f scale_2m=%.2f stream_mbps=%.1f\n",
           conv200 / cj200, conv2m / conv200, (double)nsse / (st / 1e9) / 1e6);
    free(b200);
    free(b2m);
    free(sse);
    return 0;
}

/* N runs of the stream converter over BYTES of upstream SSE (for
 * callgrind: --toggle-collect=step_stream). */
static int
sse_only(size_t bytes, long iters)
{
    struct a2o_route rt;
    struct a2o_reqmeta *meta;
    size_t nsse;
    char *sse = big_sse(bytes, &nsse);
    long k;

    meta = step_req(stream_meta_body, strlen(stream_meta_body), &rt);
    for (k = 0; k < iters; k++)
        step_stream(meta, &rt, sse, nsse, 16384);
    a2o_reqmeta_free(meta);
    free(sse);
    printf("sse: %zu bytes x %ld\n", nsse, iters);
    return 0;
}

/* common/json.h: convbench runs cJSON on malloc, whose failures it does
 * not count (an allocation failure ends the run anyway). */
unsigned long
a2o_alloc_failures(void)
{
    return 0;
}

int
main(int argc, char **argv)
{
    struct a2o_diag d;
    enum a2o_err e;
    size_t n;
    long k, iters;
    char *body;

    a2o_conf_init(&conf);
    a2o_diag_clear(&d);
    e = a2o_conf_set(&conf, "OPENAI_BASE_URL", "http://127.0.0.1:9/v1", &d);
    if (e == A2O_E_OK)
        e = a2o_conf_set(&conf, "OPENAI_API_KEY", "bench", &d);
    if (e == A2O_E_OK)
        e = a2o_conf_finish(&conf, &d);
    if (e != A2O_E_OK)
        fail("conf", e, &d);
    small_sse_len = (size_t)snprintf(
        small_sse, sizeof(small_sse), "%s%s%s%s%s", bench_sse_role,
        bench_sse_text, bench_sse_text, bench_sse_text, bench_sse_end);

    if (argc == 4 && strcmp(argv[1], "core") == 0)
        return core(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "sse") == 0)
        return sse_only((size_t)atol(argv[2]), atol(argv[3]));
    if (argc == 4 && strcmp(argv[1], "tokens") == 0)
        return tokens_only(argv[2], atol(argv[3]));
    if (argc != 4 ||
        (strcmp(argv[1], "cycle") != 0 && strcmp(argv[1], "cjson") != 0 &&
         strcmp(argv[1], "req") != 0)) {
        fprintf(stderr, "usage: convbench core BODY200K BODY2M | "
                        "cycle|req|cjson|tokens BODY N | sse BYTES N\n");
        return 2;
    }
    body = slurp(argv[2], &n);
    iters = atol(argv[3]);
    for (k = 0; k < iters; k++) {
        if (strcmp(argv[1], "cycle") == 0)
            cycle_one(body, n);
        else if (strcmp(argv[1], "req") == 0)
            req_only(body, n);
        else
            cjson_one(body, n);
    }
    free(body);
    a2o_conf_free(&conf);
    return 0;
}
