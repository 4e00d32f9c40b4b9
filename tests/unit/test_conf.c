/* test_conf.c: settings, defaults, errors and the .env parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/conf.h"
#include "../lib/harness.h"

static void
defaults_after_finish(void **state)
{
    struct a2o_conf c;
    struct a2o_diag d;

    (void)state;
    a2o_conf_init(&c);
    assert_int_equal(a2o_conf_finish(&c, &d), A2O_E_OK);
    assert_string_equal(c.base_url, "http://localhost:8094/v1");
    assert_string_equal(c.haiku_base_url, "http://localhost:8094/v1");
    assert_null(c.api_key);
    assert_null(c.haiku_api_key);
    assert_null(c.haiku_model);
    assert_null(c.proxy_api_key);
    assert_null(c.map);
    assert_int_equal(c.nmap, 0);
    assert_null(c.models);
    assert_int_equal(c.max_body, 32u << 20);
    assert_int_equal(c.connect_timeout, 10);
    assert_int_equal(c.idle_timeout, 300);
    assert_int_equal(c.request_timeout, 1800);
    assert_int_equal(c.ping_interval, 15);
    assert_int_equal(c.threads, 4);
    assert_int_equal(c.log_level, A2O_LOG_INFO);
    assert_int_equal(c.max_sse_line, 16u << 20);
    assert_int_equal(c.max_response, 64u << 20);
    assert_int_equal(c.ov.null_content, -1);
    assert_int_equal(c.ov.maxtok_field, -1);
    assert_int_equal(c.ov.max_tokens_cap, -1);
    assert_int_equal(c.ov.top_k, -1);
    assert_int_equal(c.ov.reasoning, -1);
    assert_int_equal(c.ov.thinking_replay, -1);
    assert_int_equal(c.ov.cache_control, -1);
    assert_int_equal(c.ov.schema, -1);
    assert_int_equal(c.ov.stream_options, -1);
    assert_int_equal(c.ov.tool_choice_required, -1);
    assert_int_equal(c.ov.think_tags, -1);
    a2o_conf_free(&c);
}

/* One valid value and what it sets, read back as a number or string. */
struct okcase {
    const char *key, *val;
    size_t off; /* field offset */
    char type;  /* 'l' long, 'i' int, 'z' size_t, 's' string, 'e' enum */
    long num;
    const char *str;
};

#define O(f) offsetof(struct a2o_conf, f)

