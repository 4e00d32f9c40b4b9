/*
 * schema.c: tool input_schema cleaning (common/README.md §7, schema.h).
 *
 * The input is walked as JSON Schema, not as JSON: at each schema object
 * the keywords are known, so the sub-schemas are too (properties values,
 * items, anyOf members, ...).  Names inside a properties map are data and
 * never cleaned: a tool parameter called "format", "title" or
 * "additionalProperties" survives every profile.  Values of data keywords
 * (enum, const, default, examples, required) are copied untouched.
 *
 * Every node is first copied with the profile's keyword deletions and its
 * sub-schemas cleaned (bottom-up), then rewritten in place on that copy
 * (ours, so the caller's tree is never modified):
 *
 *   profile  rules
 *   none     copy
 *   seed     delete $schema, additionalProperties; delete format on
 *            strings unless date-time or enum (the original project)
 *   gemini   delete $schema $id $anchor $comment additionalProperties
 *            propertyNames patternProperties unevaluatedProperties
 *            default examples title; format on strings only date-time
 *            or enum; exclusiveMinimum/Maximum -> minimum/maximum (n+1,
 *            n-1 for integers; draft-4 booleans too); const v -> enum
 *            [v]; prefixItems or tuple items -> items; $ref inlined
 *            (bounded, cycles cut) and $defs/definitions dropped; type
 *            [X, "null"] -> X + nullable; anyOf/oneOf [X, {type:null}]
 *            -> X + nullable
 *
 * Depth is bounded (SCHEMA_DEPTH) so a hostile schema cannot exhaust the
 * stack; past it the request fails with a clear 400.
 */
#include "schema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define SCHEMA_DEPTH 64 /* nested schema objects, $ref expansions included */
#define REF_DEPTH 16    /* $ref expansions along one path */

struct ctx {
    const cJSON *root; /* the whole input, for $ref lookup */
    enum a2o_schema_profile p;
    const char *refs[REF_DEPTH]; /* $refs being expanded (cycle check) */
    int nrefs;
    int too_deep; /* set when SCHEMA_DEPTH was hit */
};

/*
 * The keywords cleaning knows: what their value holds (a map of name ->
 * schema, whose names are data; one schema; an array of schemas) and
 * which profiles delete them.  Seed deletes what gemini deletes only for
 * $schema and additionalProperties; gemini's list is the keywords its
 * endpoint rejects (theopenco/llmgateway#1763, MadAppGang/claudish#234).
 * One look per key (kw_of): the first byte sorts out nearly every
 * candidate before a strcmp, where a search of five lists cost some
 * twenty strcmp calls for every "type" and "description".
 */
enum { KW_DATA, KW_MAP, KW_ONE, KW_LIST };
#define DROP_SEED 1
#define DROP_GEMINI 2

struct kw {
    const char *name;
    unsigned char holds; /* KW_* */
    unsigned char drop;  /* DROP_* */
};

static const struct kw keywords[] = {
    {"$anchor", KW_DATA, DROP_GEMINI},
    {"$comment", KW_DATA, DROP_GEMINI},
    {"$defs", KW_MAP, DROP_GEMINI},
    {"$id", KW_DATA, DROP_GEMINI},
    {"$schema", KW_DATA, DROP_SEED | DROP_GEMINI},
    {"additionalItems", KW_ONE, 0},
    {"additionalProperties", KW_ONE, DROP_SEED | DROP_GEMINI},
    {"allOf", KW_LIST, 0},
    {"anyOf", KW_LIST, 0},
    {"contains", KW_ONE, 0},
    {"contentSchema", KW_ONE, 0},
    {"default", KW_DATA, DROP_GEMINI},
    {"definitions", KW_MAP, DROP_GEMINI},
    {"dependentSchemas", KW_MAP, 0},
    {"else", KW_ONE, 0},
    {"examples", KW_DATA, DROP_GEMINI},
    {"if", KW_ONE, 0},
    {"items", KW_ONE, 0}, /* an array of schemas when it is an array */
    {"not", KW_ONE, 0},
    {"oneOf", KW_LIST, 0},
    {"patternProperties", KW_MAP, DROP_GEMINI},
    {"prefixItems", KW_LIST, 0},
    {"properties", KW_MAP, 0},
    {"propertyNames", KW_ONE, DROP_GEMINI},
    {"then", KW_ONE, 0},
    {"title", KW_DATA, DROP_GEMINI},
    {"unevaluatedItems", KW_ONE, 0},
    {"unevaluatedProperties", KW_ONE, DROP_GEMINI},
};

