/*
 * req_int.h: the request module's internals, shared by req.c (top-level
 * fields, tools, reasoning, meta), req_msg.c (system and messages) and
 * req_part.c (content parts).  Not part of the library's API; nothing
 * outside common/req*.c includes it.  What the Responses converter
 * shares is public, in req.h.
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

/* Role of the message being built. */
enum a2o_req_pend {
    A2O_PEND_NONE,     /* nothing pending */
    A2O_PEND_USER,     /* parts collects content parts */
    A2O_PEND_ASSISTANT /* text, reason, calls */
};

/* State of one conversion. */
struct a2o_req_mc {
    struct a2o_req_blocks bk; /* pf, d and data for the part converters */
    int gemini; /* return untagged thought signatures on tool calls */
    char tag[A2O_TOOLID_TAG_LEN + 1]; /* this upstream's a2o_toolid_tag */
    cJSON *msgs;                      /* output, without the system message */
    struct a2o_buf sys;               /* system text joined by "\n\n" */
    cJSON *sysparts;         /* instead, with the cache_control profile */
    enum a2o_req_pend role;  /* the pending message: */
    cJSON *parts;            /*   user content parts */
    struct a2o_buf text;     /*   assistant text */
    struct a2o_buf reason;   /*  assistant thinking history */
    cJSON *calls;            /*   assistant tool_calls */
    cJSON *open;             /* calls of the last flushed message (borrowed) */
    struct a2o_buf answered; /* one byte per open call, 1 once answered */
    struct a2o_buf id, sig, tmp; /* scratch; bk.data is image_part's and
                                  * document's, so that they can run while
                                  * tmp holds result text */
};

/*
 * Converts in.system and in.messages (common/README.md §1) for
 * profile pf and attaches the result to root as "messages".  A thought
 * signature goes back on its tool call when the id's upstream tag is that
 * of upstream (the route's base URL), or, for ids without a tag (made
 * before tags existed), when gemini is set.  Errors: A2O_E_BADREQ with d's
 * path set, A2O_E_NOMEM; root is then unchanged.
 */
enum a2o_err a2o__req_messages(const cJSON *in, const struct a2o_profile *pf,
                               int gemini, const char *upstream, cJSON *root,
                               struct a2o_diag *d);

/* {"type":"text","text":text} (+ blk's cache_control, blk may be NULL);
 * NULL (text freed) on allocation failure. */
cJSON *a2o__req_text_part(struct a2o_req_blocks *bk, cJSON *text,
                          const cJSON *blk);

#endif
