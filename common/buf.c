/*
 * buf.c: bounded byte buffer.  Growth doubles (so appends are amortised
 * O(1) and a 2 MB body is not copied quadratically); cJSON's hooks have no
 * realloc, so growth is malloc + memcpy + free.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "str.h"

#define MIN_CAP 256

void
a2o_buf_init(struct a2o_buf *b, size_t max)
{
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void
a2o_buf_free(struct a2o_buf *b)
{
    cJSON_free(b->p);
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
}

void
a2o_buf_reset(struct a2o_buf *b)
{
    b->len = 0;
    if (b->p != NULL)
        b->p[0] = '\0';
}

/* Makes room for n more bytes plus the NUL. */
static enum a2o_err
grow(struct a2o_buf *b, size_t n)
{
    size_t need, cap;
    char *p;

    if (n > b->max || b->len > b->max - n) {
        a2o_buf_free(b);
        return A2O_E_TOOBIG;
    }
    need = b->len + n + 1;
    if (need <= b->cap)
        return A2O_E_OK;
    cap = b->cap < MIN_CAP ? MIN_CAP : b->cap;
    while (cap < need)
        cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
    /* never allocate far past the cap the caller asked for */
    if (cap > b->max + 1 && need <= b->max + 1)
        cap = b->max + 1;
    p = cJSON_malloc(cap);
    if (p == NULL) {
        a2o_buf_free(b);
        return A2O_E_NOMEM;
    }
    if (b->len > 0)
        memcpy(p, b->p, b->len);
    p[b->len] = '\0';
    cJSON_free(b->p);
    b->p = p;
    b->cap = cap;
    return A2O_E_OK;
}

enum a2o_err
a2o_buf_reserve(struct a2o_buf *b, size_t n)
{
    return grow(b, n);
}

enum a2o_err
a2o_buf_add(struct a2o_buf *b, const void *p, size_t n)
{
    enum a2o_err err = grow(b, n);

    if (err != A2O_E_OK)
        return err;
    if (n > 0)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return A2O_E_OK;
}

enum a2o_err
a2o_buf_adds(struct a2o_buf *b, const char *s)
{
    return a2o_buf_add(b, s, strlen(s));
}

enum a2o_err
a2o_buf_join(struct a2o_buf *b, const char *sep, const char *s, size_t n)
{
    enum a2o_err err = A2O_E_OK;

    if (b->len > 0)
        err = a2o_buf_adds(b, sep);
    if (err == A2O_E_OK)
        err = a2o_buf_add(b, s, n);
    return err;
}

enum a2o_err
a2o_buf_addf(struct a2o_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n;
    enum a2o_err err;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return A2O_E_INTERNAL;
    if ((size_t)n < sizeof(small))
        return a2o_buf_add(b, small, (size_t)n);
    err = grow(b, (size_t)n);
    if (err != A2O_E_OK)
        return err;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return A2O_E_OK;
}

/* Writes the escape of byte c at o (room for 6); returns its length. */
static size_t
put_escape(char *o, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    static const char two[] = "btn\0fr"; /* \b \t \n, -, \f \r by c - 8 */

    o[0] = '\\';
    if (c == '"' || c == '\\') {
        o[1] = (char)c;
        return 2;
    }
    if (c >= '\b' && c <= '\r' && c != '\v') {
        o[1] = two[c - '\b'];
        return 2;
    }
    o[1] = 'u';
    o[2] = '0';
    o[3] = '0';
    o[4] = hex[c >> 4];
    o[5] = hex[c & 15];
    return 6;
}

enum a2o_err
a2o_buf_add_json_str(struct a2o_buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0;
    enum a2o_err err;

    /* room for all of it unescaped; each escape makes room for itself
     * and the rest again, so runs and escapes are written in place and
     * the cap is met exactly */
    err = grow(b, n);
    if (err != A2O_E_OK)
        return err;
    for (;;) {
        i += a2o_str_span_json(str + i, n - i);
        memcpy(b->p + b->len, s + run, i - run);
        b->len += i - run;
        if (i == n)
            break;
        {
            char e[6];
            size_t en = put_escape(e, s[i]);

            /* the escape and the rest unescaped, and the NUL */
            if (b->cap - b->len < en + (n - i - 1) + 1) {
                err = grow(b, en + (n - i - 1));
                if (err != A2O_E_OK)
                    return err;
            }
            memcpy(b->p + b->len, e, en);
            b->len += en;
        }
        run = ++i;
    }
    b->p[b->len] = '\0';
    return A2O_E_OK;
}

char *
a2o_buf_detach(struct a2o_buf *b, size_t *n)
{
    char *p = b->p;

    if (p == NULL) {
        p = cJSON_malloc(1);
        if (p == NULL)
            return NULL;
        p[0] = '\0';
    }
    if (n != NULL)
        *n = b->len;
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
