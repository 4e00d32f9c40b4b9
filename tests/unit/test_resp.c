/*
 * test_resp.c: the non-stream converter (common/resp.h).
 *
 * Golden pairs tests/data/resp/<case>.in.json -> <case>.out.json with an
 * optional <case>.meta.json (tests/lib/rmeta.h), compared with
 * cJSON_Compare.  A case whose meta names an "error" has as output
 * {"error": NAME, "message": d.msg}.  Every case also runs under OOM
 * torture.  A2O_REGEN=1 rewrites the golden outputs (review the diff!).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/resp.h"
#include "../../common/tokens.h"
#include "../lib/harness.h"
#include "../lib/rmeta.h"

#define DIR "tests/data/resp"

struct oom_arg {
    const struct th_case *c;
    const char *in;
    size_t n;
};

static enum a2o_err
convert(const struct th_case *c, const char *in, size_t n, char **out,
        struct a2o_usage *u, struct a2o_diag *d)
{
    struct a2o_resp_opts o;
    size_t outn;

    memset(&o, 0, sizeof(o));
    o.meta = &c->meta;
    o.profile = &c->profile;
    o.msg_id = "msg_test0001";
    o.seed = c->seed;
    o.upstream = c->upstream;
    return a2o_resp_convert_bytes(in, n, &o, out, &outn, u, d);
}

static enum a2o_err
oom_one(void *p)
{
    struct oom_arg *a = p;
    struct a2o_diag d;
    char *out = NULL;
    enum a2o_err err = convert(a->c, a->in, a->n, &out, NULL, &d);

    if (err == A2O_E_OK)
        cJSON_free(out);
    return err;
}

static void
one_case(const char *in_path)
{
    struct th_case c;
    struct a2o_diag d;
    struct a2o_usage u;
    char *meta = th_sibling(in_path, ".in.json", ".meta.json");
    char *out_path = th_sibling(in_path, ".in.json", ".out.json");
    char *in, *out = NULL;
    size_t n;
    cJSON *got, *want;
    enum a2o_err err;

    th_case_load(meta, &c);
    in = th_read_file(in_path, &n);
    err = convert(&c, in, n, &out, &u, &d);
    if (err != c.want)
        fail_msg("%s: got %s, want %s (%s)", in_path, a2o_err_name(err),
                 a2o_err_name(c.want), d.msg);
    if (err == A2O_E_OK) {
        got = cJSON_Parse(out);
        cJSON_free(out);
    } else {
        got = cJSON_CreateObject();
        cJSON_AddStringToObject(got, "error", a2o_err_name(err));
        cJSON_AddStringToObject(got, "message", d.msg);
    }
    assert_non_null(got);
    th_regen_json(out_path, got);
    want = th_read_json(out_path);
    th_assert_json_equal(want, got, in_path);
    cJSON_Delete(want);
    cJSON_Delete(got);
    {
        struct oom_arg a = {&c, in, n};
        /* a body that fails anyway may fail the same way with memory
         * short (cJSON allocates before it finds bad text) */
        enum a2o_err also[] = {c.want, A2O_E_OK};

        th_oom_torture(oom_one, &a, c.want, also);
    }
    free(in);
    free(meta);
    free(out_path);
    th_case_free(&c);
}

static void
golden_pairs_match_and_survive_oom(void **state)
{
    char **names;
    size_t n = th_list(DIR, ".in.json", &names), i;

    (void)state;
    assert_true(n >= 25);
    for (i = 0; i < n; i++)
        one_case(names[i]);
    th_free_list(names, n);
}

static void
usage_is_returned_to_the_caller(void **state)
{
    static const char in[] =
        "{\"choices\":[{\"message\":{\"content\":\"x\"},\"finish_reason\":"
        "\"stop\"}],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":3,"
        "\"prompt_tokens_details\":{\"cached_tokens\":10}}}";
    struct th_case c;
    struct a2o_diag d;
    struct a2o_usage u;
    char *out;

    (void)state;
    th_case_load("/nonexistent", &c);
    assert_int_equal(convert(&c, in, sizeof(in) - 1, &out, &u, &d), A2O_E_OK);
    cJSON_free(out);
    th_case_free(&c);
    assert_int_equal(u.input_tokens, 30);
    assert_int_equal(u.output_tokens, 3);
    assert_int_equal(u.cache_read_input_tokens, 10);
    assert_int_equal(u.estimated, 0);
}

/* A meta without an estimate (-1, a non-stream request): the estimate
 * is made from opts.req only when the upstream reports no usage. */
