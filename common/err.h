/*
 * err.h: the one error table of claude-proxy.
 *
 * Every failure in common/ and fcgi/ is one of these codes.  The X-macro
 * A2O_ERRORS gives, per code: the HTTP status the client sees, the
 * Anthropic error.type, and a default message.  Pattern from libuv's
 * UV_ERRNO_MAP: the enum, the status table and the strings cannot drift.
 */
#ifndef A2O_ERR_H
#define A2O_ERR_H

#include <stddef.h>

/* X(name, http status, Anthropic error.type, default message) */
#define A2O_ERRORS(X)                                                          \
    /* success */                                                              \
    X(OK, 200, NULL, "ok")                                                     \
    /* client body is not JSON, or has trailing bytes */                       \
    X(BADJSON, 400, "invalid_request_error", "request body is not valid JSON") \
    /* a field is missing, has the wrong type or an invalid value */           \
    X(BADREQ, 400, "invalid_request_error", "invalid request")                 \
    /* the proxy key is missing or wrong */                                    \
    X(AUTH, 401, "authentication_error", "invalid x-api-key")                  \
    /* upstream said 403 */                                                    \
    X(PERM, 403, "permission_error", "permission denied")                      \
    /* unknown path, or upstream said 404 */                                   \
    X(NOTFOUND, 404, "not_found_error", "not found")                           \
    /* known path, wrong method */                                             \
    X(METHOD, 405, "invalid_request_error", "method not allowed")              \
    /* body or a peer-controlled buffer over its cap */                        \
    X(TOOBIG, 413, "request_too_large", "request exceeds the size limit")      \
    /* upstream said 429 */                                                    \
    X(RATELIMIT, 429, "rate_limit_error", "rate limited by the upstream")      \
    /* allocation failed */                                                    \
    X(NOMEM, 500, "api_error", "out of memory")                                \
    /* a bug or an impossible state in the proxy */                            \
    X(INTERNAL, 500, "api_error", "internal error")                            \
    /* upstream said 500 */                                                    \
    X(UPSTREAM, 500, "api_error", "upstream error")                            \
    /* upstream unreachable, 502, or an answer we cannot read */               \
    X(BADGATEWAY, 502, "api_error", "bad answer from the upstream")            \
    /* upstream timed out (408, 504, or our own timeouts) */                   \
    X(TIMEOUT, 504, "timeout_error", "upstream timed out")                     \
    /* upstream said 503 or 529 */                                             \
    X(OVERLOADED, 529, "overloaded_error", "upstream is overloaded")           \
    /* configuration is invalid (start-up only, never sent to a client) */     \
    X(CONF, 500, "api_error", "invalid configuration")

enum a2o_err {
#define X(name, status, type, text) A2O_E_##name,
    A2O_ERRORS(X)
#undef X
        A2O_E__MAX
};

/*
 * Diagnostics for one failure: a client-ready message and, for request
 * validation errors, the JSON path of the offending field.  Fixed size so
 * that filling it can never fail; longer text is truncated.
 */
struct a2o_diag {
    char msg[256];  /* human message, "" when the table text will do */
    char path[128]; /* e.g. "messages[3].content[0].type", or "" */
};

/* HTTP status for err (500 for out-of-range values). */
int a2o_err_status(enum a2o_err err);

/* Anthropic error.type for err ("api_error" for OK or out-of-range). */
const char *a2o_err_type(enum a2o_err err);

/* Default message for err; never NULL. */
const char *a2o_err_text(enum a2o_err err);

/* Symbolic name without prefix, e.g. "BADREQ"; for logs. */
const char *a2o_err_name(enum a2o_err err);

/*
 * Maps an upstream HTTP status (common/README.md §8) to an error code:
 * 400/422 BADREQ, 401 AUTH, 403 PERM, 404 NOTFOUND, 408/504 TIMEOUT,
 * 413 TOOBIG, 429 RATELIMIT, 500 UPSTREAM, 503/529 OVERLOADED, other 5xx
 * and anything else BADGATEWAY.  2xx gives OK.
 */
enum a2o_err a2o_err_from_status(long status);

/* Clears d (NULL allowed). */
void a2o_diag_clear(struct a2o_diag *d);

/*
 * Sets d->path to path (may be NULL) and d->msg to the printf-style text.
 * Returns err so callers can write "return a2o_diag_set(d, E, ...)".
 * d may be NULL.
 */
enum a2o_err a2o_diag_set(struct a2o_diag *d, enum a2o_err err,
                          const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Sets d to A2O_E_BADREQ with the printf-formatted path (cut to fit
 * d->path) and the plain message msg.  Returns A2O_E_BADREQ; d may be
 * NULL.
 */
enum a2o_err a2o_diag_badreq(struct a2o_diag *d, const char *msg,
                             const char *pathfmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Builds the Anthropic error body
 * {"type":"error","error":{"type":T,"message":M}} into out (at most outsz
 * bytes, always NUL-terminated, JSON-escaped).  The message is d->msg when
 * set, else the table text, prefixed by "<path>: " when a path is set
 * (the shape of Anthropic's own validation errors).
 * Returns the length written, without the NUL.  Never allocates.
 */
size_t a2o_err_body(enum a2o_err err, const struct a2o_diag *d, char *out,
                    size_t outsz);

#endif
