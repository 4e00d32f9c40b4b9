/* test_route.c: routing, key comparison and upstream profile inference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/conf.h"
#include "../../common/route.h"
#include "../lib/harness.h"

/* A finished conf from NULL-terminated key, value pairs. */
static void
conf_from(struct a2o_conf *c, const char *const *kv)
{
    struct a2o_diag d;

    a2o_conf_init(c);
    for (; kv != NULL && kv[0] != NULL; kv += 2)
        assert_int_equal(a2o_conf_set(c, kv[0], kv[1], &d), A2O_E_OK);
    assert_int_equal(a2o_conf_finish(c, &d), A2O_E_OK);
}

static void
routes_by_haiku_then_map_then_unchanged(void **state)
{
    static const char *const kv[] = {"OPENAI_BASE_URL",
                                     "http://main.example:8000/v1/",
                                     "OPENAI_API_KEY",
                                     "sk-main",
                                     "HAIKU_MODEL_NAME",
                                     "small-model",
                                     "HAIKU_BASE_URL",
                                     "http://small.example/v1",
                                     "MODEL_MAP",
                                     "Sonnet=qwen3-coder, opus=qwen3-max",
                                     NULL};
    static const struct {
        const char *client, *model, *base, *key;
    } cases[] = {
        {"claude-3-5-HAIKU-20241022", "small-model", "http://small.example/v1",
         "sk-main"}, /* HAIKU_API_KEY defaults to OPENAI_API_KEY */
        {"claude-sonnet-4-5", "qwen3-coder", "http://main.example:8000/v1",
         "sk-main"},
        {"claude-OPUS-4-1", "qwen3-max", "http://main.example:8000/v1",
         "sk-main"},
        {"gpt-4o", "gpt-4o", "http://main.example:8000/v1", "sk-main"},
        {"", "", "http://main.example:8000/v1", "sk-main"},
    };
    struct a2o_conf c;
    struct a2o_route r;
    size_t i;

    (void)state;
    conf_from(&c, kv);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        a2o_route(&c, cases[i].client, &r);
        assert_string_equal(r.model, cases[i].model);
        assert_string_equal(r.base_url, cases[i].base);
        assert_string_equal(r.api_key, cases[i].key);
        assert_string_equal(r.client_model, cases[i].client);
    }
    a2o_conf_free(&c);
}

static void
star_entry_catches_the_rest_and_order_matters(void **state)
{
    static const char *const kv[] = {
        "MODEL_MAP", "*=default-model,sonnet=never-reached", NULL};
    static const char *const kv2[] = {"MODEL_MAP",
                                      "sonnet=coder,*=default-model", NULL};
    struct a2o_conf c;
    struct a2o_route r;

    (void)state;
    conf_from(&c, kv);
    a2o_route(&c, "claude-sonnet-4", &r);
    assert_string_equal(r.model, "default-model");
    a2o_conf_free(&c);
    conf_from(&c, kv2);
    a2o_route(&c, "claude-sonnet-4", &r);
    assert_string_equal(r.model, "coder");
    a2o_route(&c, "claude-haiku-4", &r); /* no HAIKU_MODEL_NAME: map */
    assert_string_equal(r.model, "default-model");
    assert_null(r.api_key); /* no key configured: the client's passes */
    a2o_conf_free(&c);
}

static void
haiku_upstream_keeps_its_own_key(void **state)
{
    static const char *const kv[] = {
        "OPENAI_API_KEY", "sk-main", "HAIKU_MODEL_NAME", "h", "HAIKU_API_KEY",
        "sk-haiku",       NULL};
    struct a2o_conf c;
    struct a2o_route r;

    (void)state;
    conf_from(&c, kv);
    a2o_route(&c, "haiku", &r);
    assert_string_equal(r.api_key, "sk-haiku");
    assert_string_equal(r.base_url, "http://localhost:8094/v1");
    a2o_route(&c, "sonnet", &r);
    assert_string_equal(r.api_key, "sk-main");
    a2o_conf_free(&c);
}