static const struct okcase oks[] = {
    {"OPENAI_BASE_URL", "https://h.example/v1//", O(base_url), 's', 0,
     "https://h.example/v1"},
    {"OPENAI_BASE_URL", "HTTP://H:1", O(base_url), 's', 0, "HTTP://H:1"},
    {"OPENAI_API_KEY", "sk-abc", O(api_key), 's', 0, "sk-abc"},
    {"HAIKU_MODEL_NAME", "qwen3:4b", O(haiku_model), 's', 0, "qwen3:4b"},
    {"HAIKU_BASE_URL", "http://x/", O(haiku_base_url), 's', 0, "http://x"},
    {"HAIKU_API_KEY", "k2", O(haiku_api_key), 's', 0, "k2"},
    {"PROXY_API_KEY", "pk", O(proxy_api_key), 's', 0, "pk"},
    {"MODELS", " a , b,,c ", O(models), 's', 0, "a,b,c"},
    {"MAX_BODY_BYTES", "1024", O(max_body), 'z', 1024, NULL},
    {"MAX_BODY_BYTES", "10k", O(max_body), 'z', 10240, NULL},
    {"MAX_BODY_BYTES", "2M", O(max_body), 'z', 2097152, NULL},
    {"MAX_BODY_BYTES", "1g", O(max_body), 'z', 1073741824, NULL},
    {"MAX_SSE_LINE", "64K", O(max_sse_line), 'z', 65536, NULL},
    {"MAX_RESPONSE_BYTES", "4G", O(max_response), 'z', 4294967296L, NULL},
    {"CONNECT_TIMEOUT", "3", O(connect_timeout), 'l', 3, NULL},
    {"IDLE_TIMEOUT", "0", O(idle_timeout), 'l', 0, NULL},
    {"REQUEST_TIMEOUT", "60", O(request_timeout), 'l', 60, NULL},
    {"PING_INTERVAL", "5", O(ping_interval), 'l', 5, NULL},
    {"THREADS", "1", O(threads), 'i', 1, NULL},
    {"THREADS", "256", O(threads), 'i', 256, NULL},
    {"LOG_LEVEL", "DEBUG", O(log_level), 'e', A2O_LOG_DEBUG, NULL},
    {"LOG_LEVEL", "error", O(log_level), 'e', A2O_LOG_ERROR, NULL},
    {"LOG_LEVEL", "warn", O(log_level), 'e', A2O_LOG_WARN, NULL},
    {"UPSTREAM_NULL_CONTENT", "empty", O(ov.null_content), 'l', 0, NULL},
    {"UPSTREAM_NULL_CONTENT", "null", O(ov.null_content), 'l', 1, NULL},
    {"UPSTREAM_MAX_TOKENS_FIELD", "max_completion_tokens", O(ov.maxtok_field),
     'l', A2O_MAXTOK_MAX_COMPLETION_TOKENS, NULL},
    {"UPSTREAM_MAX_TOKENS", "32000", O(ov.max_tokens_cap), 'l', 32000, NULL},
    {"UPSTREAM_MAX_TOKENS", "0", O(ov.max_tokens_cap), 'l', 0, NULL},
    {"UPSTREAM_TOP_K", "Yes", O(ov.top_k), 'l', 1, NULL},
    {"UPSTREAM_TOP_K", "off", O(ov.top_k), 'l', 0, NULL},
    {"UPSTREAM_REASONING", "openrouter", O(ov.reasoning), 'l',
     A2O_REASONING_OPENROUTER, NULL},
    {"UPSTREAM_REASONING", "none", O(ov.reasoning), 'l', A2O_REASONING_NONE,
     NULL},
    {"UPSTREAM_THINKING_REPLAY", "TRUE", O(ov.thinking_replay), 'l', 1, NULL},
    {"UPSTREAM_CACHE_CONTROL", "0", O(ov.cache_control), 'l', 0, NULL},
    {"SCHEMA_PROFILE", "none", O(ov.schema), 'l', A2O_SCHEMA_NONE, NULL},
    {"SCHEMA_PROFILE", "seed", O(ov.schema), 'l', A2O_SCHEMA_SEED, NULL},
    {"UPSTREAM_STREAM_OPTIONS", "no", O(ov.stream_options), 'l', 0, NULL},
    {"UPSTREAM_TOOL_CHOICE_REQUIRED", "false", O(ov.tool_choice_required), 'l',
     0, NULL},
    {"UPSTREAM_THINK_TAGS", "on", O(ov.think_tags), 'l', 1, NULL},
};

static long
read_num(const struct a2o_conf *c, const struct okcase *k)
{
    const char *p = (const char *)c + k->off;

    switch (k->type) {
    case 'l':
        return *(const long *)(const void *)p;
    case 'i':
        return *(const int *)(const void *)p;
    case 'z':
        return (long)*(const size_t *)(const void *)p;
    case 'e':
        return (long)*(const enum a2o_log_level *)(const void *)p;
    default:
        return -999;
    }
}

static void
every_setting_accepts_valid_values(void **state)
{
    struct a2o_conf c;
    struct a2o_diag d;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(oks) / sizeof(oks[0]); i++) {
        const struct okcase *k = &oks[i];

        a2o_conf_init(&c);
        a2o_diag_clear(&d);
        if (a2o_conf_set(&c, k->key, k->val, &d) != A2O_E_OK)
            fail_msg("%s=%s rejected: %s", k->key, k->val, d.msg);
        if (k->type == 's') {
            const char *got =
                *(char *const *)(const void *)((const char *)&c + k->off);

            assert_non_null(got);
            assert_string_equal(got, k->str);
        } else if (read_num(&c, k) != k->num) {
            fail_msg("%s=%s gave %ld, want %ld", k->key, k->val,
                     read_num(&c, k), k->num);
        }
        /* an empty value restores the default */
        assert_int_equal(a2o_conf_set(&c, k->key, "", &d), A2O_E_OK);
        a2o_conf_free(&c);
    }
}

