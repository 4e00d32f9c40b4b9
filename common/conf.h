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

/* How the upstream wants reasoning requested (PROTOCOL.md §2 thinking). */
enum a2o_reasoning {
    A2O_REASONING_NONE,       /* send no reasoning parameter */
    A2O_REASONING_EFFORT,     /* "reasoning_effort": low|medium|high */
    A2O_REASONING_OPENROUTER, /* "reasoning": {"max_tokens": n} or effort */
    A2O_REASONING_DEEPSEEK    /* "thinking": {"type": "enabled"} */
};

/* Tool input_schema cleaning (PROTOCOL.md §5). */
enum a2o_schema_profile {
    A2O_SCHEMA_NONE,  /* forward as is */
    A2O_SCHEMA_SEED,  /* the original project's rules (every upstream) */
    A2O_SCHEMA_GEMINI /* Gemini's OpenAI endpoint */
};

/* Which API an upstream speaks (which reader converts its answers). */
enum a2o_api {
    A2O_API_CHAT,      /* OpenAI Chat Completions */
    A2O_API_RESPONSES, /* OpenAI Responses */
    A2O_API_ANTHROPIC  /* Anthropic Messages */
};

/*
 * Dialect switches of one upstream.  Inferred from its base URL and the
 * upstream model (a2o_profile_infer), then overridden by UPSTREAM_*
 * settings.  Plain data: copy freely.
 */
struct a2o_profile {
    int null_content; /* tool-only assistant content: 1 null, 0 "" */
    enum a2o_maxtok_field maxtok_field;
    long max_tokens_cap; /* clamp max_tokens to this; 0 = no clamp */
    int top_k;           /* forward top_k */
    enum a2o_reasoning reasoning;
    int thinking_replay; /* history thinking -> reasoning_content */
    int cache_control;   /* keep cache_control on content parts */
    enum a2o_schema_profile schema;
    int stream_options;       /* send stream_options.include_usage */
    int tool_choice_required; /* accepts tool_choice "required" */
    int think_tags;           /* parse leading <think>...</think> in content */
};

/* One MODEL_MAP entry: client model containing `match` -> `model`. */
struct a2o_model_map {
    char *match; /* lower-case substring; "*" matches everything */
    char *model;
};

enum a2o_log_level { A2O_LOG_ERROR, A2O_LOG_WARN, A2O_LOG_INFO, A2O_LOG_DEBUG };

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
    enum a2o_log_level log_level; /* LOG_LEVEL, default info */
    size_t max_sse_line;          /* MAX_SSE_LINE bytes, default 16 MiB */
    size_t max_response;          /* MAX_RESPONSE_BYTES, default 64 MiB */

    /* UPSTREAM_* overrides: -1 (or NULL-ish) = infer */
    int ov_null_content;
    int ov_maxtok_field;
    long ov_max_tokens_cap;
    int ov_top_k;
    int ov_reasoning;
    int ov_thinking_replay;
    int ov_cache_control;
    int ov_schema;
    int ov_stream_options;
    int ov_tool_choice_required;
    int ov_think_tags;
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
 * https).  Call once after all a2o_conf_set calls.  A2O_E_CONF names the
 * variable.
 */
enum a2o_err a2o_conf_finish(struct a2o_conf *c, struct a2o_diag *d);

/*
 * Infers the dialect switches for an upstream (base URL + upstream model),
 * PROTOCOL.md §2 / the upstream profile list of issue 2, then applies the
 * UPSTREAM_* overrides of c.  Never fails, never allocates.
 */
void a2o_profile_infer(const struct a2o_conf *c, const char *base_url,
                       const char *model, struct a2o_profile *out);

/* One line per known setting: name, default, description; for docs and
 * `claude-proxy --help`.  Terminated by a row with name NULL. */
struct a2o_conf_doc {
    const char *name;
    const char *def;
    const char *help;
};
const struct a2o_conf_doc *a2o_conf_docs(void);

#endif
