/*
 * test_native.c: the /v1/messages passthrough (common/native.h).
 *
 * Golden pairs in tests/data/native, as data:
 *   <case>.in.json    the client's request
 *   <case>.opts.json  optional {"model": "...", "drop": "a,b"}
 *   <case>.out.json   what the upstream must get (cJSON_Compare), or
 *   <case>.err.json   {"path": "model"}: an A2O_E_BADREQ at that path
 *   <case>.meta.json  optional {"client_model", "stream", "thinking"}
 * Every case also runs under OOM torture.  The non-stream answer check
 * is a table of bodies.
 * A2O_REGEN=1 rewrites the .out.json and .err.json outputs (review the
 * diff!); .opts.json and .meta.json are inputs and hand-written checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "../../common/json.h"
#include "../../common/native.h"
#include "../../common/tokens.h"
#include "../lib/harness.h"

#define DIR "tests/data/native"

/* "dir/x.in.json" -> "dir/x<suffix>" in buf. */
static const char *
sibling(char *buf, size_t sz, const char *in, const char *suffix)
{
    size_t n = strlen(in) - strlen(".in.json");

    snprintf(buf, sz, "%.*s%s", (int)n, in, suffix);
    return buf;
}

static int
exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

/* A case's options; the strings point into tree (freed by the caller). */
static void
load_opts(const char *in_path, struct a2o_native_opts *o, cJSON **tree)
{
    char path[512];

    memset(o, 0, sizeof(*o));
    *tree = NULL;
    if (!exists(sibling(path, sizeof(path), in_path, ".opts.json")))
        return;
    *tree = th_read_json(path);
    o->model = a2o_json_str(*tree, "model");
    o->drop = a2o_json_str(*tree, "drop");
}

static void
check_meta(const char *in_path, const cJSON *in, const struct a2o_reqmeta *m)
{
    char path[512];
    cJSON *want;
    const cJSON *v;

    /* always: the light meta of a passthrough */
    assert_string_equal(m->client_model, a2o_json_str(in, "model"));
    assert_int_equal(m->nstop, 0);
    assert_int_equal(m->nnames, 0);
    /* the upstream's own usage passes through: nothing to estimate */
    assert_int_equal(m->input_estimate, -1);
    if (!exists(sibling(path, sizeof(path), in_path, ".meta.json")))
        return;
    want = th_read_json(path);
    v = a2o_json_get(want, "client_model");
    if (cJSON_IsString(v) && strcmp(v->valuestring, m->client_model) != 0)
        fail_msg("%s: client_model %s", in_path, m->client_model);
    v = a2o_json_get(want, "stream");
    if (v != NULL && cJSON_IsTrue(v) != m->stream)
        fail_msg("%s: stream %d", in_path, m->stream);
    v = a2o_json_get(want, "thinking");
    if (v != NULL && cJSON_IsTrue(v) != m->thinking)
        fail_msg("%s: thinking %d", in_path, m->thinking);
    cJSON_Delete(want);
}

static void
one_case(const char *in_path)
{
    struct a2o_native_opts o;
    struct a2o_reqmeta *meta = NULL;
    struct a2o_diag d;
    cJSON *opts, *in = th_read_json(in_path), *copy, *out = NULL, *want;
    char path[512];
    enum a2o_err err;

    load_opts(in_path, &o, &opts);
    copy = cJSON_Duplicate(in, 1);
    err = a2o_native_req(in, &o, &out, &meta, &d);
    if (!cJSON_Compare(in, copy, 1))
        fail_msg("%s: the input tree was modified", in_path);
    if (exists(sibling(path, sizeof(path), in_path, ".err.json"))) {
        if (err != A2O_E_OK) {
            cJSON *e = cJSON_CreateObject();

            cJSON_AddStringToObject(e, "path", d.path);
            th_regen_json(path, e);
            cJSON_Delete(e);
        }
        want = th_read_json(path);
        if (err != A2O_E_BADREQ ||
            strcmp(d.path, a2o_json_str(want, "path")) != 0 || d.msg[0] == '\0')
            fail_msg("%s: got %s at \"%s\" (%s)", in_path, a2o_err_name(err),
                     d.path, d.msg);
        assert_null(out);
        assert_null(meta);
    } else {
        if (err != A2O_E_OK)
            fail_msg("%s: %s at \"%s\": %s", in_path, a2o_err_name(err), d.path,
                     d.msg);
        sibling(path, sizeof(path), in_path, ".out.json");
        th_regen_json(path, out);
        want = th_read_json(path);
        th_assert_json_equal(want, out, in_path);
        check_meta(in_path, in, meta);
    }
    cJSON_Delete(want);
    cJSON_Delete(out);
    a2o_reqmeta_free(meta);
    cJSON_Delete(copy);
    cJSON_Delete(opts);
    cJSON_Delete(in);
}