/* A bad value and the exact message. */
static const struct {
    const char *key, *val, *msg;
} bads[] = {
    {"OPENAI_BASE_URL", "localhost:8000",
     "OPENAI_BASE_URL: expected an http:// or https:// URL with a host, got "
     "\"localhost:8000\""},
    {"OPENAI_BASE_URL", "ftp://x",
     "OPENAI_BASE_URL: expected an http:// or "
     "https:// URL with a host, got \"ftp://x\""},
    {"OPENAI_BASE_URL", "http:///v1",
     "OPENAI_BASE_URL: expected an http:// "
     "or https:// URL with a host, got "
     "\"http:///v1\""},
    {"HAIKU_BASE_URL", "https://a b",
     "HAIKU_BASE_URL: expected an http:// "
     "or https:// URL with a host, got "
     "\"https://a b\""},
    {"OPENAI_API_KEY", "sk-live secret",
     "OPENAI_API_KEY: expected printable ASCII without spaces (value not "
     "shown)"},
    {"HAIKU_API_KEY", "sk\nx",
     "HAIKU_API_KEY: expected printable ASCII "
     "without spaces (value not shown)"},
    {"PROXY_API_KEY", "caf\xc3\xa9",
     "PROXY_API_KEY: expected printable "
     "ASCII without spaces (value not shown)"},
    {"HAIKU_MODEL_NAME", "a b",
     "HAIKU_MODEL_NAME: expected printable ASCII "
     "without spaces, got \"a b\""},
    {"MODEL_MAP", "sonnet",
     "MODEL_MAP: expected a comma list of match=model, "
     "got \"sonnet\""},
    {"MODEL_MAP", "sonnet=,a=b",
     "MODEL_MAP: expected a comma list of "
     "match=model, both non-empty, got "
     "\"sonnet=,a=b\""},
    {"MODELS", "a\tb",
     "MODELS: expected a comma list of printable names, "
     "got \"a?b\""},
    {"MAX_BODY_BYTES", "12x",
     "MAX_BODY_BYTES: expected a byte count from "
     "1024 to 4G, with optional suffix k, m or g, "
     "got \"12x\""},
    {"MAX_BODY_BYTES", "100",
     "MAX_BODY_BYTES: expected a byte count from "
     "1024 to 4G, with optional suffix k, m or g, "
     "got \"100\""},
    {"MAX_SSE_LINE", "5G",
     "MAX_SSE_LINE: expected a byte count from 1024 to "
     "4G, with optional suffix k, m or g, got \"5G\""},
    {"MAX_RESPONSE_BYTES", "1kk",
     "MAX_RESPONSE_BYTES: expected a byte count "
     "from 1024 to 4G, with optional suffix k, "
     "m or g, got \"1kk\""},
    {"CONNECT_TIMEOUT", "0",
     "CONNECT_TIMEOUT: expected an integer from 1 to "
     "3600, got \"0\""},
    {"IDLE_TIMEOUT", "-1",
     "IDLE_TIMEOUT: expected an integer from 0 to "
     "86400, got \"-1\""},
    {"REQUEST_TIMEOUT", "1.5",
     "REQUEST_TIMEOUT: expected an integer from 0 "
     "to 604800, got \"1.5\""},
    {"PING_INTERVAL", "99999999999999999999",
     "PING_INTERVAL: expected an "
     "integer from 1 to 3600, got "
     "\"99999999999999999999\""},
    {"THREADS", "x", "THREADS: expected an integer from 1 to 256, got \"x\""},
    {"THREADS", "257",
     "THREADS: expected an integer from 1 to 256, got "
     "\"257\""},
    {"LOG_LEVEL", "verbose",
     "LOG_LEVEL: expected error, warn, info or "
     "debug, got \"verbose\""},
    {"UPSTREAM_NULL_CONTENT", "none",
     "UPSTREAM_NULL_CONTENT: expected null "
     "or empty, got \"none\""},
    {"UPSTREAM_MAX_TOKENS_FIELD", "max",
     "UPSTREAM_MAX_TOKENS_FIELD: "
     "expected max_tokens or "
     "max_completion_tokens, got "
     "\"max\""},
    {"UPSTREAM_MAX_TOKENS", "lots",
     "UPSTREAM_MAX_TOKENS: expected an "
     "integer from 0 to 100000000, got "
     "\"lots\""},
    {"UPSTREAM_TOP_K", "2",
     "UPSTREAM_TOP_K: expected a boolean (1/0, "
     "true/false, yes/no, on/off), got \"2\""},
    {"UPSTREAM_REASONING", "high",
     "UPSTREAM_REASONING: expected none, "
     "effort, openrouter or deepseek, got "
     "\"high\""},
    {"UPSTREAM_THINKING_REPLAY", "y",
     "UPSTREAM_THINKING_REPLAY: expected a "
     "boolean (1/0, true/false, yes/no, "
     "on/off), got \"y\""},
    {"UPSTREAM_CACHE_CONTROL", "enabled",
     "UPSTREAM_CACHE_CONTROL: expected "
     "a boolean (1/0, true/false, "
     "yes/no, on/off), got \"enabled\""},
    {"SCHEMA_PROFILE", "strict",
     "SCHEMA_PROFILE: expected gemini, seed or "
     "none, got \"strict\""},
    {"UPSTREAM_STREAM_OPTIONS", "nope",
     "UPSTREAM_STREAM_OPTIONS: expected a "
     "boolean (1/0, true/false, yes/no, "
     "on/off), got \"nope\""},
    {"UPSTREAM_TOOL_CHOICE_REQUIRED", "t",
     "UPSTREAM_TOOL_CHOICE_REQUIRED: "
     "expected a boolean (1/0, "
     "true/false, yes/no, on/off), got "
     "\"t\""},
    {"UPSTREAM_THINK_TAGS", "truee",
     "UPSTREAM_THINK_TAGS: expected a "
     "boolean (1/0, true/false, yes/no, "
     "on/off), got \"truee\""},
};