static void
key_comparison(void **state)
{
    (void)state;
    assert_true(a2o_key_equal("secret", 6, "secret"));
    assert_false(a2o_key_equal("secreT", 6, "secret"));
    assert_false(a2o_key_equal("secre", 5, "secret"));
    assert_false(a2o_key_equal("secrets", 7, "secret"));
    assert_false(a2o_key_equal("secret", 6, ""));
    assert_true(a2o_key_equal("", 0, ""));
    /* only n bytes count: no NUL needed, trailing bytes ignored */
    assert_true(a2o_key_equal("secretXYZ", 6, "secret"));
    assert_false(a2o_key_equal("sec\0et", 6, "secret"));
    assert_false(a2o_key_equal(NULL, 0, "x"));
}

/* Expected profile per upstream; -1 columns are not checked. */
struct prow {
    const char *url, *model;
    int null_content, maxtok, top_k, reasoning, replay, cache, schema, sopt,
        required, think;
};

static const struct prow profiles[] = {
    {"https://generativelanguage.googleapis.com/v1beta/openai",
     "gemini-2.5-pro", 1, A2O_MAXTOK_MAX_TOKENS, 0, A2O_REASONING_EFFORT, 0, 0,
     A2O_SCHEMA_GEMINI, 1, 1, 0},
    {"http://localhost:4000/v1", "gemini-2.5-flash", 1, A2O_MAXTOK_MAX_TOKENS,
     0, A2O_REASONING_EFFORT, 0, 0, A2O_SCHEMA_GEMINI, 1, 1, 1},
    {"https://openrouter.ai/api/v1", "google/gemini-2.5-pro", 1,
     A2O_MAXTOK_MAX_TOKENS, 1, A2O_REASONING_OPENROUTER, 0, 1, A2O_SCHEMA_SEED,
     1, 1, 0},
    {"https://openrouter.ai/api/v1", "deepseek/deepseek-r1", 1,
     A2O_MAXTOK_MAX_TOKENS, 1, A2O_REASONING_OPENROUTER, 0, 1, A2O_SCHEMA_SEED,
     1, 1, 0},
    {"https://api.deepseek.com/v1", "deepseek-chat", 1, A2O_MAXTOK_MAX_TOKENS,
     0, A2O_REASONING_DEEPSEEK, 1, 0, A2O_SCHEMA_SEED, 1, 1, 0},
    {"http://127.0.0.1:8000/v1", "deepseek-ai/DeepSeek-V3.1", 1,
     A2O_MAXTOK_MAX_TOKENS, 1, A2O_REASONING_DEEPSEEK, 1, 0, A2O_SCHEMA_SEED, 1,
     1, 1},
    {"https://api.openai.com/v1", "o3-mini", 1,
     A2O_MAXTOK_MAX_COMPLETION_TOKENS, 0, A2O_REASONING_EFFORT, 0, 0,
     A2O_SCHEMA_SEED, 1, 1, 0},
    {"https://api.openai.com/v1", "gpt-5-mini", 1,
     A2O_MAXTOK_MAX_COMPLETION_TOKENS, 0, A2O_REASONING_EFFORT, 0, 0,
     A2O_SCHEMA_SEED, 1, 1, 0},
    {"https://api.openai.com/v1", "gpt-4o", 1, A2O_MAXTOK_MAX_TOKENS, 0,
     A2O_REASONING_NONE, 0, 0, A2O_SCHEMA_SEED, 1, 1, 0},
    {"https://myres.openai.azure.com/openai/deployments/x", "o4-mini", 1,
     A2O_MAXTOK_MAX_COMPLETION_TOKENS, 0, A2O_REASONING_EFFORT, 0, 0,
     A2O_SCHEMA_SEED, 1, 1, 0},
    {"http://localhost:11434/v1", "qwen3:8b", 0, A2O_MAXTOK_MAX_TOKENS, 1,
     A2O_REASONING_EFFORT, 1, 0, A2O_SCHEMA_SEED, 1, 1, 1},
    {"http://ollama.example.com/v1", "llama3", 0, A2O_MAXTOK_MAX_TOKENS, 1,
     A2O_REASONING_EFFORT, 1, 0, A2O_SCHEMA_SEED, 1, 1, 1},
    {"http://localhost:8094/v1", "qwen3-coder", 1, A2O_MAXTOK_MAX_TOKENS, 1,
     A2O_REASONING_EFFORT, 1, 0, A2O_SCHEMA_SEED, 1, 1, 1},
    {"http://192.168.1.20:8080/v1", "llama", 1, A2O_MAXTOK_MAX_TOKENS, 1,
     A2O_REASONING_EFFORT, 1, 0, A2O_SCHEMA_SEED, 1, 1, 1},
    {"http://vllm:8000/v1", "m", 1, A2O_MAXTOK_MAX_TOKENS, 1,
     A2O_REASONING_EFFORT, 1, 0, A2O_SCHEMA_SEED, 1, 1, 1},
    {"http://[::1]:8000/v1", "m", 1, A2O_MAXTOK_MAX_TOKENS, 1,
     A2O_REASONING_EFFORT, 1, 0, A2O_SCHEMA_SEED, 1, 1, 1},
    {"https://api.mistral.ai/v1", "mistral-large", 1, A2O_MAXTOK_MAX_TOKENS, 0,
     A2O_REASONING_NONE, 0, 0, A2O_SCHEMA_SEED, 1, 1, 1},
    {"https://172.32.0.1/v1", "m", 1, A2O_MAXTOK_MAX_TOKENS, 0,
     A2O_REASONING_NONE, 0, 0, A2O_SCHEMA_SEED, 1, 1, 1},
    /* a look-alike host is not OpenAI */
    {"https://api.openai.com.evil.example/v1", "o3", 1, A2O_MAXTOK_MAX_TOKENS,
     0, A2O_REASONING_NONE, 0, 0, A2O_SCHEMA_SEED, 1, 1, 1},
};

