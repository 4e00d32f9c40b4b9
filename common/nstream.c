/*
 * nstream.c: the Anthropic SSE relay (nstream.h).
 *
 * Message states (s->state), h2o style as in stream_emit.c:
 *
 *   INIT   nothing emitted.  message_start -> OPEN.  A ping is dropped.
 *          An upstream error, garbage, any other event, or finish here
 *          emits nothing -> ERROR, so the caller can still answer with
 *          an HTTP status.
 *   OPEN   message_start relayed.  Blocks open and close one at a time
 *          (s->open, s->next); after the first message_delta (s->delta)
 *          no block may start.  message_stop (after a message_delta)
 *          -> FINAL.  A broken order, garbage, a cut stream -> our
 *          `event: error`; an upstream error -> its frame -> ERROR.
 *   FINAL  message_stop relayed.  Later input is ignored.
 *   ERROR  `event: error` sent (or, from INIT, nothing).  Later input is
 *          ignored; feed/finish return the error again.
 *
 * Each event is parsed once (the checks need the tree) but what goes out
 * is the upstream's own data text, not a re-print: numbers, key order and
 * escapes stay byte for byte what the upstream wrote.  The only change is
 * the framing: multi-line data (legal SSE) is put on one line, which is
 * JSON-equal because a line end can only be whitespace between tokens.
 */
#include "nstream.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "native.h"
#include "oai.h"
#include "sse.h"

enum nst_state { ST_INIT, ST_OPEN, ST_FINAL, ST_ERROR };

/* What deltas the open block may carry. */
enum nst_kind {
    K_TEXT,     /* text_delta, citations_delta */
    K_THINKING, /* thinking_delta, signature_delta */
    K_TOOL,     /* input_json_delta */
    K_OTHER     /* a block type this relay does not know: any delta */
};

struct a2o_nstream {
    struct a2o_sse sse;
    enum nst_state state;
    enum a2o_err fail; /* the code of the end, in ERROR */
    int open;          /* index of the open block, -1 none */
    int next;          /* index the next block must have */
    enum nst_kind kind;
    int delta;    /* a message_delta was relayed */
    int started;  /* a byte was emitted */
    int ended;    /* message_stop or error was emitted */
    int have_in;  /* the upstream gave input_tokens */
    int have_out; /* message_delta gave output_tokens */
    struct a2o_usage usage;
    struct a2o_buf *out; /* the caller's buffer during feed/finish */
    struct a2o_diag *d;  /* the caller's diag, or dbuf */
    struct a2o_diag dbuf;
};

/* Anthropic error.type -> our code, so a 529 overloaded upstream is a
 * 529 to the client (the types of Anthropic's "Errors" page). */
static const struct {
    const char *type;
    enum a2o_err err;
} err_types[] = {
    {"invalid_request_error", A2O_E_BADREQ}, /* 400 */
    {"authentication_error", A2O_E_AUTH},    /* 401 */
    {"permission_error", A2O_E_PERM},        /* 403 */
    {"not_found_error", A2O_E_NOTFOUND},     /* 404 */
    {"request_too_large", A2O_E_TOOBIG},     /* 413 */
    {"rate_limit_error", A2O_E_RATELIMIT},   /* 429 */
    {"api_error", A2O_E_UPSTREAM},           /* 500 */
    {"timeout_error", A2O_E_TIMEOUT},        /* 504 */
    {"overloaded_error", A2O_E_OVERLOADED},  /* 529 */
};

/* Appends "event: <type>\ndata: <data on one line>\n\n". */
static enum a2o_err
relay(struct a2o_nstream *s, const char *type, const char *p, size_t n)
{
    struct a2o_buf *o = s->out;
    enum a2o_err err = a2o_sse_begin(o, type);
    const char *nl;

    while (err == A2O_E_OK && (nl = memchr(p, '\n', n)) != NULL) {
        size_t k = (size_t)(nl - p);

        err = a2o_buf_add(o, p, k);
        if (err == A2O_E_OK)
            err = a2o_buf_add(o, " ", 1);
        p += k + 1;
        n -= k + 1;
    }
    if (err == A2O_E_OK)
        err = a2o_buf_add(o, p, n);
    if (err == A2O_E_OK)
        err = a2o_buf_add(o, "\n\n", 2);
    if (err == A2O_E_OK)
        s->started = 1;
    return err;
}