static void
bad_values_name_the_variable(void **state)
{
    struct a2o_conf c;
    struct a2o_diag d;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        a2o_conf_init(&c);
        a2o_diag_clear(&d);
        assert_int_equal(a2o_conf_set(&c, bads[i].key, bads[i].val, &d),
                         A2O_E_CONF);
        assert_string_equal(d.msg, bads[i].msg);
        a2o_conf_free(&c);
    }
}

static void
bad_value_keeps_the_previous_one(void **state)
{
    struct a2o_conf c;
    struct a2o_diag d;

    (void)state;
    a2o_conf_init(&c);
    assert_int_equal(a2o_conf_set(&c, "MODEL_MAP", "a=b", &d), A2O_E_OK);
    assert_int_equal(a2o_conf_set(&c, "MODEL_MAP", "c=d,e", &d), A2O_E_CONF);
    assert_int_equal(c.nmap, 1);
    assert_string_equal(c.map[0].model, "b");
    assert_int_equal(a2o_conf_set(&c, "THREADS", "9", &d), A2O_E_OK);
    assert_int_equal(a2o_conf_set(&c, "THREADS", "0", &d), A2O_E_CONF);
    assert_int_equal(c.threads, 9);
    a2o_conf_free(&c);
}

static void
unknown_and_make_only_keys_are_ignored(void **state)
{
    struct a2o_conf c;
    struct a2o_diag d;

    (void)state;
    a2o_conf_init(&c);
    assert_int_equal(a2o_conf_set(&c, "PATH", "/bin", &d), A2O_E_OK);
    assert_int_equal(a2o_conf_set(&c, "PORT", "not a port", &d), A2O_E_OK);
    assert_int_equal(a2o_conf_set(&c, "HOST", "::", &d), A2O_E_OK);
    /* names are case-sensitive, like the environment */
    assert_int_equal(a2o_conf_set(&c, "threads", "x", &d), A2O_E_OK);
    assert_int_equal(c.threads, 4);
    a2o_conf_free(&c);
}

static void
model_map_and_models_default(void **state)
{
    struct a2o_conf c;
    struct a2o_diag d;

    (void)state;
    a2o_conf_init(&c);
    assert_int_equal(a2o_conf_set(&c, "MODEL_MAP",
                                  " Sonnet = qwen3-coder ,opus=qwen3-max,"
                                  "*=qwen3-coder,",
                                  &d),
                     A2O_E_OK);
    assert_int_equal(a2o_conf_set(&c, "HAIKU_MODEL_NAME", "qwen3:4b", &d),
                     A2O_E_OK);
    assert_int_equal(a2o_conf_finish(&c, &d), A2O_E_OK);
    assert_int_equal(c.nmap, 3);
    assert_string_equal(c.map[0].match, "sonnet");
    assert_string_equal(c.map[0].model, "qwen3-coder");
    assert_string_equal(c.map[2].match, "*");
    assert_string_equal(c.models, "qwen3-coder,qwen3-max,qwen3:4b");
    a2o_conf_free(&c);

    /* MODELS set: kept as given (normalised) */
    a2o_conf_init(&c);
    assert_int_equal(a2o_conf_set(&c, "MODEL_MAP", "a=b", &d), A2O_E_OK);
    assert_int_equal(a2o_conf_set(&c, "MODELS", "claude-x", &d), A2O_E_OK);
    assert_int_equal(a2o_conf_finish(&c, &d), A2O_E_OK);
    assert_string_equal(c.models, "claude-x");
    a2o_conf_free(&c);
}

