/*
 * route.c: which upstream serves a request (PROTOCOL.md §6).
 *
 * Order of the rules, first match wins:
 *   1. the client model contains "haiku" (any case) and HAIKU_MODEL_NAME
 *      is set: the HAIKU_* upstream (base and key fall back to the main
 *      ones, resolved by a2o_conf_finish);
 *   2. the first MODEL_MAP entry whose match is "*" or a substring of the
 *      lower-cased client model;
 *   3. the client model unchanged, on the main upstream.
 * The profile is inferred for the upstream actually chosen (base URL and
 * upstream model), so a Gemini haiku route next to a vLLM main route gets
 * Gemini's dialect.
 */
#include "route.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ASCII lower-casing; locale-free on purpose (tests run with LC_ALL=C, but
 * a server's locale must not change routing either). */
static int
lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* 1 when s starts with needle, ignoring ASCII case on both sides. */
static int
starts_ci(const char *s, const char *needle)
{
    size_t k;

    for (k = 0; needle[k] != '\0'; k++)
        if (lower((unsigned char)s[k]) != lower((unsigned char)needle[k]))
            return 0; /* also stops at the end of s: NUL never matches */
    return 1;
}

/* 1 when needle occurs in hay, ignoring ASCII case. */
static int
contains_ci(const char *hay, const char *needle)
{
    if (needle[0] == '\0')
        return 1;
    for (; *hay != '\0'; hay++)
        if (starts_ci(hay, needle))
            return 1;
    return 0;
}

void
a2o_route(const struct a2o_conf *c, const char *client_model,
          struct a2o_route *out)
{
    const char *cm = client_model != NULL ? client_model : "";
    size_t i;

    out->client_model = cm;
    out->session_id = NULL;
    out->base_url = c->base_url;
    out->api_key = c->api_key;
    out->model = cm;

    if (c->haiku_model != NULL && contains_ci(cm, "haiku")) {
        /* NOTE: a2o_conf_finish fills haiku_base_url/haiku_api_key from
         * the main ones; fall back here too for a conf that skipped it. */
        out->base_url =
            c->haiku_base_url != NULL ? c->haiku_base_url : c->base_url;
        out->api_key = c->haiku_api_key != NULL ? c->haiku_api_key : c->api_key;
        out->model = c->haiku_model;
    } else {
        for (i = 0; i < c->nmap; i++) {
            const struct a2o_model_map *m = &c->map[i];

            if (strcmp(m->match, "*") == 0 || contains_ci(cm, m->match)) {
                out->model = m->model;
                break;
            }
        }
    }
    if (out->base_url == NULL)
        out->base_url = "http://localhost:8094/v1"; /* conf not finished */
    a2o_profile_infer(c, out->base_url, out->model, &out->profile);
}

/*
 * Constant-time in the contents: every byte of the longer of the two is
 * visited and differences are OR-ed together, so an attacker timing the
 * 401 learns nothing about how many leading bytes matched.  The lengths
 * themselves are not secret enough to hide (a key's length leaks through
 * the request size anyway).
 */
int
a2o_key_equal(const char *given, size_t n, const char *want)
{
    size_t wn, len, i;
    volatile unsigned char acc;

    if (given == NULL || want == NULL)
        return 0;
    wn = strlen(want);
    acc = (unsigned char)(n != wn);
    len = n > wn ? n : wn;
    for (i = 0; i < len; i++) {
        unsigned char a = i < n ? (unsigned char)given[i] : 0;
        unsigned char b = i < wn ? (unsigned char)want[i] : 0;

        acc |= (unsigned char)(a ^ b);
    }
    return acc == 0;
}

/* ------------------------------------------------------------------ */
/* Upstream profiles                                                   */

