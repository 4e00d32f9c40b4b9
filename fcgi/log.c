/*
 * log.c: the two log sinks (log.h).
 *
 * Process-level messages (start, stop, configuration errors) go to
 * stderr and syslog: spawn-fcgi points a worker's stderr at /dev/null.
 * The one line per request goes to the FastCGI error stream, which the
 * web server writes to its error log (stderr in plain CGI, the same
 * thing there); the line of a request whose client left goes to the
 * process log, as the web server closed that stream with the
 * connection.  Keys, Authorization and bodies are never logged; every
 * untrusted string passes through a2o_log_escape (in a2o_log_format).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "../common/logfmt.h"
#include "clock.h"
#include "log.h"

/* Set once at start-up, before any thread exists; read-only after. */
static enum a2o_log_level level = A2O_LOG_INFO;

static const char *const names[] = {"error", "warn", "info", "debug"};

void
srv_log_open(void)
{
    openlog(SRV_NAME, LOG_PID, LOG_DAEMON);
}

void
srv_log_set_level(enum a2o_log_level lv)
{
    level = lv;
}

const char *
srv_log_errno(int e, char *buf, size_t n)
{
    if (strerror_r(e, buf, n) != 0)
        snprintf(buf, n, "error %d", e);
    return buf;
}

void
srv_log_proc(enum a2o_log_level lv, const char *fmt, ...)
{
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    char msg[2048];
    va_list ap;

    if (lv > level && lv != A2O_LOG_ERROR)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s: %s\n", SRV_NAME, names[lv], msg);
    fflush(stderr);
    syslog(prio[lv], "%s", msg);
}

/* The code's name and, for our own validation errors, the JSON path.
 * The message itself is not kept: an upstream's message may echo part of
 * a key. */
void
srv_log_set_error(struct srv_x *x, enum a2o_err err, const struct a2o_diag *d)
{
    if (x->error[0] != '\0')
        return;
    snprintf(x->error, sizeof(x->error), "%s%s%s", a2o_err_name(err),
             d != NULL && d->path[0] != '\0' ? ":" : "",
             d != NULL ? d->path : "");
}

/*
 * The request's line, once per request: at info, at warn for 5xx, at
 * debug for the noise endpoints Claude Code calls (HEAD /, event logging).
 */
void
srv_log_request(struct srv_x *x)
{
    struct a2o_logrec r;
    char line[2048];
    enum a2o_log_level lv;
    size_t n;

    if (x->logged)
        return;
    x->logged = 1;
    lv = x->quiet           ? A2O_LOG_DEBUG
         : x->status >= 500 ? A2O_LOG_WARN
                            : A2O_LOG_INFO;
    if (lv > level)
        return;
    memset(&r, 0, sizeof(r));
    r.req_id = x->id;
    r.method = x->method;
    r.endpoint = x->path;
    r.client_model = x->client_model[0] != '\0' ? x->client_model : NULL;
    r.upstream_model = x->upstream_model[0] != '\0' ? x->upstream_model : NULL;
    r.provider = x->upstream[0] != '\0' ? x->upstream : NULL;
    r.rule = x->rule[0] != '\0' ? x->rule : NULL;
    r.attempts = x->attempts;
    r.failover = x->failover[0] != '\0' ? x->failover : NULL;
    r.stream = x->stream;
    /* 499 (nginx's "client closed request") when the client left before
     * we could send a status */
    r.status = x->status != 0 ? x->status : 499;
    r.upstream_status = x->upstream_status;
    r.latency_ms = (srv_clock_now() - x->t0) * 1000.0;
    r.ttfb_ms = x->ttfb >= 0 ? x->ttfb * 1000.0 : -1.0;
    r.usage = x->usage;
    r.error = x->error[0] != '\0' ? x->error : NULL;
    n = a2o_log_format(&r, line, sizeof(line) - 1);
    if (x->write_failed) {
        /* the client left: lighttpd, nginx and Apache closed the
         * FastCGI connection, and with it the error stream */
        srv_log_proc(lv, "%s", line);
        return;
    }
    line[n++] = '\n';
    line[n] = '\0';
    x->io->ops->log(x->io, names[lv], line);
}
