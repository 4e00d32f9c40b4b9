/*
 * test_rsp.c: the Responses API conversions (common/rsp.h) and the
 * stream converter's Responses reader (api A2O_API_RESPONSES).
 *
 * Golden pairs, as data:
 *   tests/data/rsp_req/<case>.in.json     Anthropic request
 *                      <case>.out.json    the Responses request, or
 *                      <case>.err.json    {"status":400,"path":"..."}
 *                      <case>.route.json  optional {"model","session_id",
 *                                         "client_model"}
 *                      <case>.meta.json   optional {"stop","thinking",
 *                                         "names":[[full,short]]}
 *   tests/data/rsp_resp/<case>.in.json    Responses object
 *                       <case>.out.json   Anthropic message (absent when
 *                                         meta says "error")
 *   tests/data/rsp_stream/<case>.in.sse   Responses events
 *                         <case>.out.sse  Anthropic events
 *   (rsp_resp and rsp_stream: optional <case>.meta.json, tests/lib/rmeta.h)
 * Streams are fed whole, byte by byte and in random pieces, must agree,
 * and pass evcheck.  Every case also runs under OOM torture.
 * A2O_REGEN=1 rewrites the golden outputs (review the diff!).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/json.h"
#include "../../common/rsp.h"
#include "../../common/stream.h"
#include "../lib/evcheck.h"
#include "../lib/harness.h"
#include "../lib/rmeta.h"

#define REQ_DIR "tests/data/rsp_req"
#define RESP_DIR "tests/data/rsp_resp"
#define STREAM_DIR "tests/data/rsp_stream"
#define NSEEDS 6

static int
regen(void)
{
    return getenv("A2O_REGEN") != NULL;
}

static void
write_file(const char *path, const char *p, size_t n)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    fwrite(p, 1, n, f);
    fclose(f);
}

static void
write_json(const char *path, const cJSON *j)
{
    char *s = cJSON_Print(j);

    assert_non_null(s);
    write_file(path, s, strlen(s));
    cJSON_free(s);
}

static void
report(const char *what, const cJSON *want, const cJSON *got)
{
    char *w = cJSON_Print(want), *g = cJSON_Print(got);

    fprintf(stderr, "%s: JSON differs\n--- want\n%s\n--- got\n%s\n", what,
            w != NULL ? w : "(null)", g != NULL ? g : "(null)");
    cJSON_free(w);
    cJSON_free(g);
}

/* ---- requests ---------------------------------------------------- */

/* The route of a request case: <case>.route.json over the defaults
 * (upstream gpt-5-codex at OpenAI).  Strings borrow from *j. */
static void
load_route(const char *in_path, const cJSON *in, cJSON **j,
           struct a2o_route *rt)
{
    char *p = th_sibling(in_path, ".in.json", ".route.json");
    const char *v;

    memset(rt, 0, sizeof(*rt));
    *j = access(p, R_OK) == 0 ? th_read_json(p) : NULL;
    free(p);
    rt->base_url = "https://api.openai.com/v1";
    rt->model = "gpt-5-codex";
    rt->client_model = a2o_json_str(in, "model");
    rt->profile.schema = A2O_SCHEMA_SEED;
    v = a2o_json_str(*j, "model");
    if (v != NULL)
        rt->model = v;
    v = a2o_json_str(*j, "session_id");
    if (v != NULL)
        rt->session_id = v;
    v = a2o_json_str(*j, "client_model");
    if (v != NULL)
        rt->client_model = v;
    if (cJSON_IsTrue(a2o_json_get(*j, "reasoning")))
        rt->profile.reasoning = A2O_REASONING_EFFORT;
    if (cJSON_IsNumber(a2o_json_get(*j, "max_tokens_cap")))
        rt->profile.max_tokens_cap =
            (long)a2o_json_get(*j, "max_tokens_cap")->valuedouble;
}

