/*
 * test_req.c: Anthropic request -> OpenAI request (common/req.c).
 *
 * Golden pairs live in tests/data/req as data, so a new case needs no
 * code:
 *   <case>.in.json    the Anthropic request
 *   <case>.out.json   the OpenAI request it must become (cJSON_Compare)
 *   <case>.err.json   instead: {"status":400,"path":"messages[0].role"}
 *   <case>.conf       optional KEY=VALUE lines (a2o_conf_parse_env_file)
 *                     choosing the upstream and its profile; without
 *                     one, the directory's default.conf
 *   <case>.meta.json  optional expectations on the request meta
 * Every case also runs under OOM torture, as a tree and as bytes.
 * A2O_REGEN=1 rewrites the .out.json and .err.json outputs (review the
 * diff!); .conf and .meta.json are inputs and hand-written checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "../../common/conf.h"
#include "../../common/json.h"
#include "../../common/req.h"
#include "../lib/harness.h"

#define DATA "tests/data/req"
/* the real Claude Code requests, kept in the repository for e2e replay */
#define CC_FIXTURES "tests/e2e/fixtures"

static int
exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

/* base + suffix into out (a fixed buffer: paths are ours and short). */
static const char *
with(char *out, size_t n, const char *base, const char *suffix)
{
    snprintf(out, n, "%s%s", base, suffix);
    return out;
}

/* The directory's default.conf for a case base ("dir/case"). */
static char *
dir_default(char *out, size_t n, const char *base)
{
    const char *slash = strrchr(base, '/');
    int k = slash != NULL ? (int)(slash - base) : 0;

    snprintf(out, n, "%.*s%sdefault.conf", k, base, slash != NULL ? "/" : "");
    return out;
}

/* The case's configuration: <base>.conf when present, else the
 * directory's default.conf, else the built-in defaults. */
static void
load_conf(const char *base, struct a2o_conf *c)
{
    char path[512];
    struct a2o_diag d;

    a2o_conf_init(c);
    if (base != NULL && (exists(with(path, sizeof(path), base, ".conf")) ||
                         exists(dir_default(path, sizeof(path), base)))) {
        size_t n;
        char *text = th_read_file(path, &n);
        enum a2o_err err = a2o_conf_parse_env_file(c, text, n, &d);

        free(text);
        if (err != A2O_E_OK)
            fail_msg("%s: %s", path, d.msg);
    }
    if (a2o_conf_finish(c, &d) != A2O_E_OK)
        fail_msg("%s: conf: %s", base != NULL ? base : "default", d.msg);
}

/* Prints want/got for a failed case without stopping the loop. */
static void
report(const char *what, const cJSON *want, const cJSON *got)
{
    char *w = cJSON_Print(want), *g = cJSON_Print(got);

    fprintf(stderr, "%s: JSON differs\n--- want\n%s\n--- got\n%s\n", what,
            w != NULL ? w : "(null)", g != NULL ? g : "(null)");
    cJSON_free(w);
    cJSON_free(g);
}

