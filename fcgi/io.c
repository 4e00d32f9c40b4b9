/*
 * io.c: FastCGI and CGI behind struct srv_io_ops (io.h).
 *
 * NOTE: only the first failing FCGX_FFlush returns -1, so a stream's
 * error state is checked after every write and flush.
 *
 * closed(): once the body was read to its end, a web server sends
 * nothing more on a FastCGI connection for this request; it only closes
 * it when its client leaves (or, in theory, sends FCGI_ABORT_REQUEST).
 * So ipcFd turning readable, EOF or a record, means stop.  Nothing is
 * read: libfcgi never needs those bytes.  The caller asks only after the
 * body's end.  In CGI, the write end of a pipe whose reader closed
 * reports POLLERR.
 *
 * Order of the records: a log line waits in the error stream's buffer
 * until the next flush, which writes it before any output still
 * buffered, or until FCGX_Finish_r, which closes the error stream before
 * the output stream.  A response's last byte so always follows the log
 * line (lighttpd closes the connection once Content-Length is met), and
 * a whole small response costs two write()s: the log line with its end
 * record, the output with its end and FCGI_END_REQUEST.
 */
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io.h"

/* FCGX_GetParam's search (the first NAME=value), the first byte compared
 * before the rest: a request looks up some ten names among ~25 params. */
static const char *
fcgi_param(struct srv_io *io, const char *name)
{
    size_t n = strlen(name);
    char **p;

    if (io->fr->envp == NULL)
        return NULL;
    for (p = io->fr->envp; *p != NULL; p++)
        if ((*p)[0] == name[0] && strncmp(*p, name, n) == 0 && (*p)[n] == '=')
            return *p + n + 1;
    return NULL;
}

static size_t
fcgi_read(struct srv_io *io, char *p, size_t n)
{
    int r = FCGX_GetStr(p, n > INT_MAX ? INT_MAX : (int)n, io->fr->in);

    return r > 0 ? (size_t)r : 0;
}

static int
fcgi_write(struct srv_io *io, const char *p, size_t n)
{
    FCGX_Stream *out = io->fr->out;

    while (n > 0) {
        int k = n > 65536 ? 65536 : (int)n;

        if (FCGX_PutStr(p, k, out) != k || FCGX_GetError(out) != 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int
fcgi_flush(struct srv_io *io)
{
    FCGX_FFlush(io->fr->err); /* when empty: no system call */
    return FCGX_FFlush(io->fr->out) < 0 || FCGX_GetError(io->fr->out) != 0 ? -1
                                                                           : 0;
}

static int
poll_gone(int fd, short events, int wait_ms)
{
    struct pollfd p;

    p.fd = fd;
    p.events = events;
    p.revents = 0;
    if (fd < 0 || poll(&p, 1, wait_ms) <= 0)
        return 0;
    return (p.revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)) != 0;
}

static int
fcgi_closed(struct srv_io *io, int wait_ms)
{
    return poll_gone(io->fr->ipcFd, POLLIN, wait_ms);
}

static void
fcgi_log(struct srv_io *io, const char *level, const char *line)
{
    FCGX_PutS(level, io->fr->err);
    FCGX_PutS(": ", io->fr->err);
    FCGX_PutS(line, io->fr->err);
}

static const struct srv_io_ops fcgi_ops = {
    fcgi_param, fcgi_read, fcgi_write, fcgi_flush, fcgi_closed, fcgi_log,
};

/* CGI: single-threaded, so getenv is safe here. */
static const char *
cgi_param(struct srv_io *io, const char *name)
{
    (void)io;
    return getenv(name);
}

static size_t
cgi_read(struct srv_io *io, char *p, size_t n)
{
    (void)io;
    return fread(p, 1, n, stdin);
}

static int
cgi_write(struct srv_io *io, const char *p, size_t n)
{
    (void)io;
    return n > 0 && fwrite(p, 1, n, stdout) != n ? -1 : 0;
}

static int
cgi_flush(struct srv_io *io)
{
    (void)io;
    return fflush(stdout) != 0 || ferror(stdout) ? -1 : 0;
}

static int
cgi_closed(struct srv_io *io, int wait_ms)
{
    (void)io;
    return poll_gone(1, 0, wait_ms);
}

static void
cgi_log(struct srv_io *io, const char *level, const char *line)
{
    (void)io;
    fprintf(stderr, "claude-proxy: %s: %s", level, line);
    fflush(stderr);
}

static const struct srv_io_ops cgi_ops = {
    cgi_param, cgi_read, cgi_write, cgi_flush, cgi_closed, cgi_log,
};

void
srv_io_fcgi(struct srv_io *io, FCGX_Request *fr)
{
    io->ops = &fcgi_ops;
    io->fr = fr;
}

void
srv_io_cgi(struct srv_io *io)
{
    io->ops = &cgi_ops;
    io->fr = NULL;
}

const char *
srv_io_bearer(struct srv_io *io)
{
    const char *a = io->ops->param(io, "HTTP_AUTHORIZATION");

    if (a == NULL || strncasecmp(a, "Bearer ", 7) != 0)
        return NULL;
    a += 7;
    while (*a == ' ')
        a++;
    return *a != '\0' ? a : NULL;
}
