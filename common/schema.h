/*
 * schema.h: tool input_schema cleaning for strict upstreams
 * (common/README.md §7).
 */
#ifndef A2O_SCHEMA_H
#define A2O_SCHEMA_H

#include <cjson/cJSON.h>

#include "conf.h"
#include "err.h"

/*
 * Returns in *out a cleaned copy of schema (caller: cJSON_Delete) for
 * profile p.  Only keys of schema objects are touched, never the names
 * inside a "properties" map.  $ref is inlined to a bounded depth.
 * schema is never modified.  Errors: A2O_E_NOMEM; A2O_E_BADREQ when
 * schema is not an object (d->path relative: "input_schema").
 */
enum a2o_err a2o_schema_clean(const cJSON *schema, enum a2o_schema_profile p,
                              cJSON **out, struct a2o_diag *d);

#endif