/* Checks the fields of <case>.meta.json that are present; 0 on mismatch. */
static int
check_meta(const char *base, const cJSON *want, const struct a2o_reqmeta *m)
{
    const cJSON *v, *it;
    size_t i = 0;
    int ok = 1;

    v = a2o_json_get(want, "client_model");
    if (v != NULL && strcmp(v->valuestring, m->client_model) != 0)
        ok = 0;
    v = a2o_json_get(want, "stream");
    if (v != NULL && cJSON_IsTrue(v) != m->stream)
        ok = 0;
    v = a2o_json_get(want, "thinking");
    if (v != NULL && cJSON_IsTrue(v) != m->thinking)
        ok = 0;
    v = a2o_json_get(want, "stop");
    if (v != NULL) {
        if ((size_t)cJSON_GetArraySize(v) != m->nstop)
            ok = 0;
        cJSON_ArrayForEach(it, v)
        {
            if (i < m->nstop && strcmp(it->valuestring, m->stop[i]) != 0)
                ok = 0;
            i++;
        }
    }
    v = a2o_json_get(want, "names"); /* [[full, short], ...] */
    if (v != NULL) {
        i = 0;
        if ((size_t)cJSON_GetArraySize(v) != m->nnames)
            ok = 0;
        cJSON_ArrayForEach(it, v)
        {
            const char *full = cJSON_GetArrayItem(it, 0)->valuestring;
            const char *shortn = cJSON_GetArrayItem(it, 1)->valuestring;

            if (i < m->nnames && (strcmp(full, m->names[i].full) != 0 ||
                                  strcmp(shortn, m->names[i].short_name)))
                ok = 0;
            if (strcmp(a2o_reqmeta_tool_name(m, shortn), full) != 0)
                ok = 0;
            i++;
        }
    }
    v = a2o_json_get(want, "tools"); /* offered names, as sent */
    if (v != NULL) {
        i = 0;
        if ((size_t)cJSON_GetArraySize(v) != m->ntools)
            ok = 0;
        cJSON_ArrayForEach(it, v)
        {
            if (i < m->ntools && strcmp(it->valuestring, m->tools[i]) != 0)
                ok = 0;
            if (!a2o_reqmeta_tool_offered(m, it->valuestring,
                                          strlen(it->valuestring)))
                ok = 0;
            i++;
        }
    }
    /* computed for a stream's message_start; otherwise -1 (left to the
     * response converter) unless the routing counted it */
    if (m->stream ? m->input_estimate <= 0
                  : m->input_estimate == 0 || m->input_estimate < -1)
        ok = 0;
    if (!ok)
        fprintf(stderr, "%s: meta differs from %s.meta.json\n", base, base);
    return ok;
}

/* Runs one golden case; returns 1 when it passed. */
static int
run_case(const char *base)
{
    char path[512];
    struct a2o_conf c;
    struct a2o_diag d;
    struct a2o_reqmeta *meta = NULL;
    struct a2o_route rt;
    cJSON *in, *copy, *out = NULL, *want;
    enum a2o_err err;
    int ok = 1;

    load_conf(base, &c);
    in = th_read_json(with(path, sizeof(path), base, ".in.json"));
    copy = cJSON_Duplicate(in, 1);
    err = a2o_req_convert(in, &c, &out, &meta, &rt, &d);
    if (!cJSON_Compare(in, copy, 1)) {
        fprintf(stderr, "%s: the input tree was modified\n", base);
        ok = 0;
    }
    if (exists(with(path, sizeof(path), base, ".err.json"))) {
        const char *wpath;
        long status;

        if (err != A2O_E_OK) {
            cJSON *e = cJSON_CreateObject();

            cJSON_AddNumberToObject(e, "status", a2o_err_status(err));
            cJSON_AddStringToObject(e, "path", d.path);
            th_regen_json(path, e);
            cJSON_Delete(e);
        }
        want = th_read_json(path);
        status = (long)cJSON_GetObjectItem(want, "status")->valuedouble;
        wpath = a2o_json_str(want, "path");
        if (err == A2O_E_OK || a2o_err_status(err) != status ||
            (wpath != NULL && strcmp(wpath, d.path) != 0)) {
            fprintf(stderr, "%s: got %s path \"%s\" (%s), want %ld \"%s\"\n",
                    base, a2o_err_name(err), d.path, d.msg, status,
                    wpath != NULL ? wpath : "");
            ok = 0;
        }
        if (err == A2O_E_BADREQ && d.msg[0] == '\0') {
            fprintf(stderr, "%s: no message\n", base);
            ok = 0;
        }
    } else {
        with(path, sizeof(path), base, ".out.json");
        if (err == A2O_E_OK)
            th_regen_json(path, out);
        want = th_read_json(path);
        if (err != A2O_E_OK) {
            fprintf(stderr, "%s: %s at \"%s\": %s\n", base, a2o_err_name(err),
                    d.path, d.msg);
            ok = 0;
        } else if (!cJSON_Compare(want, out, 1)) {
            report(base, want, out);
            ok = 0;
        }
        if (err == A2O_E_OK &&
            exists(with(path, sizeof(path), base, ".meta.json"))) {
            cJSON *wm = th_read_json(path);

            ok &= check_meta(base, wm, meta);
            cJSON_Delete(wm);
        }
    }
    cJSON_Delete(want);
    cJSON_Delete(out);
    a2o_reqmeta_free(meta);
    cJSON_Delete(copy);
    cJSON_Delete(in);
    a2o_conf_free(&c);
    return ok;
}

