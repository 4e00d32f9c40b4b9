/*
 * request.c: one request from parameters to answer.  Routes on the path
 * of REQUEST_URI (the one parameter every server sends alike,
 * WEBSERVERS.md), checks the proxy key, reads the body to EOF under its
 * own cap, and answers the small endpoints itself; POST /v1/messages goes
 * to upstream.c.  Dispatch table after cgit's cmd.c.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "../common/json.h"
#include "../common/route.h"
#include "../common/tokens.h"
#include "srv.h"

/* Model ids GET /v1/models always lists, after those of MODELS (whose
 * default, the upstream names of MODEL_MAP, Claude Code would drop: it
 * keeps only ids that start with "claude").  Each is routed like any
 * other client model (MODEL_MAP, HAIKU_MODEL_NAME). */
#define DEFAULT_MODELS "claude-opus-4-1,claude-sonnet-4-5,claude-haiku-4-5"
/* created_at of every listed model: fixed, so the answer is stable */
#define MODEL_CREATED "2025-01-01T00:00:00Z"

static void on_root(struct srv_x *x, const char *body, size_t n);
static void on_health(struct srv_x *x, const char *body, size_t n);
static void on_messages(struct srv_x *x, const char *body, size_t n);
static void on_count(struct srv_x *x, const char *body, size_t n);
static void on_models(struct srv_x *x, const char *body, size_t n);
static void on_model(struct srv_x *x, const char *body, size_t n);
static void on_events(struct srv_x *x, const char *body, size_t n);

/* One endpoint.  Paths are exact, except "prefix" rows, which need a
 * non-empty rest without '/'. */
static const struct endpoint {
    const char *path;
    int prefix; /* path is a prefix ("/v1/models/{id}") */
    int post;   /* 1: POST only; 0: GET and HEAD */
    int auth;   /* needs PROXY_API_KEY when one is set */
    int quiet;  /* log at debug only: Claude Code's noise */
    void (*fn)(struct srv_x *x, const char *body, size_t n);
} endpoints[] = {
    {"/", 0, 0, 0, 1, on_root},
    {"/health", 0, 0, 0, 0, on_health},
    {"/v1/messages", 0, 1, 1, 0, on_messages},
    {"/v1/messages/count_tokens", 0, 1, 1, 0, on_count},
    {"/v1/models", 0, 0, 1, 0, on_models},
    {"/v1/models/", 1, 0, 1, 0, on_model},
    {"/api/event_logging/batch", 0, 1, 0, 1, on_events},
};

/* A request parameter: FastCGI params, or the environment in CGI mode
 * (single-threaded there, so getenv is safe). */
const char *
srv_request_param(const struct srv_x *x, const char *name)
{
    if (x->w->fr != NULL)
        return FCGX_GetParam(name, x->w->fr->envp);
    return getenv(name);
}

static const struct endpoint *
find(const char *path)
{
    size_t i, n;

    for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
        const struct endpoint *e = &endpoints[i];

        if (!e->prefix) {
            if (strcmp(path, e->path) == 0)
                return e;
            continue;
        }
        n = strlen(e->path);
        if (strncmp(path, e->path, n) == 0 && path[n] != '\0' &&
            strchr(path + n, '/') == NULL)
            return e;
    }
    return NULL;
}

/*
 * The path: REQUEST_URI up to '?' (Claude Code sends "?beta=true"), else
 * SCRIPT_NAME + PATH_INFO.  0 when it does not fit (no endpoint is that
 * long: 404).
 */
static int
get_path(struct srv_x *x)
{
    const char *uri = srv_request_param(x, "REQUEST_URI");
    const char *pi = srv_request_param(x, "PATH_INFO");
    size_t n;

    if (uri != NULL && uri[0] != '\0') {
        n = strcspn(uri, "?#");
        if (n >= sizeof(x->path))
            return 0;
        memcpy(x->path, uri, n);
        x->path[n] = '\0';
        /* Under a URL prefix (.htaccess in ~user/claude/: REQUEST_URI
         * /~user/claude/v1/messages) no endpoint matches; the rewrite
         * passed the API path as PATH_INFO.  Only then is it used:
         * mod_fcgid's virtual wrapper splits /v1/messages into
         * SCRIPT_NAME /v1 + PATH_INFO /messages. */
        if (find(x->path) == NULL && pi != NULL && pi[0] == '/' &&
            strlen(pi) < sizeof(x->path))
            strcpy(x->path, pi);
        return 1;
    }
    n = (size_t)snprintf(x->path, sizeof(x->path), "%s%s",
                         srv_request_param(x, "SCRIPT_NAME") != NULL
                             ? srv_request_param(x, "SCRIPT_NAME")
                             : "",
                         srv_request_param(x, "PATH_INFO") != NULL
                             ? srv_request_param(x, "PATH_INFO")
                             : "");
    if (n >= sizeof(x->path))
        return 0;
    if (x->path[0] == '\0')
        strcpy(x->path, "/");
    return 1;
}

