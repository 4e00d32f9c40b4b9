/*
 * attempt.h: one attempt at one provider.  POSTs the converted request
 * with the worker's curl handle and turns the answer into the client's,
 * whole or event by event.  It answers the client only on success, or
 * for a failure once bytes went out (then in-band, as `event: error`);
 * any earlier failure is handed back, classified, for messages.c to
 * retry, fall over or answer.  Never calls messages.c or request.c.
 */
#ifndef SRV_ATTEMPT_H
#define SRV_ATTEMPT_H

#include <stddef.h>

#include "../common/req.h"
#include "../common/route.h"
#include "dialect.h"
#include "exchange.h"

/* What to send where. */
struct srv_call {
    const struct a2o_route *rt;
    const struct srv_dialect *dl;
    const char *body; /* converted request */
    size_t n;
    const struct a2o_reqmeta *meta;
    /* the client's request, for an input estimate made only if needed */
    const cJSON *req;
    int hold_pings; /* no ping before the first upstream byte: a later
                     * target may still answer instead */
};

enum srv_outcome {
    SRV_ANSWERED,  /* the client has its answer (or left) */
    SRV_RETRYABLE, /* nothing sent; worth a retry or another target */
    SRV_FINAL      /* nothing sent; goes to the client as it is */
};

struct srv_attempt {
    enum srv_outcome outcome;
    enum a2o_err err; /* for RETRYABLE and FINAL */
    struct a2o_diag d;
    long status;          /* upstream HTTP status, 0 when none came */
    char retry_after[96]; /* "retry-after: v\r\n" to pass on, or "" */
    long retry_secs;      /* retry-after in seconds, -1 when none */
    char why[16];         /* "503", "connect", "dns", "tls", "idle"... */
};

/* Runs one attempt; fills *a. */
void srv_attempt_run(struct srv_x *x, const struct srv_call *call,
                     struct srv_attempt *a);

/* Frees what the worker's calls keep from one to the next (its curl
 * handle, its parsed URL). */
void srv_attempt_worker_end(struct srv_worker *w);

#endif
