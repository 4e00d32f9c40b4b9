/*
 * str.c: shared string helpers (str.h).
 */
#include "str.h"

#include <string.h>

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