/* Names the row on failure (cmocka's asserts cannot). */
#define CHECK(field, col)                                                      \
    do {                                                                       \
        if ((int)p.field != w->col)                                            \
            fail_msg("%s %s: " #field " = %d, want %d", w->url, w->model,      \
                     (int)p.field, w->col);                                    \
    } while (0)

static void
profile_inference_table(void **state)
{
    struct a2o_profile p;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
        const struct prow *w = &profiles[i];

        a2o_profile_infer(NULL, w->url, w->model, &p);
        CHECK(null_content, null_content);
        CHECK(maxtok_field, maxtok);
        CHECK(top_k, top_k);
        CHECK(reasoning, reasoning);
        CHECK(thinking_replay, replay);
        CHECK(cache_control, cache);
        CHECK(schema, schema);
        CHECK(stream_options, sopt);
        CHECK(tool_choice_required, required);
        CHECK(think_tags, think);
        assert_int_equal(p.max_tokens_cap, 0);
    }
}

/* Which hosts count as local (top_k follows it for a generic host): the
 * private, loopback, link-local and CGNAT ranges of a dotted quad, by
 * its first two numbers. */
static void
local_address_ranges(void **state)
{
    static const struct {
        const char *url;
        int local;
    } rows[] = {
        {"http://127.0.0.1:8000/v1", 1}, {"http://10.1.2.3/v1", 1},
        {"http://172.16.0.1/v1", 1},     {"http://172.31.255.1/v1", 1},
        {"http://172.15.0.1/v1", 0},     {"http://192.168.0.9:80/v1", 1},
        {"http://192.169.0.9/v1", 0},    {"http://169.254.1.1/v1", 1},
        {"http://100.64.0.1/v1", 1},     {"http://100.127.9.9/v1", 1},
        {"http://100.128.0.1/v1", 0},    {"http://8.8.8.8/v1", 0},
        {"http://10.1.2/v1", 0},         {"http://10.1.2.3.4/v1", 0},
        {"http://0010.1.2.3/v1", 1},     {"http://1000000000.1.2.3/v1", 0},
        {"http://10.example.com/v1", 0}, {"http://vllm:8000/v1", 1},
    };
    struct a2o_profile p;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        a2o_profile_infer(NULL, rows[i].url, "m", &p);
        if (p.top_k != rows[i].local)
            fail_msg("%s: local %d, want %d", rows[i].url, p.top_k,
                     rows[i].local);
    }
}

