/*
 * stream_int.h: the state of the stream converter, shared by stream.c
 * (states, blocks, emission) and stream_chunk.c (reading chunks, tool
 * calls, think tags).  Internal to those two files.
 */
#ifndef A2O_STREAM_INT_H
#define A2O_STREAM_INT_H

#include <stddef.h>

#include "buf.h"
#include "oai.h"
#include "sse.h"
#include "stream.h"

struct a2o_rsp_st;

/* Message states; see the comment at the top of stream.c. */
enum {
    A2O_ST_INIT,  /* nothing emitted */
    A2O_ST_OPEN,  /* message_start sent */
    A2O_ST_FINAL, /* message_stop sent */
    A2O_ST_ERROR  /* ended by an error */
};

/* The open content block. */
enum { A2O_BLK_NONE, A2O_BLK_THINKING, A2O_BLK_TEXT, A2O_BLK_TOOL };

/* Leading <think>...</think> in content (profile think_tags). */
enum {
    A2O_TT_OFF,   /* content is answer text */
    A2O_TT_START, /* nothing but blanks seen yet: may open with <think> */
    A2O_TT_IN,    /* inside <think>: content is reasoning */
    A2O_TT_AFTER  /* just after </think>: blanks are dropped */
};

/* Tool calls written as text (profile text_tool_calls, txtcall.h). */
enum {
    A2O_TC_OFF,   /* not looked for */
    A2O_TC_START, /* only blanks yet: a bare JSON call may follow */
    A2O_TC_TEXT,  /* text; tcb may hold a partial opening tag */
    A2O_TC_TAG,   /* tcb holds an opened tag, up to its closing tag */
    A2O_TC_JSON   /* tcb holds what may be a bare JSON call */
};

/* Life of one upstream tool call. */
enum {
    A2O_CALL_PENDING, /* not started (no name yet, or held behind the
                       * open call): arguments buffered */
    A2O_CALL_OPEN,    /* its tool_use block is the open block */
    A2O_CALL_CLOSED   /* its block was stopped */
};

/* Structure of a call's arguments so far (JSON text, scanned as it
 * comes): complete once a value was seen and every bracket closed. */
struct a2o_args_scan {
    long depth;             /* open { and [ outside strings */
    unsigned char in_str;   /* inside a string */
    unsigned char esc;      /* after a backslash in a string */
    unsigned char nonblank; /* anything but blanks came */
};

struct a2o_call {
    char *id;                  /* upstream id, NULL until one came */
    char *name;                /* upstream name, NULL until one came */
    char *sig;                 /* Gemini thought_signature, or NULL */
    struct a2o_buf args;       /* fragments received while PENDING */
    struct a2o_args_scan scan; /* every fragment, held or emitted */
    long index;                /* upstream "index", -1 when it had none */
    long named_at;             /* chunk number that brought the name */
    int state;                 /* A2O_CALL_* */
};

struct a2o_stream {
    const struct a2o_reqmeta *meta;
    const struct a2o_profile *profile;
    char *msg_id;
    char *upstream;          /* o->upstream copied, or NULL */
    unsigned long long seed; /* advanced by every generated tool id */
    size_t max_line;
    size_t max_block;

    struct a2o_sse sse; /* upstream SSE reader */
    int state;          /* A2O_ST_* */
    int started;        /* a byte went out */
    int ended;          /* message_stop or error went out */
    enum a2o_err fail;  /* the error that ended the stream */
    int any_chunk;      /* a JSON chunk was read */

    int blk;           /* A2O_BLK_* */
    int cur_index;     /* index of the open block */
    int next_index;    /* next block index */
    int content_begun; /* a text or tool block was opened */

    struct a2o_call *calls; /* every call seen, in order */
    size_t ncalls, calls_cap;
    size_t cur_call; /* the OPEN call when blk is TOOL */
    size_t ntools;   /* tool_use blocks emitted */
    long nchunk;     /* chunks read so far */

