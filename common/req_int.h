/*
 * req_int.h: private interface between req.c (top-level fields, tools,
 * reasoning, meta) and req_msg.c (system and messages).  Not part of the
 * library's API; nothing outside common/req*.c includes it.
 */
#ifndef A2O_REQ_INT_H
#define A2O_REQ_INT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "req.h"
#include "toolid.h"

/* Cap of the scratch buffers of one conversion: the body is already
 * bounded by MAX_BODY_BYTES, this only stops arithmetic overflow. */
#define A2O_REQ_BUF_MAX ((size_t)1 << 31)

/* Role of the message being built. */
enum a2o_req_pend {
    A2O_PEND_NONE,     /* nothing pending */
    A2O_PEND_USER,     /* parts collects content parts */
    A2O_PEND_ASSISTANT /* text, reason, calls */
};

/* Where a block sits, for error paths; only formatted on error. */
struct a2o_req_loc {
    size_t m; /* messages[m] */
    size_t b; /* .content[b] */
    size_t k; /* .content[k] inside a tool_result, when deep */
    int deep; /* 1 inside a tool_result's content */
    int sys;  /* 1: the top-level "system" array, b is its index */
};

/* State of one conversion. */
struct a2o_req_mc {
    const struct a2o_profile *pf;
    int gemini; /* return untagged thought signatures on tool calls */
    char tag[A2O_TOOLID_TAG_LEN + 1]; /* this upstream's a2o_toolid_tag */
    struct a2o_diag *d;
    cJSON *msgs;             /* output, without the system message */
    struct a2o_buf sys;      /* system text joined by "\n\n" */
    cJSON *sysparts;         /* instead, with the cache_control profile */
    enum a2o_req_pend role;  /* the pending message: */
    cJSON *parts;            /*   user content parts */
    struct a2o_buf text;     /*   assistant text */
    struct a2o_buf reason;   /*  assistant thinking history */
    cJSON *calls;            /*   assistant tool_calls */
    cJSON *open;             /* calls of the last flushed message (borrowed) */
    struct a2o_buf answered; /* one byte per open call, 1 once answered */
    struct a2o_buf id, sig, tmp; /* scratch */
    struct a2o_buf data;         /* scratch of image_part and document, so that
                                  * they can run while tmp holds result text */
};

/*
 * Converts in.system and in.messages (common/README.md §1) for
 * profile pf and attaches the result to root as "messages".  A thought
 * signature goes back on its tool call when the id's upstream tag is that
 * of upstream (the route's base URL), or, for ids without a tag (made
 * before tags existed), when gemini is set.  Errors: A2O_E_BADREQ with d's
 * path set, A2O_E_NOMEM; root is then unchanged.
 */
enum a2o_err a2o_req_messages(const cJSON *in, const struct a2o_profile *pf,
                              int gemini, const char *upstream, cJSON *root,
                              struct a2o_diag *d);

/*
 * A string item with b's contents; b is reset (keeping its allocation
 * for reuse).  NULL on allocation failure.
 */
cJSON *a2o_req_str_take(struct a2o_buf *b);

/* The same for text that a2o_json_print_str returned (ownership passes). */
cJSON *a2o_req_str_own(char *s);

/*
 * Sets d to A2O_E_BADREQ with the printf-formatted path and msg.
 * Returns A2O_E_BADREQ.
 */
enum a2o_err a2o_req_bad(struct a2o_diag *d, const char *msg,
                         const char *pathfmt, ...)
    __attribute__((format(printf, 3, 4)));

/* a2o_req_bad at block l, or at its field (NULL: the block itself). */
enum a2o_err a2o_req_bad_at(struct a2o_req_mc *mc, const struct a2o_req_loc *l,
                            const char *field, const char *msg);

/* Appends sep (only when b is not empty) and n bytes of s. */
enum a2o_err a2o_req_join(struct a2o_buf *b, const char *sep, const char *s,
                          size_t n);

/* Copies blk's cache_control onto part when the profile keeps it. */
enum a2o_err a2o_req_cc(struct a2o_req_mc *mc, cJSON *part, const cJSON *blk);

/* {key: child}; NULL (child freed) on allocation failure.  child may be
 * NULL (a failed create): then NULL. */
cJSON *a2o_req_obj1(const char *key, cJSON *child);