/* The entry of keyword k, or NULL for any other key (data, kept). */
static const struct kw *
kw_of(const char *k)
{
    size_t i;

    for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
        if (keywords[i].name[0] == k[0] && strcmp(keywords[i].name, k) == 0)
            return &keywords[i];
    return NULL;
}

static enum a2o_err clean_node(const cJSON *in, struct ctx *x, int depth,
                               cJSON **out);

/* Cleans a value that should be a schema: objects are cleaned, anything
 * else (true/false schemas, odd values) copied as is. */
static enum a2o_err
clean_any(const cJSON *in, struct ctx *x, int depth, cJSON **out)
{
    if (cJSON_IsObject(in))
        return clean_node(in, x, depth, out);
    *out = cJSON_Duplicate(in, 1);
    return *out != NULL ? A2O_E_OK : A2O_E_NOMEM;
}

/* A map of name -> schema: names kept verbatim, values cleaned. */
static enum a2o_err
clean_map(const cJSON *in, struct ctx *x, int depth, cJSON **out)
{
    cJSON *o;
    const cJSON *it;
    enum a2o_err err;

    if (!cJSON_IsObject(in))
        return clean_any(in, x, depth, out);
    o = cJSON_CreateObject();
    if (o == NULL)
        return A2O_E_NOMEM;
    cJSON_ArrayForEach(it, in)
    {
        cJSON *v;

        err = clean_any(it, x, depth + 1, &v);
        if (err == A2O_E_OK)
            err = a2o_json_attach(o, it->string, v);
        if (err != A2O_E_OK) {
            cJSON_Delete(o);
            return err;
        }
    }
    *out = o;
    return A2O_E_OK;
}

/* An array of schemas. */
static enum a2o_err
clean_list(const cJSON *in, struct ctx *x, int depth, cJSON **out)
{
    cJSON *a;
    const cJSON *it;
    enum a2o_err err;

    if (!cJSON_IsArray(in))
        return clean_any(in, x, depth, out);
    a = cJSON_CreateArray();
    if (a == NULL)
        return A2O_E_NOMEM;
    cJSON_ArrayForEach(it, in)
    {
        cJSON *v;

        err = clean_any(it, x, depth + 1, &v);
        if (err == A2O_E_OK)
            err = a2o_json_append(a, v);
        if (err != A2O_E_OK) {
            cJSON_Delete(a);
            return err;
        }
    }
    *out = a;
    return A2O_E_OK;
}

/* 1 when the node's "type" is (or includes) t. */
static int
has_type(const cJSON *node, const char *t)
{
    const cJSON *ty = a2o_json_get(node, "type"), *it;

    if (cJSON_IsString(ty))
        return strcmp(ty->valuestring, t) == 0;
    if (!cJSON_IsArray(ty))
        return 0;
    cJSON_ArrayForEach(it, ty) if (cJSON_IsString(it) &&
                                   strcmp(it->valuestring, t) == 0) return 1;
    return 0;
}

/* Formats a string may keep: what Gemini's OpenAPI subset accepts, which
 * the seed also used for every upstream. */
static int
format_kept(const cJSON *f)
{
    return cJSON_IsString(f) && (strcmp(f->valuestring, "date-time") == 0 ||
                                 strcmp(f->valuestring, "enum") == 0);
}

/*
 * Resolves a local JSON pointer ("#/$defs/Name", "#/definitions/A/B",
 * "#") against root.  ~0 and ~1 escapes and %-free names only: external
 * or URL-encoded references are not resolved (then NULL).
 */
