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

/* Any byte of w below 0x20, or '"', or '\\' (exact for "any"). */
static int
word_needs_esc(unsigned long long w)
{
    const unsigned long long ones = 0x0101010101010101ULL;
    const unsigned long long high = 0x8080808080808080ULL;
    unsigned long long q = w ^ (ones * '"'), s = w ^ (ones * '\\');

    return ((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((s - ones) & ~s)) &
            high) != 0;
}

/* The escape of a byte that a JSON string cannot carry as it is. */
static enum a2o_err
add_escape(struct a2o_buf *b, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char e[6] = {'\\', 0, '0', '0', 0, 0};
    size_t n = 2;

    switch (c) {
    case '"':
    case '\\':
        e[1] = (char)c;
        break;
    case '\b':
        e[1] = 'b';
        break;
    case '\f':
        e[1] = 'f';
        break;
    case '\n':
        e[1] = 'n';
        break;
    case '\r':
        e[1] = 'r';
        break;
    case '\t':
        e[1] = 't';
        break;
    default:
        e[1] = 'u';
        e[4] = hex[c >> 4];
        e[5] = hex[c & 15];
        n = 6;
        break;
    }
    return a2o_buf_add(b, e, n);
}

enum a2o_err
a2o_buf_add_json_str(struct a2o_buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0;
    enum a2o_err err;

    /* text is mostly plain: skip it eight bytes at a time, copy runs */
    for (;;) {
        unsigned char c;

        while (n - i >= 8) {
            unsigned long long w;

            memcpy(&w, s + i, 8);
            if (word_needs_esc(w))
                break;
            i += 8;
        }
        while (i < n && (c = s[i]) >= 0x20 && c != '"' && c != '\\')
            i++;
        if (i == n)
            break;
        err = a2o_buf_add(b, s + run, i - run);
        if (err == A2O_E_OK)
            err = add_escape(b, s[i]);
        if (err != A2O_E_OK)
            return err;
        run = ++i;
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
