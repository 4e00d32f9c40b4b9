/*
 * srv.h: what the files of fcgi/ share.  fcgi/ is the only part of
 * claude-proxy that does I/O: it moves bytes between libfcgi (or plain
 * CGI stdio), libcurl and the pure conversion code in common/.
 *
 *   main.c      start-up, configuration, threads, signals, CGI fallback
 *   request.c   parameters, body, routing, the small endpoints
 *   upstream.c  the libcurl call and the stream glue
 *   respond.c   client I/O, status and headers, error bodies
 *   log.c       process log (stderr + syslog) and the request log line
 */
#ifndef SRV_H
#define SRV_H

#include <stddef.h>

#include <curl/curl.h>
#include <fcgiapp.h>

#include "../common/buf.h"
#include "../common/conf.h"
#include "../common/err.h"
#include "../common/usage.h"

#define SRV_NAME "claude-proxy"
#define SRV_VERSION "0.1.0"

/* One worker: a thread in FastCGI mode, or the process in CGI mode.
 * Owns a reusable curl handle, so connections to the upstream are kept
 * alive from one request to the next. */
struct srv_worker {
    const struct a2o_conf *conf; /* read-only, shared by all workers */
    CURL *curl;                  /* NULL until the first upstream call */
    FCGX_Request *fr;            /* NULL in CGI mode */
};

/*
 * One request/response exchange.  The I/O goes to the FastCGI streams of
 * w->fr, or to stdin/stdout/stderr and the environment in CGI mode.
 */
struct srv_x {
    struct srv_worker *w;
    const struct a2o_conf *conf;
    char id[32];        /* "req_" + 24 random alphanumerics */
    const char *method; /* REQUEST_METHOD */
    char path[512];     /* request path without the query string */
    double t0;          /* start, monotonic seconds */
    double ttfb;        /* seconds to the first body byte sent, < 0 */
    int status;         /* status sent (0 = none yet) */
    int write_failed;   /* the client went away: write nothing more */
    int in_eof;         /* the request body was read to its end */
    int quiet;          /* log the line at debug level only */
    int logged;         /* the request's line is written */
    /* for the log line */
    char client_model[128];
    char upstream_model[128];
    int stream;
    long upstream_status;
    struct a2o_usage usage;
    char error[160]; /* short error text, "" when none */
};

/* main.c */
double srv_main_now(void);
void srv_main_random_id(const char *prefix, char *out, size_t outsz);
unsigned long long srv_main_random_seed(void);

/* request.c */
void srv_request_handle(struct srv_worker *w);
const char *srv_request_param(const struct srv_x *x, const char *name);

/* upstream.c */
void srv_upstream_messages(struct srv_x *x, const char *body, size_t n);

/* respond.c */
int srv_respond_write(struct srv_x *x, const char *p, size_t n);
int srv_respond_flush(struct srv_x *x);
int srv_respond_gone(struct srv_x *x, int wait_ms);
int srv_respond_head(struct srv_x *x, int status, const char *type,
                     const char *extra);
void srv_respond_body(struct srv_x *x, int status, const char *type,
                      const char *extra, const char *p, size_t n);
void srv_respond_error(struct srv_x *x, enum a2o_err err,
                       const struct a2o_diag *d, const char *extra);

/* log.c */
void srv_log_open(void);
void srv_log_proc(enum a2o_log_level lv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void srv_log_request(struct srv_x *x);
void srv_log_set_level(enum a2o_log_level lv);
void srv_log_set_error(struct srv_x *x, enum a2o_err err,
                       const struct a2o_diag *d);

#endif
