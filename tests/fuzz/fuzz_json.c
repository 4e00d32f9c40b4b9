/*
 * fuzz_json.c: common/json_print.c against cJSON's own printer.
 *
 * Input: JSON text.  Whatever cJSON parses of it, a2o_json_print_str
 * prints byte for byte as cJSON_PrintUnformatted does, with the same
 * length, and reprinting our text's parse gives the same text again;
 * nothing stays allocated.
 */
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../common/json.h"
#include "fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *tree, *again;
    char *want, *got, *got2;
    size_t n = 0;

    fz_init();
    tree = cJSON_ParseWithLength((const char *)data, size);
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
