/*
 * conf.h: configuration of claude-proxy, parsed from key=value pairs.
 *
 * fcgi/ turns the environment, or a .env-style file named by
 * CLAUDE_PROXY_CONFIG, into pairs and feeds them here; nothing in common/
 * reads the environment.  Every setting, its default and its meaning is
 * listed in the table in conf.c (the one place), in README.md and in
 * deploy/.env.example.
 *
 * Life cycle: a2o_conf_init() -> a2o_conf_set() per pair (or
 * a2o_conf_parse_env_file()) -> a2o_conf_finish() (validates, applies
 * defaults) -> read-only use by any number of threads -> a2o_conf_free().
 */
#ifndef A2O_CONF_H
#define A2O_CONF_H

#include <stddef.h>

#include "err.h"

/* How the upstream wants the output ceiling named. */
enum a2o_maxtok_field {
    A2O_MAXTOK_MAX_TOKENS,           /* "max_tokens" (most servers) */
    A2O_MAXTOK_MAX_COMPLETION_TOKENS /* OpenAI o-series, gpt-5 */
};

/* How the upstream wants reasoning requested (common/README.md §1). */
enum a2o_reasoning {
    A2O_REASONING_NONE,       /* send no reasoning parameter */
    A2O_REASONING_EFFORT,     /* "reasoning_effort": low|medium|high */
    A2O_REASONING_OPENROUTER, /* "reasoning": {"max_tokens": n} or effort */
    A2O_REASONING_DEEPSEEK    /* "thinking": {"type": "enabled"} */
};

/* Tool input_schema cleaning (common/README.md §7). */
enum a2o_schema_profile {
    A2O_SCHEMA_NONE,  /* forward as is */
    A2O_SCHEMA_SEED,  /* the original project's rules (every upstream) */
    A2O_SCHEMA_GEMINI /* Gemini's OpenAI endpoint */
};

/* Which wire format an upstream speaks (PROVIDER_<NAME>_API). */
enum a2o_api {
    A2O_API_CHAT,      /* OpenAI Chat Completions: {base}/chat/completions */
    A2O_API_RESPONSES, /* OpenAI Responses: {base}/responses */
    A2O_API_ANTHROPIC  /* Anthropic Messages: {base}/v1/messages */
};

/*
 * The dialect switches of an upstream, one row each: the one place a
 * switch is declared.  X(field, type, setting, kind, max, choices, help):
 * its field in struct a2o_profile (of type), the UPSTREAM_* setting
 * (PROVIDER_<NAME>_<SWITCH> without "UPSTREAM_"), how its value is
 * parsed (BOOL; ENUM from the a2o_conf_<choices> lists of conf.c; LONG
 * from 0 to max) and its help text.  Its inference is in
 * a2o_profile_infer (route.h); the settings, the per-provider form and
 * the overrides all come from this table.
 */
#define A2O_SWITCHES(X)                                                        \
    X(null_content, int, "UPSTREAM_NULL_CONTENT", ENUM, 0, null,               \
      "tool-only assistant content sent as null or empty (\"\")")              \
    X(maxtok_field, enum a2o_maxtok_field, "UPSTREAM_MAX_TOKENS_FIELD", ENUM,  \
      0, maxtok, "max_tokens or max_completion_tokens")                        \
    X(max_tokens_cap, long, "UPSTREAM_MAX_TOKENS", LONG, 100000000, none,      \
      "ceiling for max_tokens sent upstream; 0: no ceiling")                   \
    X(top_k, int, "UPSTREAM_TOP_K", BOOL, 0, none, "forward top_k")            \
    X(reasoning, enum a2o_reasoning, "UPSTREAM_REASONING", ENUM, 0, reason,    \
      "how thinking is requested: none, effort (reasoning_effort), "           \
      "openrouter (reasoning object) or deepseek (thinking object)")           \
    X(thinking_replay, int, "UPSTREAM_THINKING_REPLAY", BOOL, 0, none,         \
      "send earlier thinking back as reasoning_content")                       \
    X(cache_control, int, "UPSTREAM_CACHE_CONTROL", BOOL, 0, none,             \
      "keep cache_control on content parts")                                   \
    X(schema, enum a2o_schema_profile, "SCHEMA_PROFILE", ENUM, 0, schema,      \
      "tool schema cleaning: gemini, seed or none")                            \
    X(stream_options, int, "UPSTREAM_STREAM_OPTIONS", BOOL, 0, none,           \
      "send stream_options.include_usage when streaming")                      \
    X(tool_choice_required, int, "UPSTREAM_TOOL_CHOICE_REQUIRED", BOOL, 0,     \
      none, "upstream accepts tool_choice \"required\" (else \"auto\")")       \
    X(think_tags, int, "UPSTREAM_THINK_TAGS", BOOL, 0, none,                   \
      "read a leading <think>...</think> in content as thinking")              \
    X(text_tool_calls, int, "UPSTREAM_TEXT_TOOL_CALLS", BOOL, 0, none,         \
      "recover tool calls the model wrote as text (<tool_call>, "              \
      "<function=...>, a bare {\"name\",\"arguments\"} answer)")               \
    X(prompt_cache_key, int, "UPSTREAM_PROMPT_CACHE_KEY", BOOL, 0, none,       \
      "send Claude Code's session id as prompt_cache_key")

