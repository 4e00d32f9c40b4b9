/*
 * native.h: the passthrough for upstreams that speak Anthropic's
 * /v1/messages themselves (vLLM, llama.cpp, Ollama 0.14+): the request
 * goes up almost unchanged, the answer comes back unchanged once checked.
 * The stream side is nstream.h.
 */
#ifndef A2O_NATIVE_H
#define A2O_NATIVE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "req.h"
#include "usage.h"

/* What the passthrough may change.  Strings borrow from the caller. */
struct a2o_native_opts {
    const char *model; /* routed upstream model: replaces "model"; NULL
                        * keeps the client's */
    const char *drop;  /* comma list of top-level fields to remove ("" or
                        * NULL: none); "model" and "messages" are never
                        * removed; blanks around names are ignored */
};

/*
 * Copies the client's Anthropic request for an upstream that speaks
 * /v1/messages:
 * - "model" replaced by o->model;
 * - Claude Code's per-request billing block removed: a text block of a
 *   `system` array whose text starts with "x-anthropic-billing-header:",
 *   or, when `system` is a string starting with that, its first line.  A
 *   `system` left empty by this removal is removed too;
 * - the top-level fields named in o->drop removed;
 * - everything else (thinking, cache_control, context_management, tools,
 *   metadata, unknown fields) JSON-equal to what the client sent, in the
 *   client's order.
 * Light validation only (the upstream validates the rest): in must be an
 * object with a non-empty string "model" and an array "messages".
 *
 * On success *out is a new tree (caller: cJSON_Delete) and *meta a new
 * reqmeta (caller: a2o_reqmeta_free) with client_model, stream, thinking
 * ("enabled" or "adaptive") and input_estimate (a2o_tokens_request of
 * in); its stop and names lists are empty.  On failure neither is
 * written.  o may be NULL (no changes).  Errors: A2O_E_BADREQ with d->path ("",
 * "model", "messages") and d->msg; A2O_E_NOMEM.  Never mutates in.
 */
enum a2o_err a2o_native_req(const cJSON *in, const struct a2o_native_opts *o,
                            cJSON **out, struct a2o_reqmeta **meta,
                            struct a2o_diag *d);

/*
 * Checks a 2xx upstream body (n bytes at p, no NUL needed): it must be
 * strict JSON (a2o_json_parse), an object with "type":"message" and a
 * "content" array.  Fills *u from its "usage" (input_tokens,
 * output_tokens, cache_read_input_tokens, cache_creation_input_tokens;
 * u->estimated is 1 when input or output tokens are missing, the missing
 * counts 0).  Errors: A2O_E_BADGATEWAY with d->msg for anything else
 * (*u then untouched); A2O_E_NOMEM.  The body itself goes to the client
 * unchanged (fcgi/).
 */
enum a2o_err a2o_native_resp_check(const char *p, size_t n, struct a2o_usage *u,
                                   struct a2o_diag *d);

/*
 * Merges an Anthropic usage object into *u: each count present as a
 * whole number in [0, 2^53] overwrites the one in u; others are kept.
 * Returns a mask of what was found: A2O_NATIVE_IN (input_tokens),
 * A2O_NATIVE_OUT (output_tokens); 0 when usage is not an object.
 * Used by the non-stream check and the stream relay (message_start,
 * message_delta).  Never allocates.
 */
#define A2O_NATIVE_IN 1
#define A2O_NATIVE_OUT 2
int a2o_native_usage(const cJSON *usage, struct a2o_usage *u);

#endif
