/*
 * stream.c: OpenAI chat.completion.chunk SSE (or, with opts.api
 * A2O_API_RESPONSES, Responses API events) -> Anthropic SSE events
 * (common/README.md §5); the public API of stream.h.
 *
 * Each feed runs the upstream bytes through the SSE reader into the
 * reader of the upstream's API (stream_chunk.c or rsp_stream.c), which
 * hands what it finds to the emitter (stream_emit.c: the message and
 * block states, every event written).  An error a reader returns ends
 * the stream here (settle): before the first byte nothing is written,
 * so the caller can still answer with an HTTP status; after it, an
 * `event: error`.  stream_int.h lists the files and their order.
 */
#include "stream.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "sse.h"
#include "str.h"
#include "stream_int.h"

struct a2o_stream *
a2o_stream_new(const struct a2o_stream_opts *o)
{
    struct a2o_stream *s = cJSON_malloc(sizeof(*s));
    enum a2o_err err;

    if (s == NULL)
        return NULL;
    memset(s, 0, sizeof(*s));
    s->meta = o->meta;
    s->profile = o->profile;
    s->seed = o->seed;
    s->api = o->api;
    s->max_line = o->max_line > 0 ? o->max_line : (size_t)16 << 20;
    s->max_block = o->max_block > 0 ? o->max_block : (size_t)16 << 20;
    a2o_sse_init(&s->sse, s->max_line);
    a2o_buf_init(&s->scratch, s->max_line);
    a2o_buf_init(&s->tag, s->max_line);
    a2o_buf_init(&s->tcb, s->max_block);
    s->tt = s->profile != NULL && s->profile->think_tags ? A2O_TT_START
                                                         : A2O_TT_OFF;
    s->tc = s->profile != NULL && s->profile->text_tool_calls &&
                    s->meta != NULL && s->meta->ntools > 0
                ? A2O_TC_START
                : A2O_TC_OFF;
    err = a2o__emit_init(&s->em, o->meta, o->msg_id, s->max_block);
    if (err == A2O_E_OK && o->upstream != NULL) {
        s->upstream = a2o_str_dup(o->upstream);
        if (s->upstream == NULL)
            err = A2O_E_NOMEM;
    }
    if (err != A2O_E_OK) {
        a2o_stream_free(s);
        return NULL;
    }
    return s;
}

void
a2o_stream_free(struct a2o_stream *s)
{
    if (s == NULL)
        return;
    a2o_sse_free(&s->sse);
    a2o_buf_free(&s->scratch);
    a2o_buf_free(&s->tag);
    a2o_buf_free(&s->tcb);
    a2o__emit_free(&s->em);
    a2o__rsp_stream_free(s);
    a2o__call_free(s);
    cJSON_free(s->oc.matched);
    cJSON_free(s->upstream);
    cJSON_free(s);
}

/* The reader of upstream events: chat chunks, or Responses events. */
static a2o_sse_cb
reader(const struct a2o_stream *s)
{
    return s->api == A2O_API_RESPONSES ? a2o__rsp_stream_on_event
                                       : a2o__chunk_on_event;
}

/* Entry of feed and finish: 0 (with *ret set) when the stream is over. */
static int
enter(struct a2o_stream *s, struct a2o_buf *out, struct a2o_diag *d,
      enum a2o_err *ret)
{
    *ret = s->em.state == A2O_ST_ERROR ? s->em.fail : A2O_E_OK;
    if (s->em.state == A2O_ST_ERROR || s->em.state == A2O_ST_FINAL)
        return 0;
    s->em.out = out;
    s->d = d != NULL ? d : &s->dbuf;
    a2o_diag_clear(s->d);
    return 1;
}

/* A reader's error ends the stream (sse.h a2o_sse_upstream_err). */
static enum a2o_err
settle(struct a2o_stream *s, enum a2o_err err)
{
    if (err == A2O_E_OK)
        return A2O_E_OK;
    err = a2o_sse_upstream_err(err, s->d);
    return a2o__emit_error(&s->em, err, s->d);
}

enum a2o_err
a2o_stream_feed(struct a2o_stream *s, const char *p, size_t n,
                struct a2o_buf *out, struct a2o_diag *d)
{
    enum a2o_err err;

    if (!enter(s, out, d, &err))
        return err;
    err = a2o_sse_feed(&s->sse, p, n, reader(s), s);
    return settle(s, err);
}

enum a2o_err
a2o_stream_finish(struct a2o_stream *s, struct a2o_buf *out, struct a2o_diag *d)
{
    enum a2o_err err;

    if (!enter(s, out, d, &err))
        return err;
    err = a2o_sse_finish(&s->sse, reader(s), s);
    /* the upstream body ended: with or without [DONE], close it */
    if (err == A2O_E_OK && s->em.state != A2O_ST_FINAL &&
        s->em.state != A2O_ST_ERROR)
        err = s->api == A2O_API_RESPONSES ? a2o__rsp_stream_end(s)
                                          : a2o__chunk_end(s);
    return settle(s, err);
}

enum a2o_err
a2o_stream_begin(struct a2o_stream *s, struct a2o_buf *out)
{
    s->em.out = out;
    return a2o__emit_open(&s->em);
}

enum a2o_err
a2o_stream_ping(struct a2o_stream *s, struct a2o_buf *out)
{
    s->em.out = out;
    return a2o__emit_ping(&s->em);
}

enum a2o_err
a2o_stream_fail(struct a2o_stream *s, enum a2o_err err,
                const struct a2o_diag *d, struct a2o_buf *out)
{
    s->em.out = out;
    return a2o__emit_fail(&s->em, err, d);
}

int
a2o_stream_started(const struct a2o_stream *s)
{
    return s->em.started;
}

int
a2o_stream_ended(const struct a2o_stream *s)
{
    return s->em.ended;
}

void
a2o_stream_usage(const struct a2o_stream *s, struct a2o_usage *u)
{
    a2o__emit_usage(&s->em, &s->oc, u);
}