/* A broken order: the upstream's fault. */
static enum a2o_err
order(struct a2o_nstream *s, const char *type, const char *why)
{
    return a2o_diag_set(s->d, A2O_E_BADGATEWAY, NULL,
                        "the upstream stream is out of order: %s %s", type,
                        why);
}

/* 1 when obj[key] is a number equal to v. */
static int
index_is(const cJSON *obj, int v)
{
    const cJSON *ix = a2o_json_get(obj, "index");

    return cJSON_IsNumber(ix) && ix->valuedouble == (double)v;
}

static enum nst_kind
kind_of(const char *t)
{
    if (strcmp(t, "text") == 0)
        return K_TEXT;
    if (strcmp(t, "thinking") == 0)
        return K_THINKING;
    /* the server tools of Anthropic's API stream their input as JSON */
    if (strcmp(t, "tool_use") == 0 || strcmp(t, "server_tool_use") == 0 ||
        strcmp(t, "mcp_tool_use") == 0)
        return K_TOOL;
    return K_OTHER;
}

static int
delta_fits(enum nst_kind k, const char *t)
{
    switch (k) {
    case K_TEXT:
        return strcmp(t, "text_delta") == 0 ||
               strcmp(t, "citations_delta") == 0;
    case K_THINKING:
        return strcmp(t, "thinking_delta") == 0 ||
               strcmp(t, "signature_delta") == 0;
    case K_TOOL:
        return strcmp(t, "input_json_delta") == 0;
    case K_OTHER:
    default:
        return 1;
    }
}

/* The upstream's in-band error event. */
static enum a2o_err
upstream_error(struct a2o_nstream *s, const cJSON *root, const char *p,
               size_t n)
{
    const cJSON *e = a2o_json_get(root, "error");
    const char *type = a2o_json_str(e, "type");
    const char *msg = a2o_json_str(e, "message");
    enum a2o_err err = A2O_E_BADGATEWAY, e2 = A2O_E_OK;
    size_t i;

    if (cJSON_IsString(e))
        msg = e->valuestring; /* {"error":"text"}: not Anthropic's shape */

    for (i = 0; type != NULL && i < sizeof(err_types) / sizeof(err_types[0]);
         i++)
        if (strcmp(type, err_types[i].type) == 0)
            err = err_types[i].err;
    if (msg == NULL || msg[0] == '\0')
        msg = "the upstream reported an error";
    /* the text may end up in a 4xx body or a log: made client-safe */
    a2o_oai_set_msg(s->d, err, "", msg, strlen(msg));
    if (s->state == ST_INIT) {
        s->state = ST_ERROR;
        s->fail = err;
        return err;
    }
    if (type != NULL && a2o_json_str(e, "message") != NULL) {
        e2 = relay(s, "error", p, n);
    } else {
        /* an error frame a client cannot read: ours instead */
        e2 = a2o_sse_write_error(s->out, err, s->d);
    }
    s->state = ST_ERROR;
    s->ended = 1;
    s->started = 1;
    s->fail = e2 == A2O_E_OK ? err : e2;
    return s->fail;
}

static enum a2o_err
on_message_start(struct a2o_nstream *s, const cJSON *root)
{
    const cJSON *m = a2o_json_get(root, "message");

    if (s->state != ST_INIT)
        return order(s, "message_start", "after message_start");
    if (!cJSON_IsObject(m))
        return a2o_diag_set(s->d, A2O_E_BADGATEWAY, NULL,
                            "the upstream message_start has no message");
    if (a2o_native_usage(a2o_json_get(m, "usage"), &s->usage) & A2O_NATIVE_IN)
        s->have_in = 1;
    s->state = ST_OPEN;
    return A2O_E_OK;
}

static enum a2o_err
on_block_start(struct a2o_nstream *s, const cJSON *root)
{
    const char *t = a2o_json_str(a2o_json_get(root, "content_block"), "type");

    if (s->delta)
        return order(s, "content_block_start", "after message_delta");
    if (s->open >= 0)
        return order(s, "content_block_start", "while a block is open");
    if (!index_is(root, s->next))
        return order(s, "content_block_start", "with an unexpected index");
    if (t == NULL)
        return a2o_diag_set(s->d, A2O_E_BADGATEWAY, NULL,
                            "the upstream content_block_start has no "
                            "content_block.type");
    s->kind = kind_of(t);
    s->open = s->next++;
    return A2O_E_OK;
}

