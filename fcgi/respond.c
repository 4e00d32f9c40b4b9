/*
 * respond.c: bytes to the client (respond.h): when a write has failed,
 * and how a status line, headers and an Anthropic error body look.
 *
 * A status can be sent once, before the first body byte; after that,
 * failures travel in-band as SSE `event: error` (attempt.c).
 */
#include <string.h>

#include "../common/str.h"
#include "clock.h"
#include "log.h"
#include "respond.h"

/* Reason phrases for the statuses we send; "Status: 529" alone is valid
 * CGI, but servers copy the phrase into the HTTP status line. */
static const char *
reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 529:
        return "Overloaded";
    default:
        return "Unknown";
    }
}

int
srv_respond_write(struct srv_x *x, const char *p, size_t n)
{
    if (x->write_failed)
        return -1;
    if (x->io->ops->write(x->io, p, n) < 0)
        x->write_failed = 1;
    return x->write_failed ? -1 : 0;
}

int
srv_respond_flush(struct srv_x *x)
{
    if (x->write_failed)
        return -1;
    if (x->ttfb < 0)
        x->ttfb = srv_clock_now() - x->t0;
    if (x->io->ops->flush(x->io) < 0)
        x->write_failed = 1;
    return x->write_failed ? -1 : 0;
}

int
srv_respond_gone(struct srv_x *x, int wait_ms)
{
    if (x->write_failed)
        return 1;
    /* a request still being read is not polled: its bytes are pending */
    if (!x->in_eof)
        return 0;
    if (!x->io->ops->closed(x->io, wait_ms))
        return 0;
    x->write_failed = 1;
    return 1;
}

/* A header block built in a fixed buffer; full once a piece did not fit. */
struct head {
    char p[1536];
    size_t len;
    int full;
};

static void
put(struct head *h, const char *s)
{
    size_t n = strlen(s);

    if (n >= sizeof(h->p) - h->len) {
        h->full = 1;
        return;
    }
    memcpy(h->p + h->len, s, n);
    h->len += n;
}

static void
put_num(struct head *h, long v)
{
    char num[A2O_STR_LONG_MAX];

    a2o_str_long(num, v);
    put(h, num);
}

/* The header block, with Content-Length when clen >= 0.  -1 when it does
 * not fit (it always does: every piece is bounded) or the write failed. */
static int
head(struct srv_x *x, int status, const char *type, const char *extra,
     long clen)
{
    struct head h;

    h.len = 0;
    h.full = 0;
    x->status = status;
    put(&h, "Status: ");
    put_num(&h, status);
    put(&h, " ");
    put(&h, reason(status));
    put(&h, "\r\n");
    if (type != NULL) {
        put(&h, "Content-Type: ");
        put(&h, type);
        put(&h, "\r\n");
    }
    put(&h, "request-id: ");
    put(&h, x->id);
    put(&h, "\r\n");
    /* which provider and model answered (x->upstream is sanitised) */
    if (x->upstream[0] != '\0') {
        put(&h, "x-claude-proxy-upstream: ");
        put(&h, x->upstream);
        put(&h, "\r\n");
    }
    if (x->attempts > 1) {
        put(&h, "x-claude-proxy-attempts: ");
        put_num(&h, x->attempts);
        put(&h, "\r\n");
    }
    if (extra != NULL)
        put(&h, extra);
    if (clen >= 0) {
        put(&h, "Content-Length: ");
        put_num(&h, clen);
        put(&h, "\r\n");
    }
    put(&h, "\r\n");
    if (h.full)
        return -1;
    return srv_respond_write(x, h.p, h.len);
}

int
srv_respond_head(struct srv_x *x, int status, const char *type,
                 const char *extra)
{
    return head(x, status, type, extra, -1);
}

/* NOTE: the request's log line goes first: lighttpd closes the FastCGI
 * connection as soon as Content-Length is satisfied, and a line sent
 * after the body would be lost (EPIPE).  Everything it says is known.
 * No flush: the end of the request writes both (io.c says in which
 * order), in one write() each. */
void
srv_respond_body(struct srv_x *x, int status, const char *type,
                 const char *extra, const char *p, size_t n)
{
    if (x->status != 0)
        return;
    x->status = status;
    if (x->ttfb < 0)
        x->ttfb = srv_clock_now() - x->t0;
    srv_log_request(x);
    /* RFC 9110 8.6: no Content-Length in a 204 */
    if (head(x, status, n > 0 ? type : NULL, extra,
             status == 204 ? -1 : (long)n) < 0)
        return;
    if (n > 0 && strcmp(x->method, "HEAD") != 0)
        srv_respond_write(x, p, n);
}

void
srv_respond_error(struct srv_x *x, enum a2o_err err, const struct a2o_diag *d,
                  const char *extra)
{
    char body[1024];
    size_t n;

    srv_log_set_error(x, err, d);
    if (x->status != 0)
        return;
    n = a2o_err_body(err, d, body, sizeof(body));
    srv_respond_body(x, a2o_err_status(err), "application/json", extra, body,
                     n);
}