static const cJSON *
resolve(const cJSON *root, const char *ref)
{
    const cJSON *cur = root;
    const char *p;
    char name[256];

    if (ref[0] != '#')
        return NULL;
    p = ref + 1;
    while (*p == '/') {
        size_t n = 0;

        for (p++; *p != '\0' && *p != '/'; p++) {
            char ch = *p;

            if (ch == '~' && (p[1] == '0' || p[1] == '1')) {
                ch = p[1] == '0' ? '~' : '/';
                p++;
            }
            if (n + 1 >= sizeof(name))
                return NULL;
            name[n++] = ch;
        }
        name[n] = '\0';
        if (cJSON_IsObject(cur)) {
            cur = cJSON_GetObjectItemCaseSensitive(cur, name);
        } else if (cJSON_IsArray(cur)) {
            char *end;
            long i = strtol(name, &end, 10);

            cur = (*end == '\0' && n > 0) ? cJSON_GetArrayItem(cur, (int)i)
                                          : NULL;
        } else {
            cur = NULL;
        }
        if (cur == NULL)
            return NULL;
    }
    return *p == '\0' ? cur : NULL;
}

/*
 * Moves every key of from that to lacks into to, then deletes from.
 * Relinks the nodes (cJSON_AddItemToArray keeps an item's key), so it
 * cannot fail: no allocation.
 */
static void
merge_into(cJSON *to, cJSON *from)
{
    cJSON *it = from->child;

    while (it != NULL) {
        cJSON *next = it->next;

        if (a2o_json_get(to, it->string) == NULL) {
            cJSON_DetachItemViaPointer(from, it);
            cJSON_AddItemToArray(to, it);
        }
        it = next;
    }
    cJSON_Delete(from);
}

/* Replaces (or adds) key in o with a number; A2O_E_NOMEM on failure. */
static enum a2o_err
put_num(cJSON *o, const char *key, double v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    return a2o_json_add_num(o, key, v);
}

/*
 * exclusiveMinimum / exclusiveMaximum -> minimum / maximum.  Gemini takes
 * only the inclusive forms.  For integers the bound moves by one, which
 * is exact; for numbers the inclusive bound is the closest it can say.
 * Draft 4 wrote {"minimum": m, "exclusiveMinimum": true}.  When both an
 * inclusive and an exclusive bound exist, the stricter one wins.
 */
static enum a2o_err
fix_exclusive(cJSON *o, const char *ex, const char *inc, int dir)
{
    cJSON *e = cJSON_GetObjectItemCaseSensitive(o, ex);
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(o, inc);
    int integer = has_type(o, "integer");
    double v;

    if (e == NULL)
        return A2O_E_OK;
    if (cJSON_IsNumber(e)) {
        v = e->valuedouble + (integer ? dir : 0);
        if (integer)
            v = dir > 0 ? floor(e->valuedouble) + 1 : ceil(e->valuedouble) - 1;
        if (cJSON_IsNumber(i) &&
            (dir > 0 ? i->valuedouble > v : i->valuedouble < v))
            v = i->valuedouble;
        cJSON_DeleteItemFromObjectCaseSensitive(o, ex);
        return put_num(o, inc, v);
    }
    if (cJSON_IsTrue(e) && cJSON_IsNumber(i) && integer) {
        v = dir > 0 ? floor(i->valuedouble) + 1 : ceil(i->valuedouble) - 1;
        cJSON_DeleteItemFromObjectCaseSensitive(o, ex);
        return put_num(o, inc, v);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(o, ex);
    return A2O_E_OK;
}

/* const v -> enum [v] (Gemini has no const). */
static enum a2o_err
fix_const(cJSON *o)
{
    cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "const");
    cJSON *arr;

    if (c == NULL)
        return A2O_E_OK;
    arr = cJSON_CreateArray();
    if (arr == NULL)
        return A2O_E_NOMEM;
    cJSON_DetachItemViaPointer(o, c);
    cJSON_AddItemToArray(arr, c); /* relink: cannot fail */
    cJSON_DeleteItemFromObjectCaseSensitive(o, "enum");
    return a2o_json_attach(o, "enum", arr);
}

