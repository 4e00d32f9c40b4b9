/*
 * str.h: the small string helpers every module of common/ shares:
 * ASCII case-insensitive matching, lower-casing, copies through cJSON's
 * allocation hooks, blank tests.  Locale-free on purpose: routing, header
 * and setting names must not change with a server's locale.
 */
#ifndef A2O_STR_H
#define A2O_STR_H

#include <stddef.h>

/* c lower-cased if it is an ASCII capital letter. */
int a2o_str_lower(int c);

/* 1 for a space or a tab. */
int a2o_str_space(int c);

/* 1 for a space, tab, CR or LF. */
int a2o_str_blank_char(int c);

/* 1 when p[0..n) holds only spaces, tabs and line ends (or n is 0). */
int a2o_str_blank(const char *p, size_t n);

/* 1 when s starts with prefix, ignoring ASCII case on both sides. */
int a2o_str_starts_ci(const char *s, const char *prefix);

/* 1 when s[0..n) starts with prefix, ignoring ASCII case. */
int a2o_str_starts_ci_n(const char *s, size_t n, const char *prefix);

/* 1 when needle occurs in hay, ignoring ASCII case ("" always does). */
int a2o_str_contains_ci(const char *hay, const char *needle);

/* 1 when the n bytes at a equal the NUL-terminated b, ignoring case. */
int a2o_str_eq_ci(const char *a, size_t n, const char *b);

/* A NUL-terminated copy of s[0..n) from cJSON_malloc (free with
 * cJSON_free), or NULL on allocation failure. */
char *a2o_str_dupn(const char *s, size_t n);

/* The same for a NUL-terminated s. */
char *a2o_str_dup(const char *s);

/* Room for any long in decimal, with its sign and a NUL. */
#define A2O_STR_LONG_MAX 21

/* v in decimal ("%ld") into out[A2O_STR_LONG_MAX], NUL-terminated;
 * returns its length.  No printf: a log line takes a dozen of them. */
size_t a2o_str_long(char *out, long v);

/*
 * The offset of the first byte of p[0..n) that a JSON string cannot hold
 * as it is (below 0x20, '"', '\\'), or n.  Eight bytes a step.
 */
size_t a2o_str_span_json(const char *p, size_t n);

/* The offset of the first '"' or '\\' in p[0..n), or n. */
size_t a2o_str_span_quote(const char *p, size_t n);

/* The offset of the first byte of p[0..n) that is NUL or not ASCII
 * (0x80 and up), or n. */
size_t a2o_str_span_ascii(const char *p, size_t n);

#endif