/* <case>.meta.json's fields against m; 0 on mismatch. */
static int
meta_ok(const cJSON *want, const struct a2o_reqmeta *m)
{
    const cJSON *v = a2o_json_get(want, "stop"), *it;
    size_t i = 0;

    if (v != NULL && (size_t)cJSON_GetArraySize(v) != m->nstop)
        return 0;
    cJSON_ArrayForEach(it, v)
    {
        if (strcmp(it->valuestring, m->stop[i++]) != 0)
            return 0;
    }
    v = a2o_json_get(want, "thinking");
    if (v != NULL && cJSON_IsTrue(v) != m->thinking)
        return 0;
    v = a2o_json_get(want, "stream");
    if (v != NULL && cJSON_IsTrue(v) != m->stream)
        return 0;
    v = a2o_json_get(want, "names");
    if (v != NULL && (size_t)cJSON_GetArraySize(v) != m->nnames)
        return 0;
    i = 0;
    cJSON_ArrayForEach(it, v)
    {
        if (strcmp(cJSON_GetArrayItem(it, 0)->valuestring, m->names[i].full) !=
                0 ||
            strcmp(cJSON_GetArrayItem(it, 1)->valuestring,
                   m->names[i].short_name) != 0)
            return 0;
        i++;
    }
    /* the estimate is computed for a stream's message_start only */
    return (m->stream ? m->input_estimate > 0 : m->input_estimate == -1) &&
           m->client_model != NULL;
}

struct req_arg {
    const cJSON *in;
    const struct a2o_route *rt;
};

static enum a2o_err
req_once(void *p)
{
    struct req_arg *a = p;
    struct a2o_reqmeta *meta = NULL;
    struct a2o_diag d;
    cJSON *out = NULL;
    enum a2o_err err = a2o_rsp_req_convert(a->in, a->rt, &out, &meta, &d);

    cJSON_Delete(out);
    a2o_reqmeta_free(meta);
    return err;
}

/* One request case; 1 when it passed. */
static int
req_case(const char *in_path, int torture)
{
    char *errp = th_sibling(in_path, ".in.json", ".err.json");
    char *outp = th_sibling(in_path, ".in.json", ".out.json");
    char *metap = th_sibling(in_path, ".in.json", ".meta.json");
    cJSON *in = th_read_json(in_path), *copy = cJSON_Duplicate(in, 1);
    cJSON *rj = NULL, *out = NULL, *want = NULL;
    struct a2o_reqmeta *meta = NULL;
    struct a2o_route rt;
    struct a2o_diag d;
    enum a2o_err err;
    int ok = 1;

    load_route(in_path, in, &rj, &rt);
    err = a2o_rsp_req_convert(in, &rt, &out, &meta, &d);
    if (!cJSON_Compare(in, copy, 1)) {
        fprintf(stderr, "%s: the input tree was modified\n", in_path);
        ok = 0;
    }
    if (access(errp, R_OK) == 0) {
        const char *wpath;

        if (err != A2O_E_OK) { /* A2O_REGEN=1: the status and path got */
            cJSON *e = cJSON_CreateObject();

            cJSON_AddNumberToObject(e, "status", a2o_err_status(err));
            if (d.path[0] != '\0')
                cJSON_AddStringToObject(e, "path", d.path);
            th_regen_json(errp, e);
            cJSON_Delete(e);
        }
        want = th_read_json(errp);
        wpath = a2o_json_str(want, "path");
        if (err == A2O_E_OK ||
            a2o_err_status(err) !=
                (int)a2o_json_get(want, "status")->valuedouble ||
            (wpath != NULL && strcmp(wpath, d.path) != 0) || d.msg[0] == 0) {
            fprintf(stderr, "%s: got %s path \"%s\" (%s)\n", in_path,
                    a2o_err_name(err), d.path, d.msg);
            ok = 0;
        }
    } else if (err != A2O_E_OK) {
        fprintf(stderr, "%s: %s at \"%s\": %s\n", in_path, a2o_err_name(err),
                d.path, d.msg);
        ok = 0;
    } else {
        if (regen())
            write_json(outp, out);
        want = th_read_json(outp);
        if (!cJSON_Compare(want, out, 1)) {
            report(in_path, want, out);
            ok = 0;
        }
        if (access(metap, R_OK) == 0) {
            cJSON *wm = th_read_json(metap);

            if (!meta_ok(wm, meta)) {
                fprintf(stderr, "%s: meta differs\n", in_path);
                ok = 0;
            }
            cJSON_Delete(wm);
        }
    }
    cJSON_Delete(want);
    cJSON_Delete(out);
    a2o_reqmeta_free(meta);
    if (ok && torture) {
        struct req_arg a = {in, &rt};
        enum a2o_err also[] = {err, A2O_E_OK};

        th_oom_torture(req_once, &a, err, also);
    }
    cJSON_Delete(rj);
    cJSON_Delete(copy);
    cJSON_Delete(in);
    free(errp);
    free(outp);
    free(metap);
    return ok;
}