/* The text tool call and prompt cache key switches, and their overrides. */
static void
text_calls_and_cache_key_inference(void **state)
{
    static const struct {
        const char *url;
        int ttc, pck;
    } rows[] = {
        {"http://localhost:8080/v1", 1, 0},     /* llama.cpp, LM Studio */
        {"http://192.168.1.20:1234/v1", 1, 0},  /* LM Studio on the LAN */
        {"http://ollama.example.com/v1", 1, 0}, /* remote Ollama */
        {"https://api.openai.com/v1", 0, 1},
        {"https://myres.openai.azure.com/openai/deployments/x", 0, 0},
        {"https://api.x.ai/v1", 0, 1},
        {"https://openrouter.ai/api/v1", 0, 1},
        {"https://litellm.corp.example/v1", 0, 0},
        {"https://api.x.ai.evil.example/v1", 0, 0},
    };
    struct a2o_conf c;
    struct a2o_diag d;
    struct a2o_profile p;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        a2o_profile_infer(NULL, rows[i].url, "m", &p);
        if (p.text_tool_calls != rows[i].ttc ||
            p.prompt_cache_key != rows[i].pck)
            fail_msg("%s: text_tool_calls %d prompt_cache_key %d", rows[i].url,
                     p.text_tool_calls, p.prompt_cache_key);
    }
    a2o_conf_init(&c);
    assert_int_equal(a2o_conf_set(&c, "UPSTREAM_TEXT_TOOL_CALLS", "1", &d),
                     A2O_E_OK);
    assert_int_equal(a2o_conf_set(&c, "UPSTREAM_PROMPT_CACHE_KEY", "1", &d),
                     A2O_E_OK);
    a2o_profile_infer(&c, "https://litellm.corp.example/v1", "m", &p);
    assert_int_equal(p.text_tool_calls, 1);
    assert_int_equal(p.prompt_cache_key, 1);
    assert_int_equal(a2o_conf_set(&c, "UPSTREAM_TEXT_TOOL_CALLS", "0", &d),
                     A2O_E_OK);
    assert_int_equal(a2o_conf_set(&c, "UPSTREAM_PROMPT_CACHE_KEY", "0", &d),
                     A2O_E_OK);
    a2o_profile_infer(&c, "https://api.openai.com/v1", "m", &p);
    assert_int_equal(p.prompt_cache_key, 0);
    a2o_profile_infer(&c, "http://localhost:8080/v1", "m", &p);
    assert_int_equal(p.text_tool_calls, 0);
    a2o_conf_free(&c);
}

static void
overrides_win_over_inference(void **state)
{
    static const char *const kv[] = {"OPENAI_BASE_URL",
                                     "https://api.openai.com/v1",
                                     "UPSTREAM_NULL_CONTENT",
                                     "empty",
                                     "UPSTREAM_MAX_TOKENS_FIELD",
                                     "max_completion_tokens",
                                     "UPSTREAM_MAX_TOKENS",
                                     "8192",
                                     "UPSTREAM_TOP_K",
                                     "yes",
                                     "UPSTREAM_REASONING",
                                     "deepseek",
                                     "UPSTREAM_THINKING_REPLAY",
                                     "on",
                                     "UPSTREAM_CACHE_CONTROL",
                                     "true",
                                     "SCHEMA_PROFILE",
                                     "gemini",
                                     "UPSTREAM_STREAM_OPTIONS",
                                     "off",
                                     "UPSTREAM_TOOL_CHOICE_REQUIRED",
                                     "no",
                                     "UPSTREAM_THINK_TAGS",
                                     "1",
                                     NULL};
    struct a2o_conf c;
    struct a2o_route r;

    (void)state;
    conf_from(&c, kv);
    a2o_route(&c, "claude-sonnet-4", &r);
    assert_int_equal(r.profile.null_content, 0);
    assert_int_equal(r.profile.maxtok_field, A2O_MAXTOK_MAX_COMPLETION_TOKENS);
    assert_int_equal(r.profile.max_tokens_cap, 8192);
    assert_int_equal(r.profile.top_k, 1);
    assert_int_equal(r.profile.reasoning, A2O_REASONING_DEEPSEEK);
    assert_int_equal(r.profile.thinking_replay, 1);
    assert_int_equal(r.profile.cache_control, 1);
    assert_int_equal(r.profile.schema, A2O_SCHEMA_GEMINI);
    assert_int_equal(r.profile.stream_options, 0);
    assert_int_equal(r.profile.tool_choice_required, 0);
    assert_int_equal(r.profile.think_tags, 1);
    a2o_conf_free(&c);
}

