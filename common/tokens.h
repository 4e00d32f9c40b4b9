/*
 * tokens.h: a local token-count estimate (POST /v1/messages/count_tokens,
 * message_start's input_tokens, and usage when the upstream gives none).
 * The method is documented in tokens.c.
 */
#ifndef A2O_TOKENS_H
#define A2O_TOKENS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "err.h"

/* Estimated tokens of n bytes of UTF-8 text. */
long a2o_tokens_text(const char *s, size_t n);

/* Estimate over system, messages (every block kind) and tools of an
 * Anthropic request.  Never fails; unknown shapes count as their JSON. */
long a2o_tokens_request(const cJSON *req);

/* est when it is known (>= 0), else the estimate of req (0 for NULL). */
long a2o_tokens_known(long est, const cJSON *req);

/*
 * count_tokens: validates the fields count_tokens needs (model string,
 * messages array; same paths and errors as a2o_req_convert) and writes
 * the estimate to *n.  Errors: A2O_E_BADREQ, A2O_E_NOMEM.
 */
enum a2o_err a2o_tokens_count(const cJSON *req, long *n, struct a2o_diag *d);

#endif