/* The token of "Authorization: Bearer <token>", or NULL. */
static const char *
bearer(const struct srv_x *x)
{
    const char *a = srv_request_param(x, "HTTP_AUTHORIZATION");

    if (a == NULL || strncasecmp(a, "Bearer ", 7) != 0)
        return NULL;
    a += 7;
    while (*a == ' ')
        a++;
    return *a != '\0' ? a : NULL;
}

/* 1 when PROXY_API_KEY is unset, or x-api-key or the Bearer token is it. */
static int
authorized(const struct srv_x *x)
{
    const char *want = x->conf->proxy_api_key;
    const char *k = srv_request_param(x, "HTTP_X_API_KEY");
    const char *b = bearer(x);
    int ok = 0;

    if (want == NULL)
        return 1;
    /* both compared, so the time does not tell which header was right */
    if (k != NULL)
        ok |= a2o_key_equal(k, strlen(k), want);
    if (b != NULL)
        ok |= a2o_key_equal(b, strlen(b), want);
    return ok;
}

/* Up to n bytes of the body into p; 0 at its end (or on an error). */
static size_t
read_some(struct srv_x *x, char *p, size_t n)
{
    int r;

    if (x->w->fr == NULL)
        return fread(p, 1, n, stdin);
    r = FCGX_GetStr(p, n > INT_MAX ? INT_MAX : (int)n, x->w->fr->in);
    return r > 0 ? (size_t)r : 0;
}

/*
 * Reads the body to EOF into b (cap MAX_BODY_BYTES).  CONTENT_LENGTH is
 * only a hint: nginx sends it empty on GET and chunked uploads through
 * Apache arrive without it.  A declared length over the cap fails at
 * once; otherwise reading stops at the cap (nothing past it is kept).
 * A declared length sizes b once and the body is read straight into it:
 * growing by doubling copies a 200 KB body four times and leaves the
 * allocator with freed blocks of every size (the pool's memory under
 * load).  Bytes past the declared length still arrive through chunk.
 */
static enum a2o_err
read_body(struct srv_x *x, struct a2o_buf *b)
{
    const char *cl = srv_request_param(x, "CONTENT_LENGTH");
    char chunk[4096];
    enum a2o_err err;
    size_t k;

    if (cl != NULL && cl[0] != '\0') {
        char *end;
        unsigned long long v = strtoull(cl, &end, 10);

        if (*end == '\0' && v > (unsigned long long)x->conf->max_body)
            return A2O_E_TOOBIG;
        if (*end == '\0' && v > 0 && b->p == NULL) {
            b->p = cJSON_malloc((size_t)v + 1);
            if (b->p == NULL)
                return A2O_E_NOMEM;
            b->p[0] = '\0';
            b->cap = (size_t)v + 1;
        }
    }
    for (;;) {
        size_t room = b->cap > b->len + 1 ? b->cap - b->len - 1 : 0;

        if (room > 0) {
            k = read_some(x, b->p + b->len, room);
            b->len += k;
            b->p[b->len] = '\0';
        } else {
            k = read_some(x, chunk, sizeof(chunk));
            if (k > 0 && (err = a2o_buf_add(b, chunk, k)) != A2O_E_OK)
                return err;
        }
        if (k == 0) {
            x->in_eof = 1;
            return A2O_E_OK;
        }
    }
}

static void
on_root(struct srv_x *x, const char *body, size_t n)
{
    static const char text[] = SRV_NAME "\n";

    (void)body;
    (void)n;
    srv_respond_body(x, 200, "text/plain", NULL, text, sizeof(text) - 1);
}

/* Answered here, without the upstream: proves this pool is alive. */
static void
on_health(struct srv_x *x, const char *body, size_t n)
{
    static const char json[] = "{\"status\":\"ok\"}";

    (void)body;
    (void)n;
    srv_respond_body(x, 200, "application/json", NULL, json, sizeof(json) - 1);
}

/* Claude Code's telemetry: accepted and dropped. */
static void
on_events(struct srv_x *x, const char *body, size_t n)
{
    (void)body;
    (void)n;
    srv_respond_body(x, 204, NULL, NULL, NULL, 0);
}

static void
on_messages(struct srv_x *x, const char *body, size_t n)
{
    srv_upstream_messages(x, body, n);
}

