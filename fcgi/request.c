/*
 * request.c: one request from parameters to answer.  Routes on the path
 * of REQUEST_URI (the one parameter every server sends alike; see
 * lighttpd/README.md and apache/README.md for what each server sends),
 * checks the proxy key, reads the body to EOF under its own cap, and
 * hands it to the endpoint.  Dispatch table after cgit's cmd.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../common/buf.h"
#include "../common/route.h"
#include "clock.h"
#include "log.h"
#include "messages.h"
#include "models.h"
#include "request.h"
#include "respond.h"

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
    int heavy;  /* holds its thread for a generation: 529 when full */
    void (*fn)(struct srv_x *x, const char *body, size_t n);
} endpoints[] = {
    {"/", 0, 0, 0, 1, 0, on_root},
    {"/health", 0, 0, 0, 0, 0, on_health},
    {"/v1/messages", 0, 1, 1, 0, 1, on_messages},
    {"/v1/messages/count_tokens", 0, 1, 1, 0, 0, on_count},
    {"/v1/models", 0, 0, 1, 0, 0, on_models},
    {"/v1/models/", 1, 0, 1, 0, 0, on_model},
    {"/api/event_logging/batch", 0, 1, 0, 1, 0, on_events},
};

static const char *
param(const struct srv_x *x, const char *name)
{
    return x->io->ops->param(x->io, name);
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
    const char *uri = param(x, "REQUEST_URI");
    const char *pi = param(x, "PATH_INFO");
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
    n = (size_t)snprintf(
        x->path, sizeof(x->path), "%s%s",
        param(x, "SCRIPT_NAME") != NULL ? param(x, "SCRIPT_NAME") : "",
        param(x, "PATH_INFO") != NULL ? param(x, "PATH_INFO") : "");
    if (n >= sizeof(x->path))
        return 0;
    if (x->path[0] == '\0')
        strcpy(x->path, "/");
    return 1;
}

/* 1 when PROXY_API_KEY is unset, or x-api-key or the Bearer token is it. */
static int
authorized(const struct srv_x *x)
{
    const char *want = x->conf->proxy_api_key;
    const char *k = param(x, "HTTP_X_API_KEY");
    const char *b = srv_io_bearer(x->io);
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
    const char *cl = param(x, "CONTENT_LENGTH");
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
            k = x->io->ops->read(x->io, b->p + b->len, room);
            b->len += k;
            b->p[b->len] = '\0';
        } else {
            k = x->io->ops->read(x->io, chunk, sizeof(chunk));
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
    srv_messages(x, body, n);
}

static void
on_count(struct srv_x *x, const char *body, size_t n)
{
    srv_messages_count(x, body, n);
}

static void
on_models(struct srv_x *x, const char *body, size_t n)
{
    (void)body;
    (void)n;
    srv_models_list(x);
}

static void
on_model(struct srv_x *x, const char *body, size_t n)
{
    (void)body;
    (void)n;
    srv_models_one(x, x->path + strlen("/v1/models/"));
}

/* The answer of a full process to a request that would hold a thread:
 * 529, which the Anthropic SDKs and Claude Code retry by themselves. */
static void
overloaded(struct srv_x *x)
{
    struct a2o_diag d;

    a2o_diag_set(&d, A2O_E_OVERLOADED, NULL,
                 "all %d request threads of this process are busy "
                 "(MAX_THREADS); retry shortly",
                 x->conf->max_threads);
    snprintf(x->error, sizeof(x->error), "pool_full");
    srv_log_proc(A2O_LOG_WARN, "pool: all %d threads busy: 529 for %s",
                 x->conf->max_threads, x->id);
    srv_respond_error(x, A2O_E_OVERLOADED, &d, "retry-after: 1\r\n");
}

/* Routes, authorizes, reads the body and answers one request; over: the
 * process is full. */
static void
serve(struct srv_x *x, int over)
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
    if (over && e->heavy)
        overloaded(x);
    else
        e->fn(x, body.p != NULL ? body.p : "", body.len);
    a2o_buf_free(&body);
}

void
srv_request_handle(struct srv_worker *w, int over)
{
    struct srv_x x;

    memset(&x, 0, sizeof(x));
    x.w = w;
    x.conf = w->conf;
    x.io = &w->io;
    x.t0 = srv_clock_now();
    x.ttfb = -1.0;
    srv_clock_id("req_", x.id, sizeof(x.id));
    x.method = param(&x, "REQUEST_METHOD");
    if (x.method == NULL || x.method[0] == '\0')
        x.method = "GET";
    serve(&x, over);
    srv_log_request(&x);
}