/*
 * prefixItems [A, B] (2020-12) or tuple items [A, B] (draft 4) -> one
 * items schema: the single member, or anyOf of all members (Gemini's
 * items is one schema).  A following items/additionalItems schema joins
 * the anyOf.
 */
static enum a2o_err
fix_tuple(cJSON *o)
{
    cJSON *pre = cJSON_GetObjectItemCaseSensitive(o, "prefixItems");
    cJSON *items = cJSON_GetObjectItemCaseSensitive(o, "items");
    cJSON *extra = NULL, *tuple, *wrap;

    if (cJSON_IsArray(pre)) {
        tuple = cJSON_DetachItemViaPointer(o, pre);
        if (items != NULL && !cJSON_IsArray(items))
            extra = cJSON_DetachItemViaPointer(o, items);
    } else if (cJSON_IsArray(items)) {
        tuple = cJSON_DetachItemViaPointer(o, items);
        extra = cJSON_DetachItemFromObjectCaseSensitive(o, "additionalItems");
    } else {
        return A2O_E_OK;
    }
    if (cJSON_IsObject(extra))
        cJSON_AddItemToArray(tuple, extra);
    else
        cJSON_Delete(extra); /* true/false: no schema to add */
    cJSON_DeleteItemFromObjectCaseSensitive(o, "items");
    if (cJSON_GetArraySize(tuple) == 0) {
        cJSON_Delete(tuple);
        return A2O_E_OK;
    }
    if (cJSON_GetArraySize(tuple) == 1) {
        cJSON *only = cJSON_DetachItemFromArray(tuple, 0);

        cJSON_Delete(tuple);
        return a2o_json_attach(o, "items", only);
    }
    wrap = cJSON_CreateObject();
    if (wrap == NULL) {
        cJSON_Delete(tuple);
        return A2O_E_NOMEM;
    }
    if (a2o_json_attach(wrap, "anyOf", tuple) != A2O_E_OK) {
        cJSON_Delete(wrap);
        return A2O_E_NOMEM;
    }
    return a2o_json_attach(o, "items", wrap);
}

/* 1 for {"type": "null"} (other annotations allowed). */
static int
is_null_schema(const cJSON *s)
{
    const char *t = a2o_json_str(s, "type");

    return t != NULL && strcmp(t, "null") == 0;
}

/*
 * type [X, "null"] -> type X + nullable (OpenAPI 3.0, which Gemini's
 * schema follows).  Several non-null types become anyOf of each type.
 */
static enum a2o_err
fix_type_list(cJSON *o)
{
    cJSON *ty = cJSON_GetObjectItemCaseSensitive(o, "type"), *it, *next;
    int nulls = 0, rest;

    if (!cJSON_IsArray(ty))
        return A2O_E_OK;
    for (it = ty->child; it != NULL; it = next) {
        next = it->next;
        if (cJSON_IsString(it) && strcmp(it->valuestring, "null") == 0) {
            cJSON_Delete(cJSON_DetachItemViaPointer(ty, it));
            nulls++;
        }
    }
    rest = cJSON_GetArraySize(ty);
    if (nulls > 0 && a2o_json_add_bool(o, "nullable", 1) != A2O_E_OK)
        return A2O_E_NOMEM;
    if (rest == 1) {
        cJSON *only = cJSON_DetachItemFromArray(ty, 0);

        cJSON_DeleteItemFromObjectCaseSensitive(o, "type");
        return a2o_json_attach(o, "type", only);
    }
    if (rest == 0) {
        cJSON_DeleteItemFromObjectCaseSensitive(o, "type");
        return A2O_E_OK;
    }
    /* ["string", "integer"]: anyOf [{type: string}, {type: integer}] */
    {
        cJSON *any = cJSON_CreateArray();

        if (any == NULL)
            return A2O_E_NOMEM;
        while (ty->child != NULL) {
            cJSON *t = cJSON_DetachItemFromArray(ty, 0);
            cJSON *w = cJSON_CreateObject();

            if (w == NULL) {
                cJSON_Delete(t);
                cJSON_Delete(any);
                return A2O_E_NOMEM;
            }
            /* attach deletes t on failure, append deletes w */
            if (a2o_json_attach(w, "type", t) != A2O_E_OK) {
                cJSON_Delete(w);
                cJSON_Delete(any);
                return A2O_E_NOMEM;
            }
            if (a2o_json_append(any, w) != A2O_E_OK) {
                cJSON_Delete(any);
                return A2O_E_NOMEM;
            }
        }
        cJSON_DeleteItemFromObjectCaseSensitive(o, "type");
        if (a2o_json_get(o, "anyOf") != NULL) {
            cJSON_Delete(any); /* an anyOf already says it */
            return A2O_E_OK;
        }
        return a2o_json_attach(o, "anyOf", any);
    }
}

