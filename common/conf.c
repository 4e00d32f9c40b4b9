/*
 * conf.c: configuration from key=value pairs (conf.h).
 *
 * One table, A2O_SETTINGS below, lists every setting once: its name, the
 * default shown to users, its kind (which parser and which field) and its
 * help text.  a2o_conf_set, the defaults applied by a2o_conf_init and
 * a2o_conf_finish, and a2o_conf_docs (README, man page, --help) are all
 * driven by it, so a setting cannot be documented and not parsed, or the
 * other way round.
 *
 * Secrets (the *_API_KEY settings) are never copied into a diagnostic:
 * their errors say what was wrong without the value.
 */
#include "conf.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

/* How a setting's text is parsed and where it lands. */
enum kind {
    K_URL,    /* http(s) URL string, trailing '/' removed */
    K_SECRET, /* API key: printable, no spaces; never echoed */
    K_STR,    /* plain printable string */
    K_LIST,   /* comma list, normalised (entries trimmed, empties gone) */
    K_MAP,    /* MODEL_MAP: match=model,... */
    K_SIZE,   /* byte count with optional k/m/g suffix (powers of 1024) */
    K_LONG,   /* integer into a long field, within [min, max] */
    K_INT,    /* integer into an int field, within [min, max] */
    K_LOG,    /* LOG_LEVEL */
    K_OVBOOL, /* UPSTREAM_* boolean override: int field, -1 = infer */
    K_OVENUM, /* UPSTREAM_* choice override: int field, -1 = infer */
    K_OVLONG, /* UPSTREAM_MAX_TOKENS: long field, -1 = infer */
    K_IGNORE  /* read by make run, not by the binary */
};

/* Choice lists of the K_OVENUM settings: names and the values they set. */
static const char *const null_names[] = {"null", "empty", NULL};
static const int null_vals[] = {1, 0};
static const char *const maxtok_names[] = {"max_tokens",
                                           "max_completion_tokens", NULL};
static const int maxtok_vals[] = {A2O_MAXTOK_MAX_TOKENS,
                                  A2O_MAXTOK_MAX_COMPLETION_TOKENS};
static const char *const reason_names[] = {"none", "effort", "openrouter",
                                           "deepseek", NULL};
static const int reason_vals[] = {A2O_REASONING_NONE, A2O_REASONING_EFFORT,
                                  A2O_REASONING_OPENROUTER,
                                  A2O_REASONING_DEEPSEEK};
static const char *const schema_names[] = {"gemini", "seed", "none", NULL};
static const int schema_vals[] = {A2O_SCHEMA_GEMINI, A2O_SCHEMA_SEED,
                                  A2O_SCHEMA_NONE};
/* LOG_LEVEL: index = enum a2o_log_level value. */
static const char *const log_names[] = {"error", "warn", "info", "debug", NULL};

#define OFF(f) offsetof(struct a2o_conf, f)

/*
 * X(name, shown default, kind, field offset, min, max, choices, values,
 *   help).  For K_SIZE/K_LONG/K_INT/K_LOG the shown default is also the
 * value applied (parsed by the same code as user input); for the others
 * it is descriptive and a2o_conf_finish supplies the real default.
 */