static void
docs_list_every_setting(void **state)
{
    const struct a2o_conf_doc *doc = a2o_conf_docs();
    static const char *const names[] = {"OPENAI_BASE_URL",
                                        "OPENAI_API_KEY",
                                        "HAIKU_MODEL_NAME",
                                        "HAIKU_BASE_URL",
                                        "HAIKU_API_KEY",
                                        "PROXY_API_KEY",
                                        "MODEL_MAP",
                                        "MODELS",
                                        "MAX_BODY_BYTES",
                                        "CONNECT_TIMEOUT",
                                        "IDLE_TIMEOUT",
                                        "REQUEST_TIMEOUT",
                                        "PING_INTERVAL",
                                        "THREADS",
                                        "MAX_THREADS",
                                        "THREAD_IDLE",
                                        "LOG_LEVEL",
                                        "MAX_SSE_LINE",
                                        "MAX_RESPONSE_BYTES",
                                        "ROUTES",
                                        "LONG_CONTEXT_TOKENS",
                                        "RETRIES",
                                        "RETRY_MAX_WAIT",
                                        "COOLDOWN",
                                        "PROVIDER_<NAME>_BASE_URL",
                                        "PROVIDER_<NAME>_API_KEY",
                                        "PROVIDER_<NAME>_API",
                                        "PROVIDER_<NAME>_BETA",
                                        "PROVIDER_<NAME>_DROP_FIELDS",
                                        "PROVIDER_<NAME>_<SWITCH>",
                                        "PORT",
                                        "HOST",
                                        "UPSTREAM_NULL_CONTENT",
                                        "UPSTREAM_MAX_TOKENS_FIELD",
                                        "UPSTREAM_MAX_TOKENS",
                                        "UPSTREAM_TOP_K",
                                        "UPSTREAM_REASONING",
                                        "UPSTREAM_THINKING_REPLAY",
                                        "UPSTREAM_CACHE_CONTROL",
                                        "SCHEMA_PROFILE",
                                        "UPSTREAM_STREAM_OPTIONS",
                                        "UPSTREAM_TOOL_CHOICE_REQUIRED",
                                        "UPSTREAM_THINK_TAGS",
                                        "UPSTREAM_TEXT_TOOL_CALLS",
                                        "UPSTREAM_PROMPT_CACHE_KEY"};
    size_t i, n = 0;

    (void)state;
    for (; doc[n].name != NULL; n++) {
        assert_non_null(doc[n].def);
        assert_true(strlen(doc[n].help) > 5);
    }
    assert_int_equal(n, sizeof(names) / sizeof(names[0]));
    for (i = 0; i < n; i++)
        assert_string_equal(doc[i].name, names[i]);
    assert_string_equal(doc[0].def, "http://localhost:8094/v1");
}

/* .env text and what it must produce (or the exact error). */
static void
env_file_syntax(void **state)
{
    static const char text[] =
        "# comment line\n"
        "\n"
        "   \t\n"
        "export OPENAI_BASE_URL=https://api.example.com/v1/\r\n"
        "OPENAI_API_KEY='sk-#not-a-comment'\n"
        "HAIKU_MODEL_NAME = \"small\" # trailing comment\n"
        "MODELS=a,b # comment\n"
        "PROXY_API_KEY=pk#hash-kept\n"
        "MODEL_MAP=\"sonnet=x,\\\"q\\\"=y\"\r\n"
        "LOG_LEVEL= # all comment: unset\n"
        "UNRELATED=\"multi\\nline\"\n"
        "THREADS=8";
    struct a2o_conf c;
    struct a2o_diag d;

    (void)state;
    a2o_conf_init(&c);
    a2o_diag_clear(&d);
    if (a2o_conf_parse_env_file(&c, text, sizeof(text) - 1, &d) != A2O_E_OK)
        fail_msg("parse failed: %s", d.msg);
    assert_string_equal(c.base_url, "https://api.example.com/v1");
    assert_string_equal(c.api_key, "sk-#not-a-comment");
    assert_string_equal(c.haiku_model, "small");
    assert_string_equal(c.models, "a,b");
    assert_string_equal(c.proxy_api_key, "pk#hash-kept");
    assert_int_equal(c.nmap, 2);
    assert_string_equal(c.map[1].match, "\"q\"");
    assert_int_equal(c.log_level, A2O_LOG_INFO);
    assert_int_equal(c.threads, 8);
    a2o_conf_free(&c);
}