static void
haiku_route_gets_its_own_profile(void **state)
{
    static const char *const kv[] = {
        "OPENAI_BASE_URL",
        "http://localhost:8000/v1",
        "HAIKU_MODEL_NAME",
        "gemini-2.5-flash",
        "HAIKU_BASE_URL",
        "https://generativelanguage.googleapis.com/v1beta/openai/",
        NULL};
    struct a2o_conf c;
    struct a2o_route r;

    (void)state;
    conf_from(&c, kv);
    a2o_route(&c, "claude-haiku-4-5", &r);
    assert_int_equal(r.profile.schema, A2O_SCHEMA_GEMINI);
    assert_string_equal(r.base_url,
                        "https://generativelanguage.googleapis.com/v1beta/"
                        "openai");
    a2o_route(&c, "claude-sonnet-4-5", &r);
    assert_int_equal(r.profile.schema, A2O_SCHEMA_SEED);
    assert_int_equal(r.profile.top_k, 1);
    a2o_conf_free(&c);
}

/* The plan for a request body (JSON text) under conf c.  The plan
 * borrows the client model from the tree, which stays alive until the
 * next call (and is freed by plan_done). */
static cJSON *plan_tree;

static void
plan_done(void)
{
    cJSON_Delete(plan_tree);
    plan_tree = NULL;
}

static void
plan_of(const struct a2o_conf *c, const char *json, struct a2o_plan *pl)
{
    plan_done();
    plan_tree = cJSON_Parse(json);
    assert_non_null(plan_tree);
    a2o_route_plan(c, plan_tree, pl);
}

static const char *const multi[] = {
    "OPENAI_BASE_URL",
    "http://main.example/v1",
    "MODEL_MAP",
    "sonnet=main-coder",
    "HAIKU_MODEL_NAME",
    "tiny",
    "PROVIDER_Local_BASE_URL",
    "http://127.0.0.1:8000/v1",
    "PROVIDER_LOCAL_REASONING",
    "none",
    "PROVIDER_gem_BASE_URL",
    "https://generativelanguage.googleapis.com/v1beta/openai",
    "PROVIDER_GEM_API_KEY",
    "sk-gem",
    "PROVIDER_OR_BASE_URL",
    "https://openrouter.ai/api/v1",
    "PROVIDER_OR_API",
    "responses",
    "UPSTREAM_REASONING",
    "effort",
    "LONG_CONTEXT_TOKENS",
    "1000",
    "ROUTES",
    " opus+think = or:o-think | local ; image=GEM:gemini-2.5-pro;"
    "long=local:qwen3:30b;;haiku=local;sonnet=local|or",
    NULL};

