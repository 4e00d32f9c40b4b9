/*
 * stream_emit.h: the emitter of the stream converter (stream_emit.c), the
 * only code that writes Anthropic events (common/README.md §5) and the
 * owner of the message and block states.  Internal to the stream
 * converter: stream.c drives it, and the readers of upstream data
 * (stream_chunk.c and the files below it, rsp_stream.c) call it with
 * what they found.
 *
 * The members of struct a2o__emit are written only by stream_emit.c;
 * readers may look at state, blk and content_begun to decide what to
 * do, never change them.
 */
#ifndef A2O_STREAM_EMIT_H
#define A2O_STREAM_EMIT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "oai.h"
#include "req.h"
#include "usage.h"

/* Message states; see the comment at the top of stream_emit.c. */
enum {
    A2O_ST_INIT,  /* nothing emitted */
    A2O_ST_OPEN,  /* message_start sent */
    A2O_ST_FINAL, /* message_stop sent */
    A2O_ST_ERROR  /* ended by an error */
};

/* The open content block. */
enum { A2O_BLK_NONE, A2O_BLK_THINKING, A2O_BLK_TEXT, A2O_BLK_TOOL };

/* What the readers found out about the end of the message; they write
 * it, the emitter reads it for message_delta. */
struct a2o__outcome {
    char finish[32];            /* finish_reason, "" until one came */
    char *matched;              /* the stop string matched, or NULL */
    int refusal;                /* a refusal came */
    struct a2o_oai_usage usage; /* as reported so far */
};

struct a2o__emit {
    const struct a2o_reqmeta *meta; /* model, estimate, stop sequences */
    char *msg_id;                   /* the message id, copied */
    size_t max_block;               /* cap on ws and late */
    struct a2o_buf *out;            /* the caller's buffer, during a call */

    int state;         /* A2O_ST_* */
    int started;       /* a byte went out */
    int ended;         /* message_stop or error went out */
    enum a2o_err fail; /* the error that ended the stream */

    int blk;           /* A2O_BLK_* */
    int cur_index;     /* index of the open block */
    int next_index;    /* next block index */
    int content_begun; /* a text or tool block was opened */
    size_t ntools;     /* tool_use blocks emitted */

    struct a2o_buf ws;   /* blank text held back */
    struct a2o_buf late; /* reasoning after content began */
    size_t out_bytes;    /* produced bytes, for the estimate */
    char *tail;          /* end of the text, tail_max bytes */
    size_t tail_len, tail_max;
};

/* Sets e up in INIT.  Copies msg_id (NULL: ""); meta must outlive e.
 * A2O_E_NOMEM: e holds nothing (a2o__emit_free is still safe). */
enum a2o_err a2o__emit_init(struct a2o__emit *e, const struct a2o_reqmeta *meta,
                            const char *msg_id, size_t max_block);

/* Frees what e holds. */
void a2o__emit_free(struct a2o__emit *e);

/* The usage of message_delta: o's numbers, estimated where missing. */
void a2o__emit_usage(const struct a2o__emit *e, const struct a2o__outcome *o,
                     struct a2o_usage *u);

/*
 * The functions below append to e->out, which the caller sets before,
 * and return A2O_E_OK, or the error of a2o_buf_add on the output.
 */

/* INIT -> OPEN: message_start (the client's model, the input estimate)
 * and a ping; nothing in any other state. */
enum a2o_err a2o__emit_open(struct a2o__emit *e);

/* A ping inside the message (from INIT: a2o__emit_open, which sends
 * one); nothing after the end. */
enum a2o_err a2o__emit_ping(struct a2o__emit *e);

/* Answer text, in a text block; blank text is held until non-blank
 * text follows (no blank text block). */
enum a2o_err a2o__emit_text(struct a2o__emit *e, const char *p, size_t n);

/* Reasoning text: a thinking block before any content, else gathered
 * ("late") into one block sent when the open block closes. */
enum a2o_err a2o__emit_reasoning(struct a2o__emit *e, const char *p, size_t n);

/* Opens an empty thinking block, when no content began and no block is
 * open (a reasoning item with a signature but no text); else nothing. */
enum a2o_err a2o__emit_thinking(struct a2o__emit *e);

/* Closes the open thinking block with signature sig[0..n) (n 0: ours,
 * A2O_THINKING_SIGNATURE); nothing when no thinking block is open. */
enum a2o_err a2o__emit_thinking_end(struct a2o__emit *e, const char *sig,
                                    size_t n);

/* Closes the open block (content_block_stop, a thinking block's
 * signature first); late reasoning stays gathered. */
enum a2o_err a2o__emit_close(struct a2o__emit *e);

/* Closes the open block, then sends the late reasoning gathered as a
 * block of its own: no block is open after. */
enum a2o_err a2o__emit_flush(struct a2o__emit *e);

/* a2o__emit_flush, then a tool_use block with the client-facing id
 * id[0..idn) and name; its arguments follow with a2o__emit_args. */
enum a2o_err a2o__emit_tool(struct a2o__emit *e, const char *id, size_t idn,
                            const char *name);

/* An argument fragment of the open tool_use block (input_json_delta). */
enum a2o_err a2o__emit_args(struct a2o__emit *e, const char *p, size_t n);

/* The end: a2o__emit_flush, message_delta (stop reason and usage from
 * o), message_stop -> FINAL. */
enum a2o_err a2o__emit_final(struct a2o__emit *e, const struct a2o__outcome *o);

/*
 * Ends the stream with err: from INIT nothing is written (the caller
 * answers with an HTTP status), else an `event: error` frame for err and
 * d.  Returns the error that ended the stream (err, the earlier one when
 * it had ended, or A2O_E_NOMEM when even the frame could not be written).
 */
enum a2o_err a2o__emit_error(struct a2o__emit *e, enum a2o_err err,
                             const struct a2o_diag *d);

/* stream.h a2o_stream_fail: `event: error` unless the stream ended; the
 * stream is then started and ended.  Errors as a2o_sse_write. */
enum a2o_err a2o__emit_fail(struct a2o__emit *e, enum a2o_err err,
                            const struct a2o_diag *d);

#endif
