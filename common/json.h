/*
 * json.h: cJSON helpers used across common/.
 *
 * All lookups are case-sensitive (plain cJSON_GetObjectItem is not, and
 * "Content" must not pass for "content").  Nothing here mutates an input
 * tree.  Allocation goes through cJSON's hooks.
 */
#ifndef A2O_JSON_H
#define A2O_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"

/* obj[key] when obj is an object, else NULL. */
const cJSON *a2o_json_get(const cJSON *obj, const char *key);

/* obj[key] when it is a string, else NULL. */
const char *a2o_json_str(const cJSON *obj, const char *key);

/*
 * Provided by the program that links common/ (fcgi/arena.c, the tests'
 * tests/lib/harness.c): how many allocations through its cJSON hooks
 * have failed so far in this thread.  cJSON returns NULL both for bad
 * text and for a failed allocation; the count before and after a parse
 * tells which, and common/ keeps no state of its own for it.
 */
unsigned long a2o_alloc_failures(void);

/*
 * Parses one JSON value at the start of p[0..n) (no UTF-8 check), as
 * cJSON_ParseWithLengthOpts does: *out a new tree (cJSON_Delete), *end
 * just past the value, whatever follows it.  A2O_E_OK, A2O_E_BADJSON
 * (*out NULL), A2O_E_NOMEM.
 */
enum a2o_err a2o_json_value(const char *p, size_t n, cJSON **out,
                            const char **end);

/*
 * Parses exactly n bytes as one JSON value with only whitespace after
 * it (no UTF-8 check).  A2O_E_OK with *out a new tree (cJSON_Delete),
 * A2O_E_BADJSON when the text is not JSON, A2O_E_NOMEM when an
 * allocation failed.
 */
enum a2o_err a2o_json_try(const char *p, size_t n, cJSON **out);

/*
 * Parses exactly n bytes of JSON: the whole input must be one value with
 * only whitespace after it, valid UTF-8 (no NUL bytes), nested at most
 * cJSON's CJSON_NESTING_LIMIT (1000) deep.  On success *out is a new tree
 * the caller frees with cJSON_Delete().  Errors: A2O_E_BADJSON (d->msg says
 * where: byte offset), A2O_E_NOMEM.
 */
enum a2o_err a2o_json_parse(const char *p, size_t n, cJSON **out,
                            struct a2o_diag *d);

/* 1 when p[0..n) is valid UTF-8 with no NUL byte and no surrogates. */
int a2o_utf8_valid(const char *p, size_t n);

/*
 * Appends the unformatted JSON text of item to b, the same bytes as
 * cJSON_PrintUnformatted (common/json_print.c says which).  Errors:
 * A2O_E_NOMEM (also for a NULL item, what a failed create leaves),
 * A2O_E_TOOBIG (b's cap), A2O_E_INTERNAL (an invalid or NULL raw item).
 * On error b is freed, as with a2o_buf_add.
 */
enum a2o_err a2o_json_print(const cJSON *item, struct a2o_buf *b);

/*
 * The same text in a new string (free with cJSON_free), its length in *n
 * when n is not NULL; NULL on any error.  A drop-in for
 * cJSON_PrintUnformatted.
 */
char *a2o_json_print_str(const cJSON *item, size_t *n);

/*
 * The same, into a buffer of hint bytes from the start (the size the
 * caller expects; 0 for none): a large text is then written once, not
 * copied at every doubling, and its pages are touched once.
 */
char *a2o_json_print_sized(const cJSON *item, size_t hint, size_t *n);

/*
 * Adders that return A2O_E_NOMEM instead of NULL.  On failure obj is
 * unchanged (cJSON_Add*ToObject deletes its own item).
 */
enum a2o_err a2o_json_add_str(cJSON *obj, const char *key, const char *s);
enum a2o_err a2o_json_add_num(cJSON *obj, const char *key, double v);
enum a2o_err a2o_json_add_bool(cJSON *obj, const char *key, int v);

/* Attaches item to obj under key; on failure deletes item.  item may be
 * NULL (then A2O_E_NOMEM, as it came from a failed create). */
enum a2o_err a2o_json_attach(cJSON *obj, const char *key, cJSON *item);

/* Appends item to arr; on failure deletes item.  item may be NULL. */
enum a2o_err a2o_json_append(cJSON *arr, cJSON *item);

/*
 * Builders that take what they are handed, so that a caller never tracks
 * half-built items: on failure they return NULL and free it.
 */

/* A new string item with b's contents (a copy of exactly the right size);
 * b is reset, keeping its allocation for the next text.  NULL: no
 * memory. */
cJSON *a2o_json_str_take(struct a2o_buf *b);

/* A new string item that owns s, text a2o_json_print_str or
 * a2o_buf_detach returned (allocated through cJSON's hooks), without a
 * copy.  NULL (s freed) on allocation failure; NULL when s is NULL. */
cJSON *a2o_json_str_own(char *s);

/* A new object {key: child}; NULL (child freed) on allocation failure.
 * child may be NULL (a failed create): then NULL. */
cJSON *a2o_json_obj1(const char *key, cJSON *child);

#endif