/* The case bases (path without .in.json), sorted. */
static size_t
cases(char ***names)
{
    size_t n = th_list(DATA, ".in.json", names), i;

    for (i = 0; i < n; i++)
        (*names)[i][strlen((*names)[i]) - strlen(".in.json")] = '\0';
    return n;
}

static void
golden_pairs_convert_as_recorded(void **state)
{
    char **names;
    size_t n = cases(&names), i, bad = 0;

    (void)state;
    assert_true(n >= 50);
    for (i = 0; i < n; i++)
        if (!run_case(names[i]))
            bad++;
    th_free_list(names, n);
    if (bad > 0)
        fail_msg("%zu of %zu golden cases failed", bad, n);
}

/* The case being tortured; left set when a failure longjmps out. */
static const char *oom_case;

static int
name_failed_case(void **state)
{
    if (oom_case != NULL)
        fprintf(stderr, "OOM torture failed in %s\n", oom_case);
    oom_case = NULL;
    return th_teardown_leaks(state);
}

/* OOM torture of one case. */
struct oom_arg {
    const cJSON *in;
    const char *text;
    size_t n;
    const struct a2o_conf *c;
};

static enum a2o_err
convert_tree_once(void *arg)
{
    struct oom_arg *a = arg;
    struct a2o_diag d;
    struct a2o_reqmeta *meta = NULL;
    struct a2o_route rt;
    cJSON *out = NULL;
    enum a2o_err err = a2o_req_convert(a->in, a->c, &out, &meta, &rt, &d);

    cJSON_Delete(out);
    a2o_reqmeta_free(meta);
    return err;
}

static enum a2o_err
convert_bytes_once(void *arg)
{
    struct oom_arg *a = arg;
    struct a2o_diag d;
    struct a2o_reqmeta *meta = NULL;
    struct a2o_route rt;
    char *out = NULL;
    size_t outn = 0;
    enum a2o_err err =
        a2o_req_convert_bytes(a->text, a->n, a->c, &out, &outn, &meta, &rt, &d);

    if (err == A2O_E_OK && (out == NULL || strlen(out) != outn))
        err = A2O_E_INTERNAL;
    cJSON_free(out);
    a2o_reqmeta_free(meta);
    return err;
}

static void
golden_pairs_survive_allocation_failures(void **state)
{
    static const enum a2o_err parse_ok[] = {A2O_E_BADJSON, A2O_E_OK};
    char **names, path[512];
    size_t n = cases(&names), i;
    long total = 0;

    (void)state;
    for (i = 0; i < n; i++) {
        struct a2o_conf c;
        struct oom_arg a;
        enum a2o_err want = A2O_E_OK;
        char *text;
        cJSON *in;

        load_conf(names[i], &c);
        if (exists(with(path, sizeof(path), names[i], ".err.json")))
            want = A2O_E_BADREQ;
        text =
            th_read_file(with(path, sizeof(path), names[i], ".in.json"), &a.n);
        a.text = text;
        in = th_read_json(path);
        a.in = in;
        a.c = &c;
        oom_case = names[i]; /* named by the teardown should it fail */
        total += th_oom_torture(convert_tree_once, &a, want, NULL);
        total += th_oom_torture(convert_bytes_once, &a, want, parse_ok);
        cJSON_Delete(in);
        free(text);
        a2o_conf_free(&c);
    }
    oom_case = NULL;
    th_free_list(names, n);
    printf("# OOM torture: %zu cases, %ld allocation points\n", n, total);
}

/* ------------------------------------------------------------------ */
/* Strict check of converted Claude Code requests                       */

