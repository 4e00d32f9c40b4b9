/*
 * log.h: the two log sinks.  Process-level messages go to stderr and
 * syslog (spawn-fcgi points a worker's stderr at /dev/null); the one
 * line per request goes to the web server's error log through io.
 */
#ifndef SRV_LOG_H
#define SRV_LOG_H

#include "../common/err.h"
#include "exchange.h"

void srv_log_open(void);
void srv_log_set_level(enum a2o_log_level lv);

/* "claude-proxy: <level>: text" on stderr and in syslog, when lv is
 * within LOG_LEVEL (errors always). */
void srv_log_proc(enum a2o_log_level lv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The request's line, once per request. */
void srv_log_request(struct srv_x *x);

/* Keeps a short error text for the line (first one wins). */
void srv_log_set_error(struct srv_x *x, enum a2o_err err,
                       const struct a2o_diag *d);

/* Thread-safe text of an errno value. */
const char *srv_log_errno(int e, char *buf, size_t n);

#endif