/*
 * anyOf/oneOf [X, {type: null}] -> X merged into the node + nullable.
 * Keys already on the node (a description) win over X's.
 */
static enum a2o_err
fix_nullable_union(cJSON *o, const char *key)
{
    cJSON *u = cJSON_GetObjectItemCaseSensitive(o, key), *it, *next;
    int nulls = 0;

    if (!cJSON_IsArray(u))
        return A2O_E_OK;
    for (it = u->child; it != NULL; it = next) {
        next = it->next;
        if (is_null_schema(it)) {
            cJSON_Delete(cJSON_DetachItemViaPointer(u, it));
            nulls++;
        }
    }
    if (nulls == 0)
        return A2O_E_OK;
    if (a2o_json_get(o, "nullable") == NULL &&
        a2o_json_add_bool(o, "nullable", 1) != A2O_E_OK)
        return A2O_E_NOMEM;
    if (cJSON_GetArraySize(u) == 1 && cJSON_IsObject(u->child)) {
        cJSON *only = cJSON_DetachItemFromArray(u, 0);

        cJSON_DeleteItemFromObjectCaseSensitive(o, key);
        merge_into(o, only);
    } else if (cJSON_GetArraySize(u) == 0) {
        cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    }
    return A2O_E_OK;
}

/* format on strings: only date-time and enum survive. */
static void
fix_format(cJSON *o)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "format");

    if (f != NULL && has_type(o, "string") && !format_kept(f))
        cJSON_DeleteItemFromObjectCaseSensitive(o, "format");
}

/* The Gemini rewrites on a cleaned copy (sub-schemas already done). */
static enum a2o_err
gemini_fix(cJSON *o)
{
    enum a2o_err err;

    err = fix_const(o);
    if (err == A2O_E_OK)
        err = fix_tuple(o);
    if (err == A2O_E_OK)
        err = fix_type_list(o);
    if (err == A2O_E_OK)
        err = fix_nullable_union(o, "anyOf");
    if (err == A2O_E_OK)
        err = fix_nullable_union(o, "oneOf");
    /* after the type fixes: "integer" may only now be a plain type */
    if (err == A2O_E_OK)
        err = fix_exclusive(o, "exclusiveMinimum", "minimum", 1);
    if (err == A2O_E_OK)
        err = fix_exclusive(o, "exclusiveMaximum", "maximum", -1);
    if (err == A2O_E_OK)
        fix_format(o);
    return err;
}

/*
 * Gemini: a node with "$ref" becomes the cleaned target with the node's
 * own keys on top (a description next to $ref wins).  A reference that
 * is already being expanded on this path (a cycle), or past REF_DEPTH,
 * is cut to {"type": <target's type>} so the schema stays finite.
 */
