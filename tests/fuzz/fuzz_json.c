/*
 * fuzz_json.c: common/json_parse.c and common/json_print.c against
 * cJSON's own parser and printer.
 *
 * Input: JSON text (or not).  Invariants:
 * - where the fast parser answers, cJSON accepts the text too, ends at
 *   the same byte and builds the same tree (types, valueint, valuedouble
 *   bits, strings, keys, the tail kept in the first child's prev); where
 *   it does not answer it says "unsure" (A2O_E_BADJSON), never NOMEM
 *   without a failed allocation;
 * - whatever cJSON parses, a2o_json_print_str prints byte for byte as
 *   cJSON_PrintUnformatted does, with the right length, and reprinting
 *   the parse of our text gives the same text; nothing stays allocated.
 */
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../common/json.h"
#include "../../common/json_int.h"
#include "fuzz_util.h"

static int
same_str(const char *a, const char *b)
{
    return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static int
same_tree(const cJSON *a, const cJSON *b)
{
    const cJSON *x, *y;

    if (a->type != b->type || a->valueint != b->valueint ||
        memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) != 0 ||
        !same_str(a->valuestring, b->valuestring) ||
        !same_str(a->string, b->string))
        return 0;
    for (x = a->child, y = b->child; x != NULL && y != NULL;
         x = x->next, y = y->next)
        if (!same_tree(x, y) ||
            (x->next == NULL && (a->child->prev != x || b->child->prev != y)))
            return 0;
    return x == NULL && y == NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end1 = NULL, *end2 = NULL;
    cJSON *fast = NULL, *tree, *again;
    char *want, *got, *got2;
    size_t n = 0;
    enum a2o_err err;

    fz_init();
    err = a2o__json_fast(p, size, &fast, &end1);
    tree = cJSON_ParseWithLengthOpts(p, size, &end2, 0);
    FZ_CHECK(err == A2O_E_OK || err == A2O_E_BADJSON,
             "the fast parser answers or is unsure");
    if (err == A2O_E_OK) {
        FZ_CHECK(tree != NULL, "cJSON accepts what the fast parser took");
        FZ_CHECK(end1 == end2, "both parsers end at the same byte");
        FZ_CHECK(same_tree(fast, tree), "both parsers build the same tree");
    }
    cJSON_Delete(fast);
    if (tree == NULL)
        return 0;
    want = cJSON_PrintUnformatted(tree);
    got = a2o_json_print_str(tree, &n);
    FZ_CHECK(want != NULL && got != NULL, "both printers succeed");
    FZ_CHECK(strcmp(want, got) == 0, "the same text as cJSON's printer");
    FZ_CHECK(n == strlen(got), "the length given is the text's");
    again = cJSON_Parse(got);
    FZ_CHECK(again != NULL, "our text parses");
    got2 = a2o_json_print_str(again, NULL);
    FZ_CHECK(got2 != NULL && strcmp(got, got2) == 0, "printing is stable");
    cJSON_free(got2);
    cJSON_Delete(again);
    cJSON_free(got);
    cJSON_free(want);
    cJSON_Delete(tree);
    FZ_CHECK(fz_live() == 0, "nothing stays allocated");
    return 0;
}