static enum a2o_err
on_block_delta(struct a2o_nstream *s, const cJSON *root)
{
    const char *t = a2o_json_str(a2o_json_get(root, "delta"), "type");

    if (s->open < 0 || !index_is(root, s->open))
        return order(s, "content_block_delta", "for a block that is not open");
    if (t == NULL || !delta_fits(s->kind, t))
        return a2o_diag_set(s->d, A2O_E_BADGATEWAY, NULL,
                            "the upstream sent a delta of type %s for "
                            "its block",
                            t != NULL ? t : "(none)");
    return A2O_E_OK;
}

/* Checks one parsed event against the state; A2O_E_OK: relay it. */
static enum a2o_err
step(struct a2o_nstream *s, const char *type, const cJSON *root)
{
    if (strcmp(type, "message_start") == 0)
        return on_message_start(s, root);
    if (s->state == ST_INIT)
        return order(s, type, "before message_start");
    if (strcmp(type, "content_block_start") == 0)
        return on_block_start(s, root);
    if (strcmp(type, "content_block_delta") == 0)
        return on_block_delta(s, root);
    if (strcmp(type, "content_block_stop") == 0) {
        if (s->open < 0 || !index_is(root, s->open))
            return order(s, type, "for a block that is not open");
        s->open = -1;
        return A2O_E_OK;
    }
    if (strcmp(type, "message_delta") == 0) {
        int got;

        if (s->open >= 0)
            return order(s, type, "while a block is open");
        s->delta = 1;
        got = a2o_native_usage(a2o_json_get(root, "usage"), &s->usage);
        s->have_in |= (got & A2O_NATIVE_IN) != 0;
        s->have_out |= (got & A2O_NATIVE_OUT) != 0;
        return A2O_E_OK;
    }
    if (strcmp(type, "message_stop") == 0) {
        if (!s->delta)
            return order(s, type, "without message_delta");
        s->state = ST_FINAL;
        return A2O_E_OK;
    }
    return A2O_E_OK; /* ping */
}

/* 1 for the event types step() knows. */
static int
known(const char *t)
{
    static const char *const types[] = {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
    };
    size_t i;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(t, types[i]) == 0)
            return 1;
    return 0;
}

static enum a2o_err
on_event(void *arg, const struct a2o_sse_event *ev)
{
    struct a2o_nstream *s = arg;
    const char *p = ev->data, *end = NULL, *type;
    size_t n = ev->datan;
    cJSON *root;
    enum a2o_err err;

    if (s->state == ST_FINAL || s->state == ST_ERROR)
        return A2O_E_OK;
    while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\n')) {
        p++;
        n--;
    }
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\n'))
        n--;
    root = NULL;
    if (n > 0 && a2o_utf8_valid(p, n) &&
        a2o_json_value(p, n, &root, &end) == A2O_E_NOMEM)
        return A2O_E_NOMEM;
    type = a2o_json_str(root, "type");
    if (root == NULL || end != p + n || type == NULL) {
        cJSON_Delete(root);
        return a2o_diag_set(s->d, A2O_E_BADGATEWAY, NULL,
                            "the upstream sent an event whose data is not a "
                            "JSON object with a type");
    }
    if (ev->eventn > 0 &&
        (strlen(type) != ev->eventn || memcmp(type, ev->event, ev->eventn))) {
        cJSON_Delete(root);
        return a2o_diag_set(s->d, A2O_E_BADGATEWAY, NULL,
                            "the upstream sent an event whose name differs "
                            "from its data type");
    }
    if (strcmp(type, "error") == 0) {
        err = upstream_error(s, root, p, n);
    } else if (!known(type) ||
               (s->state == ST_INIT && strcmp(type, "ping") == 0)) {
        err = A2O_E_OK; /* dropped (nstream.h) */
    } else {
        err = step(s, type, root);
        if (err == A2O_E_OK)
            err = relay(s, type, p, n);
        if (err == A2O_E_OK && s->state == ST_FINAL)
            s->ended = 1;
    }
    cJSON_Delete(root);
    return err;
}

