/*
 * json.c: typed, case-sensitive access to cJSON trees and OOM-honest
 * adders (parsing: json_parse.c, printing: json_print.c).
 */
#include "json.h"

#include <string.h>

const cJSON *
a2o_json_get(const cJSON *obj, const char *key)
{
    const cJSON *it;

    if (!cJSON_IsObject(obj))
        return NULL;
    /* cJSON_GetObjectItemCaseSensitive's search, the first member of that
     * name, with the first byte compared before strcmp: a request does
     * some sixty lookups, most of them past members of other names */
    for (it = obj->child; it != NULL; it = it->next)
        if (it->string != NULL && it->string[0] == key[0] &&
            strcmp(it->string, key) == 0)
            return it;
    return NULL;
}

const char *
a2o_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = a2o_json_get(obj, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
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

cJSON *
a2o_json_str_take(struct a2o_buf *b)
{
    cJSON *item = cJSON_CreateString(b->p != NULL ? b->p : "");

    /* a copy of exactly the right size: the buffer keeps its capacity
     * for the next block instead of growing again from nothing */
    a2o_buf_reset(b);
    return item;
}

cJSON *
a2o_json_str_own(char *s)
{
    cJSON *item;

    if (s == NULL)
        return NULL;
    item = cJSON_CreateNull();
    if (item == NULL) {
        cJSON_free(s);
        return NULL;
    }
    /* NOTE: a plain (non-reference) string item owns valuestring and
     * cJSON_Delete frees it with the same hooks that allocated s. */
    item->type = cJSON_String;
    item->valuestring = s;
    return item;
}

cJSON *
a2o_json_obj1(const char *key, cJSON *child)
{
    cJSON *o;

    if (child == NULL)
        return NULL;
    o = cJSON_CreateObject();
    if (o == NULL) {
        cJSON_Delete(child);
        return NULL;
    }
    if (a2o_json_attach(o, key, child) != A2O_E_OK) { /* freed child */
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}