static void
run_dir(const char *dir, const char *suffix, int (*f)(const char *, int),
        int torture, size_t min)
{
    char **names;
    size_t n = th_list(dir, suffix, &names), i, bad = 0;

    assert_true(n >= min);
    for (i = 0; i < n; i++) {
        if (!f(names[i], torture)) {
            fprintf(stderr, "FAILED: %s\n", names[i]);
            bad++;
        }
    }
    th_free_list(names, n);
    if (bad > 0)
        fail_msg("%zu of %zu cases failed", bad, n);
}

static void
request_pairs_convert_as_recorded(void **state)
{
    (void)state;
    run_dir(REQ_DIR, ".in.json", req_case, 0, 15);
}

static void
request_pairs_survive_oom(void **state)
{
    (void)state;
    run_dir(REQ_DIR, ".in.json", req_case, 1, 15);
}

/* ---- whole responses --------------------------------------------- */

struct resp_arg {
    const struct th_case *c;
    const char *in;
    size_t n;
};

static enum a2o_err
resp_run(const struct th_case *c, const char *in, size_t n, char **out,
         struct a2o_usage *u, struct a2o_diag *d)
{
    struct a2o_resp_opts o;
    size_t outn;

    memset(&o, 0, sizeof(o));
    o.meta = &c->meta;
    o.profile = &c->profile;
    o.msg_id = "msg_test0001";
    o.seed = c->seed;
    *out = NULL;
    return a2o_rsp_resp_convert_bytes(in, n, &o, out, &outn, u, d);
}

static enum a2o_err
resp_once(void *p)
{
    struct resp_arg *a = p;
    struct a2o_usage u;
    struct a2o_diag d;
    char *out;
    enum a2o_err err = resp_run(a->c, a->in, a->n, &out, &u, &d);

    cJSON_free(out);
    return err;
}

static int
resp_case(const char *in_path, int torture)
{
    char *metap = th_sibling(in_path, ".in.json", ".meta.json");
    char *outp = th_sibling(in_path, ".in.json", ".out.json");
    struct th_case c;
    struct a2o_usage u;
    struct a2o_diag d;
    char *in, *out = NULL;
    size_t n;
    enum a2o_err err;
    int ok = 1;

    th_case_load(metap, &c);
    in = th_read_file(in_path, &n);
    err = resp_run(&c, in, n, &out, &u, &d);
    if (err != c.want) {
        fprintf(stderr, "%s: got %s, want %s (%s)\n", in_path,
                a2o_err_name(err), a2o_err_name(c.want), d.msg);
        ok = 0;
    } else if (err != A2O_E_OK) {
        if (d.msg[0] == '\0') {
            fprintf(stderr, "%s: no message\n", in_path);
            ok = 0;
        }
    } else {
        cJSON *got = cJSON_Parse(out), *want;

        if (regen())
            write_json(outp, got);
        want = th_read_json(outp);
        if (!cJSON_Compare(want, got, 1)) {
            report(in_path, want, got);
            ok = 0;
        }
        cJSON_Delete(want);
        cJSON_Delete(got);
    }
    cJSON_free(out);
    if (ok && torture) {
        struct resp_arg a = {&c, in, n};
        enum a2o_err also[] = {c.want, A2O_E_OK};

        th_oom_torture(resp_once, &a, c.want, also);
    }
    free(in);
    free(metap);
    free(outp);
    th_case_free(&c);
    return ok;
}

static void
response_pairs_convert_as_recorded(void **state)
{
    (void)state;
    run_dir(RESP_DIR, ".in.json", resp_case, 0, 8);
}

static void
response_pairs_survive_oom(void **state)
{
    (void)state;
    run_dir(RESP_DIR, ".in.json", resp_case, 1, 8);
}

/* ---- streams ----------------------------------------------------- */

/* Size of the next piece: mode 0 whole, 1 byte by byte, else random. */
static size_t
piece(int mode, unsigned long long *r, size_t left)
{
    size_t k;

    if (mode == 0)
        return left;
    if (mode == 1)
        return 1;
    *r ^= *r << 13;
    *r ^= *r >> 7;
    *r ^= *r << 17;
    k = (size_t)(*r % 97) + 1;
    return k < left ? k : left;
}

static enum a2o_err
stream_run(const struct th_case *c, const char *in, size_t n, int mode,
           struct a2o_buf *acc, struct a2o_diag *d)
{
    struct a2o_stream_opts o;
    struct a2o_stream *s;
    unsigned long long r = 0x9e3779b97f4a7c15ULL * (unsigned)(mode + 1);
    size_t pos = 0;
    enum a2o_err err = A2O_E_OK;

