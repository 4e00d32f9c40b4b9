/*
 * req.h: Anthropic Messages request -> OpenAI Chat Completions request
 * (common/README.md §1).
 */
#ifndef A2O_REQ_H
#define A2O_REQ_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "route.h"

/* A tool name longer than OpenAI's 64 that was shortened on the way up. */
struct a2o_toolname {
    char *full;       /* the client's name */
    char *short_name; /* what the upstream saw (<= 64 chars) */
};

/*
 * What the response side needs to know about the request it answers.
 * Produced by a2o_req_convert(); the caller frees it with
 * a2o_reqmeta_free().  Read-only once made; one per request.
 */
struct a2o_reqmeta {
    char *client_model; /* echoed as "model" in every answer */
    int stream;         /* the client asked for SSE */
    int thinking;       /* the client enabled (or adapted) thinking */
    char **stop;        /* stop_sequences, for stop_sequence detection */
    size_t nstop;
    struct a2o_toolname *names; /* shortened tool names (tools and
                                 * history), to restore */
    size_t nnames;
    char **tools; /* names of the functions offered, as sent upstream */
    size_t ntools;
    long input_estimate; /* local token estimate of the whole request;
                          * -1 when not computed (a whole answer's
                          * converter computes it from a2o_resp_opts.req
                          * if the upstream reports no usage) */
};

void a2o_reqmeta_free(struct a2o_reqmeta *m);

/*
 * Restores a client tool name from what the upstream returned: the full
 * name when `name` is a shortened one of m, else `name` itself.
 */
const char *a2o_reqmeta_tool_name(const struct a2o_reqmeta *m,
                                  const char *name);

/* 1 when name[0..n) is a function offered upstream (as sent). */
int a2o_reqmeta_tool_offered(const struct a2o_reqmeta *m, const char *name,
                             size_t n);

/*
 * Validates and converts one Anthropic request for the destination rt
 * (rt->model goes upstream, rt->profile says the dialect).
 *
 * On success: *out is a new tree (caller: cJSON_Delete), *meta a new
 * reqmeta (caller: a2o_reqmeta_free).  On failure neither is written and
 * nothing leaks.  Errors: A2O_E_BADREQ with d->path the JSON path of the
 * offending field ("messages[3].content[0].type") and d->msg what was
 * expected; A2O_E_NOMEM.  Never mutates in.
 */
enum a2o_err a2o_req_convert_route(const cJSON *in, const struct a2o_route *rt,
                                   cJSON **out, struct a2o_reqmeta **meta,
                                   struct a2o_diag *d);

/*
 * The same, routed first with a2o_route_plan() to its first target
 * (filling *rt, whose strings borrow from c and from the returned meta),
 * for tests and tools that have no fallback.
 *
 * On success: *out is a new tree (caller: cJSON_Delete), *meta a new
 * reqmeta (caller: a2o_reqmeta_free).  On failure neither is written and
 * nothing leaks.  Errors: A2O_E_BADREQ with d->path the JSON path of the
 * offending field ("messages[3].content[0].type") and d->msg what was
 * expected; A2O_E_NOMEM.  Never mutates in.
 */
enum a2o_err a2o_req_convert(const cJSON *in, const struct a2o_conf *c,
                             cJSON **out, struct a2o_reqmeta **meta,
                             struct a2o_route *rt, struct a2o_diag *d);

/*
 * The same from bytes to bytes: parses with a2o_json_parse (so also
 * A2O_E_BADJSON), converts, prints unformatted.  *out (n bytes, NUL-
 * terminated) is freed with cJSON_free.
 */
enum a2o_err a2o_req_convert_bytes(const char *in, size_t n,
                                   const struct a2o_conf *c, char **out,
                                   size_t *outn, struct a2o_reqmeta **meta,
                                   struct a2o_route *rt, struct a2o_diag *d);

/*
 * Building blocks of the conversion that the Responses API request
 * (common/rsp_req.c, common/rsp_msg.c) shares, so that both validate and
 * convert the same way.  They write only what their comment names;
 * errors are A2O_E_BADREQ with d's path set, or A2O_E_NOMEM.
 */

/* Cap of the scratch buffers of one conversion: the body is already
 * bounded by MAX_BODY_BYTES, this only stops arithmetic overflow. */
#define A2O_REQ_BUF_MAX ((size_t)1 << 31)

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

/* Where a block sits, for error paths; only formatted on error. */
struct a2o_req_loc {
    size_t m; /* messages[m] */
    size_t b; /* .content[b] */
    size_t k; /* .content[k] inside a tool_result, when deep */
    int deep; /* 1 inside a tool_result's content */
    int sys;  /* 1: the top-level "system" array, b is its index */
};

/* What the content block converters below read and write; the caller
 * initialises data (cap A2O_REQ_BUF_MAX) and frees it. */
struct a2o_req_blocks {
    const struct a2o_profile *pf; /* the upstream's switches */
    struct a2o_diag *d;           /* where errors are described */
    struct a2o_buf data; /* scratch of a2o_req_image and a2o_req_document,
                          * and a document's text for the caller */
};

/* A2O_E_BADREQ at block l, or at its field (NULL: the block itself),
 * with the plain message msg. */
enum a2o_err a2o_req_bad_at(struct a2o_req_blocks *bk,
                            const struct a2o_req_loc *l, const char *field,
                            const char *msg);

/* image block -> *out a new Chat part {"type":"image_url",...}.
 * A2O_E_BADREQ for a missing or unknown source; A2O_E_NOMEM. */
enum a2o_err a2o_req_image(struct a2o_req_blocks *bk, const cJSON *blk,
                           const struct a2o_req_loc *l, cJSON **out);

/* document block -> *out a new Chat "file" part (base64), or text in
 * bk->data (*is_text; text, url and content sources), or nothing
 * (dropped: *out NULL, *is_text 0). */
enum a2o_err a2o_req_document(struct a2o_req_blocks *bk, const cJSON *blk,
                              const struct a2o_req_loc *l, cJSON **out,
                              int *is_text);

/* Text for tool_reference, search_result and web_search_tool_result
 * blocks, appended to b after sep; *done 0 for other types. */
enum a2o_err a2o_req_aux_text(const cJSON *blk, const char *type,
                              struct a2o_buf *b, const char *sep, int *done);

/*
 * The text of tool_result blk for the tool's answer, in tmp (reset
 * first): "Result of tool call <orphan>:\n" when orphan is not NULL (the
 * result answers no open call and goes to the user as text), "Error: "
 * for is_error, then its content: the string, or the array's text
 * (text blocks, documents with text, a2o_req_aux_text's blocks) joined
 * by "\n"; "(the result is attached below)" when there is no text but
 * moved parts, "(no output)" when there is nothing.  Each image and file
 * of the array goes, in order, to place(arg, part) as a new Chat part
 * (ownership passes: place frees it on failure); *moved counts them.
 * l->m and l->b name the tool_result; l->k is the block on errors.
 */
enum a2o_err a2o_req_result_text(struct a2o_req_blocks *bk, const cJSON *blk,
                                 struct a2o_req_loc *l, const char *orphan,
                                 struct a2o_buf *tmp,
                                 enum a2o_err (*place)(void *arg, cJSON *part),
                                 void *arg, size_t *moved);

#endif