static void
providers_are_declared_case_insensitively_with_default_first(void **state)
{
    struct a2o_conf c;
    const struct a2o_provider *p;

    (void)state;
    conf_from(&c, multi);
    assert_int_equal(c.nproviders, 5);
    assert_string_equal(c.providers[0].name, "default");
    assert_string_equal(c.providers[0].base_url, "http://main.example/v1");
    p = a2o_conf_provider(&c, "LOCAL", 5);
    assert_non_null(p);
    assert_string_equal(p->name, "local");
    assert_int_equal(p->api, A2O_API_CHAT);
    p = a2o_conf_provider(&c, "Or", 2);
    assert_non_null(p);
    assert_int_equal(p->api, A2O_API_RESPONSES);
    assert_null(a2o_conf_provider(&c, "nope", 4));
    assert_int_equal(c.haiku >= 0, 1);
    assert_string_equal(c.providers[c.haiku].model, "tiny");
    assert_int_equal(c.nrules, 5);
    assert_string_equal(c.rules[0].match, "opus");
    assert_int_equal(c.rules[0].conds, A2O_COND_THINK);
    assert_int_equal(c.rules[0].ntargets, 2);
    assert_string_equal(c.rules[2].targets[0].model, "qwen3:30b");
    a2o_conf_free(&c);
}

static void
each_kind_of_rule_picks_its_provider_and_model(void **state)
{
    static const struct {
        const char *body;
        int rule;
        const char *provider, *model;
        size_t n;
    } cases[] = {
        /* model substring + condition: both must hold */
        {"{\"model\":\"claude-opus-4-1\",\"thinking\":{\"type\":\"enabled\","
         "\"budget_tokens\":2000},\"messages\":[]}",
         0, "or", "o-think", 2},
        {"{\"model\":\"claude-opus-4-1\",\"thinking\":{\"type\":"
         "\"adaptive\"},\"messages\":[]}",
         0, "or", "o-think", 2},
        /* opus without thinking: no rule, seed routing on default */
        {"{\"model\":\"claude-opus-4-1\",\"messages\":[]}", -1, "default",
         "claude-opus-4-1", 1},
        /* an image inside a tool_result counts */
        {"{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":"
         "[{\"type\":\"tool_result\",\"tool_use_id\":\"t\",\"content\":"
         "[{\"type\":\"image\",\"source\":{}}]}]}]}",
         1, "gem", "gemini-2.5-pro", 1},
        {"{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":"
         "[{\"type\":\"document\",\"source\":{}}]}]}",
         1, "gem", "gemini-2.5-pro", 1},
        /* haiku rule of ROUTES: the provider alone keeps the client model
         * after MODEL_MAP (none matches here) */
        {"{\"model\":\"claude-haiku-4-5\",\"messages\":[]}", 3, "local",
         "claude-haiku-4-5", 1},
        /* sonnet: MODEL_MAP applies to a target without a model */
        {"{\"model\":\"claude-sonnet-4-5\",\"messages\":[]}", 4, "local",
         "main-coder", 2},
    };
    struct a2o_conf c;
    struct a2o_plan pl;
    size_t i;

    (void)state;
    conf_from(&c, multi);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        plan_of(&c, cases[i].body, &pl);
        assert_int_equal(pl.rule, cases[i].rule);
        assert_int_equal(pl.n, cases[i].n);
        assert_string_equal(pl.t[0].provider, cases[i].provider);
        assert_string_equal(pl.t[0].model, cases[i].model);
    }
    /* the second target of the sonnet rule: responses API, MODEL_MAP */
    plan_of(&c, "{\"model\":\"claude-sonnet-4-5\",\"messages\":[]}", &pl);
    assert_string_equal(pl.t[1].provider, "or");
    assert_int_equal(pl.t[1].api, A2O_API_RESPONSES);
    assert_string_equal(pl.t[1].model, "main-coder");
    assert_string_equal(pl.t[1].base_url, "https://openrouter.ai/api/v1");
    plan_done();
    a2o_conf_free(&c);
}

static void
long_condition_uses_the_estimate(void **state)
{
    struct a2o_conf c;
    struct a2o_plan pl;
    char body[16384];
    size_t n, i;

    (void)state;
    conf_from(&c, multi);
    n = (size_t)snprintf(body, sizeof(body),
                         "{\"model\":\"m\",\"messages\":[{\"role\":"
                         "\"user\",\"content\":\"");
    for (i = 0; i < 1500; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n, "word%zu ", i % 97);
    snprintf(body + n, sizeof(body) - n, "\"}]}");
    plan_of(&c, body, &pl);
    assert_int_equal(pl.rule, 2);
    assert_true(pl.estimate >= 1000);
    assert_string_equal(pl.t[0].provider, "local");
    assert_string_equal(pl.t[0].model, "qwen3:30b");
    /* short: no rule, and the estimate was computed (rule 2 was tried) */
    plan_of(&c,
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
            "\"content\":\"hi\"}]}",
            &pl);
    assert_int_equal(pl.rule, -1);
    assert_true(pl.estimate >= 0 && pl.estimate < 1000);
    plan_done();
    a2o_conf_free(&c);
}

