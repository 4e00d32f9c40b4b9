/*
 * req_int.h: private interface between req.c (top-level fields, tools,
 * reasoning, meta) and req_msg.c (system and messages).  Not part of the
 * library's API; nothing outside common/req*.c includes it.
 */
#ifndef A2O_REQ_INT_H
#define A2O_REQ_INT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "conf.h"
#include "err.h"

/* Cap of the scratch buffers of one conversion: the body is already
 * bounded by MAX_BODY_BYTES, this only stops arithmetic overflow. */
#define A2O_REQ_BUF_MAX ((size_t)1 << 31)

/*
 * Converts in.system and in.messages (PROTOCOL.md §2 "Messages") for
 * profile pf and attaches the result to root as "messages".  gemini: send
 * thought signatures back on tool calls.  Errors: A2O_E_BADREQ with d's
 * path set, A2O_E_NOMEM; root is then unchanged.
 */
enum a2o_err a2o_req_messages(const cJSON *in, const struct a2o_profile *pf,
                              int gemini, cJSON *root, struct a2o_diag *d);

/*
 * A string item that takes over b's contents without copying them (the
 * buffer is cJSON_malloc'd, so cJSON_Delete frees it).  b is left empty;
 * NULL on allocation failure (the contents are then freed).
 */
cJSON *a2o_req_str_take(struct a2o_buf *b);

/* The same for text that cJSON_Print* returned (ownership passes). */
cJSON *a2o_req_str_own(char *s);

/*
 * Sets d to A2O_E_BADREQ with the printf-formatted path and msg.
 * Returns A2O_E_BADREQ.
 */
enum a2o_err a2o_req_bad(struct a2o_diag *d, const char *msg,
                         const char *pathfmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
