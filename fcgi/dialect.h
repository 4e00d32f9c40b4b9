/*
 * dialect.h: the wire format of an upstream, as one ops table per API
 * (PROVIDER_<NAME>_API): where to POST, how to convert the request, and
 * the converter of its answer, whole or streamed.  A new API is one new
 * table in dialect.c.  Calls only common/.
 */
#ifndef SRV_DIALECT_H
#define SRV_DIALECT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "../common/buf.h"
#include "../common/req.h"
#include "../common/resp.h"
#include "../common/route.h"
#include "../common/stream.h"

struct srv_dialect {
    const char *name; /* as PROVIDER_<NAME>_API spells it */
    const char *path; /* appended to the base URL */
    int anthropic;    /* Anthropic headers: x-api-key, anthropic-version */
    /* the request for rt: *out freed with cJSON_free, *meta with
     * a2o_reqmeta_free; *outn its length, and on entry the length to
     * expect (0: unknown) */
    enum a2o_err (*request)(const cJSON *req, const struct a2o_route *rt,
                            char **out, size_t *outn, struct a2o_reqmeta **meta,
                            struct a2o_diag *d);
    /* a whole 2xx answer: *out (cJSON_free) is the client's body, or
     * NULL to send the upstream's body unchanged */
    enum a2o_err (*whole)(const char *in, size_t n,
                          const struct a2o_resp_opts *o, char **out,
                          size_t *outn, struct a2o_usage *u,
                          struct a2o_diag *d);
    /* the stream converter, with the contracts of common/stream.h */
    void *(*stream_new)(const struct a2o_stream_opts *o);
    enum a2o_err (*feed)(void *s, const char *p, size_t n, struct a2o_buf *out,
                         struct a2o_diag *d);
    enum a2o_err (*finish)(void *s, struct a2o_buf *out, struct a2o_diag *d);
    enum a2o_err (*ping)(void *s, struct a2o_buf *out);
    enum a2o_err (*fail)(void *s, enum a2o_err err, const struct a2o_diag *d,
                         struct a2o_buf *out);
    int (*started)(const void *s);
    void (*usage)(const void *s, struct a2o_usage *u);
    void (*free)(void *s);
};

/* count_tokens on an Anthropic upstream: whole answers only. */
extern const struct srv_dialect srv_dialect_count;

/* The table for api, or NULL when this build cannot speak it. */
const struct srv_dialect *srv_dialect_of(enum a2o_api api);

#endif