#define A2O_SETTINGS(X)                                                        \
    X("OPENAI_BASE_URL", "http://localhost:8094/v1", K_URL, OFF(base_url), 0,  \
      0, NULL, NULL,                                                           \
      "base URL of the OpenAI-compatible upstream (http or https); "           \
      "requests go to <url>/chat/completions")                                 \
    X("OPENAI_API_KEY", "(unset)", K_SECRET, OFF(api_key), 0, 0, NULL, NULL,   \
      "key sent upstream as Authorization: Bearer; unset: the client's "       \
      "own key is passed through")                                             \
    X("HAIKU_MODEL_NAME", "(unset)", K_STR, OFF(haiku_model), 0, 0, NULL,      \
      NULL,                                                                    \
      "upstream model for client models containing \"haiku\"; unset: no "      \
      "haiku route")                                                           \
    X("HAIKU_BASE_URL", "OPENAI_BASE_URL", K_URL, OFF(haiku_base_url), 0, 0,   \
      NULL, NULL, "base URL of the haiku upstream")                            \
    X("HAIKU_API_KEY", "OPENAI_API_KEY", K_SECRET, OFF(haiku_api_key), 0, 0,   \
      NULL, NULL, "key of the haiku upstream")                                 \
    X("PROXY_API_KEY", "(unset)", K_SECRET, OFF(proxy_api_key), 0, 0, NULL,    \
      NULL,                                                                    \
      "key clients must send (x-api-key or Authorization: Bearer); "           \
      "unset: no client authentication")                                       \
    X("MODEL_MAP", "(unset)", K_MAP, OFF(map), 0, 0, NULL, NULL,               \
      "comma list of match=model, e.g. "                                       \
      "\"sonnet=qwen3-coder,opus=qwen3-max,*=default-model\"; the first "      \
      "match (case-insensitive substring of the client model, or *) "          \
      "wins; unset: model names go upstream unchanged")                        \
    X("MODELS", "(mapped models)", K_LIST, OFF(models), 0, 0, NULL, NULL,      \
      "comma list of model ids for GET /v1/models; unset: the models of "      \
      "MODEL_MAP and HAIKU_MODEL_NAME")                                        \
    X("MAX_BODY_BYTES", "32M", K_SIZE, OFF(max_body), 0, 0, NULL, NULL,        \
      "largest accepted request body; suffix k, m or g (powers of 1024)")      \
    X("CONNECT_TIMEOUT", "10", K_LONG, OFF(connect_timeout), 1, 3600, NULL,    \
      NULL, "seconds to connect to the upstream")                              \
    X("IDLE_TIMEOUT", "300", K_LONG, OFF(idle_timeout), 0, 86400, NULL, NULL,  \
      "seconds without an upstream byte before giving up; 0: no limit")        \
    X("REQUEST_TIMEOUT", "1800", K_LONG, OFF(request_timeout), 0, 604800,      \
      NULL, NULL, "seconds for a whole upstream request; 0: no limit")         \
    X("PING_INTERVAL", "15", K_LONG, OFF(ping_interval), 1, 3600, NULL, NULL,  \
      "seconds of upstream silence before a ping event to the client")         \
    X("THREADS", "4", K_INT, OFF(threads), 1, 256, NULL, NULL,                 \
      "request threads per process")                                           \
    X("LOG_LEVEL", "info", K_LOG, OFF(log_level), 0, 0, NULL, NULL,            \
      "error, warn, info (one line per request) or debug")                     \
    X("MAX_SSE_LINE", "16M", K_SIZE, OFF(max_sse_line), 0, 0, NULL, NULL,      \
      "longest upstream SSE line; suffix k, m or g")                           \
    X("MAX_RESPONSE_BYTES", "64M", K_SIZE, OFF(max_response), 0, 0, NULL,      \
      NULL,                                                                    \
      "largest upstream response (non-stream body, or one tool call's "        \
      "arguments); suffix k, m or g")                                          \
    X("UPSTREAM_NULL_CONTENT", "(inferred)", K_OVENUM, OFF(ov_null_content),   \
      0, 0, null_names, null_vals,                                             \
      "tool-only assistant content sent as null or empty (\"\")")              \
    X("UPSTREAM_MAX_TOKENS_FIELD", "(inferred)", K_OVENUM,                     \
      OFF(ov_maxtok_field), 0, 0, maxtok_names, maxtok_vals,                   \
      "max_tokens or max_completion_tokens")                                   \
    X("UPSTREAM_MAX_TOKENS", "(inferred)", K_OVLONG, OFF(ov_max_tokens_cap),   \
      0, 100000000, NULL, NULL,                                                \
      "ceiling for max_tokens sent upstream; 0: no ceiling")                   \
    X("UPSTREAM_TOP_K", "(inferred)", K_OVBOOL, OFF(ov_top_k), 0, 0, NULL,     \
      NULL, "forward top_k")                                                   \
    X("UPSTREAM_REASONING", "(inferred)", K_OVENUM, OFF(ov_reasoning), 0, 0,   \
      reason_names, reason_vals,                                               \
      "how thinking is requested: none, effort (reasoning_effort), "           \
      "openrouter (reasoning object) or deepseek (thinking object)")           \
    X("UPSTREAM_THINKING_REPLAY", "(inferred)", K_OVBOOL,                      \
      OFF(ov_thinking_replay), 0, 0, NULL, NULL,                               \
      "send earlier thinking back as reasoning_content")                       \
    X("UPSTREAM_CACHE_CONTROL", "(inferred)", K_OVBOOL, OFF(ov_cache_control), \
      0, 0, NULL, NULL, "keep cache_control on content parts")                 \
    X("SCHEMA_PROFILE", "(inferred)", K_OVENUM, OFF(ov_schema), 0, 0,          \
      schema_names, schema_vals, "tool schema cleaning: gemini, seed or none") \
    X("UPSTREAM_STREAM_OPTIONS", "(inferred)", K_OVBOOL,                       \
      OFF(ov_stream_options), 0, 0, NULL, NULL,                                \
      "send stream_options.include_usage when streaming")                      \
    X("UPSTREAM_TOOL_CHOICE_REQUIRED", "(inferred)", K_OVBOOL,                 \
      OFF(ov_tool_choice_required), 0, 0, NULL, NULL,                          \
      "upstream accepts tool_choice \"required\" (else \"auto\")")             \
    X("UPSTREAM_THINK_TAGS", "(inferred)", K_OVBOOL, OFF(ov_think_tags), 0, 0, \
      NULL, NULL, "read a leading <think>...</think> in content as thinking")  \
    X("UPSTREAM_TEXT_TOOL_CALLS", "(inferred)", K_OVBOOL,                      \
      OFF(ov_text_tool_calls), 0, 0, NULL, NULL,                               \
      "recover tool calls the model wrote as text (<tool_call>, "              \
      "<function=...>, a bare {\"name\",\"arguments\"} answer)")               \
    X("UPSTREAM_PROMPT_CACHE_KEY", "(inferred)", K_OVBOOL,                     \
      OFF(ov_prompt_cache_key), 0, 0, NULL, NULL,                              \
      "send Claude Code's session id as prompt_cache_key")                     \
    X("PORT", "8787", K_IGNORE, 0, 0, 0, NULL, NULL,                           \
      "web server port used by make run (ignored by the binary)")              \
    X("HOST", "127.0.0.1", K_IGNORE, 0, 0, 0, NULL, NULL,                      \
      "web server address used by make run (ignored by the binary)")

