/*
 * str.c: shared string helpers (str.h).
 */
#include "str.h"

#include <string.h>

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define SPAN16 1
#endif

#include <cjson/cJSON.h>

int
a2o_str_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int
a2o_str_space(int c)
{
    return c == ' ' || c == '\t';
}

int
a2o_str_blank_char(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
a2o_str_blank(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!a2o_str_blank_char((unsigned char)p[i]))
            return 0;
    return 1;
}

int
a2o_str_starts_ci(const char *s, const char *prefix)
{
    size_t k;

    for (k = 0; prefix[k] != '\0'; k++)
        if (a2o_str_lower((unsigned char)s[k]) !=
            a2o_str_lower((unsigned char)prefix[k]))
            return 0; /* also stops at the end of s: NUL never matches */
    return 1;
}

int
a2o_str_starts_ci_n(const char *s, size_t n, const char *prefix)
{
    size_t k;

    for (k = 0; prefix[k] != '\0'; k++)
        if (k >= n || a2o_str_lower((unsigned char)s[k]) !=
                          a2o_str_lower((unsigned char)prefix[k]))
            return 0;
    return 1;
}

int
a2o_str_contains_ci(const char *hay, const char *needle)
{
    if (needle[0] == '\0')
        return 1;
    for (; *hay != '\0'; hay++)
        if (a2o_str_starts_ci(hay, needle))
            return 1;
    return 0;
}

int
a2o_str_eq_ci(const char *a, size_t n, const char *b)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (b[i] == '\0' || a2o_str_lower((unsigned char)a[i]) !=
                                a2o_str_lower((unsigned char)b[i]))
            return 0;
    return b[n] == '\0';
}

char *
a2o_str_dupn(const char *s, size_t n)
{
    char *p = cJSON_malloc(n + 1);

    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
a2o_str_dup(const char *s)
{
    return a2o_str_dupn(s, strlen(s));
}

size_t
a2o_str_long(char *out, long v)
{
    char tmp[A2O_STR_LONG_MAX];
    unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
    size_t n = 0, i = 0;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        out[i++] = '-';
    while (n > 0)
        out[i++] = tmp[--n];
    out[i] = '\0';
    return i;
}

/*
 * Word-at-a-time search (the "has a byte below" trick): for each byte b
 * of w, (b - k) & ~b has its top bit set when b < k (k <= 0x80), and the
 * lowest flagged byte is always a true one, as a borrow only runs upward
 * from a true hit.  So on a little-endian machine the count of trailing
 * zero bits finds the first hit; elsewhere a byte loop does.
 */
#define ONES 0x0101010101010101ULL
#define HIGH 0x8080808080808080ULL
#define BELOW(w, k) (((w)-ONES * (k)) & ~(w))
#define IS(w, c) BELOW((w) ^ (ONES * (c)), 1)

#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                            \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FIRST(m) ((size_t)__builtin_ctzll(m) >> 3)
#endif

/* What a span stops at. */
enum stop {
    STOP_QUOTE, /* '"', '\\' */
    STOP_JSON,  /* '"', '\\', below 0x20 */
    STOP_ASCII  /* NUL, 0x80 and up */
};

/*
 * With SSE2 (every x86-64) sixteen bytes a step: the compare masks' bits
 * gathered by movemask, the first hit by counting trailing zeros.
 */
#ifdef SPAN16

/* The first of 16 bytes at s that stops a span of kind k, or 16. */
static inline unsigned
span16(const unsigned char *s, enum stop k)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    int bits;

    if (k == STOP_ASCII) { /* NUL by compare, 0x80 and up by the top bit */
        bits = _mm_movemask_epi8(v) |
               _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128()));
    } else {
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                 _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));

        if (k == STOP_JSON) /* v <= 0x1f, unsigned: min(v, 0x1f) == v */
            m = _mm_or_si128(
                m, _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v));
        bits = _mm_movemask_epi8(m);
    }
    return bits != 0 ? (unsigned)__builtin_ctz((unsigned)bits) : 16;
}
#endif

/* The top bit of each byte of w that stops a span of kind k. */
static inline unsigned long long
stop8(unsigned long long w, enum stop k)
{
    if (k == STOP_ASCII)
        return (w | BELOW(w, 1)) & HIGH;
    return ((k == STOP_JSON ? BELOW(w, 0x20) : 0) | IS(w, '"') | IS(w, '\\')) &
           HIGH;
}

static inline int
stop1(unsigned c, enum stop k)
{
    if (k == STOP_ASCII)
        return c == 0 || c >= 0x80;
    return c == '"' || c == '\\' || (k == STOP_JSON && c < 0x20);
}

/* The first byte of p[0..n) that stops a span of kind k, or n.  Inlined
 * into each caller, so that k is a constant there. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline size_t
span(const char *p, size_t n, enum stop k)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;

#ifdef SPAN16
    for (; n - i >= 16; i += 16) {
        unsigned at = span16(s + i, k);

        if (at < 16)
            return i + at;
    }
#endif
    for (; n - i >= 8; i += 8) {
        unsigned long long w, m;

        memcpy(&w, s + i, 8);
        m = stop8(w, k);
        if (m != 0) {
#ifdef FIRST
            return i + FIRST(m);
#else
            break;
#endif
        }
    }
    while (i < n && !stop1(s[i], k))
        i++;
    return i;
}

size_t
a2o_str_span_json(const char *p, size_t n)
{
    return span(p, n, STOP_JSON);
}

size_t
a2o_str_span_quote(const char *p, size_t n)
{
    return span(p, n, STOP_QUOTE);
}

size_t
a2o_str_span_ascii(const char *p, size_t n)
{
    return span(p, n, STOP_ASCII);
}
