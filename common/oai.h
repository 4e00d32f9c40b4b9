/*
 * oai.h: what an OpenAI chat completion (whole or chunked) means in
 * Anthropic terms (common/README.md §4, §5).  Shared by resp.c and stream.c
 * so that the two paths cannot disagree: stop reason, usage, reasoning
 * text, tool ids and names, in-band errors, client-safe messages.
 */
#ifndef A2O_OAI_H
#define A2O_OAI_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "req.h"
#include "usage.h"

/* The signature of every thinking block we make: base64("claude-proxy"),
 * recognisable in logs and in the history a client sends back. */
#define A2O_THINKING_SIGNATURE "Y2xhdWRlLXByb3h5"

/* Usage as the upstream reported it; fields merge across chunks. */
struct a2o_oai_usage {
    long prompt;      /* prompt_tokens (includes cached and cache writes) */
    long completion;  /* completion_tokens */
    long cached;      /* prompt_tokens_details.cached_tokens */
    long cache_write; /* cache_write_tokens */
    int have_prompt;
    int have_completion;
};

/*
 * Merges the usage of obj (a chat.completion or a chunk: obj.usage, else
 * Groq's obj.x_groq.usage) into u; fields absent from obj keep their
 * value.  Returns 1 when obj carried a usage object.
 */
int a2o_oai_usage_read(const cJSON *obj, struct a2o_oai_usage *u);

/* The same from a usage object already found (NULL: none). */
int a2o_oai_usage_of(const cJSON *usage, struct a2o_oai_usage *u);

/*
 * Anthropic usage from what the upstream reported, with local estimates
 * for what it did not: input_estimate (the request) and out_bytes (bytes
 * of text, thinking and tool input produced).  common/README.md §4: input =
 * prompt - cached - cache writes, never below 0.
 */
void a2o_oai_usage_final(const struct a2o_oai_usage *o, long input_estimate,
                         size_t out_bytes, struct a2o_usage *u);

/* Local estimate of the tokens in n bytes of output (about 4 bytes per
 * token, rounded up; 0 for 0). */
long a2o_oai_estimate(size_t n);

/* What decides the Anthropic stop reason. */
struct a2o_oai_stop {
    const char *finish;  /* finish_reason, NULL when none came */
    const char *matched; /* vLLM choice.stop_reason string, or NULL */
    int tool_use;        /* a tool_use block was produced */
    int refusal;         /* the upstream sent a refusal */
    const char *tail;    /* the end of the text produced */
    size_t tailn;
};

/*
 * common/README.md §4 stop_reason: tool_use when any tool_use block exists;
 * "length" -> max_tokens; "content_filter" (or a refusal) -> refusal;
 * "stop" (or no finish_reason) with a matched stop string -> stop_sequence
 * with *seq set to it; else end_turn.  *seq is NULL unless stop_sequence.
 */
const char *a2o_oai_stop_reason(const struct a2o_oai_stop *st,
                                const struct a2o_reqmeta *m, const char **seq);

/* The longest stop sequence of m (what a text tail must keep). */
size_t a2o_oai_max_stop(const struct a2o_reqmeta *m);

/*
 * The reasoning text of a message or delta: reasoning_content, else
 * reasoning, else the text (or summary) of each reasoning_details[] item,
 * joined in scratch.  OpenRouter sends both `reasoning` and
 * `reasoning_details` with the same text, so only the first source that
 * has text is used.  *p and *n point into obj or scratch (n 0: none).
 * Errors: A2O_E_NOMEM, A2O_E_TOOBIG (scratch's cap).
 */
enum a2o_err a2o_oai_reasoning(const cJSON *obj, struct a2o_buf *scratch,
                               const char **p, size_t *n);

/* The same from the three members, already looked up (NULL: absent):
 * for the stream, which finds every member of a delta in one pass. */
enum a2o_err a2o_oai_reasoning_of(const cJSON *content, const cJSON *plain,
                                  const cJSON *details, struct a2o_buf *scratch,
                                  const char **p, size_t *n);

/* Gemini's tool_call.extra_content.google.thought_signature, or NULL. */
const char *a2o_oai_tool_sig(const cJSON *tc);

/*
 * Appends the client id of a tool call to out: the upstream id when it is
 * valid and has no signature; an encoded one (toolid.h) when it is not
 * valid or carries a signature; a generated one (from *seed) when the
 * upstream gave none (id NULL or "").  Errors as a2o_buf_add.
 */
enum a2o_err a2o_oai_tool_id(const char *id, const char *sig,
                             unsigned long long *seed, struct a2o_buf *out);

/* The same, tagging a signature with the upstream that sent it (its base
 * URL; NULL: untagged), so that it goes back to that upstream only. */
enum a2o_err a2o_oai_tool_id_for(const char *id, const char *sig,
                                 const char *upstream, unsigned long long *seed,
                                 struct a2o_buf *out);

/*
 * An in-band upstream error in obj ({"error":{...}} or {"error":"..."}):
 * returns its code (from a numeric error.code or error.status that is an
 * HTTP error status, else A2O_E_BADGATEWAY) with d->msg set, or A2O_E_OK
 * when obj carries no error.
 */
enum a2o_err a2o_oai_inband_error(const cJSON *obj, struct a2o_diag *d);

/*
 * Sets d->msg to prefix (may be "") + s[0..n), made safe for a client:
 * control bytes become spaces, anything that looks like a key
 * ("sk-...", "Bearer ...") is replaced by "[redacted]", the text is cut
 * (at a UTF-8 boundary, with "...") to fit.  Returns err.
 */
enum a2o_err a2o_oai_set_msg(struct a2o_diag *d, enum a2o_err err,
                             const char *prefix, const char *s, size_t n);

/*
 * The data of one upstream SSE event, p[0..n) with the blanks around it
 * ignored, as a JSON object: A2O_E_OK with *root a new tree (the caller
 * frees it with cJSON_Delete), or with *root NULL for "[DONE]" and, when
 * empty_ok, for empty data; A2O_E_BADGATEWAY with d set for anything else
 * (garbage, an HTML page: carrying on would hide a broken upstream);
 * A2O_E_NOMEM.
 */
enum a2o_err a2o_oai_event_json(const char *p, size_t n, int empty_ok,
                                cJSON **root, struct a2o_diag *d);

#endif
