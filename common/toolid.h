/*
 * toolid.h: tool call ids and names that must survive the round trip
 * (common/README.md §6: odd upstream ids, Gemini thought signatures).
 *
 * Anthropic requires tool_use ids matching ^[a-zA-Z0-9_-]+$; some
 * upstreams produce others (Kimi "functions.Bash:0") or need a Gemini
 * thought_signature back with the call.  The proxy is stateless, so both
 * travel inside the id the client sees: an id that is valid and has no
 * signature is left alone; otherwise it becomes A2O_TOOLID_PREFIX +
 * base64url(upstream id, NUL, signature), which the client returns as
 * tool_use_id / tool_use.id on the next turn and we decode.
 */
#ifndef A2O_TOOLID_H
#define A2O_TOOLID_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define A2O_TOOLID_PREFIX "toolu_a2o_"
/* Hex digits of an upstream tag. */
#define A2O_TOOLID_TAG_LEN 8

/* 1 when id[0..n) is non-empty and matches ^[a-zA-Z0-9_-]+$. */
int a2o_toolid_valid(const char *id, size_t n);

/*
 * Appends the client-facing id for upstream id (idn bytes) and optional
 * signature (sig NULL or sign 0 for none) to out.  Errors: A2O_E_NOMEM,
 * A2O_E_TOOBIG (out's cap).
 */
enum a2o_err a2o_toolid_encode(const char *id, size_t idn, const char *sig,
                               size_t sign, struct a2o_buf *out);

/*
 * The tag of an upstream: A2O_TOOLID_TAG_LEN lower-case hex digits of a
 * 32-bit FNV-1a hash of its identity (the base URL), or "" when upstream
 * is NULL or "".  Deterministic, so every turn agrees.
 */
void a2o_toolid_tag(const char *upstream, char out[A2O_TOOLID_TAG_LEN + 1]);

/*
 * a2o_toolid_encode, and with a signature also the tag of the upstream
 * that sent it (tag NULL or "": none, the older form), so that the
 * signature goes back to that upstream only.
 */
enum a2o_err a2o_toolid_encode_tagged(const char *id, size_t idn,
                                      const char *sig, size_t sign,
                                      const char *tag, struct a2o_buf *out);

/*
 * a2o_toolid_decode that also gives the upstream tag in tag ("" when the
 * id has none: no signature, or an id made before tags).
 */
enum a2o_err a2o_toolid_decode_tagged(const char *cid, size_t n,
                                      struct a2o_buf *id, struct a2o_buf *sig,
                                      char tag[A2O_TOOLID_TAG_LEN + 1]);

/*
 * Splits a client id into the upstream id and signature, appended to id
 * and sig (sig gets nothing when there is none).  An id without our
 * prefix, or whose payload does not decode, is copied to id unchanged.
 */
enum a2o_err a2o_toolid_decode(const char *cid, size_t n, struct a2o_buf *id,
                               struct a2o_buf *sig);

/* Writes a generated id "toolu_" + 24 alphanumerics (and NUL) to out,
 * advancing *seed (xorshift64*; the caller seeds it). */
void a2o_toolid_make(unsigned long long *seed, char out[31]);

/*
 * The upstream name for a tool: name itself when at most 64 bytes, else
 * its first 55 bytes, '_' and 8 hex digits of a hash of the whole name
 * (deterministic, so every turn agrees).  out must hold 65 bytes.
 */
void a2o_toolname_short(const char *name, char out[65]);

#endif
