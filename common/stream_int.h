/*
 * stream_int.h: the state of the stream converter and the functions its
 * files share (common/README.md §5).  Internal to the converter; each
 * function is declared once, in the section of the file that defines it.
 *
 * The files, each calling only those below it (no cycle):
 *
 *   stream.c        stream.h, the public API: picks the reader, settles
 *                   errors              -> chunk, rsp_stream, call, emit
 *   stream_chunk.c  reads chat.completion.chunk data lines
 *                                       -> think, tc, call, emit
 *   stream_think.c  leading <think> tags in content     -> tc, emit
 *   stream_tc.c     tool calls written as text          -> call, emit
 *   stream_call.c   tool-call deltas, one call at a time -> emit
 *   rsp_stream.c    reads Responses API events          -> emit
 *   stream_emit.c   writes every Anthropic event, owns the message and
 *                   block states (stream_emit.h)
 */
#ifndef A2O_STREAM_INT_H
#define A2O_STREAM_INT_H

#include <stddef.h>

#include "buf.h"
#include "oai.h"
#include "sse.h"
#include "stream.h"
#include "stream_emit.h"

struct a2o_call;
struct a2o_rsp_st;

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

/* Structure of a call's arguments so far (JSON text, scanned as it
 * comes): complete once a value was seen and every bracket closed. */
struct a2o_args_scan {
    long depth;             /* open { and [ outside strings */
    unsigned char in_str;   /* inside a string */
    unsigned char esc;      /* after a backslash in a string */
    unsigned char nonblank; /* anything but blanks came */
};

struct a2o_stream {
    /* stream.c: the options, the upstream SSE reader, the current call */
    const struct a2o_reqmeta *meta;
    const struct a2o_profile *profile;
    char *upstream;          /* o->upstream copied, or NULL */
    unsigned long long seed; /* advanced by every generated tool id */
    size_t max_line;
    size_t max_block;
    int api;              /* enum a2o_api: which reader */
    struct a2o_sse sse;   /* upstream SSE reader */
    struct a2o_diag *d;   /* the caller's diag, or dbuf */
    struct a2o_diag dbuf; /* when the caller passed none */

    struct a2o__emit em;    /* stream_emit.c: events and states */
    struct a2o__outcome oc; /* the readers' findings, for message_delta */
    int any_chunk;          /* a JSON chunk (or event) was read */

    /* stream_chunk.c */
    long nchunk;            /* chunks read so far */
    struct a2o_buf scratch; /* reasoning_details joined */

    /* stream_call.c */
    struct a2o_call *calls; /* every call seen, in order */
    size_t ncalls, calls_cap;
    size_t cur_call; /* the call of the last tool_use block */

    /* stream_think.c */
    int tt;             /* A2O_TT_* */
    struct a2o_buf tag; /* think-tag look-ahead */

    /* stream_tc.c */
    int tc;                       /* A2O_TC_* */
    int tc_kind;                  /* opening tag held while A2O_TC_TAG */
    struct a2o_buf tcb;           /* text held: a possible text tool call */
    struct a2o_args_scan tc_scan; /* the bare JSON held */

    /* rsp_stream.c */
    struct a2o_rsp_st *rsp; /* the Responses reader's state, or NULL */
};

/*
 * The readers return A2O_E_OK or the error that ends the stream (d set
 * for upstream faults); stream.c settles it.
 */

/* stream_chunk.c: the reader of chat.completion.chunk data (api CHAT) */
enum a2o_err a2o__chunk_on_event(void *arg, const struct a2o_sse_event *ev);
/* The upstream body ended (or sent [DONE]): the closing events. */
enum a2o_err a2o__chunk_end(struct a2o_stream *s);

/* stream_think.c: delta content through the think-tag states */
enum a2o_err a2o__think_content(struct a2o_stream *s, const char *p, size_t n);
/* The end: what the look-ahead holds goes out as what it looked like. */
enum a2o_err a2o__think_end(struct a2o_stream *s);

/* stream_tc.c: answer text, through text tool call recognition */
enum a2o_err a2o__tc_answer(struct a2o_stream *s, const char *p, size_t n);
/* The end: a held bare JSON call is decided, anything else is text. */
enum a2o_err a2o__tc_end(struct a2o_stream *s);

/* stream_call.c: upstream tool calls */
/* One element of delta.tool_calls (tc, its function fn), or a legacy
 * function_call (tc the delta). */
enum a2o_err a2o__call_delta(struct a2o_stream *s, const cJSON *tc,
                             const cJSON *fn);
/* Starts the named calls that may start now (force: all, at the end). */
enum a2o_err a2o__call_ready(struct a2o_stream *s, int force);
/* A whole tool call recovered from text: emitted as one tool_use block
 * with a generated id; name and args (cJSON_malloc'd) are taken over. */
enum a2o_err a2o__call_text(struct a2o_stream *s, char *name, char *args);
/* Follows the JSON structure of a fragment. */
void a2o__call_scan(struct a2o_args_scan *sc, const char *p, size_t n);
/* 1 when no string or bracket is open (nothing at all counts too). */
int a2o__call_closed(const struct a2o_args_scan *sc);
void a2o__call_free(struct a2o_stream *s);

/* rsp_stream.c: the reader of Responses API events (api RESPONSES) */
enum a2o_err a2o__rsp_stream_on_event(void *arg,
                                      const struct a2o_sse_event *ev);
/* The body ended: without response.completed the answer was cut. */
enum a2o_err a2o__rsp_stream_end(struct a2o_stream *s);
void a2o__rsp_stream_free(struct a2o_stream *s);

#endif
