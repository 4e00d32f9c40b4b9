/*
 * exchange.h: the data every layer above io.c shares: the worker a
 * request runs on and the record of one request/response exchange.
 * Declarations only.
 *
 * The files of fcgi/, lowest layer first; each calls only files above
 * it in this list, never one below:
 *
 *   clock.c     monotonic clock, random ids (a leaf)
 *   arena.c     the per-request allocator behind cJSON's hooks (a leaf)
 *   io.c        FastCGI or CGI bytes behind one ops struct
 *   log.c       process log and the request's log line
 *   respond.c   status, headers, bodies and errors to the client
 *   dialect.c   the wire formats of upstreams: converters per API
 *   attempt.c   one attempt at one provider (the libcurl call)
 *   messages.c  POST /v1/messages and count_tokens: routing, retries,
 *               fallback, cooldown
 *   models.c    GET /v1/models
 *   request.c   path, key, body; dispatch to the endpoints
 *   pool.c      threads over FCGX_Accept_r, signals
 *   main.c      start-up: settings, --help, CGI or FastCGI
 */
#ifndef SRV_EXCHANGE_H
#define SRV_EXCHANGE_H

#include <stddef.h>

#include <curl/curl.h>

#include "../common/conf.h"
#include "../common/usage.h"
#include "io.h"

#define SRV_NAME "claude-proxy"
#define SRV_VERSION "0.2.0"

/* One worker: a thread in FastCGI mode, or the process in CGI mode.
 * Owns a reusable curl handle, so connections to the upstream are kept
 * alive from one request to the next. */
struct srv_worker {
    const struct a2o_conf *conf; /* read-only, shared by all workers */
    CURL *curl;                  /* NULL until the first upstream call */
    CURLU *url;                  /* url_text, parsed (attempt.c set_url) */
    char *url_text;              /* the URL url holds; NULL: none */
    struct srv_io io;            /* the current request's bytes */
};

/* One request/response exchange. */
struct srv_x {
    struct srv_worker *w;
    const struct a2o_conf *conf;
    struct srv_io *io;
    char id[32];        /* "req_" + 24 random alphanumerics */
    const char *method; /* REQUEST_METHOD */
    char path[512];     /* request path without the query string */
    double t0;          /* start, monotonic seconds */
    double ttfb;        /* seconds to the first body byte sent, < 0 */
    int status;         /* status sent (0 = none yet) */
    int write_failed;   /* the client went away: write nothing more */
    int in_eof;         /* the request body was read to its end */
    size_t in_len;      /* bytes of the request body */
    int quiet;          /* log the line at debug level only */
    int logged;         /* the request's line is written */
    /* the upstream that answers, for headers and the log line */
    char upstream[192]; /* "provider:model", "" before any attempt */
    int attempts;       /* upstream attempts made */
    char rule[64];      /* the ROUTES rule that matched, "" for none */
    char failover[128]; /* why earlier attempts failed: "503,connect" */
    /* for the log line */
    char client_model[128];
    char upstream_model[128];
    int stream;
    long upstream_status;
    struct a2o_usage usage;
    char error[160]; /* short error text, "" when none */
};

#endif
