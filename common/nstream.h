/*
 * nstream.h: a validating relay of an upstream Anthropic SSE stream (an
 * upstream that speaks /v1/messages itself: vLLM, llama.cpp, Ollama).
 *
 * Same life cycle and contracts as the chat converter (stream.h): fed
 * upstream bytes in any split, it appends complete frames
 * "event: X\ndata: {...}\n\n" to the caller's buffer, and the output is
 * identical whatever the split.  Each upstream event goes out as the
 * upstream sent it (its JSON data unchanged, re-framed on one line), once
 * it passed the checks below, so the caller can flush event by event.
 * One relay per request; not shared between threads.
 *
 * Checked: data is a JSON object whose "type" equals the event name (an
 * event without an `event:` line takes its name from "type");
 * message_start first; content_block_start/delta/stop with indexes
 * 0, 1, 2... (one block open at a time, never reused), each delta of a
 * type its block can carry (text: text_delta, citations_delta; thinking:
 * thinking_delta, signature_delta; tool_use / server_tool_use /
 * mcp_tool_use: input_json_delta; other block types: any); message_delta
 * (one or more, as Anthropic's docs allow) after the last block stop;
 * message_stop last.  Choices where the protocol leaves room:
 * - `ping` is relayed anywhere inside the message; an upstream ping
 *   before message_start is dropped (message_start must come first);
 * - an event of an unknown type whose data is a JSON object with the
 *   same "type" is dropped, not relayed: the SDKs ignore such events,
 *   and relaying them would break clients that check the sequence;
 * - input after message_stop is ignored, as in stream.h's FINAL.
 */
#ifndef A2O_NSTREAM_H
#define A2O_NSTREAM_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "usage.h"

struct a2o_nstream_opts {
    size_t max_line; /* cap on one SSE line / event (conf max_sse_line);
                      * 0: 16 MiB */
};

struct a2o_nstream;

/* A new relay, or NULL on allocation failure.  Keeps nothing of o. */
struct a2o_nstream *a2o_nstream_new(const struct a2o_nstream_opts *o);

/*
 * Feeds n upstream bytes; appends the relayed events to out.  Errors end
 * the stream:
 * - an upstream `event: error` before anything was emitted
 *   (a2o_nstream_started() == 0) returns the code of its error.type
 *   (overloaded_error: A2O_E_OVERLOADED, rate_limit_error: RATELIMIT,
 *   invalid_request_error: BADREQ, ...; unknown types BADGATEWAY) with
 *   d->msg the upstream's message (made client-safe), and appends
 *   nothing, so the caller can still answer with an HTTP status; once
 *   started, the upstream's error frame is relayed (or ours, when its
 *   data lacks error.type/message) and its code returned;
 * - data that is not a JSON object (or not UTF-8), a name that differs
 *   from data.type, an event out of order, or a line over max_line:
 *   A2O_E_BADGATEWAY with d->msg; before the first byte nothing is
 *   appended, after it our own `event: error` (api_error);
 * - A2O_E_NOMEM, reported the same way.
 * After an error, later feeds and finish append nothing and return the
 * error again.  d may be NULL.
 */
enum a2o_err a2o_nstream_feed(struct a2o_nstream *s, const char *p, size_t n,
                              struct a2o_buf *out, struct a2o_diag *d);

/*
 * The upstream body ended.  A stream that reached message_stop is OK; one
 * cut before it (or empty) is A2O_E_BADGATEWAY, reported as for feed.
 * Calling it again returns the same code and appends nothing.
 */
enum a2o_err a2o_nstream_finish(struct a2o_nstream *s, struct a2o_buf *out,
                                struct a2o_diag *d);

/*
 * Appends an Anthropic ping frame (the caller's keep-alive).  Before the
 * upstream's message_start it appends nothing and returns A2O_E_OK:
 * message_start must be the first event and only the upstream can send
 * it.  Nothing after the end.  Errors as a2o_buf_add.
 */
enum a2o_err a2o_nstream_ping(struct a2o_nstream *s, struct a2o_buf *out);

/*
 * The transfer failed (timeout, connection lost): appends `event: error`
 * with err's type and message (d->msg when set) unless the stream already
 * ended, and marks it started and ended.  Call it only once the status is
 * committed (a2o_nstream_started()); before that, answer with an HTTP
 * error instead.  Returns A2O_E_OK or the error of writing the frame.
 */
enum a2o_err a2o_nstream_fail(struct a2o_nstream *s, enum a2o_err err,
                              const struct a2o_diag *d, struct a2o_buf *out);

/* 1 once any byte was emitted (the HTTP status is then committed). */
int a2o_nstream_started(const struct a2o_nstream *s);

/* 1 once message_stop or error was emitted. */
int a2o_nstream_ended(const struct a2o_nstream *s);

/*
 * Usage so far: input_tokens and cache_* from message_start's
 * message.usage, output_tokens (and any count sent again) from
 * message_delta's usage.  estimated is 1 until both an input_tokens and a
 * message_delta output_tokens were seen.
 */
void a2o_nstream_usage(const struct a2o_nstream *s, struct a2o_usage *u);

void a2o_nstream_free(struct a2o_nstream *s);

#endif