static void
provider_switches_win_over_global_ones(void **state)
{
    struct a2o_conf c;
    struct a2o_plan pl;

    (void)state;
    conf_from(&c, multi);
    plan_of(&c, "{\"model\":\"claude-sonnet-4-5\",\"messages\":[]}", &pl);
    /* PROVIDER_LOCAL_REASONING=none beats UPSTREAM_REASONING=effort */
    assert_int_equal(pl.t[0].profile.reasoning, A2O_REASONING_NONE);
    assert_int_equal(pl.t[1].profile.reasoning, A2O_REASONING_EFFORT);
    /* no ROUTES rule for the plain default: the global switch */
    plan_of(&c, "{\"model\":\"gpt\",\"messages\":[]}", &pl);
    assert_int_equal(pl.t[0].profile.reasoning, A2O_REASONING_EFFORT);
    plan_done();
    a2o_conf_free(&c);
}

static void
no_routes_routes_exactly_as_the_seed(void **state)
{
    static const char *const kv[] = {"HAIKU_MODEL_NAME",
                                     "tiny",
                                     "HAIKU_BASE_URL",
                                     "http://small/v1",
                                     "MODEL_MAP",
                                     "opus=big",
                                     NULL};
    struct a2o_conf c;
    struct a2o_plan pl;
    struct a2o_route r;

    (void)state;
    conf_from(&c, kv);
    plan_of(&c, "{\"model\":\"claude-haiku-4-5\",\"messages\":[]}", &pl);
    a2o_route(&c, "claude-haiku-4-5", &r);
    assert_int_equal(pl.rule, -1);
    assert_int_equal(pl.n, 1);
    assert_string_equal(pl.t[0].provider, "haiku");
    assert_string_equal(pl.t[0].model, "tiny");
    assert_string_equal(pl.t[0].base_url, "http://small/v1");
    assert_string_equal(r.base_url, pl.t[0].base_url);
    plan_of(&c, "{\"model\":\"claude-opus-4-1\",\"messages\":[]}", &pl);
    assert_string_equal(pl.t[0].provider, "default");
    assert_string_equal(pl.t[0].model, "big");
    assert_string_equal(pl.t[0].base_url, "http://localhost:8094/v1");
    assert_int_equal(pl.estimate, -1); /* never needed */
    plan_done();
    a2o_conf_free(&c);
}