static void
env_file_errors_name_the_line(void **state)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"A=1\nTHREADS=zero\n",
         "line 2: THREADS: expected an integer from 1 to 256, got \"zero\""},
        {"\n\njust words\n", "line 3: expected KEY=VALUE"},
        {"1X=2\n", "line 1: expected KEY=VALUE"},
        {"X='open\n", "line 1: X: unterminated quote"},
        {"X=\"a\" b\n", "line 1: X: text after the closing quote"},
        {"# c\r\nOPENAI_API_KEY=\"a b\"\r\n",
         "line 2: OPENAI_API_KEY: expected printable ASCII without spaces "
         "(value not shown)"},
        {"export\n", "line 1: expected KEY=VALUE"},
    };
    struct a2o_conf c;
    struct a2o_diag d;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        a2o_conf_init(&c);
        a2o_diag_clear(&d);
        assert_int_equal(a2o_conf_parse_env_file(&c, cases[i].text,
                                                 strlen(cases[i].text), &d),
                         A2O_E_CONF);
        assert_string_equal(d.msg, cases[i].msg);
        a2o_conf_free(&c);
    }
    /* a NUL byte inside the text */
    a2o_conf_init(&c);
    assert_int_equal(a2o_conf_parse_env_file(&c, "A=1\nB=\0x\n", 8, &d),
                     A2O_E_CONF);
    assert_string_equal(d.msg, "line 2: NUL byte");
    a2o_conf_free(&c);
}

static void
secrets_never_reach_a_message(void **state)
{
    static const char *const keys[] = {"OPENAI_API_KEY", "HAIKU_API_KEY",
                                       "PROXY_API_KEY"};
    struct a2o_conf c;
    struct a2o_diag d;
    char text[128];
    size_t i;

    (void)state;
    for (i = 0; i < 3; i++) {
        a2o_conf_init(&c);
        snprintf(text, sizeof(text), "%s=\"sk-SECRET\tVALUE\"\n", keys[i]);
        assert_int_equal(a2o_conf_parse_env_file(&c, text, strlen(text), &d),
                         A2O_E_CONF);
        assert_null(strstr(d.msg, "SECRET"));
        assert_null(strstr(d.path, "SECRET"));
        assert_non_null(strstr(d.msg, keys[i]));
        a2o_conf_free(&c);
    }
}

/* OOM torture: a full parse + finish, everything freed on any failure. */
static enum a2o_err
parse_and_finish(void *arg)
{
    static const char text[] = "OPENAI_BASE_URL=https://openrouter.ai/api/v1\n"
                               "OPENAI_API_KEY=sk-1\n"
                               "HAIKU_MODEL_NAME=h\n"
                               "MODEL_MAP=sonnet=a,opus=b,*=c\n"
                               "THREADS=2\n"
                               "PROVIDER_LOCAL_BASE_URL=http://l/v1\n"
                               "PROVIDER_LOCAL_TOP_K=on\n"
                               "PROVIDER_B_BASE_URL=http://b/v1\n"
                               "PROVIDER_B_DROP_FIELDS=a,b\n"
                               "ROUTES=haiku=local:q|b;opus+think=b\n";
    struct a2o_conf c;
    struct a2o_diag d;
    enum a2o_err err;

    (void)arg;
    a2o_conf_init(&c);
    err = a2o_conf_parse_env_file(&c, text, sizeof(text) - 1, &d);
    if (err == A2O_E_OK)
        err = a2o_conf_finish(&c, &d);
    if (err == A2O_E_OK &&
        (c.nmap != 3 || c.models == NULL || strcmp(c.models, "a,b,c,h") != 0 ||
         c.nproviders != 4 || c.nrules != 2 || c.rules[0].ntargets != 2))
        err = A2O_E_INTERNAL;
    a2o_conf_free(&c);
    return err;
}

static void
conf_survives_allocation_failures(void **state)
{
    (void)state;
    assert_true(th_oom_torture(parse_and_finish, NULL, A2O_E_OK, NULL) > 10);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_after_finish),
        cmocka_unit_test(every_setting_accepts_valid_values),
        cmocka_unit_test(bad_values_name_the_variable),
        cmocka_unit_test(bad_value_keeps_the_previous_one),
        cmocka_unit_test(unknown_and_make_only_keys_are_ignored),
        cmocka_unit_test(model_map_and_models_default),
        cmocka_unit_test(docs_list_every_setting),
        cmocka_unit_test(env_file_syntax),
        cmocka_unit_test(env_file_errors_name_the_line),
        cmocka_unit_test(secrets_never_reach_a_message),
        cmocka_unit_test(conf_survives_allocation_failures),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("conf", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