/*
 * Dialect switches of one upstream (A2O_SWITCHES).  Inferred from its
 * base URL and the upstream model (a2o_profile_infer), then overridden
 * by the UPSTREAM_* and PROVIDER_<NAME>_* settings.  Plain data: copy
 * freely.
 */
struct a2o_profile {
#define X(field, type, setting, kind, max, choices, help) type field;
    A2O_SWITCHES(X)
#undef X
};

/* One MODEL_MAP entry: client model containing `match` -> `model`. */
struct a2o_model_map {
    char *match; /* lower-case substring; "*" matches everything */
    char *model;
};

enum a2o_log_level { A2O_LOG_ERROR, A2O_LOG_WARN, A2O_LOG_INFO, A2O_LOG_DEBUG };

/* The switches set by settings, globally (UPSTREAM_*) or for one
 * provider (PROVIDER_<NAME>_<SWITCH>); -1 = not set there. */
struct a2o_overrides {
#define X(field, type, setting, kind, max, choices, help) long field;
    A2O_SWITCHES(X)
#undef X
};

/* One upstream: "default" (OPENAI_*), "haiku" (HAIKU_*) or one declared
 * by PROVIDER_<NAME>_BASE_URL.  Strings are owned by the conf. */
struct a2o_provider {
    char *name;     /* lower case */
    char *base_url; /* no trailing slash */
    char *api_key;  /* NULL: the client's key rules */
    char *model;    /* fixed upstream model (haiku: HAIKU_MODEL_NAME) */
    long api;       /* enum a2o_api; -1 until finish (then chat) */
    long beta_pass; /* forward anthropic-beta (API anthropic); -1 unset */
    char *drop;     /* DROP_FIELDS: comma list removed (API anthropic) */
    struct a2o_overrides ov;
};

/* Most targets one rule may name, and most rules. */
#define A2O_TARGETS_MAX 8
#define A2O_RULES_MAX 64

/* Conditions of a rule (bit set). */
enum {
    A2O_COND_THINK = 1, /* thinking enabled, or adaptive */
    A2O_COND_LONG = 2,  /* estimated input >= LONG_CONTEXT_TOKENS */
    A2O_COND_IMAGE = 4  /* an image or document anywhere */
};

/* One target of a rule: provider index, and the model (NULL: the
 * provider's fixed model, else the client's after MODEL_MAP). */
struct a2o_target {
    size_t provider;
    char *model;
};

/* One ROUTES rule, MATCH=TARGET|TARGET|... */
struct a2o_rule {
    char *match;    /* lower-case model substring; NULL: any model */
    unsigned conds; /* A2O_COND_* that must all hold */
    struct a2o_target targets[A2O_TARGETS_MAX];
    size_t ntargets;
    char *text; /* MATCH as written, for the log line */
};

/* The whole configuration.  Strings are owned (freed by a2o_conf_free). */
struct a2o_conf {
    char *base_url;            /* OPENAI_BASE_URL, no trailing slash */
    char *api_key;             /* OPENAI_API_KEY; NULL = pass the client's */
    char *haiku_model;         /* HAIKU_MODEL_NAME; NULL = no haiku route */
    char *haiku_base_url;      /* HAIKU_BASE_URL; NULL = base_url */
    char *haiku_api_key;       /* HAIKU_API_KEY; NULL = api_key */
    char *proxy_api_key;       /* PROXY_API_KEY; NULL = no client auth */
    struct a2o_model_map *map; /* MODEL_MAP, in order */
    size_t nmap;
    char *models; /* MODELS: comma list for GET /v1/models */

