/*
 * route.c: which upstream serves a request.
 *
 * Order, first match wins:
 *   0. the ROUTES rules, in order: a rule holds when its model substring
 *      (case-insensitive; none for "*" or conditions alone) occurs in the
 *      client model and each of its conditions holds (think: thinking
 *      enabled or adaptive; image: an image or document block anywhere;
 *      long: the token estimate reaches LONG_CONTEXT_TOKENS, computed
 *      only when a rule asks).  Its targets are tried in order by fcgi/.
 *   1. the client model contains "haiku" (any case) and HAIKU_MODEL_NAME
 *      is set: the haiku provider (base and key fall back to the main
 *      ones, resolved by a2o_conf_finish);
 *   2. the first MODEL_MAP entry whose match is "*" or a substring of the
 *      lower-cased client model, on the default provider;
 *   3. the client model unchanged, on the default provider.
 * The profile is inferred for the upstream actually chosen (base URL and
 * upstream model), so a Gemini haiku route next to a vLLM main route gets
 * Gemini's dialect; then the global UPSTREAM_* switches, then the
 * provider's own PROVIDER_<NAME>_<SWITCH> ones apply.
 */
#include "route.h"

#include <stddef.h>
#include <string.h>

#include "json.h"
#include "tokens.h"
#include "str.h"

/* The client model after MODEL_MAP (first match wins). */
static const char *
mapped(const struct a2o_conf *c, const char *cm)
{
    size_t i;

    for (i = 0; i < c->nmap; i++) {
        const struct a2o_model_map *m = &c->map[i];

        if (strcmp(m->match, "*") == 0 || a2o_str_contains_ci(cm, m->match))
            return m->model;
    }
    return cm;
}

/* Applies one set of overrides (-1: not set) to a profile. */
static void
override(const struct a2o_overrides *o, struct a2o_profile *out)
{
#define X(field, type, setting, kind, max, choices, help)                      \
    if (o->field >= 0)                                                         \
        out->field = (type)o->field;
    A2O_SWITCHES(X)
#undef X
}

/* Fills out for provider p (index pi) and upstream model. */
static void
target(const struct a2o_conf *c, size_t pi, const char *model, const char *cm,
       struct a2o_route *out)
{
    static const char fallback[] = "http://localhost:8094/v1";
    const struct a2o_provider *p =
        pi < c->nproviders ? &c->providers[pi] : NULL;

    memset(out, 0, sizeof(*out));
    out->client_model = cm;
    out->model = model;
    out->provider = p != NULL ? p->name : "default";
    out->api = p != NULL && p->api > 0 ? (enum a2o_api)p->api : A2O_API_CHAT;
    /* a conf that was never finished has no providers */
    out->base_url = p != NULL             ? p->base_url
                    : c->base_url != NULL ? c->base_url
                                          : fallback;
    out->api_key = p != NULL ? p->api_key : c->api_key;
    out->beta_pass = p != NULL && p->beta_pass > 0;
    out->drop = p != NULL ? p->drop : NULL;
    a2o_profile_infer(c, out->base_url, out->model, &out->profile);
    if (p != NULL)
        override(&p->ov, &out->profile);
}

void
a2o_route(const struct a2o_conf *c, const char *client_model,
          struct a2o_route *out)
{
    const char *cm = client_model != NULL ? client_model : "";

    if (c->haiku_model != NULL && a2o_str_contains_ci(cm, "haiku")) {
        if (c->haiku >= 0) {
            target(c, (size_t)c->haiku, c->haiku_model, cm, out);
            return;
        }
        /* an unfinished conf: the HAIKU_* settings themselves */
        target(c, (size_t)-1, c->haiku_model, cm, out);
        if (c->haiku_base_url != NULL)
            out->base_url = c->haiku_base_url;
        if (c->haiku_api_key != NULL)
            out->api_key = c->haiku_api_key;
        out->provider = "haiku";
        a2o_profile_infer(c, out->base_url, out->model, &out->profile);
        return;
    }
    target(c, c->nproviders > 0 ? 0 : (size_t)-1, mapped(c, cm), cm, out);
}

/* 1 when a block of type image or document occurs in the array blocks,
 * or inside the content of a tool_result there. */
static int
has_image(const cJSON *blocks)
{
    const cJSON *b;

    cJSON_ArrayForEach(b, blocks)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(b, "type");

        if (!cJSON_IsString(t))
            continue;
        if (strcmp(t->valuestring, "image") == 0 ||
            strcmp(t->valuestring, "document") == 0)
            return 1;
        if (strcmp(t->valuestring, "tool_result") == 0 &&
            cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(b, "content")) &&
            has_image(cJSON_GetObjectItemCaseSensitive(b, "content")))
            return 1;
    }
    return 0;
}

/* The facts a rule's conditions test, computed when first needed. */
struct facts {
    const cJSON *req;
    int think, image; /* -1: not yet known */
    long tokens;
};

