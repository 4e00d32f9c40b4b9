/*
 * tokref.h: a byte-at-a-time restatement of the token estimate
 * documented in common/tokens.c, written for clarity, not speed: the
 * fast paths of tokens.c must give exactly its counts.
 */
#ifndef TH_TOKREF_H
#define TH_TOKREF_H

#include <stddef.h>

/* Tokens of s[0..n) as one text, plus extra thousandths of a token,
 * rounded up as a2o_tokens_text and a2o_tokens_request round. */
long th_tokens_ref(const char *s, size_t n, unsigned long long extra);

#endif
