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
#include "rules.h"
#include "str.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

/* How a setting's text is parsed and where it lands. */
enum kind {
    K_URL,    /* http(s) URL string, trailing '/' removed */
    K_SECRET, /* API key: printable, no spaces; never echoed */
    K_STR,    /* plain printable string */
    K_TEXT,   /* printable string, spaces allowed (ROUTES) */
    K_LIST,   /* comma list, normalised (entries trimmed, empties gone) */
    K_MAP,    /* MODEL_MAP: match=model,... */
    K_SIZE,   /* byte count with optional k/m/g suffix (powers of 1024) */
    K_LONG,   /* integer into a long field, within [min, max] */
    K_INT,    /* integer into an int field, within [min, max] */
    K_LOG,    /* LOG_LEVEL */
    K_OVBOOL, /* switch: boolean into a long field, -1 = infer */
    K_OVENUM, /* switch or provider choice: long field, -1 = unset */
    K_OVLONG, /* switch: integer into a long field, -1 = infer */
    K_IGNORE  /* read by make run, not by the binary; or a doc row */
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
static const char *const api_names[] = {"chat", "responses", "anthropic", NULL};
static const int api_vals[] = {A2O_API_CHAT, A2O_API_RESPONSES,
                               A2O_API_ANTHROPIC};
static const char *const beta_names[] = {"pass", "drop", NULL};
static const int beta_vals[] = {1, 0};
/* BOOL and LONG switches have no choices. */
static const char *const none_names[] = {NULL};
static const int none_vals[] = {0};
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
      "request threads each process starts with and shrinks back to")          \
    X("MAX_THREADS", "256", K_INT, OFF(max_threads), 1, 4096, NULL, NULL,      \
      "most threads serving requests per process; past it a new request "      \
      "gets a 529 overloaded_error at once")                                   \
    X("THREAD_IDLE", "60", K_LONG, OFF(thread_idle), 1, 86400, NULL, NULL,     \
      "seconds a thread above THREADS waits for a request before it ends")     \
    X("LOG_LEVEL", "info", K_LOG, OFF(log_level), 0, 0, NULL, NULL,            \
      "error, warn, info (one line per request) or debug")                     \
    X("MAX_SSE_LINE", "16M", K_SIZE, OFF(max_sse_line), 0, 0, NULL, NULL,      \
      "longest upstream SSE line; suffix k, m or g")                           \
    X("MAX_RESPONSE_BYTES", "64M", K_SIZE, OFF(max_response), 0, 0, NULL,      \
      NULL,                                                                    \
      "largest upstream response (non-stream body, or one tool call's "        \
      "arguments); suffix k, m or g")                                          \
    X("ROUTES", "(unset)", K_TEXT, OFF(routes), 0, 0, NULL, NULL,              \
      "routing rules MATCH=TARGET|TARGET;...: MATCH a model substring, *, "    \
      "think, long or image (joined with +), TARGET provider[:model]; "        \
      "tried in order, first match wins; unset: the haiku rule, then "         \
      "MODEL_MAP on default")                                                  \
    X("LONG_CONTEXT_TOKENS", "60000", K_LONG, OFF(long_context), 1, 100000000, \
      NULL, NULL,                                                              \
      "estimated input tokens from which the route condition long holds")      \
    X("RETRIES", "1", K_INT, OFF(retries), 0, 10, NULL, NULL,                  \
      "retries of a 429, 503 or 529 on the same target when its "              \
      "retry-after is at most RETRY_MAX_WAIT")                                 \
    X("RETRY_MAX_WAIT", "5", K_LONG, OFF(retry_max_wait), 0, 3600, NULL, NULL, \
      "longest retry-after (seconds) waited out on the same target")           \
    X("COOLDOWN", "30", K_LONG, OFF(cooldown), 0, 86400, NULL, NULL,           \
      "seconds a failed target is skipped while another target of its rule "   \
      "is usable")                                                             \
    X("PROVIDER_<NAME>_BASE_URL", "(unset)", K_IGNORE, 0, 0, 0, NULL, NULL,    \
      "declares provider NAME (letters and digits, any case): its base URL")   \
    X("PROVIDER_<NAME>_API_KEY", "(unset)", K_IGNORE, 0, 0, 0, NULL, NULL,     \
      "key sent to provider NAME; unset: the client's key rules")              \
    X("PROVIDER_<NAME>_API", "chat", K_IGNORE, 0, 0, 0, NULL, NULL,            \
      "chat ({base}/chat/completions), responses ({base}/responses) or "       \
      "anthropic ({base}/v1/messages)")                                        \
    X("PROVIDER_<NAME>_BETA", "drop", K_IGNORE, 0, 0, 0, NULL, NULL,           \
      "API anthropic: pass forwards the client's anthropic-beta header")       \
    X("PROVIDER_<NAME>_DROP_FIELDS", "(unset)", K_IGNORE, 0, 0, 0, NULL, NULL, \
      "API anthropic: comma list of top-level fields removed")                 \
    X("PROVIDER_<NAME>_<SWITCH>", "(global)", K_IGNORE, 0, 0, 0, NULL, NULL,   \
      "any UPSTREAM_<SWITCH> (and SCHEMA_PROFILE) for provider NAME only")     \
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
#define X(field, type, name, kind, max, ch, help)                              \
    {name, "(inferred)", K_OV##kind, OFF(ov.field),                            \
     0,    max,          ch##_names, ch##_vals},
        A2O_SWITCHES(X)
#undef X
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

#define POFF(f) offsetof(struct a2o_provider, f)

/* The settings of PROVIDER_<NAME>_<suffix> that are not switches; their
 * offsets are into struct a2o_provider. */
static const struct setting psettings[] = {
    {"BASE_URL", NULL, K_URL, POFF(base_url), 0, 0, NULL, NULL},
    {"API_KEY", NULL, K_SECRET, POFF(api_key), 0, 0, NULL, NULL},
    {"API", NULL, K_OVENUM, POFF(api), 0, 0, api_names, api_vals},
    {"BETA", NULL, K_OVENUM, POFF(beta_pass), 0, 0, beta_names, beta_vals},
    {"DROP_FIELDS", NULL, K_LIST, POFF(drop), 0, 0, NULL, NULL},
};
#define NPSETTINGS (sizeof(psettings) / sizeof(psettings[0]))

#define OVF(f) offsetof(struct a2o_overrides, f)

/* Each switch setting and its field in struct a2o_overrides, for the
 * PROVIDER_<NAME>_<SWITCH> form (name without "UPSTREAM_"). */
static const struct {
    const char *name;
    size_t off;
} ovmap[] = {
#define X(field, type, name, kind, max, ch, help) {name, OVF(field)},
    A2O_SWITCHES(X)
#undef X
};
#define NOVMAP (sizeof(ovmap) / sizeof(ovmap[0]))

static const struct a2o_conf_doc docs[] = {
#define X(name, def, kind, off, min, max, ch, va, help) {name, def, help},
    A2O_SETTINGS(X)
#undef X
#define X(field, type, name, kind, max, ch, help) {name, "(inferred)", help},
        A2O_SWITCHES(X)
#undef X
            {NULL, NULL, NULL}};

const struct a2o_conf_doc *
a2o_conf_docs(void)
{
    return docs;
}

/* Field access by offset from base (a conf, a provider or its
 * overrides); the kind says which type lives there. */
#define FIELD(base, off, type) ((type *)(void *)((char *)(base) + (off)))

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

/* An A2O_E_CONF naming the setting (name: as the user wrote it). */
static enum a2o_err
bad(struct a2o_diag *d, const struct setting *s, const char *name,
    const char *what, const char *val)
{
    char v[48];

    if (s->kind == K_SECRET)
        return a2o_diag_set(d, A2O_E_CONF, NULL,
                            "%s: expected %s (value not shown)", name, what);
    shown(val, v, sizeof(v));
    return a2o_diag_set(d, A2O_E_CONF, NULL, "%s: expected %s, got \"%s\"",
                        name, what, v);
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

/* Validates a URL value; on success *n is its length without trailing
 * slashes. */
static int
url_ok(const char *v, size_t *n)
{
    size_t len = strlen(v), skip;

    if (a2o_str_starts_ci(v, "http://"))
        skip = 7;
    else if (a2o_str_starts_ci(v, "https://"))
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
    char *p = a2o_str_dupn(v, n);

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
        low[i] = (char)a2o_str_lower((unsigned char)v[i]);
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
            if (a2o_str_lower((unsigned char)v[k]) != names[i][k])
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
free_map(void *base)
{
    struct a2o_conf *c = base;
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
    while (*b < *e && a2o_str_space((unsigned char)s[*b]))
        (*b)++;
    while (*e > *b && a2o_str_space((unsigned char)s[*e - 1]))
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
            err = bad(d, s, s->name, "a comma list of match=model", v);
            goto out;
        }
        me = (size_t)(eq - v);
        ob = me + 1;
        while (me > mb && a2o_str_space((unsigned char)v[me - 1]))
            me--;
        while (ob < oe && a2o_str_space((unsigned char)v[ob]))
            ob++;
        if (me == mb || ob == oe) {
            err = bad(d, s, s->name,
                      "a comma list of match=model, both non-empty", v);
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
        map[n].match = a2o_str_dupn(v + mb, me - mb);
        map[n].model = map[n].match ? a2o_str_dupn(v + ob, oe - ob) : NULL;
        if (map[n].model == NULL) {
            cJSON_free(map[n].match);
            err = A2O_E_NOMEM;
            goto out;
        }
        for (i = 0; map[n].match[i] != '\0'; i++)
            map[n].match[i] =
                (char)a2o_str_lower((unsigned char)map[n].match[i]);
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

/* Resets the field of s at base + off to its unset state. */
static void
unset_at(void *base, size_t off, const struct setting *s)
{
    switch (s->kind) {
    case K_URL:
    case K_SECRET:
    case K_STR:
    case K_TEXT:
    case K_LIST:
        cJSON_free(*FIELD(base, off, char *));
        *FIELD(base, off, char *) = NULL;
        break;
    case K_MAP:
        free_map(base);
        break;
    case K_OVBOOL:
    case K_OVENUM:
    case K_OVLONG:
        *FIELD(base, off, long) = -1;
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

static void
unset(struct a2o_conf *c, const struct setting *s)
{
    unset_at(c, s->off, s);
}

/*
 * Parses v (non-empty) for s into the field at base + off; name is the
 * setting as the user wrote it, for errors.  base is the conf for K_MAP.
 */
static enum a2o_err
apply_at(void *base, size_t off, const struct setting *s, const char *name,
         const char *v, struct a2o_diag *d)
{
    char what[96];
    size_t n;
    long l;
    int i;

    switch (s->kind) {
    case K_URL:
        if (!url_ok(v, &n))
            return bad(d, s, name, "an http:// or https:// URL with a host", v);
        return set_str(FIELD(base, off, char *), v, n);
    case K_SECRET:
    case K_STR:
        if (!printable(v, 0))
            return bad(d, s, name, "printable ASCII without spaces", v);
        return set_str(FIELD(base, off, char *), v, strlen(v));
    case K_TEXT:
        if (!printable(v, 1))
            return bad(d, s, name, "printable ASCII", v);
        return set_str(FIELD(base, off, char *), v, strlen(v));
    case K_LIST:
        if (!printable(v, 1))
            return bad(d, s, name, "a comma list of printable names", v);
        return set_list(FIELD(base, off, char *), v);
    case K_MAP:
        if (!printable(v, 1))
            return bad(d, s, name, "a comma list of match=model", v);
        return set_map(base, s, v, d);
    case K_SIZE:
        if (!parse_size(v, FIELD(base, off, size_t)))
            return bad(d, s, name,
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
            return bad(d, s, name, what, v);
        }
        if (s->kind == K_INT)
            *FIELD(base, off, int) = (int)l;
        else
            *FIELD(base, off, long) = l;
        return A2O_E_OK;
    case K_LOG:
        i = choice(log_names, v);
        if (i < 0) {
            choice_text(log_names, what, sizeof(what));
            return bad(d, s, name, what, v);
        }
        *FIELD(base, off, enum a2o_log_level) = (enum a2o_log_level)i;
        return A2O_E_OK;
    case K_OVBOOL:
        i = parse_bool(v);
        if (i < 0)
            return bad(d, s, name,
                       "a boolean (1/0, true/false, yes/no, on/off)", v);
        *FIELD(base, off, long) = i;
        return A2O_E_OK;
    case K_OVENUM:
        i = choice(s->choices, v);
        if (i < 0) {
            choice_text(s->choices, what, sizeof(what));
            return bad(d, s, name, what, v);
        }
        *FIELD(base, off, long) = s->vals[i];
        return A2O_E_OK;
    case K_IGNORE:
    default:
        return A2O_E_OK;
    }
}

static enum a2o_err
apply(struct a2o_conf *c, const struct setting *s, const char *v,
      struct a2o_diag *d)
{
    return apply_at(c, s->off, s, s->name, v, d);
}

/* Numeric settings whose shown default is also their value. */
static int
has_value_default(const struct setting *s)
{
    return s->kind == K_SIZE || s->kind == K_LONG || s->kind == K_INT ||
           s->kind == K_LOG;
}

static void
free_providers(struct a2o_conf *c)
{
    size_t i;

    for (i = 0; i < c->nproviders; i++) {
        struct a2o_provider *p = &c->providers[i];

        cJSON_free(p->name);
        cJSON_free(p->base_url);
        cJSON_free(p->api_key);
        cJSON_free(p->model);
        cJSON_free(p->drop);
    }
    cJSON_free(c->providers);
    c->providers = NULL;
    c->nproviders = 0;
    a2o_rules_free(c);
}

void
a2o_conf_init(struct a2o_conf *c)
{
    size_t i;

    memset(c, 0, sizeof(*c));
    c->haiku = -1;
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
    free_providers(c);
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

const struct a2o_provider *
a2o_conf_provider(const struct a2o_conf *c, const char *name, size_t n)
{
    size_t i;

    for (i = 0; i < c->nproviders; i++)
        if (a2o_str_eq_ci(name, n, c->providers[i].name))
            return &c->providers[i];
    return NULL;
}

/* The provider called name[0..n) (a valid name), created when missing;
 * NULL on allocation failure. */
static struct a2o_provider *
provider(struct a2o_conf *c, const char *name, size_t n)
{
    struct a2o_provider *p, *np;
    size_t i;

    for (i = 0; i < c->nproviders; i++)
        if (a2o_str_eq_ci(name, n, c->providers[i].name))
            return &c->providers[i];
    np = cJSON_malloc((c->nproviders + 1) * sizeof(*np));
    if (np == NULL)
        return NULL;
    if (c->nproviders > 0)
        memcpy(np, c->providers, c->nproviders * sizeof(*np));
    p = &np[c->nproviders];
    memset(p, 0, sizeof(*p));
    p->name = a2o_str_dupn(name, n);
    if (p->name == NULL) {
        cJSON_free(np);
        return NULL;
    }
    for (i = 0; i < n; i++)
        p->name[i] = (char)a2o_str_lower((unsigned char)p->name[i]);
    p->api = -1;
    p->beta_pass = -1;
    for (i = 0; i < NOVMAP; i++)
        *FIELD(&p->ov, ovmap[i].off, long) = -1;
    cJSON_free(c->providers);
    c->providers = np;
    c->nproviders++;
    return p;
}

/*
 * PROVIDER_<NAME>_<SUFFIX>: NAME is letters and digits; SUFFIX one of
 * psettings or a switch of ovmap without its "UPSTREAM_".  Anything else
 * in this namespace is a typo worth stopping for.
 */
static enum a2o_err
set_provider(struct a2o_conf *c, const char *key, const char *val,
             struct a2o_diag *d)
{
    const char *name = key + strlen("PROVIDER_"), *suf;
    const struct setting *s = NULL;
    struct a2o_provider *p;
    void *base = NULL;
    size_t n, i, off = 0;
    char full[80];

    for (n = 0; (name[n] >= 'A' && name[n] <= 'Z') ||
                (name[n] >= 'a' && name[n] <= 'z') ||
                (name[n] >= '0' && name[n] <= '9');
         n++)
        ;
    suf = name + n + 1;
    if (n == 0 || n > 32 || name[n] != '_' || *suf == '\0')
        return a2o_diag_set(d, A2O_E_CONF, NULL,
                            "%.64s: expected PROVIDER_<NAME>_<SETTING> with a "
                            "NAME of 1 to 32 letters and digits",
                            key);
    for (i = 0; i < NPSETTINGS && s == NULL; i++)
        if (strcmp(psettings[i].name, suf) == 0)
            s = &psettings[i], off = s->off;
    for (i = 0; i < NOVMAP && s == NULL; i++) {
        const char *on = ovmap[i].name;

        if (strncmp(on, "UPSTREAM_", 9) == 0)
            on += 9;
        if (strcmp(on, suf) == 0)
            s = find(ovmap[i].name), off = ovmap[i].off;
    }
    if (s == NULL)
        return a2o_diag_set(d, A2O_E_CONF, NULL,
                            "%.64s: unknown provider setting \"%.32s\"", key,
                            suf);
    p = provider(c, name, n);
    if (p == NULL)
        return A2O_E_NOMEM;
    base = s >= psettings && s < psettings + NPSETTINGS ? (void *)p
                                                        : (void *)&p->ov;
    snprintf(full, sizeof(full), "%s", key);
    if (val == NULL || val[0] == '\0') {
        unset_at(base, off, s);
        return A2O_E_OK;
    }
    return apply_at(base, off, s, full, val, d);
}

enum a2o_err
a2o_conf_set(struct a2o_conf *c, const char *key, const char *val,
             struct a2o_diag *d)
{
    const struct setting *s;

    if (key == NULL)
        return A2O_E_OK;
    if (strncmp(key, "PROVIDER_", 9) == 0)
        return set_provider(c, key, val, d);
    s = find(key);
    if (s == NULL || s->kind == K_IGNORE)
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

/* The name of provider p as its settings spell it: "PROVIDER_LOCAL". */
static void
upper_name(const struct a2o_provider *p, char *out, size_t outsz)
{
    size_t i;

    snprintf(out, outsz, "PROVIDER_%s", p->name);
    for (i = 0; out[i] != '\0'; i++)
        if (out[i] >= 'a' && out[i] <= 'z')
            out[i] = (char)(out[i] - 'a' + 'A');
}

/*
 * The seed providers: "default" from OPENAI_* and, with HAIKU_MODEL_NAME,
 * "haiku" from HAIKU_*; a provider's own PROVIDER_DEFAULT_* or
 * PROVIDER_HAIKU_* settings win.  "default" moves to index 0.
 */
static enum a2o_err
seed_providers(struct a2o_conf *c)
{
    struct a2o_provider *p, tmp;
    size_t i;
    enum a2o_err err;

    p = provider(c, "default", 7);
    if (p == NULL)
        return A2O_E_NOMEM;
    err = default_copy(&p->base_url, c->base_url);
    if (err == A2O_E_OK)
        err = default_copy(&p->api_key, c->api_key);
    if (err != A2O_E_OK)
        return err;
    i = (size_t)(p - c->providers);
    if (i != 0) {
        tmp = c->providers[i];
        memmove(c->providers + 1, c->providers, i * sizeof(tmp));
        c->providers[0] = tmp;
    }
    if (c->haiku_model == NULL)
        return A2O_E_OK;
    p = provider(c, "haiku", 5);
    if (p == NULL)
        return A2O_E_NOMEM;
    err = default_copy(&p->base_url, c->haiku_base_url);
    if (err == A2O_E_OK)
        err = default_copy(&p->api_key, c->haiku_api_key);
    if (err == A2O_E_OK)
        err = default_copy(&p->model, c->haiku_model);
    c->haiku = (int)(p - c->providers);
    return err;
}

/* Every provider has a base URL; unset choices get their defaults. */
static enum a2o_err
check_providers(struct a2o_conf *c, struct a2o_diag *d)
{
    char name[48];
    size_t i;

    for (i = 0; i < c->nproviders; i++) {
        struct a2o_provider *p = &c->providers[i];

        if (p->base_url == NULL) {
            upper_name(p, name, sizeof(name));
            return a2o_diag_set(d, A2O_E_CONF, NULL,
                                "%s_BASE_URL: required: provider %s has "
                                "settings but no base URL",
                                name, p->name);
        }
        if (p->api < 0)
            p->api = A2O_API_CHAT;
        if (p->beta_pass < 0)
            p->beta_pass = 0;
    }
    return A2O_E_OK;
}

enum a2o_err
a2o_conf_finish(struct a2o_conf *c, struct a2o_diag *d)
{
    const struct setting *base = find("OPENAI_BASE_URL");
    enum a2o_err err;

    if (c->base_url == NULL) {
        err = apply(c, base, base->def, d);
        if (err != A2O_E_OK)
            return err;
    }
    /* the haiku upstream defaults to the main one */
    err = default_copy(&c->haiku_base_url, c->base_url);
    if (err == A2O_E_OK)
        err = default_copy(&c->haiku_api_key, c->api_key);
    if (err == A2O_E_OK)
        err = default_models(c);
    if (err == A2O_E_OK && c->threads > c->max_threads)
        return a2o_diag_set(d, A2O_E_CONF, NULL,
                            "THREADS: expected at most MAX_THREADS (%d), "
                            "got %d",
                            c->max_threads, c->threads);
    if (err == A2O_E_OK)
        err = seed_providers(c);
    if (err == A2O_E_OK)
        err = check_providers(c, d);
    if (err == A2O_E_OK)
        err = a2o_rules_parse(c, d);
    return err;
}