/*
 * Ends the stream with err (not OK): from INIT nothing is written, else
 * our `event: error`.  An upstream error was already handled.
 */
static enum a2o_err
settle(struct a2o_nstream *s, enum a2o_err err)
{
    if (err == A2O_E_OK || s->state == ST_ERROR)
        return err;
    /* a line over max_line is the upstream's fault: a 502, not a 413 */
    err = a2o_sse_upstream_err(err, s->d);
    s->fail = err;
    if (!s->started) {
        s->state = ST_ERROR;
        return err;
    }
    s->state = ST_ERROR;
    s->ended = 1;
    if (a2o_sse_write_error(s->out, err, s->d) != A2O_E_OK)
        s->fail = A2O_E_NOMEM; /* the client gets a cut stream */
    return s->fail;
}

/* Entry of feed and finish: 0 (with *ret set) when the stream is over. */
static int
enter(struct a2o_nstream *s, struct a2o_buf *out, struct a2o_diag *d,
      enum a2o_err *ret)
{
    *ret = s->state == ST_ERROR ? s->fail : A2O_E_OK;
    if (s->state == ST_ERROR || s->state == ST_FINAL)
        return 0;
    s->out = out;
    s->d = d != NULL ? d : &s->dbuf;
    a2o_diag_clear(s->d);
    return 1;
}

struct a2o_nstream *
a2o_nstream_new(const struct a2o_nstream_opts *o)
{
    struct a2o_nstream *s = cJSON_malloc(sizeof(*s));

    if (s == NULL)
        return NULL;
    memset(s, 0, sizeof(*s));
    a2o_sse_init(&s->sse,
                 o != NULL && o->max_line > 0 ? o->max_line : (size_t)16 << 20);
    s->state = ST_INIT;
    s->open = -1;
    return s;
}

void
a2o_nstream_free(struct a2o_nstream *s)
{
    if (s == NULL)
        return;
    a2o_sse_free(&s->sse);
    cJSON_free(s);
}

enum a2o_err
a2o_nstream_feed(struct a2o_nstream *s, const char *p, size_t n,
                 struct a2o_buf *out, struct a2o_diag *d)
{
    enum a2o_err err;

    if (!enter(s, out, d, &err))
        return err;
    err = a2o_sse_feed(&s->sse, p, n, on_event, s);
    return settle(s, err);
}

enum a2o_err
a2o_nstream_finish(struct a2o_nstream *s, struct a2o_buf *out,
                   struct a2o_diag *d)
{
    enum a2o_err err;

    if (!enter(s, out, d, &err))
        return err;
    err = a2o_sse_finish(&s->sse, on_event, s);
    if (err == A2O_E_OK && s->state == ST_INIT)
        err = a2o_diag_set(s->d, A2O_E_BADGATEWAY, NULL,
                           "the upstream sent no message_start");
    else if (err == A2O_E_OK && s->state == ST_OPEN)
        err = a2o_diag_set(s->d, A2O_E_BADGATEWAY, NULL,
                           "the upstream stream ended before message_stop");
    return settle(s, err);
}

enum a2o_err
a2o_nstream_ping(struct a2o_nstream *s, struct a2o_buf *out)
{
    enum a2o_err err;

    if (s->state != ST_OPEN)
        return A2O_E_OK; /* before message_start, or after the end */
    err = a2o_buf_add(out, A2O_SSE_PING, sizeof(A2O_SSE_PING) - 1);
    return err;
}

enum a2o_err
a2o_nstream_fail(struct a2o_nstream *s, enum a2o_err err,
                 const struct a2o_diag *d, struct a2o_buf *out)
{
    if (s->state == ST_FINAL || s->state == ST_ERROR)
        return A2O_E_OK;
    s->state = ST_ERROR;
    s->fail = err;
    s->started = 1;
    s->ended = 1;
    return a2o_sse_write_error(out, err, d);
}

int
a2o_nstream_started(const struct a2o_nstream *s)
{
    return s->started;
}

int
a2o_nstream_ended(const struct a2o_nstream *s)
{
    return s->ended;
}

void
a2o_nstream_usage(const struct a2o_nstream *s, struct a2o_usage *u)
{
    *u = s->usage;
    u->estimated = !(s->have_in && s->have_out);
}