static void
estimate_is_made_only_without_upstream_usage(void **state)
{
    static const char bare[] =
        "{\"choices\":[{\"message\":{\"content\":\"x\"},\"finish_reason\":"
        "\"stop\"}]}";
    static const char counted[] =
        "{\"choices\":[{\"message\":{\"content\":\"x\"},\"finish_reason\":"
        "\"stop\"}],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":3}}";
    cJSON *req = cJSON_Parse(
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
        "\"How many tokens is this question, roughly, in the end?\"}]}");
    struct a2o_resp_opts o;
    struct th_case c;
    struct a2o_diag d;
    struct a2o_usage u;
    char *out;
    size_t outn;

    (void)state;
    assert_non_null(req);
    th_case_load("/nonexistent", &c);
    c.meta.input_estimate = -1;
    memset(&o, 0, sizeof(o));
    o.meta = &c.meta;
    o.profile = &c.profile;
    o.msg_id = "msg_test0001";
    o.req = req;
    assert_int_equal(
        a2o_resp_convert_bytes(bare, sizeof(bare) - 1, &o, &out, &outn, &u, &d),
        A2O_E_OK);
    cJSON_free(out);
    assert_true(u.input_tokens > 5);
    assert_int_equal(u.input_tokens, a2o_tokens_request(req));
    assert_int_equal(u.estimated, 1);
    o.req = NULL; /* no request at hand: 0, as before any estimate */
    assert_int_equal(
        a2o_resp_convert_bytes(bare, sizeof(bare) - 1, &o, &out, &outn, &u, &d),
        A2O_E_OK);
    cJSON_free(out);
    assert_int_equal(u.input_tokens, 0);
    o.req = req; /* reported: the upstream's figure */
    assert_int_equal(a2o_resp_convert_bytes(counted, sizeof(counted) - 1, &o,
                                            &out, &outn, &u, &d),
                     A2O_E_OK);
    cJSON_free(out);
    assert_int_equal(u.input_tokens, 40);
    c.meta.input_estimate = 7; /* known: used as it is */
    assert_int_equal(
        a2o_resp_convert_bytes(bare, sizeof(bare) - 1, &o, &out, &outn, &u, &d),
        A2O_E_OK);
    cJSON_free(out);
    assert_int_equal(u.input_tokens, 7);
    th_case_free(&c);
    cJSON_Delete(req);
}

/* Table: upstream error body and status -> client message. */
static void
error_bodies_reduce_to_short_safe_messages(void **state)
{
    static const struct {
        const char *body;
        long status;
        const char *want;
    } t[] = {
        {"{\"error\":{\"message\":\"Invalid model\",\"type\":\"x\"}}", 400,
         "Invalid model"},
        {"{\"message\":\"Not found here\"}", 404, "Not found here"},
        {"{\"detail\":\"max_tokens is too large\"}", 400,
         "max_tokens is too large"},
        {"{\"detail\":[{\"loc\":[\"body\"],\"msg\":\"field required\"}]}", 422,
         "field required"},
        {"[{\"error\":{\"code\":400,\"message\":\"Gemini says no\"}}]", 400,
         "Gemini says no"},
        {"{\"error\":\"plain string error\"}", 500, "plain string error"},
        {"{\"unexpected\":true}", 500, "upstream returned HTTP 500"},
        {"<html><head><title> 502 Bad Gateway </title></head><body>"
         "Authorization: Bearer sk-secret</body></html>",
         502, "upstream returned HTTP 502: 502 Bad Gateway"},
        {"<!DOCTYPE html><html><body>no title</body></html>", 503,
         "upstream returned HTTP 503"},
        {"", 504, "upstream returned HTTP 504"},
        {"Service Unavailable\nmore lines", 503,
         "upstream returned HTTP 503: Service Unavailable"},
        {"{\"error\":{\"message\":\"Incorrect API key provided: "
         "sk-abcdef123456\"}}",
         401, "Incorrect API key provided: [redacted]"},
        {"{\"error\":{\"message\":\"bad header Bearer abc.def\"}}", 401,
         "bad header [redacted]"},
        {"{\"error\":{\"message\":\"line1\\nline2\\ttab\"}}", 400,
         "line1 line2 tab"},
    };
    struct a2o_diag d;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        a2o_resp_error_message(t[i].body, strlen(t[i].body), t[i].status, &d);
        if (strcmp(d.msg, t[i].want) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, d.msg, t[i].want);
    }
}

static void
long_error_messages_are_cut_at_a_character(void **state)
{
    char body[2000];
    struct a2o_diag d;
    size_t i, n;

    (void)state;
    n = (size_t)snprintf(body, sizeof(body), "{\"error\":{\"message\":\"");
    for (i = 0; i < 300; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n, "\xc3\xa9");
    n += (size_t)snprintf(body + n, sizeof(body) - n, "\"}}");
    a2o_resp_error_message(body, n, 400, &d);
    n = strlen(d.msg);
    assert_true(n <= 203);
    assert_memory_equal(d.msg + n - 3, "...", 3);
    /* what precedes "..." is whole two-byte characters */
    assert_int_equal((n - 3) % 2, 0);
    assert_memory_equal(d.msg + n - 5, "\xc3\xa9", 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(golden_pairs_match_and_survive_oom),
        cmocka_unit_test(usage_is_returned_to_the_caller),
        cmocka_unit_test(estimate_is_made_only_without_upstream_usage),
        cmocka_unit_test(error_bodies_reduce_to_short_safe_messages),
        cmocka_unit_test(long_error_messages_are_cut_at_a_character),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("resp", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