    memset(&o, 0, sizeof(o));
    o.meta = &c->meta;
    o.profile = &c->profile;
    o.msg_id = "msg_test0001";
    o.seed = c->seed;
    o.max_line = c->max_line;
    o.max_block = c->max_block;
    o.api = A2O_API_RESPONSES;
    s = a2o_stream_new(&o);
    if (s == NULL)
        return A2O_E_NOMEM;
    while (pos < n && err == A2O_E_OK) {
        size_t k = piece(mode, &r, n - pos);

        err = a2o_stream_feed(s, in + pos, k, acc, d);
        pos += k;
    }
    if (err == A2O_E_OK)
        err = a2o_stream_finish(s, acc, d);
    if (err == A2O_E_OK || a2o_stream_ended(s)) {
        size_t before = acc->len;
        enum a2o_err again = a2o_stream_finish(s, acc, d);

        if (acc->len != before || again != err)
            err = A2O_E_INTERNAL; /* something followed the end */
    }
    a2o_stream_free(s);
    return err;
}

static void
compare_events(const char *want, size_t wn, const char *got, size_t gn,
               const char *what)
{
    struct ev_frame *a, *b;
    size_t na, nb, i;
    char msg[256];

    if (ev_parse(want, wn, &a, &na, msg, sizeof(msg)))
        fail_msg("%s: golden file: %s", what, msg);
    if (ev_parse(got, gn, &b, &nb, msg, sizeof(msg))) {
        ev_free(a, na);
        fail_msg("%s: output: %s", what, msg);
    }
    for (i = 0; i < na && i < nb; i++)
        if (strcmp(a[i].name, b[i].name) != 0 ||
            !cJSON_Compare(a[i].data, b[i].data, 1))
            break;
    ev_free(a, na);
    ev_free(b, nb);
    if (i < na || i < nb) {
        fprintf(stderr, "--- got\n%.*s\n", (int)gn, got);
        fail_msg("%s: event %zu differs", what, i);
    }
}

static enum a2o_err
stream_once(void *p)
{
    struct resp_arg *a = p;
    struct a2o_buf acc;
    struct a2o_diag d;
    enum a2o_err err;

    a2o_buf_init(&acc, (size_t)1 << 30);
    err = stream_run(a->c, a->in, a->n, 2, &acc, &d);
    a2o_buf_free(&acc);
    return err;
}

static int
stream_case(const char *in_path, int torture)
{
    char *metap = th_sibling(in_path, ".in.sse", ".meta.json");
    char *outp = th_sibling(in_path, ".in.sse", ".out.sse");
    struct th_case c;
    struct a2o_buf acc, other;
    struct a2o_diag d;
    char *in, *want, msg[256];
    size_t n, wn;
    enum a2o_err err, e2;
    int mode;

    th_case_load(metap, &c);
    in = th_read_file(in_path, &n);
    a2o_buf_init(&acc, (size_t)1 << 30);
    err = stream_run(&c, in, n, 0, &acc, &d);
    if (err != c.want)
        fail_msg("%s: got %s, want %s (%s)", in_path, a2o_err_name(err),
                 a2o_err_name(c.want), d.msg);
    for (mode = 1; mode < 2 + NSEEDS; mode++) {
        a2o_buf_init(&other, (size_t)1 << 30);
        e2 = stream_run(&c, in, n, mode, &other, &d);
        if (e2 != err || other.len != acc.len ||
            (acc.len > 0 && memcmp(other.p, acc.p, acc.len) != 0)) {
            a2o_buf_free(&other);
            fail_msg("%s: split mode %d differs from whole feeding", in_path,
                     mode);
        }
        a2o_buf_free(&other);
    }
    if (acc.len > 0 && ev_check(acc.p, acc.len, c.evflags, msg, sizeof(msg)))
        fail_msg("%s: evcheck: %s\n%s", in_path, msg, acc.p);
    if (regen())
        write_file(outp, acc.p != NULL ? acc.p : "", acc.len);
    want = th_read_file(outp, &wn);
    compare_events(want, wn, acc.p != NULL ? acc.p : "", acc.len, in_path);
    free(want);
    a2o_buf_free(&acc);
    if (torture) {
        struct resp_arg a = {&c, in, n};
        enum a2o_err also[] = {c.want, A2O_E_OK};

        th_oom_torture(stream_once, &a, c.want, also);
    }
    free(in);
    free(metap);
    free(outp);
    th_case_free(&c);
    return 1;
}

