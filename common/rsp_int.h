/*
 * rsp_int.h: private interface between rsp_req.c (top-level parameters)
 * and rsp_msg.c (the conversation).  Nothing else includes it.
 */
#ifndef A2O_RSP_INT_H
#define A2O_RSP_INT_H

#include <cjson/cJSON.h>

#include "conf.h"
#include "err.h"

/*
 * Converts in.system and in.messages for profile pf and attaches the
 * result to root as "instructions" (when there is system text) and
 * "input".  Errors: A2O_E_BADREQ with d's path set, A2O_E_NOMEM; root
 * may then hold "instructions" (the caller deletes root).
 */
enum a2o_err a2o__rsp_input(const cJSON *in, const struct a2o_profile *pf,
                            cJSON *root, struct a2o_diag *d);

#endif