/*
 * Defaults per upstream kind, chosen from the base URL's host (and port)
 * first, then from the upstream model name.  The UPSTREAM_* settings
 * override any switch afterwards.
 *
 *  kind (how recognised)                 null  maxtok  topk reason     replay
 * cache schema sopt req think Gemini (generativelanguage.googleapis  1 max_tok
 * 0   effort       0     0    gemini  1    1    0 .com, or model "gemini*")
 *  OpenRouter (openrouter.ai)             1    max_tok  1   openrouter   0 1
 * seed    1    1    0 DeepSeek (api.deepseek.com, or model   1    max_tok  0*
 * deepseek     1     0    seed    1    1    0* containing "deepseek")
 *  OpenAI/Azure (api.openai.com,          1    mct**    0   effort**     0 0
 * seed    1    1    0
 *          *.openai.azure.com)
 *  Ollama (port 11434, host "*ollama*")   0    max_tok  1   effort       1 0
 * seed    1    1    1 local server (vLLM, llama.cpp, LM      1    max_tok  1
 * effort       1     0    seed    1    1    1 Studio, SGLang: loopback, private
 * address, .local/.lan/ .internal, or a dotless name) other remote host 1
 * max_tok  0   none         0     0    seed    1    1    1
 *
 *  *  a model-matched DeepSeek on a local server keeps the local top_k
 *     and think_tags.
 *  ** only o-series (o1, o3, o4-mini, ...) and gpt-5* models; other
 *     OpenAI models get max_tokens and reasoning none (they reject
 *     reasoning_effort).
 *
 * Why:
 *  - OpenAI and Azure reject unknown parameters and unknown message
 *    fields (top_k, reasoning_content), so they get nothing extra.
 *  - vLLM, llama.cpp, LM Studio and Ollama ignore fields they do not
 *    know, so a local server gets everything that helps a reasoning
 *    model: reasoning_effort (vLLM honours it for gpt-oss and others),
 *    thinking replay (reasoning models reject history without it,
 *    decolua/9router#355), and <think> tags in content (llama.cpp and
 *    older vLLM reasoning parsers leave them there).
 *  - An unknown remote host may be a strict hosted API (Mistral answers
 *    422 to extra inputs, Groq 400 to reasoning_effort on non-reasoning
 *    models); Claude Code asks for thinking on every main request, so a
 *    rejected reasoning parameter would fail every request.  Such hosts
 *    get no top_k and no reasoning; the UPSTREAM_* settings turn them on.
 *  - Ollama's OpenAI endpoint rejects null assistant content.
 *  - OpenRouter forwards cache_control to Anthropic models (prompt
 *    caching); the others reject or ignore it.
 *  - Schema cleaning "seed" everywhere except Gemini, whose endpoint
 *    rejects most JSON Schema keywords (PROTOCOL.md §5).
 */

/* Host and port parsed from a base URL. */
struct hostinfo {
    char host[256]; /* lower-case, without brackets or port */
    long port;      /* explicit port, or 0 */
};

static void
parse_host(const char *url, struct hostinfo *h)
{
    const char *p = strstr(url, "://"), *e;
    size_t n;

    h->host[0] = '\0';
    h->port = 0;
    p = p != NULL ? p + 3 : url;
    /* skip userinfo (user:pass@host) */
    e = p + strcspn(p, "/?#");
    {
        const char *at = p;

        for (; at < e; at++)
            if (*at == '@')
                p = at + 1;
    }
    if (*p == '[') { /* [v6]:port */
        const char *rb = memchr(p, ']', (size_t)(e - p));

        if (rb == NULL)
            return;
        n = (size_t)(rb - p - 1);
        if (n >= sizeof(h->host))
            return;
        memcpy(h->host, p + 1, n);
        h->host[n] = '\0';
        p = rb + 1;
    } else {
        const char *colon = memchr(p, ':', (size_t)(e - p));
        const char *hend = colon != NULL ? colon : e;

        n = (size_t)(hend - p);
        if (n >= sizeof(h->host))
            return;
        memcpy(h->host, p, n);
        h->host[n] = '\0';
        p = hend;
    }
    for (n = 0; h->host[n] != '\0'; n++)
        h->host[n] = (char)lower((unsigned char)h->host[n]);
    if (p < e && *p == ':') {
        long port = 0;

        for (p++; p < e && *p >= '0' && *p <= '9' && port < 100000; p++)
            port = port * 10 + (*p - '0');
        h->port = port;
    }
}

/* 1 when host is name or a subdomain of it. */
static int
host_is(const char *host, const char *name)
{
    size_t hl = strlen(host), nl = strlen(name);

    if (hl == nl)
        return strcmp(host, name) == 0;
    return hl > nl && host[hl - nl - 1] == '.' &&
           strcmp(host + hl - nl, name) == 0;
}

static int
ends_with(const char *s, const char *suf)
{
    size_t sl = strlen(s), fl = strlen(suf);

    return sl >= fl && strcmp(s + sl - fl, suf) == 0;
}

/* Loopback, RFC 1918 and link-local addresses, local suffixes, and
 * dotless names (docker compose services such as "vllm"). */
static int
host_local(const char *h)
{
    unsigned a = 0, b = 0;
    int dots = 0;
    const char *p;

    if (h[0] == '\0')
        return 0;
    if (strcmp(h, "localhost") == 0 || ends_with(h, ".localhost") ||
        ends_with(h, ".local") || ends_with(h, ".lan") ||
        ends_with(h, ".internal") || ends_with(h, ".home.arpa") ||
        strcmp(h, "::1") == 0 || strcmp(h, "0.0.0.0") == 0 ||
        strncmp(h, "fe80:", 5) == 0 || strncmp(h, "fd", 2) == 0)
        return 1;
    for (p = h; *p != '\0'; p++)
        dots += *p == '.';
    if (dots == 0 && strchr(h, ':') == NULL)
        return 1;
    if (sscanf(h, "%u.%u.", &a, &b) == 2 && dots == 3)
        return a == 127 || a == 10 || (a == 192 && b == 168) ||
               (a == 172 && b >= 16 && b <= 31) || (a == 169 && b == 254) ||
               (a == 100 && b >= 64 && b <= 127); /* CGNAT: tailscale */
    return 0;
}

