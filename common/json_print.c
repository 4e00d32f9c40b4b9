/*
 * json_print.c: a2o_json_print, the unformatted JSON text of a cJSON tree,
 * byte for byte what cJSON_PrintUnformatted (1.7.15) writes.
 *
 * Why not cJSON's own printer: it was the largest single cost of a
 * request (half the instructions of a 200 KB one).  It walks every string
 * twice byte by byte, grows its buffer by copies through hooks that have
 * no realloc, and copies the whole text once more at the end.  This one
 * appends to the caller's a2o_buf, and a2o_buf_add_json_str
 * skips plain runs of a string eight bytes at a time and copies them
 * whole.
 *
 * The output rules, kept identical so golden files and clients see no
 * change (tests/unit/test_json.c compares both printers on every fixture
 * and on generated trees; fuzz_conf's replay does too):
 * - strings: " \ \b \f \n \r \t as two-byte escapes, every other byte
 *   below 0x20 as \u00xx in lower-case hex, all other bytes as they are
 *   (no "/" escape, no check of UTF-8); a NULL string prints as "";
 * - numbers: NaN and infinities as null; else %1.15g when it reads back
 *   within DBL_EPSILON, else %1.17g (1.7.15 does not look at valueint:
 *   -0.0 prints as -0); integers below 1e15 take a path without printf
 *   that writes the same digits;
 * - raw items verbatim (a NULL one fails, as in cJSON);
 * - no whitespace anywhere.
 */
#include "json.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"

/* Integers below this print through a2o_str_long (a long holds them). */
#if LONG_MAX > 999999999999999L
#define INT_PATH 1e15
#else
#define INT_PATH 1e9
#endif

/* One byte, written in place when there is room (the NUL is written at
 * the end, by a2o_json_print). */
static enum a2o_err
put1(struct a2o_buf *b, char c)
{
    if (b->p == NULL || b->cap - b->len < 2)
        return a2o_buf_add(b, &c, 1);
    b->p[b->len++] = c;
    return A2O_E_OK;
}

static enum a2o_err
put_string(struct a2o_buf *b, const char *s)
{
    size_t n;
    enum a2o_err err;

    if (s == NULL)
        return a2o_buf_add(b, "\"\"", 2);
    n = strlen(s);
    /* one reservation covers the common case of nothing to escape */
    err = a2o_buf_reserve(b, n + 2);
    if (err != A2O_E_OK)
        return err;
    b->p[b->len++] = '"';
    err = a2o_buf_add_json_str(b, s, n);
    return err != A2O_E_OK ? err : put1(b, '"');
}

static double
absd(double x)
{
    return x < 0 ? -x : x;
}

static enum a2o_err
put_number(struct a2o_buf *b, const cJSON *item)
{
    char tmp[32];
    double d = item->valuedouble, back;
    int n;

    if (isnan(d) || isinf(d))
        return a2o_buf_add(b, "null", 4);
    /* an integer of at most 15 digits is what %1.15g prints (-0 aside) */
    if (d > -INT_PATH && d < INT_PATH && d == (double)(long)d &&
        (d != 0 || !signbit(d)))
        return a2o_buf_add(b, tmp, a2o_str_long(tmp, (long)d));
    n = snprintf(tmp, sizeof tmp, "%1.15g", d);
    back = strtod(tmp, NULL);
    if (absd(back - d) >
        (absd(back) > absd(d) ? absd(back) : absd(d)) * DBL_EPSILON)
        n = snprintf(tmp, sizeof tmp, "%1.17g", d);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return A2O_E_INTERNAL;
    return a2o_buf_add(b, tmp, (size_t)n);
}

static enum a2o_err put_value(struct a2o_buf *b, const cJSON *item);

/* The children of an array or object between open and close. */
/* The children of an array or object between open and close. */
static enum a2o_err
put_children(struct a2o_buf *b, const cJSON *item, char open, char close)
{
    const cJSON *c;
    enum a2o_err err = put1(b, open);

    for (c = item->child; c != NULL && err == A2O_E_OK; c = c->next) {
        if (c != item->child)
            err = put1(b, ',');
        if (err == A2O_E_OK && open == '{') {
            err = put_string(b, c->string);
            if (err == A2O_E_OK)
                err = put1(b, ':');
        }
        if (err == A2O_E_OK)
            err = put_value(b, c);
    }
    return err != A2O_E_OK ? err : put1(b, close);
}

static enum a2o_err
put_value(struct a2o_buf *b, const cJSON *item)
{
    switch (item->type & 0xff) {
    case cJSON_NULL:
        return a2o_buf_add(b, "null", 4);
    case cJSON_False:
        return a2o_buf_add(b, "false", 5);
    case cJSON_True:
        return a2o_buf_add(b, "true", 4);
    case cJSON_Number:
        return put_number(b, item);
    case cJSON_String:
        return put_string(b, item->valuestring);
    case cJSON_Raw:
        if (item->valuestring == NULL)
            return A2O_E_INTERNAL;
        return a2o_buf_adds(b, item->valuestring);
    case cJSON_Array:
        return put_children(b, item, '[', ']');
    case cJSON_Object:
        return put_children(b, item, '{', '}');
    default:
        return A2O_E_INTERNAL; /* cJSON_Invalid */
    }
}

enum a2o_err
a2o_json_print(const cJSON *item, struct a2o_buf *b)
{
    /* NULL is what a failed cJSON_Create* left */
    enum a2o_err err = item != NULL ? put_value(b, item) : A2O_E_NOMEM;

    if (err != A2O_E_OK)
        a2o_buf_free(b);
    else
        b->p[b->len] = '\0'; /* put1 leaves it out */
    return err;
}

char *
a2o_json_print_sized(const cJSON *item, size_t hint, size_t *n)
{
    struct a2o_buf b;

    a2o_buf_init(&b, (size_t)-1 / 2);
    /* without room for the hint the buffer grows as it would anyway */
    if (hint > 0)
        (void)a2o_buf_reserve(&b, hint);
    if (a2o_json_print(item, &b) != A2O_E_OK)
        return NULL;
    return a2o_buf_detach(&b, n);
}

char *
a2o_json_print_str(const cJSON *item, size_t *n)
{
    return a2o_json_print_sized(item, 0, n);
}
