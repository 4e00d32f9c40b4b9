/*
 * respond.h: bytes to the client: writes that remember a failure, the
 * status line and headers, whole answers, Anthropic error bodies.
 * A status is sent once, before the first body byte.
 */
#ifndef SRV_RESPOND_H
#define SRV_RESPOND_H

#include <stddef.h>

#include "../common/err.h"
#include "exchange.h"

/* Writes n bytes.  0, or -1 once any write has failed (the client went
 * away); from then on nothing more is written. */
int srv_respond_write(struct srv_x *x, const char *p, size_t n);

/* Pushes what was written to the web server; records the time to the
 * first byte.  -1 once a write has failed. */
int srv_respond_flush(struct srv_x *x);

/*
 * 1 when the client is known to be gone without writing to it, so a
 * silent upstream is dropped at once rather than at the next ping (which
 * Apache only fails on its 3rd write).  Asked only once the body was read
 * to its end.  Waits up to wait_ms (0: only a look).
 */
int srv_respond_gone(struct srv_x *x, int wait_ms);

/*
 * The status line and headers, not flushed (servers hold headers until
 * the first body byte anyway).  Adds request-id and, once an upstream
 * was tried, x-claude-proxy-upstream (and x-claude-proxy-attempts after
 * a failover).  extra is NULL or complete "Name: value\r\n" lines.  -1 on
 * a failed write.
 */
int srv_respond_head(struct srv_x *x, int status, const char *type,
                     const char *extra);

/* A whole answer: headers with Content-Length, the body (none for HEAD),
 * flushed; the log line is written first.  Nothing once a status went. */
void srv_respond_body(struct srv_x *x, int status, const char *type,
                      const char *extra, const char *p, size_t n);

/* The Anthropic error body for err with its status; records the error
 * for the log line.  Does nothing once a status was sent. */
void srv_respond_error(struct srv_x *x, enum a2o_err err,
                       const struct a2o_diag *d, const char *extra);

#endif
