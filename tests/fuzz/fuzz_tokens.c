/*
 * fuzz_tokens.c: the token estimate (common/tokens.c) against the
 * byte-at-a-time method of tests/lib/tokref.c.
 *
 * Input: a split byte, then text.  Invariants:
 * - a2o_tokens_text of the text, and of the prefix the split byte
 *   names, equals the method's count exactly (the 64-byte windows, the
 *   word loop and the byte loop must all agree with it);
 * - the text cut in two at that point (NUL bytes made 0x01), as the key
 *   and the string value of a tool_use input, costs what the method
 *   counts for {"key":"value"} plus the message and block overheads:
 *   runs go on across the pieces exactly as in the printed text;
 * - nothing stays allocated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../common/tokens.h"
#include "../lib/tokref.h"
#include "fuzz_util.h"

/* {"messages":[{"content":[{"type":"tool_use","input":{key: val}}]}]},
 * or NULL when an allocation failed. */
static cJSON *
request(const char *key, const char *val)
{
    cJSON *req = cJSON_CreateObject(), *m = cJSON_CreateObject();
    cJSON *msgs = cJSON_AddArrayToObject(req, "messages");
    cJSON *content = cJSON_AddArrayToObject(m, "content");
    cJSON *b = cJSON_CreateObject(), *in = cJSON_CreateObject();

    if (req == NULL || m == NULL || msgs == NULL || content == NULL ||
        b == NULL || in == NULL ||
        cJSON_AddStringToObject(b, "type", "tool_use") == NULL ||
        cJSON_AddStringToObject(in, key, val) == NULL) {
        cJSON_Delete(req);
        cJSON_Delete(m);
        cJSON_Delete(b);
        cJSON_Delete(in);
        return NULL;
    }
    cJSON_AddItemToObject(b, "input", in);
    cJSON_AddItemToArray(content, b);
    cJSON_AddItemToArray(msgs, m);
    return req;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    size_t split = fz_byte(&in) * 4, n = in.n, i;
    const char *p = (const char *)in.p;
    char *text, *key, *val;
    cJSON *req;

    fz_init();
    FZ_CHECK(a2o_tokens_text(p, n) == th_tokens_ref(p, n, 0),
             "text: the method's count");
    if (split > n)
        split = n;
    FZ_CHECK(a2o_tokens_text(p, split) == th_tokens_ref(p, split, 0),
             "prefix: the method's count");
    /* key and val (no NUL), and {"key":"val"} as the estimate walks it:
     * unescaped */
    text = malloc(n + 7);
    key = malloc(split + 1);
    val = malloc(n - split + 1);
    FZ_CHECK(text != NULL && key != NULL && val != NULL, "malloc");
    for (i = 0; i < n; i++) {
        char c = p[i] != '\0' ? p[i] : '\x01';

        if (i < split)
            key[i] = c;
        else
            val[i - split] = c;
        text[i < split ? i + 2 : i + 5] = c;
    }
    key[split] = '\0';
    val[n - split] = '\0';
    memcpy(text, "{\"", 2);
    memcpy(text + split + 2, "\":\"", 3);
    memcpy(text + n + 5, "\"}", 2);
    req = request(key, val);
    FZ_CHECK(req != NULL, "the request builds");
    /* 4 for the message, 1 for the block */
    FZ_CHECK(a2o_tokens_request(req) == th_tokens_ref(text, n + 7, 5000),
             "pieces: the method's count of the printed text");
    cJSON_Delete(req);
    free(text);
    free(key);
    free(val);
    FZ_CHECK(fz_live() == 0, "nothing stays allocated");
    return 0;
}
