/*
 * json.c: typed, case-sensitive access to cJSON trees and a strict parser.
 */
#include "json.h"

#include <string.h>

const cJSON *
a2o_json_get(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

const char *
a2o_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = a2o_json_get(obj, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int
a2o_utf8_valid(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;

    while (i < n) {
        unsigned c;
        size_t len, k;
        unsigned cp;

        /* fast path: 8 ASCII bytes per step, as bodies are mostly ASCII;
         * a word has a NUL byte iff (w - 0x01..) & ~w & 0x80.. is set */
        while (n - i >= 8) {
            unsigned long long w;

            memcpy(&w, s + i, 8);
            if ((w & 0x8080808080808080ULL) != 0 ||
                ((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL) != 0)
                break;
            i += 8;
        }
        if (i == n)
            break;
        c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0; /* continuation byte, overlong lead, or > U+10FFFF */
        }
        if (n - i < len)
            return 0;
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        /* overlong 3/4-byte forms, surrogates, past U+10FFFF */
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return 0;
        i += len;
    }
    return 1;
}

/* 1 when p[0..n) holds only JSON whitespace. */
static int
blanks(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
            return 0;
    return 1;
}

enum a2o_err
a2o_json_try(const char *p, size_t n, cJSON **out)
{
    unsigned long before = a2o_alloc_failures();
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(p, n, &end, 0);

    if (root == NULL)
        return a2o_alloc_failures() != before ? A2O_E_NOMEM : A2O_E_BADJSON;
    if (!blanks(end, n - (size_t)(end - p))) {
        cJSON_Delete(root);
        return A2O_E_BADJSON;
    }
    *out = root;
    return A2O_E_OK;
}

enum a2o_err
a2o_json_parse(const char *p, size_t n, cJSON **out, struct a2o_diag *d)
{
    unsigned long before = a2o_alloc_failures();
    const char *end = NULL;
    cJSON *root;
    size_t i;

    if (n == 0)
        return a2o_diag_set(d, A2O_E_BADJSON, NULL, "request body is empty");
    if (!a2o_utf8_valid(p, n))
        return a2o_diag_set(d, A2O_E_BADJSON, NULL,
                            "request body is not valid UTF-8 "
                            "(or contains a NUL byte)");
    root = cJSON_ParseWithLengthOpts(p, n, &end, 0);
    if (root == NULL && a2o_alloc_failures() != before)
        return A2O_E_NOMEM;
    if (root == NULL) {
        size_t at = end != NULL && end >= p ? (size_t)(end - p) : 0;

        return a2o_diag_set(d, A2O_E_BADJSON, NULL,
                            "request body is not valid JSON "
                            "(error near byte %zu)",
                            at);
    }
    for (i = (size_t)(end - p); i < n; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') {
            cJSON_Delete(root);
            return a2o_diag_set(d, A2O_E_BADJSON, NULL,
                                "unexpected bytes after the JSON value "
                                "(at byte %zu)",
                                i);
        }
    }
    *out = root;
    return A2O_E_OK;
}

enum a2o_err
a2o_json_add_str(cJSON *obj, const char *key, const char *s)
{
    return cJSON_AddStringToObject(obj, key, s) != NULL ? A2O_E_OK
                                                        : A2O_E_NOMEM;
}

enum a2o_err
a2o_json_add_num(cJSON *obj, const char *key, double v)
{
    return cJSON_AddNumberToObject(obj, key, v) != NULL ? A2O_E_OK
                                                        : A2O_E_NOMEM;
}

enum a2o_err
a2o_json_add_bool(cJSON *obj, const char *key, int v)
{
    return cJSON_AddBoolToObject(obj, key, v) != NULL ? A2O_E_OK : A2O_E_NOMEM;
}

enum a2o_err
a2o_json_attach(cJSON *obj, const char *key, cJSON *item)
{
    if (item == NULL)
        return A2O_E_NOMEM;
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return A2O_E_NOMEM;
    }
    return A2O_E_OK;
}

enum a2o_err
a2o_json_append(cJSON *arr, cJSON *item)
{
    if (item == NULL)
        return A2O_E_NOMEM;
    if (!cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        return A2O_E_NOMEM;
    }
    return A2O_E_OK;
}