struct setting {
    const char *name;
    const char *def;
    enum kind kind;
    size_t off;
    long min, max;
    const char *const *choices;
    const int *vals;
};

static const struct setting settings[] = {
#define X(name, def, kind, off, min, max, ch, va, help)                        \
    {name, def, kind, off, min, max, ch, va},
    A2O_SETTINGS(X)
#undef X
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static const struct a2o_conf_doc docs[] = {
#define X(name, def, kind, off, min, max, ch, va, help) {name, def, help},
    A2O_SETTINGS(X)
#undef X
        {NULL, NULL, NULL}};

const struct a2o_conf_doc *
a2o_conf_docs(void)
{
    return docs;
}

/* Field access by offset; the kind says which type lives there. */
#define FIELD(c, s, type) ((type *)(void *)((char *)(c) + (s)->off))

static char *
dupn(const char *s, size_t n)
{
    char *p = cJSON_malloc(n + 1);

    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static int
lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int
is_space(int c)
{
    return c == ' ' || c == '\t';
}

/*
 * A short, printable copy of a user value for an error message: control
 * and non-ASCII bytes become '?', long values are cut with "...".  Only
 * ever used on values that are not secrets.
 */
static void
shown(const char *v, char *out, size_t outsz)
{
    size_t i, n = 0, lim = outsz > 4 ? outsz - 4 : 0;

    for (i = 0; v[i] != '\0' && n < lim; i++) {
        unsigned char ch = (unsigned char)v[i];

        out[n++] = (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
    }
    if (v[i] != '\0') {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

static enum a2o_err
bad(struct a2o_diag *d, const struct setting *s, const char *what,
    const char *val)
{
    char v[48];

    if (s->kind == K_SECRET)
        return a2o_diag_set(d, A2O_E_CONF, NULL,
                            "%s: expected %s (value not shown)", s->name, what);
    shown(val, v, sizeof(v));
    return a2o_diag_set(d, A2O_E_CONF, NULL, "%s: expected %s, got \"%s\"",
                        s->name, what, v);
}

/* 1 when every byte is printable ASCII (space allowed when sp). */
static int
printable(const char *v, int sp)
{
    for (; *v != '\0'; v++) {
        unsigned char ch = (unsigned char)*v;

        if (ch < 0x20 || ch >= 0x7f || (!sp && ch == ' '))
            return 0;
    }
    return 1;
}

/* Case-insensitive ASCII prefix test. */
static int
prefix_ci(const char *s, const char *pre)
{
    for (; *pre != '\0'; s++, pre++)
        if (lower((unsigned char)*s) != *pre)
            return 0;
    return 1;
}

/* Validates a URL value; on success *n is its length without trailing
 * slashes. */
static int
url_ok(const char *v, size_t *n)
{
    size_t len = strlen(v), skip;

    if (prefix_ci(v, "http://"))
        skip = 7;
    else if (prefix_ci(v, "https://"))
        skip = 8;
    else
        return 0;
    if (!printable(v, 0))
        return 0;
    while (len > skip && v[len - 1] == '/')
        len--;
    /* a host must follow the scheme */
    if (len == skip || v[skip] == '/' || v[skip] == '?' || v[skip] == '#')
        return 0;
    *n = len;
    return 1;
}

/* Replaces the owned string at *slot with n bytes of v. */
static enum a2o_err
set_str(char **slot, const char *v, size_t n)
{
    char *p = dupn(v, n);

    if (p == NULL)
        return A2O_E_NOMEM;
    cJSON_free(*slot);
    *slot = p;
    return A2O_E_OK;
}

/*
 * Parses a decimal integer (optional leading '-') with overflow check.
 * The whole string must be the number.
 */
static int
parse_long(const char *v, long *out)
{
    unsigned long acc = 0;
    int neg = 0;

    if (*v == '-') {
        neg = 1;
        v++;
    }
    if (*v < '0' || *v > '9')
        return 0;
    for (; *v >= '0' && *v <= '9'; v++) {
        if (acc > (0x7fffffffUL - (unsigned long)(*v - '0')) / 10)
            return 0; /* past 2^31-1: more than any setting allows */
        acc = acc * 10 + (unsigned long)(*v - '0');
    }
    if (*v != '\0')
        return 0;
    *out = neg ? -(long)acc : (long)acc;
    return 1;
}

/* 1 KiB .. 4 GiB: below 1 KiB no real request fits; above 4 GiB is a
 * typo, and 32-bit size_t could not hold it. */
#define SIZE_MIN_BYTES 1024UL
#define SIZE_MAX_MIB 4096UL

static int
parse_size(const char *v, size_t *out)
{
    unsigned long num = 0, mul = 1;
    unsigned long long total;

    if (*v < '0' || *v > '9')
        return 0;
    for (; *v >= '0' && *v <= '9'; v++) {
        if (num > 0xffffffffUL / 10)
            return 0;
        num = num * 10 + (unsigned long)(*v - '0');
    }
    switch (*v) {
    case '\0':
        break;
    case 'k':
    case 'K':
        mul = 1024UL;
        break;
    case 'm':
    case 'M':
        mul = 1024UL * 1024;
        break;
    case 'g':
    case 'G':
        mul = 1024UL * 1024 * 1024;
        break;
    default:
        return 0;
    }
    if (*v != '\0' && v[1] != '\0')
        return 0;
    /* num < 2^32 and mul <= 2^30: the product fits in 64 bits */
    total = (unsigned long long)num * mul;
    if (total < SIZE_MIN_BYTES || total > SIZE_MAX_MIB * 1024ULL * 1024ULL)
        return 0;
    *out = (size_t)total;
    return 1;
}

/* 1/0/true/false/yes/no/on/off, any case; -1 when none. */
static int
parse_bool(const char *v)
{
    static const char *const yes[] = {"1", "true", "yes", "on", NULL};
    static const char *const no[] = {"0", "false", "no", "off", NULL};
    size_t i;
    char low[8];

    for (i = 0; v[i] != '\0' && i < sizeof(low) - 1; i++)
        low[i] = (char)lower((unsigned char)v[i]);
    if (v[i] != '\0')
        return -1;
    low[i] = '\0';
    for (i = 0; yes[i] != NULL; i++)
        if (strcmp(low, yes[i]) == 0)
            return 1;
    for (i = 0; no[i] != NULL; i++)
        if (strcmp(low, no[i]) == 0)
            return 0;
    return -1;
}

/* Index of v (case-insensitive) in a NULL-terminated list; -1 when none. */
static int
choice(const char *const *names, const char *v)
{
    int i;
    size_t k;

    for (i = 0; names[i] != NULL; i++) {
        for (k = 0; names[i][k] != '\0' && v[k] != '\0'; k++)
            if (lower((unsigned char)v[k]) != names[i][k])
                break;
        if (names[i][k] == '\0' && v[k] == '\0')
            return i;
    }
    return -1;
}

/* "a, b or c" for an error message. */
static void
choice_text(const char *const *names, char *out, size_t outsz)
{
    size_t i, n = 0;

    out[0] = '\0';
    for (i = 0; names[i] != NULL && n < outsz; i++) {
        const char *sep = i == 0 ? "" : names[i + 1] == NULL ? " or " : ", ";
        int w = snprintf(out + n, outsz - n, "%s%s", sep, names[i]);

        if (w < 0)
            break;
        n += (size_t)w;
    }
}

static void
free_map(struct a2o_conf *c)
{
    size_t i;

    for (i = 0; i < c->nmap; i++) {
        cJSON_free(c->map[i].match);
        cJSON_free(c->map[i].model);
    }
    cJSON_free(c->map);
    c->map = NULL;
    c->nmap = 0;
}

/* Bounds of the next comma-separated entry of s from *pos, trimmed. */
static int
next_item(const char *s, size_t *pos, size_t *b, size_t *e)
{
    size_t i = *pos;

    if (s[i] == '\0')
        return 0;
    while (s[i] != '\0' && s[i] != ',')
        i++;
    *b = *pos;
    *e = i;
    *pos = s[i] == ',' ? i + 1 : i;
    while (*b < *e && is_space((unsigned char)s[*b]))
        (*b)++;
    while (*e > *b && is_space((unsigned char)s[*e - 1]))
        (*e)--;
    return 1;
}

/*
 * MODEL_MAP: "match=model,...".  Matches are lower-cased (routing compares
 * case-insensitively); empty entries (a trailing comma) are skipped.  The
 * new map replaces the old one only when the whole value parsed.
 */
static enum a2o_err
set_map(struct a2o_conf *c, const struct setting *s, const char *v,
        struct a2o_diag *d)
{
    struct a2o_model_map *map = NULL;
    size_t n = 0, cap = 0, pos = 0, b, e, i;
    enum a2o_err err = A2O_E_OK;

    while (next_item(v, &pos, &b, &e)) {
        const char *eq;
        size_t mb = b, me, ob, oe = e;

        if (b == e)
            continue;
        eq = memchr(v + b, '=', e - b);
        if (eq == NULL) {
            err = bad(d, s, "a comma list of match=model", v);
            goto out;
        }
        me = (size_t)(eq - v);
        ob = me + 1;
        while (me > mb && is_space((unsigned char)v[me - 1]))
            me--;
        while (ob < oe && is_space((unsigned char)v[ob]))
            ob++;
        if (me == mb || ob == oe) {
            err = bad(d, s, "a comma list of match=model, both non-empty", v);
            goto out;
        }
        if (n == cap) {
            size_t ncap = cap == 0 ? 4 : cap * 2;
            struct a2o_model_map *nm = cJSON_malloc(ncap * sizeof(*nm));

            if (nm == NULL) {
                err = A2O_E_NOMEM;
                goto out;
            }
            if (n > 0)
                memcpy(nm, map, n * sizeof(*nm));
            cJSON_free(map);
            map = nm;
            cap = ncap;
        }
        map[n].match = dupn(v + mb, me - mb);
        map[n].model = map[n].match ? dupn(v + ob, oe - ob) : NULL;
        if (map[n].model == NULL) {
            cJSON_free(map[n].match);
            err = A2O_E_NOMEM;
            goto out;
        }
        for (i = 0; map[n].match[i] != '\0'; i++)
            map[n].match[i] = (char)lower((unsigned char)map[n].match[i]);
        n++;
    }
out:
    if (err != A2O_E_OK) {
        for (i = 0; i < n; i++) {
            cJSON_free(map[i].match);
            cJSON_free(map[i].model);
        }
        cJSON_free(map);
        return err;
    }
    free_map(c);
    c->map = map;
    c->nmap = n;
    return A2O_E_OK;
}

/* MODELS: entries trimmed, empty ones dropped, joined with ','. */
static enum a2o_err
set_list(char **slot, const char *v)
{
    size_t pos = 0, b, e, n = 0;
    char *p = cJSON_malloc(strlen(v) + 1);

    if (p == NULL)
        return A2O_E_NOMEM;
    while (next_item(v, &pos, &b, &e)) {
        if (b == e)
            continue;
        if (n > 0)
            p[n++] = ',';
        memcpy(p + n, v + b, e - b);
        n += e - b;
    }
    p[n] = '\0';
    cJSON_free(*slot);
    *slot = n > 0 ? p : NULL;
    if (n == 0)
        cJSON_free(p);
    return A2O_E_OK;
}

/* Resets one setting to its unset state (empty value, or init). */
static void
unset(struct a2o_conf *c, const struct setting *s)
{
    switch (s->kind) {
    case K_URL:
    case K_SECRET:
    case K_STR:
    case K_LIST:
        cJSON_free(*FIELD(c, s, char *));
        *FIELD(c, s, char *) = NULL;
        break;
    case K_MAP:
        free_map(c);
        break;
    case K_OVBOOL:
    case K_OVENUM:
        *FIELD(c, s, int) = -1;
        break;
    case K_OVLONG:
        *FIELD(c, s, long) = -1;
        break;
    case K_SIZE:
    case K_LONG:
    case K_INT:
    case K_LOG:
    case K_IGNORE:
    default:
        break;
    }
}

/* Parses v for s into c.  v is non-empty. */
static enum a2o_err
apply(struct a2o_conf *c, const struct setting *s, const char *v,
      struct a2o_diag *d)
{
    char what[96];
    size_t n;
    long l;
    int i;

    switch (s->kind) {
    case K_URL:
        if (!url_ok(v, &n))
            return bad(d, s, "an http:// or https:// URL with a host", v);
        return set_str(FIELD(c, s, char *), v, n);
    case K_SECRET:
        if (!printable(v, 0))
            return bad(d, s, "printable ASCII without spaces", v);
        return set_str(FIELD(c, s, char *), v, strlen(v));
    case K_STR:
        if (!printable(v, 0))
            return bad(d, s, "printable ASCII without spaces", v);
        return set_str(FIELD(c, s, char *), v, strlen(v));
    case K_LIST:
        if (!printable(v, 1))
            return bad(d, s, "a comma list of printable names", v);
        return set_list(FIELD(c, s, char *), v);
    case K_MAP:
        if (!printable(v, 1))
            return bad(d, s, "a comma list of match=model", v);
        return set_map(c, s, v, d);
    case K_SIZE:
        if (!parse_size(v, FIELD(c, s, size_t)))
            return bad(d, s,
                       "a byte count from 1024 to 4G, with optional "
                       "suffix k, m or g",
                       v);
        return A2O_E_OK;
    case K_LONG:
    case K_INT:
    case K_OVLONG:
        if (!parse_long(v, &l) || l < s->min || l > s->max) {
            snprintf(what, sizeof(what), "an integer from %ld to %ld", s->min,
                     s->max);
            return bad(d, s, what, v);
        }
        if (s->kind == K_INT)
            *FIELD(c, s, int) = (int)l;
        else
            *FIELD(c, s, long) = l;
        return A2O_E_OK;
    case K_LOG:
        i = choice(log_names, v);
        if (i < 0) {
            choice_text(log_names, what, sizeof(what));
            return bad(d, s, what, v);
        }
        *FIELD(c, s, enum a2o_log_level) = (enum a2o_log_level)i;
        return A2O_E_OK;
    case K_OVBOOL:
        i = parse_bool(v);
        if (i < 0)
            return bad(d, s, "a boolean (1/0, true/false, yes/no, on/off)", v);
        *FIELD(c, s, int) = i;
        return A2O_E_OK;
    case K_OVENUM:
        i = choice(s->choices, v);
        if (i < 0) {
            choice_text(s->choices, what, sizeof(what));
            return bad(d, s, what, v);
        }
        *FIELD(c, s, int) = s->vals[i];
        return A2O_E_OK;
    case K_IGNORE:
    default:
        return A2O_E_OK;
    }
}

/* Numeric settings whose shown default is also their value. */
static int
has_value_default(const struct setting *s)
{
    return s->kind == K_SIZE || s->kind == K_LONG || s->kind == K_INT ||
           s->kind == K_LOG;
}

void
a2o_conf_init(struct a2o_conf *c)
{
    size_t i;

    memset(c, 0, sizeof(*c));
    for (i = 0; i < NSETTINGS; i++) {
        unset(c, &settings[i]);
        /* numeric defaults never allocate, so init cannot fail */
        if (has_value_default(&settings[i]))
            (void)apply(c, &settings[i], settings[i].def, NULL);
    }
}

void
a2o_conf_free(struct a2o_conf *c)
{
    size_t i;

    for (i = 0; i < NSETTINGS; i++)
        unset(c, &settings[i]);
    a2o_conf_init(c);
}

static const struct setting *
find(const char *key)
{
    size_t i;

    for (i = 0; i < NSETTINGS; i++)
        if (strcmp(settings[i].name, key) == 0)
            return &settings[i];
    return NULL;
}

enum a2o_err
a2o_conf_set(struct a2o_conf *c, const char *key, const char *val,
             struct a2o_diag *d)
{
    const struct setting *s = key != NULL ? find(key) : NULL;

    if (s == NULL)
        return A2O_E_OK; /* not ours: the environment holds many */
    if (val == NULL || val[0] == '\0') {
        /* shell "X=": back to the default */
        unset(c, s);
        if (has_value_default(s))
            (void)apply(c, s, s->def, NULL);
        return A2O_E_OK;
    }
    return apply(c, s, val, d);
}

/* Owned copy of src into *slot when *slot is unset. */
static enum a2o_err
default_copy(char **slot, const char *src)
{
    if (*slot != NULL || src == NULL)
        return A2O_E_OK;
    return set_str(slot, src, strlen(src));
}

/* Appends name to the comma list in b (n used of cap) unless present. */
static void
list_add(char *b, size_t *n, const char *name)
{
    size_t pos = 0, s, e, len = strlen(name);

    while (next_item(b, &pos, &s, &e))
        if (e - s == len && memcmp(b + s, name, len) == 0)
            return;
    if (*n > 0)
        b[(*n)++] = ',';
    memcpy(b + *n, name, len);
    *n += len;
    b[*n] = '\0';
}

/* MODELS default: the models MODEL_MAP and HAIKU_MODEL_NAME route to. */
static enum a2o_err
default_models(struct a2o_conf *c)
{
    size_t i, need = 1, n = 0;
    char *b;

    if (c->models != NULL || (c->nmap == 0 && c->haiku_model == NULL))
        return A2O_E_OK;
    for (i = 0; i < c->nmap; i++)
        need += strlen(c->map[i].model) + 1;
    if (c->haiku_model != NULL)
        need += strlen(c->haiku_model) + 1;
    b = cJSON_malloc(need);
    if (b == NULL)
        return A2O_E_NOMEM;
    b[0] = '\0';
    for (i = 0; i < c->nmap; i++)
        list_add(b, &n, c->map[i].model);
    if (c->haiku_model != NULL)
        list_add(b, &n, c->haiku_model);
    c->models = b;
    return A2O_E_OK;
}

enum a2o_err
a2o_conf_finish(struct a2o_conf *c, struct a2o_diag *d)
{
    const struct setting *base = find("OPENAI_BASE_URL");
    enum a2o_err err;

    (void)d; /* every value was validated by a2o_conf_set */
    if (c->base_url == NULL) {
        err = apply(c, base, base->def, d);
        if (err != A2O_E_OK)
            return err;
    }
    /* PROTOCOL.md §6: the haiku upstream defaults to the main one */
    err = default_copy(&c->haiku_base_url, c->base_url);
    if (err == A2O_E_OK)
        err = default_copy(&c->haiku_api_key, c->api_key);
    if (err == A2O_E_OK)
        err = default_models(c);
    return err;
}

/* ------------------------------------------------------------------ */
/* .env files                                                          */

/*
 * Copies the value that follows '=' (raw, line ends at e) into out (room
 * for e - raw + 1 bytes).  Returns NULL on success, else the error text.
 */
static const char *
env_value(const char *raw, const char *e, char *out)
{
    const char *p = raw, *q;
    size_t n = 0;

    while (p < e && is_space((unsigned char)*p))
        p++;
    if (p < e && (*p == '\'' || *p == '"')) {
        char quote = *p++;

        for (; p < e && *p != quote; p++) {
            if (quote == '"' && *p == '\\' && p + 1 < e) {
                p++;
                switch (*p) {
                case 'n':
                    out[n++] = '\n';
                    break;
                case 't':
                    out[n++] = '\t';
                    break;
                case 'r':
                    out[n++] = '\r';
                    break;
                case '"':
                case '\\':
                case '$':
                case '`':
                    out[n++] = *p;
                    break;
                default: /* unknown escape: kept as written */
                    out[n++] = '\\';
                    out[n++] = *p;
                    break;
                }
                continue;
            }
            out[n++] = *p;
        }
        if (p == e)
            return "unterminated quote";
        for (p++; p < e && is_space((unsigned char)*p); p++)
            ;
        if (p < e && *p != '#')
            return "text after the closing quote";
        out[n] = '\0';
        return NULL;
    }
    /* unquoted: a '#' after a blank starts a comment ("KEY= #x" is
     * empty, "KEY=a#b" keeps its '#'); then trailing blanks go */
    if (p > raw && p < e && *p == '#')
        q = p;
    else
        for (q = p; q < e; q++)
            if (*q == '#' && q > p && is_space((unsigned char)q[-1]))
                break;
    while (q > p && is_space((unsigned char)q[-1]))
        q--;
    memcpy(out, p, (size_t)(q - p));
    out[q - p] = '\0';
    return NULL;
}

static int
key_char(int ch, int first)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' ||
           (!first && ch >= '0' && ch <= '9');
}

/* One logical line [p, e) without its newline. */
static enum a2o_err
env_line(struct a2o_conf *c, const char *p, const char *e, size_t lineno,
         struct a2o_diag *d)
{
    const char *k, *ke, *why;
    struct a2o_diag sub;
    char *buf;
    enum a2o_err err;

    if (e > p && e[-1] == '\r') /* CRLF files from Windows editors */
        e--;
    while (p < e && is_space((unsigned char)*p))
        p++;
    if (p == e || *p == '#')
        return A2O_E_OK;
    if (e - p > 7 && memcmp(p, "export", 6) == 0 &&
        is_space((unsigned char)p[6])) {
        p += 7;
        while (p < e && is_space((unsigned char)*p))
            p++;
    }
    k = p;
    if (p == e || !key_char((unsigned char)*p, 1))
        return a2o_diag_set(d, A2O_E_CONF, NULL, "line %zu: expected KEY=VALUE",
                            lineno);
    while (p < e && key_char((unsigned char)*p, 0))
        p++;
    ke = p;
    while (p < e && is_space((unsigned char)*p))
        p++;
    if (p == e || *p != '=')
        return a2o_diag_set(d, A2O_E_CONF, NULL, "line %zu: expected KEY=VALUE",
                            lineno);
    p++;
    /* one allocation holds "KEY\0VALUE\0"; a value only shrinks */
    buf = cJSON_malloc((size_t)(ke - k) + 1 + (size_t)(e - p) + 1);
    if (buf == NULL)
        return A2O_E_NOMEM;
    memcpy(buf, k, (size_t)(ke - k));
    buf[ke - k] = '\0';
    why = env_value(p, e, buf + (ke - k) + 1);
    if (why != NULL) {
        err = a2o_diag_set(d, A2O_E_CONF, NULL, "line %zu: %s: %s", lineno, buf,
                           why);
        goto out;
    }
    a2o_diag_clear(&sub);
    err = a2o_conf_set(c, buf, buf + (ke - k) + 1, &sub);
    if (err == A2O_E_CONF)
        a2o_diag_set(d, err, NULL, "line %zu: %s", lineno, sub.msg);
out:
    cJSON_free(buf);
    return err;
}

enum a2o_err
a2o_conf_parse_env_file(struct a2o_conf *c, const char *text, size_t n,
                        struct a2o_diag *d)
{
    size_t i = 0, lineno = 1;
    enum a2o_err err;

    while (i < n) {
        const char *nl = memchr(text + i, '\n', n - i);
        size_t end = nl != NULL ? (size_t)(nl - text) : n;

        if (memchr(text + i, '\0', end - i) != NULL)
            return a2o_diag_set(d, A2O_E_CONF, NULL, "line %zu: NUL byte",
                                lineno);
        err = env_line(c, text + i, text + end, lineno, d);
        if (err != A2O_E_OK)
            return err;
        i = end + 1;
        lineno++;
    }
    return A2O_E_OK;
}