static void
stream_pairs_match_in_every_split(void **state)
{
    (void)state;
    run_dir(STREAM_DIR, ".in.sse", stream_case, 0, 10);
}

static void
stream_pairs_survive_oom(void **state)
{
    (void)state;
    run_dir(STREAM_DIR, ".in.sse", stream_case, 1, 10);
}

/* ---- signatures -------------------------------------------------- */

static void
signature_round_trips_and_foreign_ones_are_refused(void **state)
{
    struct a2o_buf b;
    const char *id, *ec;
    size_t idn, ecn;

    (void)state;
    a2o_buf_init(&b, 1 << 20);
    assert_int_equal(a2o_rsp_sig_encode("rs_01ab", "gAAA+/x==", &b), A2O_E_OK);
    assert_string_equal(b.p, "a2o.rsp.rs_01ab.gAAA+/x==");
    assert_int_equal(a2o_rsp_sig_decode(b.p, &id, &idn, &ec, &ecn), 1);
    assert_int_equal(idn, 7);
    assert_memory_equal(id, "rs_01ab", 7);
    assert_int_equal(ecn, 9);
    assert_memory_equal(ec, "gAAA+/x==", 9);
    a2o_buf_reset(&b);
    /* no encrypted content: still ours, nothing to send back but the id */
    assert_int_equal(a2o_rsp_sig_encode("rs_2", NULL, &b), A2O_E_OK);
    assert_string_equal(b.p, "a2o.rsp.rs_2.");
    assert_int_equal(a2o_rsp_sig_decode(b.p, &id, &idn, &ec, &ecn), 1);
    assert_int_equal(ecn, 0);
    a2o_buf_reset(&b);
    /* bytes the format cannot carry: the plain proxy signature */
    assert_int_equal(a2o_rsp_sig_encode("rs.x", "abc", &b), A2O_E_OK);
    assert_string_equal(b.p, A2O_THINKING_SIGNATURE);
    a2o_buf_free(&b);
    assert_int_equal(
        a2o_rsp_sig_decode(A2O_THINKING_SIGNATURE, &id, &idn, &ec, &ecn), 0);
    assert_int_equal(
        a2o_rsp_sig_decode("EqQBCkgIARABGAIiQ", &id, &idn, &ec, &ecn), 0);
    assert_int_equal(a2o_rsp_sig_decode("a2o.rsp..abc", &id, &idn, &ec, &ecn),
                     0);
    assert_int_equal(a2o_rsp_sig_decode("a2o.rsp.rs_1", &id, &idn, &ec, &ecn),
                     0);
    assert_int_equal(
        a2o_rsp_sig_decode("a2o.rsp.rs_1.ab.cd", &id, &idn, &ec, &ecn), 0);
}

static void
error_codes_map_to_statuses(void **state)
{
    static const struct {
        const char *json;
        enum a2o_err want;
    } rows[] = {
        {"{\"code\":\"rate_limit_exceeded\",\"message\":\"slow\"}",
         A2O_E_RATELIMIT},
        {"{\"code\":\"invalid_prompt\",\"message\":\"no\"}", A2O_E_BADREQ},
        {"{\"code\":\"invalid_image_url\",\"message\":\"no\"}", A2O_E_BADREQ},
        {"{\"code\":\"server_error\",\"message\":\"oops\"}", A2O_E_BADGATEWAY},
        {"{\"message\":\"no code\"}", A2O_E_BADGATEWAY},
    };
    struct a2o_diag d;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        cJSON *j = cJSON_Parse(rows[i].json);

        assert_int_equal(a2o_rsp_error(j, &d), rows[i].want);
        assert_string_equal(d.msg, a2o_json_str(j, "message"));
        cJSON_Delete(j);
    }
    assert_int_equal(a2o_rsp_error(NULL, &d), A2O_E_BADGATEWAY);
    assert_true(d.msg[0] != '\0');
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_pairs_convert_as_recorded),
        cmocka_unit_test(request_pairs_survive_oom),
        cmocka_unit_test(response_pairs_convert_as_recorded),
        cmocka_unit_test(response_pairs_survive_oom),
        cmocka_unit_test(stream_pairs_match_in_every_split),
        cmocka_unit_test(stream_pairs_survive_oom),
        cmocka_unit_test(signature_round_trips_and_foreign_ones_are_refused),
        cmocka_unit_test(error_codes_map_to_statuses),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("rsp", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
