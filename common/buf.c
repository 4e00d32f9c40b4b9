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

enum a2o_err
a2o_buf_add_json_str(struct a2o_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0;
    enum a2o_err err;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];
        size_t en;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        /* flush the plain run before this byte */
        err = a2o_buf_add(b, s + run, i - run);
        if (err != A2O_E_OK)
            return err;
        esc[0] = '\\';
        en = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            en = 6;
            break;
        }
        err = a2o_buf_add(b, esc, en);
        if (err != A2O_E_OK)
            return err;
        run = i + 1;
    }
    return a2o_buf_add(b, s + run, n - run);
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
