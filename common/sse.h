/*
 * sse.h: Server-Sent Events framing (the WHATWG "event stream" format).
 *
 * The reader is incremental in the nginx way: all its state lives in
 * struct a2o_sse, so a feed may end at any byte (inside a line, between
 * "\r" and "\n") and the next feed resumes there.  It accepts "\n",
 * "\r\n" and "\r" line ends, ":" comment lines, "data:" with or without
 * one space, multi-line data (joined with "\n"), "event:" names, and a
 * final event that lacks its blank line (dispatched by a2o_sse_finish).
 * A line, or an event's joined data, longer than the cap is an error, so
 * a peer cannot make it buffer without bound.
 *
 * The writer appends one frame "event: <type>\ndata: <json>\n\n", the
 * only shape the Anthropic SDKs read (the `event:` line is mandatory).
 */
#ifndef A2O_SSE_H
#define A2O_SSE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* One dispatched event.  The pointers are valid during the callback only;
 * data is NUL-terminated (data[datan] == 0). */
struct a2o_sse_event {
    const char *event; /* "event:" value, "" when there was none */
    size_t eventn;
    const char *data; /* data lines joined with "\n" */
    size_t datan;
};

/*
 * Called once per event that has at least one data line (events made only
 * of "event:"/"id:" lines or comments carry nothing and are skipped, as
 * the spec says).  A return other than A2O_E_OK stops the reader, which
 * then returns that code from feed/finish.
 */
typedef enum a2o_err (*a2o_sse_cb)(void *arg, const struct a2o_sse_event *ev);

/* Reader state; treat as opaque. */
struct a2o_sse {
    struct a2o_buf line;  /* a line split across feeds */
    struct a2o_buf data;  /* data of the event being read */
    struct a2o_buf event; /* its event name */
    size_t max;           /* cap on one line and on one event's data */
    int cr;               /* the last byte seen was '\r' */
    int has_data;         /* the event has at least one data line */
    int bom;              /* BOM bytes matched at the start; -1 past it */
};

/* Initialises r with a cap of max bytes per line and per event.  Never
 * allocates. */
void a2o_sse_init(struct a2o_sse *r, size_t max);

/*
 * Reads n bytes, calling cb for each complete event.  Errors: A2O_E_TOOBIG
 * (a line or an event over the cap), A2O_E_NOMEM, or what cb returned.
 * After an error the reader must only be freed.
 */
enum a2o_err a2o_sse_feed(struct a2o_sse *r, const char *p, size_t n,
                          a2o_sse_cb cb, void *arg);

/* End of input: an unterminated last line is read as a line and a pending
 * event is dispatched.  Errors as a2o_sse_feed. */
enum a2o_err a2o_sse_finish(struct a2o_sse *r, a2o_sse_cb cb, void *arg);

/* Frees what r holds; r may then be initialised again. */
void a2o_sse_free(struct a2o_sse *r);

/*
 * Appends "event: <type>\ndata: <json>\n\n" to out.  json (n bytes) must
 * be one line of JSON (unformatted cJSON output is).  Errors as
 * a2o_buf_add (out is then freed).
 */
enum a2o_err a2o_sse_write(struct a2o_buf *out, const char *type,
                           const char *json, size_t n);

/* The ping frame, written as it is (no printf per ping). */
#define A2O_SSE_PING "event: ping\ndata: {\"type\":\"ping\"}\n\n"

/* Appends the head of a frame, "event: <type>\ndata: ", for a writer
 * that appends the JSON and "\n\n" itself.  Errors as a2o_buf_add. */
enum a2o_err a2o_sse_begin(struct a2o_buf *out, const char *type);

/* Appends the `event: error` frame of err (err.h a2o_err_body, with
 * d->msg when set).  Errors as a2o_buf_add. */
enum a2o_err a2o_sse_write_error(struct a2o_buf *out, enum a2o_err err,
                                 const struct a2o_diag *d);

/*
 * The code a stream converter ends with when reading upstream SSE failed
 * with err: a size cap hit there (A2O_E_TOOBIG: a line over the cap, too
 * many tool calls, arguments over a block cap) is measured on what the
 * upstream sent, so it is its fault, A2O_E_BADGATEWAY (502 api_error),
 * never the client's 413; d gets the MAX_SSE_LINE message unless it says
 * why already.  Any other code is returned as it is.
 */
enum a2o_err a2o_sse_upstream_err(enum a2o_err err, struct a2o_diag *d);

#endif