/* {"type":"text","text":text} (+ blk's cache_control, blk may be NULL);
 * NULL (text freed) on allocation failure. */
cJSON *a2o_req_text_part(struct a2o_req_mc *mc, cJSON *text, const cJSON *blk);

/* image block -> *out {"type":"image_url",...}.  A2O_E_BADREQ for a
 * missing or unknown source; A2O_E_NOMEM. */
enum a2o_err a2o_req_image(struct a2o_req_mc *mc, const cJSON *blk,
                           const struct a2o_req_loc *l, cJSON **out);

/* document block -> *out a "file" part (base64), or text in mc->data
 * (*is_text; text, url and content sources), or nothing (dropped). */
enum a2o_err a2o_req_document(struct a2o_req_mc *mc, const cJSON *blk,
                              const struct a2o_req_loc *l, cJSON **out,
                              int *is_text);

/* Text for tool_reference, search_result and web_search_tool_result
 * blocks, appended to b after sep; *done 0 for other types. */
enum a2o_err a2o_req_aux_text(const cJSON *blk, const char *type,
                              struct a2o_buf *b, const char *sep, int *done);

/*
 * Helpers of req.c shared with rsp_req.c (the Responses API request), so
 * that both validate the same way.  They write only what their comment
 * names; errors are A2O_E_BADREQ with d's path set, or A2O_E_NOMEM.
 */

/* Reasoning strength asked for by the client, weakest first. */
enum a2o_req_effort {
    A2O_EFFORT_NONE, /* thinking off or absent */
    A2O_EFFORT_LOW,
    A2O_EFFORT_MEDIUM,
    A2O_EFFORT_HIGH,
    A2O_EFFORT_MAX /* adaptive "max": the upstream's highest */
};

/* Checks model, max_tokens (-> *maxtok), messages, the sampling numbers
 * and stream, in Anthropic's order. */
enum a2o_err a2o_req_check_top(const cJSON *in, double *maxtok,
                               struct a2o_diag *d);

/* thinking (+ output_config.effort) -> *e; *budget the client's
 * budget_tokens, or -1. */
enum a2o_err a2o_req_effort(const cJSON *in, enum a2o_req_effort *e,
                            long *budget, struct a2o_diag *d);

/* "low", "medium", "high" ("high" for MAX too); NULL for NONE. */
const char *a2o_req_effort_name(enum a2o_req_effort e);

/* stop_sequences -> meta->stop (all) and, unless root is NULL, root's
 * "stop" (the first four). */
enum a2o_err a2o_req_stops(const cJSON *in, cJSON *root,
                           struct a2o_reqmeta *meta, struct a2o_diag *d);

/* metadata.user_id -> root's "user": a 64-bit FNV-1a hash in hex. */
enum a2o_err a2o_req_user(const cJSON *in, cJSON *root);

/* tools -> root's "tools" (server tools dropped, schemas cleaned, long
 * names shortened into meta); *kept how many were sent.  flat: the
 * Responses shape {"type":"function","name",...,"strict":false}. */
enum a2o_err a2o_req_tools(const cJSON *in, const struct a2o_profile *pf,
                           int flat, cJSON *root, struct a2o_reqmeta *meta,
                           size_t *kept, struct a2o_diag *d);

/* tool_choice and disable_parallel_tool_use -> root; flat: the Responses
 * shape ({"type":"function","name"}, "required" always allowed). */
enum a2o_err a2o_req_tool_choice(const cJSON *in, const struct a2o_profile *pf,
                                 int flat, size_t kept, cJSON *root,
                                 struct a2o_diag *d);

/*
 * prompt_cache_key from Claude Code's session id (the route's header
 * value, else metadata.user_id's session part), cut to 64 characters;
 * only where rt's profile takes it unless always.  A2O_E_NOMEM.
 */
enum a2o_err a2o_req_cache_key(const struct a2o_route *rt, const cJSON *in,
                               cJSON *root, int always);

/* Tool names over 64 bytes that appear only in the history's tool_use
 * blocks -> meta->names, so the answer can restore them.  Call after
 * a2o_req_tools.  A2O_E_NOMEM. */
enum a2o_err a2o_req_history_names(const cJSON *in, struct a2o_reqmeta *meta);

#endif
