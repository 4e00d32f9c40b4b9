/*
 * fuzz_schema.c: a2o_schema_clean (common/README.md §7).
 *
 * Input: a profile byte, an OOM byte, then a JSON schema.  Invariants:
 * - an object cleans (OK), anything else is BADREQ naming input_schema;
 *   NOMEM only when an allocation failed; nothing stays allocated;
 * - the input tree is never modified; the output prints as strict JSON
 *   and is not out of proportion to the input ($ref inlining is bounded);
 * - the names in a top-level "properties" map are kept as they are;
 * - seed and gemini profiles leave no "$schema" or "additionalProperties"
 *   keyword in any schema object; gemini leaves no "$ref".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../common/conf.h"
#include "../../common/json.h"
#include "../../common/schema.h"
#include "fuzz_util.h"

/* Walks the schema keywords whose values are schemas. */
static void
walk(const cJSON *s, enum a2o_schema_profile p, int depth)
{
    static const char *const sub[] = {"items", "not",   "anyOf",
                                      "oneOf", "allOf", NULL};
    const char *const *k;
    const cJSON *c;

    if (!cJSON_IsObject(s) || depth > 2000)
        return;
    FZ_CHECK(a2o_json_get(s, "$schema") == NULL, "no $schema left");
    FZ_CHECK(a2o_json_get(s, "additionalProperties") == NULL,
             "no additionalProperties left");
    if (p == A2O_SCHEMA_GEMINI)
        FZ_CHECK(a2o_json_get(s, "$ref") == NULL, "gemini: no $ref left");
    cJSON_ArrayForEach(c, a2o_json_get(s, "properties")) walk(c, p, depth + 1);
    for (k = sub; *k != NULL; k++) {
        const cJSON *v = a2o_json_get(s, *k);

        if (cJSON_IsArray(v)) {
            cJSON_ArrayForEach(c, v) walk(c, p, depth + 1);
        } else {
            walk(v, p, depth + 1);
        }
    }
}

/* 1 when both "properties" maps have the same names in the same order. */
static int
same_names(const cJSON *a, const cJSON *b)
{
    const cJSON *x = a2o_json_get(a, "properties");
    const cJSON *y = a2o_json_get(b, "properties");

    if (!cJSON_IsObject(x))
        return 1;
    if (!cJSON_IsObject(y))
        return 0;
    for (x = x->child, y = y->child; x != NULL && y != NULL;
         x = x->next, y = y->next)
        if (strcmp(x->string, y->string) != 0)
            return 0;
    return x == NULL && y == NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    enum a2o_schema_profile p;
    unsigned oom;
    cJSON *s = NULL, *copy, *out;
    struct a2o_diag d;
    enum a2o_err err;
    long before;
    char *text;

    fz_init();
    p = (enum a2o_schema_profile)(fz_byte(&in) % 3);
    oom = fz_byte(&in);
    before = fz_live();
    if (a2o_json_parse((const char *)in.p, in.n, &s, &d) != A2O_E_OK)
        return 0;
    copy = cJSON_Duplicate(s, 1);
    FZ_CHECK(copy != NULL, "duplicate");

    out = (cJSON *)1;
    if (oom & 0x80)
        fz_fail_at((long)(oom & 0x7f) + 1);
    a2o_diag_clear(&d);
    err = a2o_schema_clean(s, p, &out, &d);
    if (fz_failed()) {
        FZ_CHECK(err == A2O_E_NOMEM ||
                     (err == A2O_E_BADREQ && !cJSON_IsObject(s)),
                 "a failed allocation gives NOMEM");
        if (err == A2O_E_OK)
            cJSON_Delete(out);
        else
            FZ_CHECK(out == (cJSON *)1, "out untouched on error");
        fz_fail_at(0);
        goto done;
    }
    fz_fail_at(0);
    if (!cJSON_IsObject(s)) {
        FZ_CHECK(err == A2O_E_BADREQ, "a non-object schema is BADREQ");
        FZ_CHECK(out == (cJSON *)1, "out untouched on error");
        fz_check_err_body(err, &d);
        goto done;
    }
    FZ_CHECK(err == A2O_E_OK, "an object schema cleans");
    FZ_CHECK(cJSON_IsObject(out), "output is an object");
    text = cJSON_PrintUnformatted(out);
    FZ_CHECK(text != NULL, "output prints");
    FZ_CHECK(fz_json_ok(text, strlen(text)), "output is strict JSON");
    FZ_CHECK(strlen(text) <= 64 * in.n + 65536,
             "output size in proportion to the input");
    cJSON_free(text);
    FZ_CHECK(same_names(s, out), "property names kept");
    if (p != A2O_SCHEMA_NONE)
        walk(out, p, 0);
    cJSON_Delete(out);
done:
    FZ_CHECK(fz_same_json(s, copy), "input not mutated");
    cJSON_Delete(copy);
    cJSON_Delete(s);
    FZ_CHECK(fz_live() == before, "no leak");
    return 0;
}