static void
bad_provider_and_route_settings_name_themselves(void **state)
{
    static const struct {
        const char *k1, *v1, *k2, *v2, *want;
    } cases[] = {
        {"ROUTES", "haiku=nowhere", NULL, NULL, "unknown provider \"nowhere\""},
        {"ROUTES", "haiku=", NULL, NULL, "empty target"},
        {"ROUTES", "haiku=default||default", NULL, NULL, "empty target"},
        {"ROUTES", "opus+thinking=default", NULL, NULL,
         "unknown condition \"thinking\""},
        {"ROUTES", "=default", NULL, NULL, "empty match"},
        {"ROUTES", "opus", NULL, NULL, "MATCH=TARGET"},
        {"ROUTES", "opus=default:", NULL, NULL, "empty model"},
        {"PROVIDER_X_API_KEY", "k", NULL, NULL,
         "PROVIDER_X_BASE_URL: required"},
        {"PROVIDER_X_BASE_URL", "ftp://h", NULL, NULL, "PROVIDER_X_BASE_URL"},
        {"PROVIDER_X_API", "grpc", NULL, NULL, "PROVIDER_X_API: expected chat"},
        {"PROVIDER_X_FROB", "1", NULL, NULL, "unknown provider setting"},
        {"PROVIDER__BASE_URL", "http://h", NULL, NULL, "PROVIDER_<NAME>"},
        {"PROVIDER_A-B_BASE_URL", "http://h", NULL, NULL, "PROVIDER_<NAME>"},
        {"PROVIDER_X_TOP_K", "maybe", NULL, NULL,
         "PROVIDER_X_TOP_K: expected a"},
        {"PROVIDER_X_BASE_URL", "http://h", "PROVIDER_X_MAX_TOKENS", "-3",
         "PROVIDER_X_MAX_TOKENS: expected an integer"},
    };
    struct a2o_conf c;
    struct a2o_diag d;
    enum a2o_err err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        a2o_conf_init(&c);
        a2o_diag_clear(&d);
        err = a2o_conf_set(&c, cases[i].k1, cases[i].v1, &d);
        if (err == A2O_E_OK && cases[i].k2 != NULL)
            err = a2o_conf_set(&c, cases[i].k2, cases[i].v2, &d);
        if (err == A2O_E_OK)
            err = a2o_conf_finish(&c, &d);
        assert_int_equal(err, A2O_E_CONF);
        if (strstr(d.msg, cases[i].want) == NULL)
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, d.msg, cases[i].want);
        a2o_conf_free(&c);
    }
}

static void
provider_keys_never_reach_a_message(void **state)
{
    struct a2o_conf c;
    struct a2o_diag d;

    (void)state;
    a2o_conf_init(&c);
    assert_int_equal(
        a2o_conf_set(&c, "PROVIDER_X_API_KEY", "sk secret-xyz", &d),
        A2O_E_CONF);
    assert_null(strstr(d.msg, "secret-xyz"));
    assert_non_null(strstr(d.msg, "PROVIDER_X_API_KEY"));
    a2o_conf_free(&c);
}

static void
seed_names_and_provider_settings_combine(void **state)
{
    static const char *const kv[] = {"OPENAI_API_KEY",
                                     "sk-main",
                                     "HAIKU_MODEL_NAME",
                                     "tiny",
                                     "PROVIDER_HAIKU_BASE_URL",
                                     "http://haiku-own/v1",
                                     "PROVIDER_DEFAULT_API_KEY",
                                     "sk-own",
                                     NULL};
    struct a2o_conf c;
    struct a2o_route r;

    (void)state;
    conf_from(&c, kv);
    a2o_route(&c, "claude-haiku-4-5", &r);
    assert_string_equal(r.base_url, "http://haiku-own/v1");
    assert_string_equal(r.api_key, "sk-main"); /* HAIKU_API_KEY's default */
    a2o_route(&c, "claude-opus-4-1", &r);
    assert_string_equal(r.api_key, "sk-own"); /* the provider's own wins */
    assert_string_equal(r.base_url, "http://localhost:8094/v1");
    a2o_conf_free(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes_by_haiku_then_map_then_unchanged),
        cmocka_unit_test(star_entry_catches_the_rest_and_order_matters),
        cmocka_unit_test(haiku_upstream_keeps_its_own_key),
        cmocka_unit_test(key_comparison),
        cmocka_unit_test(profile_inference_table),
        cmocka_unit_test(overrides_win_over_inference),
        cmocka_unit_test(local_address_ranges),
        cmocka_unit_test(text_calls_and_cache_key_inference),
        cmocka_unit_test(haiku_route_gets_its_own_profile),
        cmocka_unit_test(
            providers_are_declared_case_insensitively_with_default_first),
        cmocka_unit_test(each_kind_of_rule_picks_its_provider_and_model),
        cmocka_unit_test(long_condition_uses_the_estimate),
        cmocka_unit_test(provider_switches_win_over_global_ones),
        cmocka_unit_test(no_routes_routes_exactly_as_the_seed),
        cmocka_unit_test(bad_provider_and_route_settings_name_themselves),
        cmocka_unit_test(provider_keys_never_reach_a_message),
        cmocka_unit_test(seed_names_and_provider_settings_combine),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("route", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