static int
holds(const struct a2o_conf *c, struct facts *f, unsigned conds)
{
    if (conds & A2O_COND_THINK) {
        if (f->think < 0) {
            const cJSON *th =
                cJSON_GetObjectItemCaseSensitive(f->req, "thinking");
            const char *t = a2o_json_str(th, "type");

            f->think = t != NULL && (strcmp(t, "enabled") == 0 ||
                                     strcmp(t, "adaptive") == 0);
        }
        if (!f->think)
            return 0;
    }
    if (conds & A2O_COND_IMAGE) {
        if (f->image < 0) {
            const cJSON *m;

            f->image = 0;
            cJSON_ArrayForEach(
                m, cJSON_GetObjectItemCaseSensitive(f->req, "messages"))
            {
                if (has_image(cJSON_GetObjectItemCaseSensitive(m, "content"))) {
                    f->image = 1;
                    break;
                }
            }
        }
        if (!f->image)
            return 0;
    }
    if (conds & A2O_COND_LONG) {
        if (f->tokens < 0)
            f->tokens = a2o_tokens_request(f->req);
        if (f->tokens < c->long_context)
            return 0;
    }
    return 1;
}

void
a2o_route_plan(const struct a2o_conf *c, const cJSON *req, struct a2o_plan *out)
{
    struct facts f = {req, -1, -1, -1};
    const char *cm = a2o_json_str(req, "model");
    size_t i, k;

    if (cm == NULL)
        cm = "";
    out->rule = -1;
    out->n = 1;
    for (i = 0; i < c->nrules; i++) {
        const struct a2o_rule *r = &c->rules[i];

        if (r->match != NULL && !a2o_str_contains_ci(cm, r->match))
            continue;
        if (!holds(c, &f, r->conds))
            continue;
        out->rule = (int)i;
        out->n = r->ntargets;
        for (k = 0; k < r->ntargets; k++) {
            const struct a2o_target *t = &r->targets[k];
            const struct a2o_provider *p = &c->providers[t->provider];
            const char *model = t->model != NULL   ? t->model
                                : p->model != NULL ? p->model
                                                   : mapped(c, cm);

            target(c, t->provider, model, cm, &out->t[k]);
        }
        break;
    }
    if (out->rule < 0)
        a2o_route(c, cm, &out->t[0]);
    out->estimate = f.tokens;
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
 * first, then from the upstream model name; the global UPSTREAM_* settings
 * override any switch afterwards, the provider's own ones after that
 * (target above).  The table of every kind and switch is
 * common/README.md section 9, Profiles.  In short: Gemini (its host, or a
 * "gemini*" model not on OpenRouter), OpenRouter, DeepSeek (its host, or
 * a model containing "deepseek"; on a local server it keeps the local
 * top_k and think_tags), OpenAI and Azure (max_completion_tokens and
 * reasoning_effort only for o-series and gpt-5* models), Ollama (port
 * 11434, or a host containing "ollama"), xAI, local servers (loopback,
 * private addresses, local suffixes, dotless names) and any other remote
 * host.
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
 *    rejects most JSON Schema keywords (common/README.md §7).
 *  - Text tool calls (<tool_call> in the content) are recovered from
 *    local servers and Ollama, where models often run without their
 *    tool-call parser (llama.cpp without --jinja, old templates, LM
 *    Studio); hosted APIs parse calls themselves.
 *  - prompt_cache_key (the session id) goes to OpenAI, xAI and
 *    OpenRouter, which route prompt caching by it; Azure and strict
 *    others may reject an unknown parameter.
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
        h->host[n] = (char)a2o_str_lower((unsigned char)h->host[n]);
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

/* The decimal number at *p (at most 9 digits), p moved past it; -1 when
 * no digit is there. */
static long
decimal(const char **p)
{
    long v = 0;
    int n = 0;

    for (; **p >= '0' && **p <= '9' && n < 9; (*p)++, n++)
        v = v * 10 + (**p - '0');
    return n > 0 ? v : -1;
}

/* Loopback, RFC 1918 and link-local addresses, local suffixes, and
 * dotless names (docker compose services such as "vllm"). */
static int
host_local(const char *h)
{
    long a, b = -1;
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
    /* a dotted quad: its first two numbers */
    p = h;
    a = decimal(&p);
    if (a >= 0 && *p == '.') {
        p++;
        b = decimal(&p);
    }
    if (b >= 0 && *p == '.' && dots == 3)
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
    /* llama.cpp without --jinja, old Ollama templates, LM Studio */
    out->text_tool_calls = local;
    out->prompt_cache_key = 0;

    if (host_is(h.host, "generativelanguage.googleapis.com") ||
        (!host_is(h.host, "openrouter.ai") && a2o_str_starts_ci(m, "gemini"))) {
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
        out->prompt_cache_key = 1;
    } else if (host_is(h.host, "api.deepseek.com") ||
               a2o_str_contains_ci(m, "deepseek")) {
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
        out->prompt_cache_key = host_is(h.host, "api.openai.com");
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
        out->text_tool_calls = 1;
    } else if (host_is(h.host, "api.x.ai")) {
        out->prompt_cache_key = 1; /* xAI routes cached prompts by it */
    }

    if (c == NULL)
        return;
    /* UPSTREAM_* settings win over every inference (-1: not set) */
    override(&c->ov, out);
}