    size_t max_body;              /* MAX_BODY_BYTES, default 32 MiB */
    long connect_timeout;         /* CONNECT_TIMEOUT seconds, default 10 */
    long idle_timeout;            /* IDLE_TIMEOUT seconds, default 300 */
    long request_timeout;         /* REQUEST_TIMEOUT seconds, default 1800 */
    long ping_interval;           /* PING_INTERVAL seconds, default 15 */
    int threads;                  /* THREADS per process, default 4 */
    int max_threads;              /* MAX_THREADS per process, default 256 */
    long thread_idle;             /* THREAD_IDLE seconds, default 60 */
    enum a2o_log_level log_level; /* LOG_LEVEL, default info */
    size_t max_sse_line;          /* MAX_SSE_LINE bytes, default 16 MiB */
    size_t max_response;          /* MAX_RESPONSE_BYTES, default 64 MiB */

    struct a2o_overrides ov; /* UPSTREAM_* switches; -1 = infer */

    /* providers and routing rules (PROVIDER_*, ROUTES) */
    struct a2o_provider *providers; /* index 0 is "default" after finish */
    size_t nproviders;
    int haiku;    /* index of the provider of the haiku rule, -1 */
    char *routes; /* ROUTES as written; parsed by finish */
    struct a2o_rule *rules;
    size_t nrules;
    long long_context;   /* LONG_CONTEXT_TOKENS, default 60000 */
    int retries;         /* RETRIES, default 1 */
    long retry_max_wait; /* RETRY_MAX_WAIT seconds, default 5 */
    long cooldown;       /* COOLDOWN seconds, default 30 */
};

/* Sets every field to "unset".  Never allocates. */
void a2o_conf_init(struct a2o_conf *c);

/* Frees every owned string and the map; c is then as after init. */
void a2o_conf_free(struct a2o_conf *c);

/*
 * Applies one setting.  Keys that are not ours are ignored (the
 * environment holds many) and return A2O_E_OK.  An empty value means
 * "unset" (as in shell `X=`).  A bad value returns A2O_E_CONF with d->msg
 * naming the variable and what was expected, e.g. "THREADS: expected an
 * integer from 1 to 256, got \"x\"".  A2O_E_NOMEM on allocation failure.
 * Values of secrets are never copied into d.
 */
enum a2o_err a2o_conf_set(struct a2o_conf *c, const char *key, const char *val,
                          struct a2o_diag *d);

/*
 * Parses .env text (n bytes): KEY=VALUE lines, optional "export ",
 * '#' comments, blank lines, values in '...' (literal) or "..." (with \n,
 * \", \\ escapes), unquoted values trimmed and cut at " #".  Each pair goes
 * through a2o_conf_set.  Errors name the line: "line 3: ...".
 */
enum a2o_err a2o_conf_parse_env_file(struct a2o_conf *c, const char *text,
                                     size_t n, struct a2o_diag *d);

/*
 * Validates and applies defaults (base_url default
 * "http://localhost:8094/v1", trailing '/' removed; URLs must be http or
 * https), builds the providers (index 0 "default" from OPENAI_*, "haiku"
 * from HAIKU_* when HAIKU_MODEL_NAME is set, then every PROVIDER_<NAME>;
 * a provider's own settings win over the seed names) and parses ROUTES.
 * Call once after all a2o_conf_set calls.  A2O_E_CONF names the
 * variable: a provider without a base URL, a route naming an unknown
 * provider, an empty target, an unknown condition.
 */
enum a2o_err a2o_conf_finish(struct a2o_conf *c, struct a2o_diag *d);

/* The provider called name (any case), or NULL. */
const struct a2o_provider *a2o_conf_provider(const struct a2o_conf *c,
                                             const char *name, size_t n);

/* One line per known setting: name, default, description; for docs and
 * `claude-proxy --help`.  Terminated by a row with name NULL. */
struct a2o_conf_doc {
    const char *name;
    const char *def;
    const char *help;
};
const struct a2o_conf_doc *a2o_conf_docs(void);

#endif