/* POST /v1/messages/count_tokens: {"input_tokens": N}, a local estimate. */
static void
on_count(struct srv_x *x, const char *body, size_t n)
{
    struct a2o_diag d;
    cJSON *req = NULL;
    enum a2o_err err;
    long tokens = 0;
    char out[64];
    const char *m;

    a2o_diag_clear(&d);
    err = a2o_json_parse(body, n, &req, &d);
    if (err == A2O_E_OK) {
        m = a2o_json_str(req, "model");
        if (m != NULL)
            snprintf(x->client_model, sizeof(x->client_model), "%s", m);
        err = a2o_tokens_count(req, &tokens, &d);
    }
    cJSON_Delete(req);
    if (err != A2O_E_OK) {
        srv_respond_error(x, err, &d, NULL);
        return;
    }
    x->usage.input_tokens = tokens;
    x->usage.estimated = 1;
    n = (size_t)snprintf(out, sizeof(out), "{\"input_tokens\":%ld}", tokens);
    srv_respond_body(x, 200, "application/json", NULL, out, n);
}

/* 1 when the comma list l (spaces around entries allowed) holds id. */
static int
in_list(const char *l, const char *id, size_t n)
{
    while (l != NULL && *l != '\0') {
        size_t k;

        l += strspn(l, " \t");
        k = strcspn(l, ",");
        while (k > 0 && (l[k - 1] == ' ' || l[k - 1] == '\t'))
            k--;
        if (k == n && memcmp(l, id, n) == 0)
            return 1;
        l += strcspn(l, ",");
        l += *l == ',' ? 1 : 0;
    }
    return 0;
}

/* Appends one model object for id[0..n) to b. */
static enum a2o_err
add_model(struct srv_x *x, struct a2o_buf *b, const char *id, size_t n)
{
    struct a2o_route rt;
    char name[256];
    enum a2o_err err;

    if (n >= sizeof(name))
        n = sizeof(name) - 1;
    memcpy(name, id, n);
    name[n] = '\0';
    /* display_name shows where the name is routed: the admin's map at a
     * glance in Claude Code's /model picker */
    a2o_route(x->conf, name, &rt);
    err = a2o_buf_adds(b, "{\"type\":\"model\",\"id\":\"");
    if (err == A2O_E_OK)
        err = a2o_buf_add_json_str(b, name, n);
    if (err == A2O_E_OK)
        err = a2o_buf_adds(b, "\",\"display_name\":\"");
    if (err == A2O_E_OK)
        err = a2o_buf_add_json_str(b, name, n);
    if (err == A2O_E_OK && rt.model != NULL && strcmp(rt.model, name) != 0) {
        err = a2o_buf_adds(b, " (");
        if (err == A2O_E_OK)
            err = a2o_buf_add_json_str(b, rt.model, strlen(rt.model));
        if (err == A2O_E_OK)
            err = a2o_buf_adds(b, ")");
    }
    if (err == A2O_E_OK)
        err = a2o_buf_adds(b, "\",\"created_at\":\"" MODEL_CREATED "\"}");
    return err;
}

/* Calls fn for each trimmed, non-empty entry of the comma list s that is
 * not in the comma list skip. */
static enum a2o_err
each_model(struct srv_x *x, const char *s, const char *skip,
           enum a2o_err (*fn)(struct srv_x *, void *, const char *, size_t),
           void *arg)
{
    enum a2o_err err = A2O_E_OK;

    while (s != NULL && *s != '\0' && err == A2O_E_OK) {
        size_t n = strcspn(s, ",");
        const char *e = s + n;

        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > s && !in_list(skip, s, (size_t)(e - s)))
            err = fn(x, arg, s, (size_t)(e - s));
        s += n + (s[n] == ',' ? 1 : 0);
    }
    return err;
}

struct listing {
    struct a2o_buf b;
    char first[256], last[256];
    int count;
};

static enum a2o_err
list_one(struct srv_x *x, void *arg, const char *id, size_t n)
{
    struct listing *l = arg;
    enum a2o_err err;

    if (n >= sizeof(l->last))
        n = sizeof(l->last) - 1;
    err = a2o_buf_adds(&l->b, l->count > 0 ? "," : "");
    if (err == A2O_E_OK)
        err = add_model(x, &l->b, id, n);
    if (l->count++ == 0) {
        memcpy(l->first, id, n);
        l->first[n] = '\0';
    }
    memcpy(l->last, id, n);
    l->last[n] = '\0';
    return err;
}

