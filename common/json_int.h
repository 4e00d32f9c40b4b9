/*
 * json_int.h: the JSON module's internals, for common/json_parse.c and
 * its tests (tests/unit/test_json.c, tests/fuzz/fuzz_json.c) only.
 */
#ifndef A2O_JSON_INT_H
#define A2O_JSON_INT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "err.h"

/*
 * The fast parser alone: one JSON value from p[0..n) into *out (a tree
 * as cJSON_ParseWithLengthOpts builds it), *end just past it.  Returns
 * A2O_E_OK, A2O_E_NOMEM, or A2O_E_BADJSON meaning "unsure": the text may
 * be good or bad, and only cJSON's parser is to say which.
 */
enum a2o_err a2o__json_fast(const char *p, size_t n, cJSON **out,
                            const char **end);

#endif
