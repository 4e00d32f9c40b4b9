/*
 * stream.h: OpenAI chat.completion.chunk SSE -> Anthropic SSE events
 * (common/README.md §5); with opts.api A2O_API_RESPONSES, OpenAI Responses
 * API events instead (rsp_stream.c), through the same emitter.
 *
 * Fed upstream bytes in any split; appends complete Anthropic SSE frames
 * ("event: X\ndata: {...}\n\n") to the caller's buffer.  The output is
 * identical whatever the split.  One stream per request; not shared
 * between threads.
 */
#ifndef A2O_STREAM_H
#define A2O_STREAM_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "req.h"
#include "usage.h"

struct a2o_stream_opts {
    const struct a2o_reqmeta *meta;    /* from a2o_req_convert */
    const struct a2o_profile *profile; /* the route's profile */
    const char *msg_id;                /* "msg_..." chosen by the caller */
    unsigned long long seed;           /* for generated tool ids */
    const char
        *upstream;    /* identity of the upstream (its base URL) that answers */
    size_t max_line;  /* cap on one SSE line / event (conf max_sse_line) */
    size_t max_block; /* cap on one block's buffered text/arguments */
    int api;          /* enum a2o_api: which reader */
};

struct a2o_stream;

/* A new converter, or NULL on allocation failure.  Copies what it needs
 * of o except meta and profile, which must outlive it. */
struct a2o_stream *a2o_stream_new(const struct a2o_stream_opts *o);

/*
 * Feeds n upstream bytes; appends events to out.  Errors end the stream:
 * - before anything was emitted (a2o_stream_started() == 0), an in-band
 *   upstream error returns its code with d filled and appends nothing,
 *   so the caller can still answer with an HTTP error status;
 * - after that, an `event: error` frame is appended and the code is
 *   returned; later feeds and finish append nothing.
 * A size cap hit on upstream data (a line over max_line, arguments over
 * max_block) is A2O_E_BADGATEWAY: the upstream's fault; or A2O_E_NOMEM.
 */
enum a2o_err a2o_stream_feed(struct a2o_stream *s, const char *p, size_t n,
                             struct a2o_buf *out, struct a2o_diag *d);

/*
 * The upstream body ended (with or without [DONE]): closes open blocks,
 * emits message_delta (stop reason, usage) and message_stop, exactly once.
 * An upstream that sent nothing usable is an error (A2O_E_BADGATEWAY),
 * reported as for feed.
 */
enum a2o_err a2o_stream_finish(struct a2o_stream *s, struct a2o_buf *out,
                               struct a2o_diag *d);

/* Emits message_start and the first ping unless already done. */
enum a2o_err a2o_stream_begin(struct a2o_stream *s, struct a2o_buf *out);

/* Emits a ping (beginning the stream first if needed).  Nothing after the
 * end. */
enum a2o_err a2o_stream_ping(struct a2o_stream *s, struct a2o_buf *out);

/*
 * The transfer failed (timeout, connection lost, write error upstream):
 * appends `event: error` with err's type and message (d->msg when set)
 * unless the stream already ended, and marks it started and ended.  Call
 * it only once the status is committed (a2o_stream_started()): before
 * that the caller should send an HTTP error instead.
 */
enum a2o_err a2o_stream_fail(struct a2o_stream *s, enum a2o_err err,
                             const struct a2o_diag *d, struct a2o_buf *out);

/* 1 once any byte was emitted (the HTTP status is then committed). */
int a2o_stream_started(const struct a2o_stream *s);

/* 1 once message_stop or error was emitted. */
int a2o_stream_ended(const struct a2o_stream *s);

/* Usage so far (final after finish). */
void a2o_stream_usage(const struct a2o_stream *s, struct a2o_usage *u);

void a2o_stream_free(struct a2o_stream *s);

#endif