/* 1 when s is one of the NULL-terminated list. */
static int
one_of(const char *s, const char *const *list)
{
    for (; *list != NULL; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

/*
 * What a strict OpenAI-compatible server (and tests/e2e's mock) checks:
 * only known top-level parameters (plus the ones this profile turns on),
 * the system message only first, arguments as JSON text, every tool
 * message answering a call of the assistant message before it, every
 * call answered, and the output ceiling as the client gave it.
 */
static void
strict_check(const char *what, const cJSON *req, const cJSON *out,
             const struct a2o_route *rt)
{
    static const char *const openai[] = {"model",
                                         "messages",
                                         "max_tokens",
                                         "max_completion_tokens",
                                         "stream",
                                         "stream_options",
                                         "temperature",
                                         "top_p",
                                         "stop",
                                         "user",
                                         "tools",
                                         "tool_choice",
                                         "parallel_tool_calls",
                                         "response_format",
                                         NULL};
    static const char *const roles[] = {"system", "user", "assistant", "tool",
                                        NULL};
    const struct a2o_profile *pf = &rt->profile;
    const cJSON *v, *m, *calls = NULL;
    size_t i = 0, answered = 0, ncalls = 0;
    int seen_other = 0;

    cJSON_ArrayForEach(v, out)
    {
        int extra = (pf->top_k && strcmp(v->string, "top_k") == 0) ||
                    (pf->reasoning == A2O_REASONING_EFFORT &&
                     strcmp(v->string, "reasoning_effort") == 0) ||
                    (pf->reasoning == A2O_REASONING_OPENROUTER &&
                     strcmp(v->string, "reasoning") == 0) ||
                    (pf->reasoning == A2O_REASONING_DEEPSEEK &&
                     strcmp(v->string, "thinking") == 0) ||
                    (pf->prompt_cache_key &&
                     strcmp(v->string, "prompt_cache_key") == 0);

        if (!one_of(v->string, openai) && !extra)
            fail_msg("%s: unknown parameter \"%s\"", what, v->string);
    }
    assert_string_equal(a2o_json_str(out, "model"), rt->model);
    v = a2o_json_get(out, pf->maxtok_field == A2O_MAXTOK_MAX_TOKENS
                              ? "max_tokens"
                              : "max_completion_tokens");
    assert_non_null(v);
    assert_true(v->valuedouble == a2o_json_get(req, "max_tokens")->valuedouble);
    cJSON_ArrayForEach(m, a2o_json_get(out, "messages"))
    {
        const char *role = a2o_json_str(m, "role");
        const cJSON *c = a2o_json_get(m, "content"), *k;

        assert_non_null(role);
        assert_true(one_of(role, roles));
        cJSON_ArrayForEach(k, m)
        {
            if (strcmp(k->string, "role") != 0 &&
                strcmp(k->string, "content") != 0 &&
                strcmp(k->string, "tool_calls") != 0 &&
                strcmp(k->string, "tool_call_id") != 0 &&
                !(pf->thinking_replay &&
                  strcmp(k->string, "reasoning_content") == 0))
                fail_msg("%s: messages[%zu] has \"%s\"", what, i, k->string);
        }
        if (strcmp(role, "system") == 0 && seen_other)
            fail_msg("%s: system message at %zu after others", what, i);
        if (strcmp(role, "system") != 0)
            seen_other = 1;
        assert_true(cJSON_IsString(c) || cJSON_IsArray(c) ||
                    (strcmp(role, "assistant") == 0 && cJSON_IsNull(c)));
        if (strcmp(role, "tool") == 0) {
            const char *id = a2o_json_str(m, "tool_call_id");
            const cJSON *call;
            int found = 0;

            assert_non_null(id);
            assert_true(cJSON_IsString(c) && c->valuestring[0] != '\0');
            cJSON_ArrayForEach(call, calls)
            {
                if (strcmp(a2o_json_str(call, "id"), id) == 0)
                    found = 1;
            }
            if (!found)
                fail_msg("%s: messages[%zu] answers no open call", what, i);
            answered++;
        } else {
            if (calls != NULL && answered != ncalls)
                fail_msg("%s: calls before messages[%zu] unanswered", what, i);
            calls = a2o_json_get(m, "tool_calls");
            ncalls = (size_t)cJSON_GetArraySize(calls);
            answered = 0;
            cJSON_ArrayForEach(k, calls)
            {
                const cJSON *args =
                    a2o_json_get(a2o_json_get(k, "function"), "arguments");
                cJSON *parsed;

                assert_string_equal(a2o_json_str(k, "type"), "function");
                assert_non_null(a2o_json_str(k, "id"));
                assert_true(cJSON_IsString(args));
                parsed = cJSON_Parse(args->valuestring);
                assert_true(cJSON_IsObject(parsed));
                cJSON_Delete(parsed);
            }
        }
        i++;
    }
    assert_true(i > 0);
}

/* Converts one Claude Code body under conf c and checks it strictly. */
static void
convert_strictly(const char *what, const cJSON *body, const struct a2o_conf *c)
{
    struct a2o_diag d;
    struct a2o_reqmeta *meta = NULL;
    struct a2o_route rt;
    cJSON *out = NULL;
    enum a2o_err err = a2o_req_convert(body, c, &out, &meta, &rt, &d);

    if (err != A2O_E_OK)
        fail_msg("%s: %s at \"%s\": %s", what, a2o_err_name(err), d.path,
                 d.msg);
    strict_check(what, body, out, &rt);
    assert_true(meta->thinking);
    assert_true(meta->input_estimate > 100 ||
                (!meta->stream && meta->input_estimate == -1));
    assert_string_equal(meta->client_model, a2o_json_str(body, "model"));
    cJSON_Delete(out);
    a2o_reqmeta_free(meta);
}

/* The upstreams the Claude Code requests are checked against. */
static const char *const strict_confs[] = {
    "", /* default: a local server */
    "OPENAI_BASE_URL=https://api.openai.com/v1\nMODEL_MAP=*=gpt-5\n",
    "OPENAI_BASE_URL=https://api.openai.com/v1\nMODEL_MAP=*=gpt-4o\n",
    "OPENAI_BASE_URL=https://generativelanguage.googleapis.com/v1beta/"
    "openai\nMODEL_MAP=*=gemini-2.5-pro\n",
    "OPENAI_BASE_URL=https://openrouter.ai/api/v1\n",
    "OPENAI_BASE_URL=https://api.deepseek.com/v1\n",
    "OPENAI_BASE_URL=http://127.0.0.1:11434/v1\n",
};

static void
check_body_everywhere(const char *what, const cJSON *body)
{
    size_t i;

    for (i = 0; i < sizeof(strict_confs) / sizeof(strict_confs[0]); i++) {
        struct a2o_conf c;
        struct a2o_diag d;

        a2o_conf_init(&c);
        assert_int_equal(a2o_conf_parse_env_file(&c, strict_confs[i],
                                                 strlen(strict_confs[i]), &d),
                         A2O_E_OK);
        assert_int_equal(a2o_conf_finish(&c, &d), A2O_E_OK);
        convert_strictly(what, body, &c);
        a2o_conf_free(&c);
    }
}

/* Our own reduced Claude Code requests (always present). */
static void
own_claude_code_fixtures_convert_strictly(void **state)
{
    char **names;
    size_t n = th_list(DATA, ".in.json", &names), i, seen = 0;

    (void)state;
    for (i = 0; i < n; i++) {
        const char *base = strrchr(names[i], '/') + 1;
        cJSON *body;

        if (strncmp(base, "cc_", 3) != 0)
            continue;
        body = th_read_json(names[i]);
        check_body_everywhere(names[i], body);
        cJSON_Delete(body);
        seen++;
    }
    th_free_list(names, n);
    assert_true(seen >= 2);
}

/* The four captured Claude Code requests (2.1.112 and 2.1.332). */
static void
captured_claude_code_requests_convert_strictly(void **state)
{
    char **names;
    size_t n, i;

    (void)state;
    n = th_list(CC_FIXTURES, ".json", &names);
    for (i = 0; i < n; i++) {
        cJSON *f = th_read_json(names[i]);

        check_body_everywhere(names[i], a2o_json_get(f, "body"));
        cJSON_Delete(f);
    }
    th_free_list(names, n);
    assert_true(n >= 4);
}

/* ------------------------------------------------------------------ */
/* Entry points and meta                                                */

static void
bytes_variant_matches_tree_variant(void **state)
{
    static const char body[] =
        "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,"
        "\"stream\":true,\"messages\":[{\"role\":\"user\","
        "\"content\":\"hi\"}],\"stop_sequences\":[\"a\",\"b\",\"c\","
        "\"d\",\"e\"]}";
    struct a2o_conf c;
    struct a2o_diag d;
    struct a2o_reqmeta *meta = NULL;
    struct a2o_route rt;
    char *out = NULL;
    size_t outn = 0;
    cJSON *got;

    (void)state;
    load_conf(NULL, &c);
    assert_int_equal(a2o_req_convert_bytes(body, sizeof(body) - 1, &c, &out,
                                           &outn, &meta, &rt, &d),
                     A2O_E_OK);
    assert_int_equal(strlen(out), outn);
    got = cJSON_Parse(out);
    assert_non_null(got);
    assert_string_equal(a2o_json_str(got, "model"), "claude-sonnet-4-5");
    assert_int_equal(cJSON_GetArraySize(a2o_json_get(got, "stop")), 4);
    assert_int_equal(meta->nstop, 5);
    assert_string_equal(meta->stop[4], "e");
    assert_true(meta->stream);
    assert_false(meta->thinking);
    /* the route borrows the client model from meta */
    assert_ptr_equal(rt.client_model, meta->client_model);
    assert_string_equal(rt.model, "claude-sonnet-4-5");
    cJSON_Delete(got);
    cJSON_free(out);
    a2o_reqmeta_free(meta);

    assert_int_equal(a2o_req_convert_bytes("{\"model\":", 9, &c, &out, &outn,
                                           &meta, &rt, &d),
                     A2O_E_BADJSON);
    assert_int_equal(
        a2o_req_convert_bytes("[1]", 3, &c, &out, &outn, &meta, &rt, &d),
        A2O_E_BADREQ);
    a2o_conf_free(&c);
}

static void
routing_picks_the_haiku_upstream(void **state)
{
    static const char conf[] =
        "HAIKU_MODEL_NAME=small-model\n"
        "HAIKU_BASE_URL=https://generativelanguage.googleapis.com/v1beta/"
        "openai\n";
    static const char body[] =
        "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,"
        "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    struct a2o_conf c;
    struct a2o_diag d;
    struct a2o_reqmeta *meta = NULL;
    struct a2o_route rt;
    char *out = NULL;
    size_t outn;

    (void)state;
    a2o_conf_init(&c);
    assert_int_equal(a2o_conf_parse_env_file(&c, conf, strlen(conf), &d),
                     A2O_E_OK);
    assert_int_equal(a2o_conf_finish(&c, &d), A2O_E_OK);
    assert_int_equal(a2o_req_convert_bytes(body, strlen(body), &c, &out, &outn,
                                           &meta, &rt, &d),
                     A2O_E_OK);
    assert_non_null(strstr(out, "\"model\":\"small-model\""));
    assert_string_equal(meta->client_model, "claude-haiku-4-5");
    assert_int_equal(rt.profile.schema, A2O_SCHEMA_GEMINI);
    cJSON_free(out);
    a2o_reqmeta_free(meta);
    a2o_conf_free(&c);
}

static void
tool_name_restore_handles_unknown_names(void **state)
{
    struct a2o_reqmeta m;
    char full[] = "a_very_long_name", shortn[] = "short";
    struct a2o_toolname tn;

    (void)state;
    tn.full = full;
    tn.short_name = shortn;
    memset(&m, 0, sizeof(m));
    m.names = &tn;
    m.nnames = 1;
    assert_string_equal(a2o_reqmeta_tool_name(&m, "short"), "a_very_long_name");
    assert_string_equal(a2o_reqmeta_tool_name(&m, "Bash"), "Bash");
    assert_null(a2o_reqmeta_tool_name(&m, NULL));
    assert_string_equal(a2o_reqmeta_tool_name(NULL, "x"), "x");
    a2o_reqmeta_free(NULL);
}

/*
 * Every value of every golden request that converts (<case>.out.json),
 * replaced in turn by each value of mut_repl[], must give the one answer
 * the protocol gives for that field: convert (lenient in: unknown fields
 * and block types, and fields we drop, take anything), or a 400 whose
 * path names the field or a field inside it (wrong types on the fields
 * we read).  The answer is looked up in mut_rules[] by the field's
 * path with each array item named by its "type" or else its "role"
 * (messages[user].content[image].source.type); "[*]" there matches any
 * item.  A field no rule names must convert.  Cases whose input is
 * already a 400 (<case>.err.json) are left out: what a change to an
 * invalid request gives says nothing (the fuzz targets cover them).
 */
static const char *const mut_repl[] = {
    "null", "1",  "-1.5", "\"\"",    "\"x\"",       "true",
    "[]",   "{}", "[{}]", "[\"a\"]", "{\"type\":1}"};
#define NREPL (sizeof(mut_repl) / sizeof(mut_repl[0]))

/* One letter per mut_repl[] value: 'o' converts, 'b' is a 400. */
#define NONE "bbbbbbbbbbb"     /* required, and none of these will do */
#define STR "bbboobbbbbb"      /* any string */
#define NONEMPTY "bbbbobbbbbb" /* a non-empty string */
#define POSINT "bobbbbbbbbb"   /* a positive integer */
#define OPT_POSINT "oobbbbbbbbb"
#define OPT_NUM "ooobbbbbbbb" /* a number or null */
#define OPT_BOOL "obbbbobbbbb"
#define OBJ "bbbbbbbobbo" /* any object */
#define OPT_OBJ "obbbbbbobbo"
#define OPT_TYPED "obbbbbbbbbb" /* null or an object with a valid type */
#define CONTENT "bbboobobbbb"   /* a string or an array of blocks */
#define OPT_CONTENT "obboobobbbb"
#define OPT_LIST "obbbbbobbbb" /* null or an array of valid items */
#define OPT_STRS "obbbbbobbob" /* null or an array of strings */

static const struct mut_rule {
    const char *path, *want;
} mut_rules[] = {
    {"model", NONEMPTY},
    {"max_tokens", POSINT},
    {"temperature", OPT_NUM},
    {"top_p", OPT_NUM},
    {"top_k", OPT_NUM},
    {"stream", OPT_BOOL},
    {"stop_sequences", OPT_STRS},
    {"stop_sequences[*]", STR},
    {"system", OPT_CONTENT},
    {"system[*]", NONE},
    {"system[*].type", STR},
    {"system[text].text", STR},
    {"messages", NONE},
    {"messages[*]", NONE},
    {"messages[*].role", NONE},
    {"messages[*].content", CONTENT},
    {"messages[*].content[*]", NONE},
    {"messages[*].content[*].type", STR},
    {"messages[*].content[text].text", STR},
    {"messages[*].content[tool_use].id", STR},
    {"messages[*].content[tool_use].name", STR},
    {"messages[*].content[tool_use].input", OBJ},
    {"messages[*].content[tool_result].tool_use_id", STR},
    {"messages[*].content[tool_result].content", OPT_CONTENT},
    {"messages[*].content[tool_result].content[*]", NONE},
    {"messages[*].content[tool_result].content[*].type", STR},
    {"messages[*].content[tool_result].content[text].text", STR},
    /* images and documents the user sends (an assistant's are dropped) */
    {"messages[user].content[image].source", NONE},
    {"messages[user].content[image].source.type", NONE},
    {"messages[user].content[image].source.data", STR},
    {"messages[user].content[image].source.media_type", STR},
    {"messages[user].content[image].source.url", STR},
    {"messages[user].content[document].source", OBJ},
    {"messages[user].content[tool_result].content[image].source", NONE},
    {"messages[user].content[tool_result].content[image].source.type", NONE},
    {"messages[user].content[tool_result].content[image].source.data", STR},
    {"messages[user].content[tool_result].content[image].source.media_type",
     STR},
    {"messages[user].content[tool_result].content[document].source", OBJ},
    {"thinking", OPT_TYPED},
    {"thinking.type", STR},
    {"thinking.budget_tokens", OPT_POSINT},
    {"tool_choice", OPT_TYPED},
    {"tool_choice.type", NONE},
    {"tool_choice.name", STR},
    {"tools", OPT_LIST},
    {"tools[*]", NONE},
    {"tools[*].name", NONEMPTY},
    {"tools[*].input_schema", OPT_OBJ},
};

/* Whether qualified path q matches rule pattern p ("[*]": any item). */
static int
mut_match(const char *p, const char *q)
{
    while (*p != '\0' && *q != '\0') {
        if (p[0] == '[' && p[1] == '*' && p[2] == ']' && *q == '[') {
            p += 3;
            q = strchr(q, ']');
            if (q == NULL)
                return 0;
            q++;
        } else if (*p++ != *q++) {
            return 0;
        }
    }
    return *p == '\0' && *q == '\0';
}

/* The mut_repl[] answers for the field at qualified path q. */
static const char *
mut_want(const char *q)
{
    size_t i;

    for (i = 0; i < sizeof(mut_rules) / sizeof(mut_rules[0]); i++)
        if (mut_match(mut_rules[i].path, q))
            return mut_rules[i].want;
    return "ooooooooooo";
}

struct mut_run {
    const char *name; /* the case's file */
    const struct a2o_conf *conf;
    cJSON *base;
    int bad; /* wrong answers so far */
};

/* Replaces it by every mut_repl[] value in place (keeping the links) and
 * checks each answer; path and q name it plainly and qualified. */
static void
mut_try(struct mut_run *m, cJSON *it, const char *path, const char *q)
{
    const char *want = mut_want(q);
    size_t r, pl = strlen(path);

    for (r = 0; r < NREPL; r++) {
        cJSON saved = *it, *v = cJSON_Parse(mut_repl[r]);
        struct a2o_diag d;
        struct a2o_reqmeta *meta = NULL;
        struct a2o_route rt;
        cJSON *out = NULL;
        enum a2o_err err;
        int right;

        assert_non_null(v);
        it->type = v->type;
        it->child = v->child;
        it->valuestring = v->valuestring;
        it->valuedouble = v->valuedouble;
        it->valueint = v->valueint;
        err = a2o_req_convert(m->base, m->conf, &out, &meta, &rt, &d);
        if (want[r] == 'o')
            right = err == A2O_E_OK;
        else
            right =
                err == A2O_E_BADREQ && d.msg[0] != '\0' &&
                strncmp(d.path, path, pl) == 0 &&
                (d.path[pl] == '\0' || d.path[pl] == '.' || d.path[pl] == '[');
        if (!right && m->bad++ < 20)
            fprintf(stderr,
                    "%s: %s = %s: got %s at \"%s\" (%s), want %s (rule "
                    "path %s)\n",
                    m->name, path, mut_repl[r], a2o_err_name(err),
                    err == A2O_E_OK ? "" : d.path, err == A2O_E_OK ? "" : d.msg,
                    want[r] == 'o' ? "OK" : "400 at the field", q);
        cJSON_Delete(out);
        a2o_reqmeta_free(meta);
        it->type = saved.type;
        it->child = saved.child;
        it->valuestring = saved.valuestring;
        it->valuedouble = saved.valuedouble;
        it->valueint = saved.valueint;
        cJSON_Delete(v);
    }
}

/* Depth first over it's children: each one tried, then its own. */
static void
mut_walk(struct mut_run *m, cJSON *it, const char *path, const char *q)
{
    cJSON *ch;
    size_t i = 0;

    for (ch = it->child; ch != NULL; ch = ch->next, i++) {
        char p[512], pq[512];

        if (cJSON_IsArray(it)) {
            const char *tag = a2o_json_str(ch, "type");

            if (tag == NULL)
                tag = a2o_json_str(ch, "role");
            snprintf(p, sizeof(p), "%s[%zu]", path, i);
            snprintf(pq, sizeof(pq), "%s[%s]", q, tag != NULL ? tag : "");
        } else {
            snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "",
                     ch->string);
            snprintf(pq, sizeof(pq), "%s%s%s", q, *q ? "." : "", ch->string);
        }
        mut_try(m, ch, p, pq);
        mut_walk(m, ch, p, pq);
    }
}

static void
every_field_with_every_type_gets_its_one_answer(void **state)
{
    struct a2o_conf c;
    char **names;
    size_t n = th_list(DATA, ".in.json", &names), f, tried = 0;
    int bad = 0;

    (void)state;
    load_conf(NULL, &c);
    for (f = 0; f < n; f++) {
        char base[256], path[512];
        struct mut_run m;

        snprintf(base, sizeof(base), "%.*s",
                 (int)(strlen(names[f]) - strlen(".in.json")), names[f]);
        if (!exists(with(path, sizeof(path), base, ".out.json")))
            continue;
        m.name = names[f];
        m.conf = &c;
        m.base = th_read_json(names[f]);
        m.bad = 0;
        mut_walk(&m, m.base, "", "");
        bad += m.bad;
        tried++;
        cJSON_Delete(m.base);
    }
    th_free_list(names, n);
    a2o_conf_free(&c);
    assert_true(tried > 0);
    if (bad > 0)
        fail_msg("%d wrong answers (the first 20 of each case above)", bad);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(golden_pairs_convert_as_recorded),
        cmocka_unit_test_setup_teardown(
            golden_pairs_survive_allocation_failures, th_setup_leaks,
            name_failed_case),
        cmocka_unit_test(own_claude_code_fixtures_convert_strictly),
        cmocka_unit_test(captured_claude_code_requests_convert_strictly),
        cmocka_unit_test(bytes_variant_matches_tree_variant),
        cmocka_unit_test(routing_picks_the_haiku_upstream),
        cmocka_unit_test(tool_name_restore_handles_unknown_names),
        cmocka_unit_test(every_field_with_every_type_gets_its_one_answer),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("req", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
