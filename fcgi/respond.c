/*
 * respond.c: bytes to the client.  One place knows whether they go to a
 * FastCGI stream or to stdout (plain CGI), when a write has failed, and
 * how a status line, headers and an Anthropic error body look.
 *
 * A status can be sent once, before the first body byte (STYLE.md §3);
 * after that, failures travel in-band as SSE `event: error` (upstream.c).
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "srv.h"

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
    case 504:
        return "Gateway Timeout";
    case 529:
        return "Overloaded";
    default:
        return "Unknown";
    }
}

/*
 * Writes n bytes to the client.  Returns 0, or -1 once any write has
 * failed (the client went away); from then on nothing more is written.
 */
int
srv_respond_write(struct srv_x *x, const char *p, size_t n)
{
    FCGX_Stream *out;

    if (x->write_failed)
        return -1;
    if (x->w->fr == NULL) {
        if (n > 0 && fwrite(p, 1, n, stdout) != n)
            x->write_failed = 1;
        return x->write_failed ? -1 : 0;
    }
    out = x->w->fr->out;
    while (n > 0) {
        int k = n > 65536 ? 65536 : (int)n;

        if (FCGX_PutStr(p, k, out) != k || FCGX_GetError(out) != 0) {
            x->write_failed = 1;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/*
 * Pushes what was written to the web server.  NOTE: only the first
 * failing FCGX_FFlush returns -1 (WEBSERVERS.md), so the stream's error
 * state is checked every time.
 */
int
srv_respond_flush(struct srv_x *x)
{
    if (x->write_failed)
        return -1;
    if (x->ttfb < 0)
        x->ttfb = srv_main_now() - x->t0;
    if (x->w->fr == NULL) {
        if (fflush(stdout) != 0 || ferror(stdout))
            x->write_failed = 1;
    } else if (FCGX_FFlush(x->w->fr->out) < 0 ||
               FCGX_GetError(x->w->fr->out) != 0) {
        x->write_failed = 1;
    }
    return x->write_failed ? -1 : 0;
}

/*
 * 1 when the client is known to be gone without writing to it, so a
 * silent upstream is dropped at once rather than at the next ping (which
 * Apache only fails on the 3rd write, WEBSERVERS.md).
 *
 * FastCGI: once stdin was read to EOF, a server sends nothing more for
 * this request; it only closes the connection when its client leaves (or,
 * in theory, sends FCGI_ABORT_REQUEST).  So ipcFd turning readable, EOF
 * or a record, means stop.  Nothing is read: libfcgi never needs those
 * bytes, and a request still being read (no EOF yet) is not polled.
 * CGI: the write end of a pipe whose reader closed reports POLLERR.
 * Waits up to wait_ms for that (0: only a look).
 */
int
srv_respond_gone(struct srv_x *x, int wait_ms)
{
    struct pollfd p;

    if (x->write_failed)
        return 1;
    if (x->w->fr != NULL && !x->in_eof)
        return 0;
    p.fd = x->w->fr != NULL ? x->w->fr->ipcFd : 1;
    p.events = x->w->fr != NULL ? POLLIN : 0;
    p.revents = 0;
    if (p.fd < 0 || poll(&p, 1, wait_ms) <= 0)
        return 0;
    if ((p.revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)) == 0)
        return 0;
    x->write_failed = 1;
    return 1;
}

/*
 * Writes the status line and headers (not flushed: Apache and nginx hold
 * headers until the first body byte anyway, so they leave with it).
 * extra is "" or complete "Name: value\r\n" lines.  -1 on a failed write.
 */
int
srv_respond_head(struct srv_x *x, int status, const char *type,
                 const char *extra)
{
    char h[1024];
    int n;

    x->status = status;
    n = snprintf(h, sizeof(h),
                 "Status: %d %s\r\n%s%s%srequest-id: %s\r\n%s\r\n", status,
                 reason(status), type != NULL ? "Content-Type: " : "",
                 type != NULL ? type : "", type != NULL ? "\r\n" : "", x->id,
                 extra != NULL ? extra : "");
    if (n < 0 || (size_t)n >= sizeof(h))
        return -1;
    return srv_respond_write(x, h, (size_t)n);
}

/*
 * A whole answer: headers with Content-Length, the body (none for HEAD),
 * flushed.  The request's log line goes first: lighttpd closes the
 * FastCGI connection as soon as Content-Length is satisfied, and a line
 * sent after the body would be lost (EPIPE).  Everything the line says is
 * known by now.
 */
void
srv_respond_body(struct srv_x *x, int status, const char *type,
                 const char *extra, const char *p, size_t n)
{
    char h[640];

    if (x->status != 0)
        return;
    x->status = status;
    if (x->ttfb < 0)
        x->ttfb = srv_main_now() - x->t0;
    srv_log_request(x);
    /* RFC 9110 8.6: no Content-Length in a 204 */
    if (status == 204)
        snprintf(h, sizeof(h), "%s", extra != NULL ? extra : "");
    else
        snprintf(h, sizeof(h), "%sContent-Length: %zu\r\n",
                 extra != NULL ? extra : "", n);
    if (srv_respond_head(x, status, n > 0 ? type : NULL, h) < 0)
        return;
    if (n > 0 && strcmp(x->method, "HEAD") != 0)
        srv_respond_write(x, p, n);
    srv_respond_flush(x);
}

/* The Anthropic error body for err with its status; records the error
 * for the log line.  Does nothing once a status was sent. */
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