static void
golden_requests_match(void **state)
{
    char **names;
    size_t n = th_list(DIR, ".in.json", &names), i;

    (void)state;
    assert_true(n >= 15);
    for (i = 0; i < n; i++)
        one_case(names[i]);
    th_free_list(names, n);
}

struct oom_arg {
    const cJSON *in;
    const struct a2o_native_opts *o;
};

static enum a2o_err
oom_one(void *p)
{
    struct oom_arg *a = p;
    struct a2o_reqmeta *meta = NULL;
    struct a2o_diag d;
    cJSON *out = NULL;
    enum a2o_err err = a2o_native_req(a->in, a->o, &out, &meta, &d);

    cJSON_Delete(out);
    a2o_reqmeta_free(meta);
    return err;
}

static void
golden_requests_survive_oom(void **state)
{
    char **names;
    size_t n = th_list(DIR, ".in.json", &names), i;
    char path[512];

    (void)state;
    for (i = 0; i < n; i++) {
        struct a2o_native_opts o;
        cJSON *opts, *in = th_read_json(names[i]);
        struct oom_arg a = {in, &o};
        int bad = exists(sibling(path, sizeof(path), names[i], ".err.json"));

        load_opts(names[i], &o, &opts);
        th_oom_torture(oom_one, &a, bad ? A2O_E_BADREQ : A2O_E_OK, NULL);
        cJSON_Delete(opts);
        cJSON_Delete(in);
    }
    th_free_list(names, n);
}

static void
member_order_and_duplicates_are_kept(void **state)
{
    static const char in_text[] =
        "{\"z\":1,\"model\":\"c\",\"system\":\"x-anthropic-billing-header: "
        "a;\\nS\",\"messages\":[],\"a\":{\"y\":2,\"b\":[1.5,null]},\"z\":3}";
    struct a2o_native_opts o = {"up", "a"};
    struct a2o_reqmeta *meta = NULL;
    struct a2o_diag d;
    cJSON *in, *out = NULL;
    char *s;

    (void)state;
    in = cJSON_Parse(in_text);
    assert_non_null(in);
    assert_int_equal(a2o_native_req(in, &o, &out, &meta, &d), A2O_E_OK);
    s = cJSON_PrintUnformatted(out);
    /* the duplicate "z" stays a duplicate, in place */
    assert_string_equal(s, "{\"z\":1,\"model\":\"up\",\"system\":\"S\","
                           "\"messages\":[],\"z\":3}");
    cJSON_free(s);
    cJSON_Delete(out);
    a2o_reqmeta_free(meta);
    cJSON_Delete(in);
}

static void
null_model_keeps_the_clients(void **state)
{
    struct a2o_native_opts o = {NULL, NULL};
    struct a2o_reqmeta *meta = NULL;
    struct a2o_diag d;
    cJSON *in, *out = NULL;

    (void)state;
    in = cJSON_Parse("{\"model\":\"claude-x\",\"messages\":[]}");
    assert_int_equal(a2o_native_req(in, &o, &out, &meta, &d), A2O_E_OK);
    assert_string_equal(a2o_json_str(out, "model"), "claude-x");
    cJSON_Delete(out);
    a2o_reqmeta_free(meta);
    /* no options at all: an identical copy */
    assert_int_equal(a2o_native_req(in, NULL, &out, &meta, &d), A2O_E_OK);
    assert_true(cJSON_Compare(in, out, 1));
    cJSON_Delete(out);
    a2o_reqmeta_free(meta);
    cJSON_Delete(in);
}