/* OpenAI models that take max_completion_tokens and reasoning_effort:
 * o1, o3, o4-mini, ... and the gpt-5 family. */
static int
openai_reasoning_model(const char *m)
{
    const char *slash = strrchr(m, '/');

    if (slash != NULL) /* "openai/o3" style names */
        m = slash + 1;
    if ((m[0] == 'o' || m[0] == 'O') && m[1] >= '1' && m[1] <= '9')
        return 1;
    return strncmp(m, "gpt-5", 5) == 0 || strncmp(m, "GPT-5", 5) == 0;
}

void
a2o_profile_infer(const struct a2o_conf *c, const char *base_url,
                  const char *model, struct a2o_profile *out)
{
    struct hostinfo h;
    const char *m = model != NULL ? model : "";
    int local;

    parse_host(base_url != NULL ? base_url : "", &h);
    local = host_local(h.host);

    /* common ground: what nearly every OpenAI-compatible server takes */
    out->null_content = 1;
    out->maxtok_field = A2O_MAXTOK_MAX_TOKENS;
    out->max_tokens_cap = 0;
    out->top_k = local;
    out->reasoning = local ? A2O_REASONING_EFFORT : A2O_REASONING_NONE;
    out->thinking_replay = local;
    out->cache_control = 0;
    out->schema = A2O_SCHEMA_SEED;
    out->stream_options = 1;
    out->tool_choice_required = 1;
    out->think_tags = 1;

    if (host_is(h.host, "generativelanguage.googleapis.com") ||
        (!host_is(h.host, "openrouter.ai") && starts_ci(m, "gemini"))) {
        out->schema = A2O_SCHEMA_GEMINI;
        out->reasoning = A2O_REASONING_EFFORT;
        out->top_k = 0;
        out->thinking_replay = 0;
        out->think_tags = local;
    } else if (host_is(h.host, "openrouter.ai")) {
        out->reasoning = A2O_REASONING_OPENROUTER;
        out->top_k = 1;
        out->cache_control = 1;
        out->thinking_replay = 0;
        out->think_tags = 0;
    } else if (host_is(h.host, "api.deepseek.com") ||
               contains_ci(m, "deepseek")) {
        out->reasoning = A2O_REASONING_DEEPSEEK;
        out->thinking_replay = 1;
        if (!local) {
            out->top_k = 0;
            out->think_tags = 0;
        }
    } else if (host_is(h.host, "api.openai.com") ||
               ends_with(h.host, ".openai.azure.com")) {
        out->top_k = 0;
        out->thinking_replay = 0;
        out->think_tags = 0;
        if (openai_reasoning_model(m)) {
            out->maxtok_field = A2O_MAXTOK_MAX_COMPLETION_TOKENS;
            out->reasoning = A2O_REASONING_EFFORT;
        } else {
            out->reasoning = A2O_REASONING_NONE;
        }
    } else if (h.port == 11434 || strstr(h.host, "ollama") != NULL) {
        out->null_content = 0;
        out->top_k = 1;
        out->reasoning = A2O_REASONING_EFFORT;
        out->thinking_replay = 1;
        out->think_tags = 1;
    }

    if (c == NULL)
        return;
    /* UPSTREAM_* settings win over every inference (-1: not set) */
    if (c->ov_null_content >= 0)
        out->null_content = c->ov_null_content;
    if (c->ov_maxtok_field >= 0)
        out->maxtok_field = (enum a2o_maxtok_field)c->ov_maxtok_field;
    if (c->ov_max_tokens_cap >= 0)
        out->max_tokens_cap = c->ov_max_tokens_cap;
    if (c->ov_top_k >= 0)
        out->top_k = c->ov_top_k;
    if (c->ov_reasoning >= 0)
        out->reasoning = (enum a2o_reasoning)c->ov_reasoning;
    if (c->ov_thinking_replay >= 0)
        out->thinking_replay = c->ov_thinking_replay;
    if (c->ov_cache_control >= 0)
        out->cache_control = c->ov_cache_control;
    if (c->ov_schema >= 0)
        out->schema = (enum a2o_schema_profile)c->ov_schema;
    if (c->ov_stream_options >= 0)
        out->stream_options = c->ov_stream_options;
    if (c->ov_tool_choice_required >= 0)
        out->tool_choice_required = c->ov_tool_choice_required;
    if (c->ov_think_tags >= 0)
        out->think_tags = c->ov_think_tags;
}