static enum a2o_err
inline_ref(cJSON *o, const char *ref, struct ctx *x, int depth)
{
    const cJSON *target = resolve(x->root, ref);
    cJSON *t = NULL;
    enum a2o_err err;
    int i;

    if (!cJSON_IsObject(target))
        return A2O_E_OK; /* external or broken: only the siblings stay */
    for (i = 0; i < x->nrefs; i++)
        if (strcmp(x->refs[i], ref) == 0)
            break;
    if (i < x->nrefs || x->nrefs == REF_DEPTH) {
        const cJSON *ty = a2o_json_get(target, "type");

        if (ty == NULL || a2o_json_get(o, "type") != NULL)
            return A2O_E_OK;
        return a2o_json_attach(o, "type", cJSON_Duplicate(ty, 1));
    }
    x->refs[x->nrefs++] = ref;
    err = clean_node(target, x, depth + 1, &t);
    x->nrefs--;
    if (err != A2O_E_OK)
        return err;
    merge_into(o, t);
    return A2O_E_OK;
}

static enum a2o_err
clean_node(const cJSON *in, struct ctx *x, int depth, cJSON **out)
{
    const cJSON *it;
    const char *ref = NULL;
    cJSON *o;
    enum a2o_err err = A2O_E_OK;

    if (depth > SCHEMA_DEPTH) {
        x->too_deep = 1;
        return A2O_E_BADREQ;
    }
    o = cJSON_CreateObject();
    if (o == NULL)
        return A2O_E_NOMEM;
    cJSON_ArrayForEach(it, in)
    {
        const char *k = it->string;
        const struct kw *w = x->p == A2O_SCHEMA_NONE ? NULL : kw_of(k);
        int holds = w != NULL ? w->holds : KW_DATA;
        cJSON *v = NULL;

        if (x->p == A2O_SCHEMA_GEMINI) {
            if (w != NULL && (w->drop & DROP_GEMINI))
                continue;
            if (strcmp(k, "$ref") == 0) {
                /* Gemini rejects every $ref: a string one is inlined,
                 * any other (malformed) one just goes */
                if (cJSON_IsString(it))
                    ref = it->valuestring;
                continue;
            }
        } else if (x->p == A2O_SCHEMA_SEED && w != NULL &&
                   (w->drop & DROP_SEED)) {
            continue;
        }
        if (holds == KW_ONE && cJSON_IsArray(it) && strcmp(k, "items") == 0)
            holds = KW_LIST; /* tuple form */
        if (holds == KW_MAP)
            err = clean_map(it, x, depth, &v);
        else if (holds == KW_LIST)
            err = clean_list(it, x, depth, &v);
        else if (holds == KW_ONE)
            err = clean_any(it, x, depth + 1, &v);
        else
            v = cJSON_Duplicate(it, 1);
        if (err == A2O_E_OK)
            err = a2o_json_attach(o, k, v);
        if (err != A2O_E_OK)
            goto fail;
    }
    if (ref != NULL) {
        err = inline_ref(o, ref, x, depth);
        if (err != A2O_E_OK)
            goto fail;
    }
    if (x->p == A2O_SCHEMA_GEMINI)
        err = gemini_fix(o);
    else if (x->p == A2O_SCHEMA_SEED)
        fix_format(o);
    if (err != A2O_E_OK)
        goto fail;
    *out = o;
    return A2O_E_OK;
fail:
    cJSON_Delete(o);
    return err;
}

enum a2o_err
a2o_schema_clean(const cJSON *schema, enum a2o_schema_profile p, cJSON **out,
                 struct a2o_diag *d)
{
    struct ctx x;
    cJSON *o = NULL;
    enum a2o_err err;

    if (!cJSON_IsObject(schema))
        return a2o_diag_set(d, A2O_E_BADREQ, "input_schema",
                            "expected a JSON Schema object");
    memset(&x, 0, sizeof(x));
    x.root = schema;
    x.p = p;
    err = clean_node(schema, &x, 0, &o);
    if (err == A2O_E_BADREQ && x.too_deep)
        return a2o_diag_set(d, A2O_E_BADREQ, "input_schema",
                            "schema nested deeper than %d levels",
                            SCHEMA_DEPTH);
    if (err != A2O_E_OK)
        return err;
    *out = o;
    return A2O_E_OK;
}
