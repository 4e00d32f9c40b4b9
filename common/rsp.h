/*
 * rsp.h: the OpenAI Responses API (POST {base}/responses) in both
 * directions: Anthropic request -> Responses request (rsp_req.c), a whole
 * Responses object -> Anthropic message (rsp_resp.c).  The streamed
 * answer goes through the stream converter (stream.h) with
 * a2o_stream_opts.api = A2O_API_RESPONSES (rsp_stream.c reads it).
 */
#ifndef A2O_RSP_H
#define A2O_RSP_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "oai.h"
#include "req.h"
#include "resp.h"
#include "route.h"
#include "usage.h"

/* Signatures of thinking blocks made from Responses reasoning items:
 * "a2o.rsp." id "." encrypted_content.  Anything else is foreign. */
#define A2O_RSP_SIG_PREFIX "a2o.rsp."

/*
 * Anthropic Messages request -> Responses API request for route rt
 * (rt->model is the upstream model, rt->profile the dialect switches,
 * rt->client_model the client's, rt->session_id the prompt cache key or
 * NULL).  Same validation as a2o_req_convert.  On success *out is a new
 * tree (caller: cJSON_Delete) and *meta a new reqmeta (caller:
 * a2o_reqmeta_free): client_model, stream, thinking, stop sequences,
 * shortened tool names, input_estimate.  On failure neither is written.
 * Errors: A2O_E_BADREQ with d->path and d->msg; A2O_E_NOMEM.  Never
 * mutates in.
 */
enum a2o_err a2o_rsp_req_convert(const cJSON *in, const struct a2o_route *rt,
                                 cJSON **out, struct a2o_reqmeta **meta,
                                 struct a2o_diag *d);

/*
 * A complete Responses object (status completed, incomplete or failed)
 * -> Anthropic message.  Same contract as a2o_resp_convert: *out a new
 * tree, *u (when not NULL) the usage; a failed response or an error
 * object gives the code its error maps to (a2o_rsp_error) with d->msg
 * the upstream's message; a body that is no response A2O_E_BADGATEWAY;
 * A2O_E_NOMEM.
 */
enum a2o_err a2o_rsp_resp_convert(const cJSON *in,
                                  const struct a2o_resp_opts *o, cJSON **out,
                                  struct a2o_usage *u, struct a2o_diag *d);

/* Bytes to bytes; *out (NUL-terminated, *outn bytes) freed with
 * cJSON_free.  Also A2O_E_BADGATEWAY for a body that is not JSON. */
enum a2o_err a2o_rsp_resp_convert_bytes(const char *in, size_t n,
                                        const struct a2o_resp_opts *o,
                                        char **out, size_t *outn,
                                        struct a2o_usage *u,
                                        struct a2o_diag *d);

/*
 * Appends the thinking signature of a reasoning item (id, and its
 * encrypted_content or NULL) to out.  When the id or the content has
 * bytes that the format cannot carry, the plain proxy signature is
 * appended instead (the item then cannot be replayed).  Errors as
 * a2o_buf_add.
 */
enum a2o_err a2o_rsp_sig_encode(const char *id, const char *ec,
                                struct a2o_buf *out);

/*
 * Reads a thinking signature: 1 when it is ours and well formed, with
 * *id / *idn and *ec / *ecn pointing into sig (ecn 0: no content); else
 * 0 (foreign or damaged).
 */
int a2o_rsp_sig_decode(const char *sig, const char **id, size_t *idn,
                       const char **ec, size_t *ecn);

/*
 * A Responses error object ({"code","message"}, from response.error or
 * an `error` event) as our code: rate_limit_exceeded -> A2O_E_RATELIMIT,
 * invalid_prompt and the image/file errors -> A2O_E_BADREQ, anything
 * else (server_error, vector_store_timeout, ...) -> A2O_E_BADGATEWAY;
 * d->msg gets the client-safe message.  err may be NULL.
 */
enum a2o_err a2o_rsp_error(const cJSON *err, struct a2o_diag *d);

/* Merges a Responses usage object (input_tokens, output_tokens,
 * input_tokens_details.cached_tokens) into u; NULL or absent fields keep
 * u's values. */
void a2o_rsp_usage_read(const cJSON *usage, struct a2o_oai_usage *u);

#endif
