/*
 * logfmt.h: the one-line-per-request log record, formatted without I/O.
 */
#ifndef A2O_LOGFMT_H
#define A2O_LOGFMT_H

#include <stddef.h>

#include "usage.h"

struct a2o_logrec {
    const char *req_id; /* proxy request id */
    const char *method;
    const char *endpoint;       /* path without query */
    const char *client_model;   /* may be NULL */
    const char *upstream_model; /* may be NULL */
    const char *provider;       /* "provider:model" that answered, or NULL */
    const char *rule;           /* ROUTES rule that matched, or NULL */
    int attempts;               /* upstream attempts */
    const char *failover;       /* why earlier attempts failed, or NULL */
    int stream;
    int status;           /* what the client got */
    long upstream_status; /* 0 = no upstream call */
    double latency_ms;
    double ttfb_ms; /* to the first byte sent; <0 unknown */
    struct a2o_usage usage;
    const char *error; /* short error text or NULL */
};

/*
 * Writes "key=value ..." for r into out (outsz bytes, NUL-terminated,
 * truncated if needed), every untrusted string escaped with
 * a2o_log_escape.  Never prints a key, header value or body.  Returns the
 * length.
 */
size_t a2o_log_format(const struct a2o_logrec *r, char *out, size_t outsz);

/*
 * Copies s (n bytes) into out escaping control bytes, '"', '\\', spaces
 * and bytes >= 0x7f as \xHH, so one log line stays one line and cannot
 * be forged.  Returns the length written (NUL-terminated, truncated).
 */
size_t a2o_log_escape(const char *s, size_t n, char *out, size_t outsz);

#endif
