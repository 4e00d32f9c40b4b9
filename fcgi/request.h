/*
 * request.h: one request on a worker, from its parameters to its answer
 * and its log line.
 */
#ifndef SRV_REQUEST_H
#define SRV_REQUEST_H

#include "exchange.h"

/* Serves the request whose bytes w->io holds.  over: the process is at
 * MAX_THREADS: a request that would hold the thread gets a 529. */
void srv_request_handle(struct srv_worker *w, int over);

#endif
