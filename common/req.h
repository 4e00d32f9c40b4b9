/*
 * req.h: Anthropic Messages request -> OpenAI Chat Completions request
 * (common/README.md §1).
 */
#ifndef A2O_REQ_H
#define A2O_REQ_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "conf.h"
#include "err.h"
#include "route.h"

/* A tool name longer than OpenAI's 64 that was shortened on the way up. */
struct a2o_toolname {
    char *full;       /* the client's name */
    char *short_name; /* what the upstream saw (<= 64 chars) */
};

/*
 * What the response side needs to know about the request it answers.
 * Produced by a2o_req_convert(); the caller frees it with
 * a2o_reqmeta_free().  Read-only once made; one per request.
 */
struct a2o_reqmeta {
    char *client_model; /* echoed as "model" in every answer */
    int stream;         /* the client asked for SSE */
    int thinking;       /* the client enabled (or adapted) thinking */
    char **stop;        /* stop_sequences, for stop_sequence detection */
    size_t nstop;
    struct a2o_toolname *names; /* shortened tool names (tools and
                                 * history), to restore */
    size_t nnames;
    char **tools; /* names of the functions offered, as sent upstream */
    size_t ntools;
    long input_estimate; /* local token estimate of the whole request;
                          * -1 when not computed (a whole answer's
                          * converter computes it from a2o_resp_opts.req
                          * if the upstream reports no usage) */
};

void a2o_reqmeta_free(struct a2o_reqmeta *m);

/*
 * Restores a client tool name from what the upstream returned: the full
 * name when `name` is a shortened one of m, else `name` itself.
 */
const char *a2o_reqmeta_tool_name(const struct a2o_reqmeta *m,
                                  const char *name);

/* 1 when name[0..n) is a function offered upstream (as sent). */
int a2o_reqmeta_tool_offered(const struct a2o_reqmeta *m, const char *name,
                             size_t n);

/*
 * Validates and converts one Anthropic request for the destination rt
 * (rt->model goes upstream, rt->profile says the dialect).
 *
 * On success: *out is a new tree (caller: cJSON_Delete), *meta a new
 * reqmeta (caller: a2o_reqmeta_free).  On failure neither is written and
 * nothing leaks.  Errors: A2O_E_BADREQ with d->path the JSON path of the
 * offending field ("messages[3].content[0].type") and d->msg what was
 * expected; A2O_E_NOMEM.  Never mutates in.
 */
enum a2o_err a2o_req_convert_route(const cJSON *in, const struct a2o_route *rt,
                                   cJSON **out, struct a2o_reqmeta **meta,
                                   struct a2o_diag *d);

/*
 * The same, routed first with a2o_route_plan() to its first target
 * (filling *rt, whose strings borrow from c and from the returned meta),
 * for tests and tools that have no fallback.
 *
 * On success: *out is a new tree (caller: cJSON_Delete), *meta a new
 * reqmeta (caller: a2o_reqmeta_free).  On failure neither is written and
 * nothing leaks.  Errors: A2O_E_BADREQ with d->path the JSON path of the
 * offending field ("messages[3].content[0].type") and d->msg what was
 * expected; A2O_E_NOMEM.  Never mutates in.
 */
enum a2o_err a2o_req_convert(const cJSON *in, const struct a2o_conf *c,
                             cJSON **out, struct a2o_reqmeta **meta,
                             struct a2o_route *rt, struct a2o_diag *d);

/*
 * The same from bytes to bytes: parses with a2o_json_parse (so also
 * A2O_E_BADJSON), converts, prints unformatted.  *out (n bytes, NUL-
 * terminated) is freed with cJSON_free.
 */
enum a2o_err a2o_req_convert_bytes(const char *in, size_t n,
                                   const struct a2o_conf *c, char **out,
                                   size_t *outn, struct a2o_reqmeta **meta,
                                   struct a2o_route *rt, struct a2o_diag *d);

#endif
