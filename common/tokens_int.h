/*
 * tokens_int.h: the token estimate's internals, shared by common/tokens.c
 * (the method, pieces, the JSON walk) and common/tokens_win.c (long
 * pieces 64 bytes at a time).
 */
#ifndef A2O_TOKENS_INT_H
#define A2O_TOKENS_INT_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define A2O_TOKENS_WINDOWS 1 /* tokens_win.c is built for AVX2 */
#endif

/* Weights of the table at the top of tokens.c, in thousandths of a
 * token. */
#define W_SEG_SHORT 1150 /* letter segment of 1-2 */
#define W_SEG_MID 920    /* letter segment of 3-8 */
#define W_SEG_LONG 560   /* letter segment of 9+ ... */
#define W_SEG_EXTRA 630  /* ... plus this per letter past 9 */
#define W_CAPS 200       /* per letter of an all-caps run of 3+ */
#define W_DIGIT_RUN 570
#define W_DIGIT 240
#define W_PUNCT_RUN 1000
#define W_PUNCT 100
#define W_NEWLINE_RUN 1200
#define W_U_LATIN 1000  /* lead bytes C2-CD */
#define W_U_ALPHA 600   /* CE-DF */
#define W_U_MID 1500    /* E0-E2 */
#define W_U_CJK 1000    /* E3-EF */
#define W_U_ASTRAL 2500 /* F0-F4 */

/* 1 when the CPU runs a2o__tokens_windows (AVX2, POPCNT, BMI). */
int a2o__tokens_fast_cpu(void);

/*
 * The cost in thousandths of a token of the whole runs of s[a..b), where
 * s[a] starts a run and s[b - 1] ends one, reading only s[0..b).  Stops
 * early at a window that one run fills (for the caller to price): *at is
 * where it stopped, b when it did not.
 */
unsigned long long a2o__tokens_windows(const unsigned char *s, size_t a,
                                       size_t b, size_t *at);

#endif
