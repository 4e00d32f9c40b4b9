/*
 * resp.h: OpenAI chat.completion -> Anthropic message (common/README.md §4).
 */
#ifndef A2O_RESP_H
#define A2O_RESP_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "conf.h"
#include "err.h"
#include "req.h"
#include "usage.h"

struct a2o_resp_opts {
    const struct a2o_reqmeta *meta;    /* from a2o_req_convert */
    const struct a2o_profile *profile; /* the route's profile */
    const char *msg_id;                /* "msg_..." chosen by the caller */
    unsigned long long seed;           /* for generated tool ids */
    const char
        *upstream;    /* identity of the upstream (its base URL) that answers */
    const cJSON *req; /* the client's request, for the input estimate when
                       * meta has none and the upstream reports no usage;
                       * may be NULL (then 0) */
};

/*
 * Converts a complete upstream answer.  On success *out is a new tree
 * (caller: cJSON_Delete) and *u (when not NULL) the usage reported.
 * An upstream error object ({"error":{...}}) or a body that is not a
 * chat.completion gives A2O_E_BADGATEWAY (or the code that the error's
 * status maps to) with d->msg the upstream's own message.  A2O_E_NOMEM.
 */
enum a2o_err a2o_resp_convert(const cJSON *in, const struct a2o_resp_opts *o,
                              cJSON **out, struct a2o_usage *u,
                              struct a2o_diag *d);

/*
 * Bytes to bytes for any whole-answer converter conv (this one, the
 * Responses API's): strict parse (bad JSON is the upstream's fault:
 * A2O_E_BADGATEWAY), conv, unformatted print; *out freed with cJSON_free.
 */
enum a2o_err a2o_resp_bytes(
    const char *in, size_t n,
    enum a2o_err (*conv)(const cJSON *in, const struct a2o_resp_opts *o,
                         cJSON **out, struct a2o_usage *u, struct a2o_diag *d),
    const struct a2o_resp_opts *o, char **out, size_t *outn,
    struct a2o_usage *u, struct a2o_diag *d);

/* Bytes to bytes; *out freed with cJSON_free. */
enum a2o_err a2o_resp_convert_bytes(const char *in, size_t n,
                                    const struct a2o_resp_opts *o, char **out,
                                    size_t *outn, struct a2o_usage *u,
                                    struct a2o_diag *d);

/*
 * Reduces an upstream error body (JSON {"error":{"message"}} or
 * {"message"}, or HTML, or anything) of an HTTP error status to a short
 * client-safe message in d->msg.  Never fails.
 */
void a2o_resp_error_message(const char *body, size_t n, long status,
                            struct a2o_diag *d);

#endif