/* GET /v1/models: every id in one page, in the Anthropic shape. */
static void
on_models(struct srv_x *x, const char *body, size_t n)
{
    struct listing l;
    enum a2o_err err;

    (void)body;
    (void)n;
    memset(&l, 0, sizeof(l));
    a2o_buf_init(&l.b, 1 << 20);
    err = a2o_buf_adds(&l.b, "{\"data\":[");
    if (err == A2O_E_OK)
        err = each_model(x, x->conf->models, NULL, list_one, &l);
    if (err == A2O_E_OK)
        err = each_model(x, DEFAULT_MODELS, x->conf->models, list_one, &l);
    if (err == A2O_E_OK)
        err = a2o_buf_adds(&l.b, "],\"has_more\":false,\"first_id\":");
    if (err == A2O_E_OK && l.count == 0)
        err = a2o_buf_adds(&l.b, "null,\"last_id\":null}");
    if (err == A2O_E_OK && l.count > 0) {
        err = a2o_buf_adds(&l.b, "\"");
        if (err == A2O_E_OK)
            err = a2o_buf_add_json_str(&l.b, l.first, strlen(l.first));
        if (err == A2O_E_OK)
            err = a2o_buf_adds(&l.b, "\",\"last_id\":\"");
        if (err == A2O_E_OK)
            err = a2o_buf_add_json_str(&l.b, l.last, strlen(l.last));
        if (err == A2O_E_OK)
            err = a2o_buf_adds(&l.b, "\"}");
    }
    if (err != A2O_E_OK)
        srv_respond_error(x, A2O_E_NOMEM, NULL, NULL);
    else
        srv_respond_body(x, 200, "application/json", NULL, l.b.p, l.b.len);
    a2o_buf_free(&l.b);
}

/*
 * GET /v1/models/{id}: any printable id is answered, listed or not,
 * because /v1/messages serves any model name (it is routed, never
 * refused here).
 */
static void
on_model(struct srv_x *x, const char *body, size_t n)
{
    const char *id = x->path + strlen("/v1/models/");
    struct a2o_buf b;
    size_t i, len = strlen(id);
    enum a2o_err err;

    (void)body;
    (void)n;
    for (i = 0; i < len; i++) {
        if ((unsigned char)id[i] <= 0x20 || (unsigned char)id[i] >= 0x7f ||
            id[i] == '%')
            break;
    }
    if (i < len || len > 200) {
        srv_respond_error(x, A2O_E_NOTFOUND, NULL, NULL);
        return;
    }
    a2o_buf_init(&b, 4096);
    err = add_model(x, &b, id, len);
    if (err != A2O_E_OK)
        srv_respond_error(x, A2O_E_NOMEM, NULL, NULL);
    else
        srv_respond_body(x, 200, "application/json", NULL, b.p, b.len);
    a2o_buf_free(&b);
}

/* Routes, authorizes, reads the body and answers one request. */
static void
serve(struct srv_x *x)
{
    const struct endpoint *e;
    const char *allow;
    struct a2o_buf body;
    struct a2o_diag d;
    enum a2o_err err;

    if (!get_path(x) || (e = find(x->path)) == NULL) {
        srv_respond_error(x, A2O_E_NOTFOUND, NULL, NULL);
        return;
    }
    x->quiet = e->quiet;
    allow = e->post ? "Allow: POST\r\n" : "Allow: GET, HEAD\r\n";
    if (strcmp(x->method, "OPTIONS") == 0) {
        srv_respond_body(x, 204, NULL, allow, NULL, 0);
        return;
    }
    if (e->post
            ? strcmp(x->method, "POST") != 0
            : strcmp(x->method, "GET") != 0 && strcmp(x->method, "HEAD") != 0) {
        a2o_diag_clear(&d);
        snprintf(d.msg, sizeof(d.msg), "%s allows only %s", e->path,
                 e->post ? "POST" : "GET and HEAD");
        srv_respond_error(x, A2O_E_METHOD, &d, allow);
        return;
    }
    if (e->auth && !authorized(x)) {
        srv_respond_error(x, A2O_E_AUTH, NULL, NULL);
        return;
    }
    a2o_buf_init(&body, x->conf->max_body);
    if (e->post) {
        err = read_body(x, &body);
        if (err != A2O_E_OK) {
            a2o_diag_clear(&d);
            if (err == A2O_E_TOOBIG)
                snprintf(d.msg, sizeof(d.msg),
                         "request body exceeds %zu bytes (MAX_BODY_BYTES)",
                         x->conf->max_body);
            srv_respond_error(x, err, &d, NULL);
            a2o_buf_free(&body);
            return;
        }
    }
    e->fn(x, body.p != NULL ? body.p : "", body.len);
    a2o_buf_free(&body);
}

/* One request on worker w: the exchange record, the answer, the log. */
void
srv_request_handle(struct srv_worker *w)
{
    struct srv_x x;

    memset(&x, 0, sizeof(x));
    x.w = w;
    x.conf = w->conf;
    x.t0 = srv_main_now();
    x.ttfb = -1.0;
    srv_main_random_id("req_", x.id, sizeof(x.id));
    x.method = srv_request_param(&x, "REQUEST_METHOD");
    if (x.method == NULL || x.method[0] == '\0')
        x.method = "GET";
    serve(&x);
    srv_log_request(&x);
}