/* The non-stream answer check. */
static const struct resp_case {
    const char *body;
    enum a2o_err want;
    long in, out, cr, cc;
    int estimated;
} resp_cases[] = {
    /* a real Anthropic answer, cache counts included */
    {"{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
     "\"model\":\"q\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}],"
     "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":"
     "{\"input_tokens\":12,\"output_tokens\":3,"
     "\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":7}}",
     A2O_E_OK, 12, 3, 100, 7, 0},
    /* llama.cpp: no cache counts */
    {"{\"type\":\"message\",\"content\":[],\"usage\":{\"input_tokens\":5,"
     "\"output_tokens\":0}}  \n",
     A2O_E_OK, 5, 0, 0, 0, 0},
    /* no usage at all: estimated, zeros */
    {"{\"type\":\"message\",\"content\":[]}", A2O_E_OK, 0, 0, 0, 0, 1},
    /* usage garbage is ignored, not trusted */
    {"{\"type\":\"message\",\"content\":[],\"usage\":{\"input_tokens\":-4,"
     "\"output_tokens\":2.5,\"cache_read_input_tokens\":\"9\"}}",
     A2O_E_OK, 0, 0, 0, 0, 1},
    {"{\"type\":\"message\",\"content\":[],\"usage\":{\"input_tokens\":1e300,"
     "\"output_tokens\":4}}",
     A2O_E_OK, 0, 4, 0, 0, 1},
    /* not a message */
    {"{\"type\":\"error\",\"error\":{\"type\":\"api_error\","
     "\"message\":\"x\"}}",
     A2O_E_BADGATEWAY, 0, 0, 0, 0, 0},
    {"{\"type\":\"Message\",\"content\":[]}", A2O_E_BADGATEWAY, 0, 0, 0, 0, 0},
    {"{\"type\":\"message\",\"content\":\"Hi\"}", A2O_E_BADGATEWAY, 0, 0, 0, 0,
     0},
    {"{\"type\":\"message\",\"Content\":[]}", A2O_E_BADGATEWAY, 0, 0, 0, 0, 0},
    {"[{\"type\":\"message\",\"content\":[]}]", A2O_E_BADGATEWAY, 0, 0, 0, 0,
     0},
    /* not JSON, or not strict JSON */
    {"<html>502 Bad Gateway</html>", A2O_E_BADGATEWAY, 0, 0, 0, 0, 0},
    {"", A2O_E_BADGATEWAY, 0, 0, 0, 0, 0},
    {"{\"type\":\"message\",\"content\":[]} x", A2O_E_BADGATEWAY, 0, 0, 0, 0,
     0},
    {"{\"type\":\"message\",\"content\":[\"\xff\"]}", A2O_E_BADGATEWAY, 0, 0, 0,
     0, 0},
};

static void
resp_check_accepts_messages_only(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++) {
        const struct resp_case *c = &resp_cases[i];
        struct a2o_usage u = {-1, -1, -1, -1, -1};
        struct a2o_diag d;
        enum a2o_err err =
            a2o_native_resp_check(c->body, strlen(c->body), &u, &d);

        if (err != c->want)
            fail_msg("case %zu: got %s (%s)", i, a2o_err_name(err), d.msg);
        if (err != A2O_E_OK) {
            assert_true(d.msg[0] != '\0');
            assert_int_equal(u.input_tokens, -1); /* untouched */
            continue;
        }
        if (u.input_tokens != c->in || u.output_tokens != c->out ||
            u.cache_read_input_tokens != c->cr ||
            u.cache_creation_input_tokens != c->cc ||
            u.estimated != c->estimated)
            fail_msg("case %zu: usage %ld %ld %ld %ld %d", i, u.input_tokens,
                     u.output_tokens, u.cache_read_input_tokens,
                     u.cache_creation_input_tokens, u.estimated);
    }
}

struct resp_arg {
    const char *body;
    enum a2o_err want;
};

static enum a2o_err
resp_oom_one(void *p)
{
    struct resp_arg *a = p;
    struct a2o_usage u;
    struct a2o_diag d;

    return a2o_native_resp_check(a->body, strlen(a->body), &u, &d);
}

static void
resp_check_survives_oom(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++) {
        struct resp_arg a = {resp_cases[i].body, resp_cases[i].want};
        enum a2o_err also[] = {resp_cases[i].want, A2O_E_OK};

        th_oom_torture(resp_oom_one, &a, a.want, also);
    }
}

static void
usage_merge_reports_what_it_found(void **state)
{
    struct a2o_usage u = {1, 2, 3, 4, 0};
    cJSON *us = cJSON_Parse("{\"output_tokens\":9,"
                            "\"cache_read_input_tokens\":0}");

    (void)state;
    assert_int_equal(a2o_native_usage(us, &u), A2O_NATIVE_OUT);
    assert_int_equal(u.input_tokens, 1);
    assert_int_equal(u.output_tokens, 9);
    assert_int_equal(u.cache_read_input_tokens, 0);
    assert_int_equal(u.cache_creation_input_tokens, 4);
    assert_int_equal(a2o_native_usage(NULL, &u), 0);
    cJSON_Delete(us);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(golden_requests_match),
        cmocka_unit_test(golden_requests_survive_oom),
        cmocka_unit_test(member_order_and_duplicates_are_kept),
        cmocka_unit_test(null_model_keeps_the_clients),
        cmocka_unit_test(resp_check_accepts_messages_only),
        cmocka_unit_test(resp_check_survives_oom),
        cmocka_unit_test(usage_merge_reports_what_it_found),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("native", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