    struct a2o_buf ws;            /* blank text held back */
    struct a2o_buf late;          /* reasoning after content began */
    struct a2o_buf scratch;       /* reasoning_details joined */
    struct a2o_buf tag;           /* think-tag look-ahead */
    int tt;                       /* A2O_TT_* */
    int tc;                       /* A2O_TC_* (stream_tc.c) */
    int tc_kind;                  /* opening tag held while A2O_TC_TAG */
    struct a2o_buf tcb;           /* text held: a possible text tool call */
    struct a2o_args_scan tc_scan; /* the bare JSON held */

    char finish[32];            /* finish_reason, "" until one came */
    char *matched;              /* vLLM stop_reason string */
    int refusal;                /* a refusal delta came */
    struct a2o_oai_usage usage; /* as reported so far */
    size_t out_bytes;           /* produced bytes, for the estimate */
    char *tail;                 /* end of the text, tail_max bytes */
    size_t tail_len, tail_max;

    int api;                /* enum a2o_api: which reader */
    struct a2o_rsp_st *rsp; /* the Responses reader's state, or NULL */
    struct a2o_buf sig;     /* signature of the open thinking block;
                             * empty: A2O_THINKING_SIGNATURE */

    struct a2o_buf *out;  /* the caller's buffer, during a call */
    struct a2o_diag *d;   /* the caller's diag, or dbuf */
    struct a2o_diag dbuf; /* when the caller passed none */
};

/* stream.c */
enum a2o_err a2o_stream_open(struct a2o_stream *s);
enum a2o_err a2o_stream_close_block(struct a2o_stream *s);
enum a2o_err a2o_stream_switch(struct a2o_stream *s, int blk);
enum a2o_err a2o_stream_tool_start(struct a2o_stream *s, const char *id,
                                   size_t idn, const char *name);
enum a2o_err a2o_stream_emit_args(struct a2o_stream *s, const char *p,
                                  size_t n);
enum a2o_err a2o_stream_text(struct a2o_stream *s, const char *p, size_t n);
enum a2o_err a2o_stream_reasoning(struct a2o_stream *s, const char *p,
                                  size_t n);
enum a2o_err a2o_stream_flush_late(struct a2o_stream *s);
enum a2o_err a2o_stream_final(struct a2o_stream *s);
enum a2o_err a2o_stream_error(struct a2o_stream *s, enum a2o_err err,
                              const struct a2o_diag *d);
enum a2o_err a2o_stream_add_int(struct a2o_buf *b, long v);

/* stream_chunk.c */
void a2o_stream_scan_args(struct a2o_args_scan *sc, const char *p, size_t n);
int a2o_stream_args_closed(const struct a2o_args_scan *sc);
enum a2o_err a2o_stream_on_event(void *arg, const struct a2o_sse_event *ev);
enum a2o_err a2o_stream_settle(struct a2o_stream *s, enum a2o_err err);
enum a2o_err a2o_stream_end(struct a2o_stream *s);
enum a2o_err a2o_stream_think_end(struct a2o_stream *s);
void a2o_stream_call_closed(struct a2o_stream *s);
enum a2o_err a2o_stream_calls_flush(struct a2o_stream *s);
/* A whole tool call recovered from text: emitted as one tool_use block
 * with a generated id; name and args (cJSON_malloc'd) are taken over. */
enum a2o_err a2o_stream_text_call(struct a2o_stream *s, char *name, char *args);

/* stream_tc.c: answer text, through text tool call recognition */
enum a2o_err a2o_stream_answer(struct a2o_stream *s, const char *p, size_t n);
enum a2o_err a2o_stream_answer_end(struct a2o_stream *s);
void a2o_stream_calls_free(struct a2o_stream *s);

/* rsp_stream.c: the reader of Responses API events (api RESPONSES) */
enum a2o_err a2o_rsp_stream_on_event(void *arg, const struct a2o_sse_event *ev);
enum a2o_err a2o_rsp_stream_end(struct a2o_stream *s);
void a2o_rsp_stream_free(struct a2o_stream *s);

#endif
