/*
 * io.h: the bytes of one request, behind one ops struct: FastCGI (the
 * streams and params of an FCGX_Request) or plain CGI (the environment,
 * stdin, stdout, stderr).  The only place that knows which one it is.
 * Calls nothing else of fcgi/.
 */
#ifndef SRV_IO_H
#define SRV_IO_H

#include <stddef.h>

#include <fcgiapp.h>

struct srv_io;

struct srv_io_ops {
    /* a request parameter (HTTP_*, REQUEST_URI, ...), or NULL */
    const char *(*param)(struct srv_io *io, const char *name);
    /* up to n body bytes into p; 0 at the end of the body or on error */
    size_t (*read)(struct srv_io *io, char *p, size_t n);
    /* all n bytes to the client: 0, or -1 when the write failed */
    int (*write)(struct srv_io *io, const char *p, size_t n);
    /* pushes what was written to the web server: 0 or -1 */
    int (*flush)(struct srv_io *io);
    /* 1 when the peer closed, seen without writing (waits up to wait_ms) */
    int (*closed)(struct srv_io *io, int wait_ms);
    /* the request's log line to the web server's error log */
    void (*log)(struct srv_io *io, const char *level, const char *line);
};

struct srv_io {
    const struct srv_io_ops *ops;
    FCGX_Request *fr; /* FastCGI only */
};

/* FastCGI on fr (initialised by the pool), or CGI on the process. */
void srv_io_fcgi(struct srv_io *io, FCGX_Request *fr);
void srv_io_cgi(struct srv_io *io);

/* The token of "Authorization: Bearer <token>", or NULL. */
const char *srv_io_bearer(struct srv_io *io);

#endif
