/*
 * stream.c: OpenAI chat.completion.chunk SSE -> Anthropic SSE events
 * (common/README.md §5).
 *
 * Message states (s->state), h2o style: in progress, final, error.
 *
 *   INIT   nothing emitted.  The first JSON chunk (or begin/ping) emits
 *          message_start + ping -> OPEN.  An in-band error, a garbage
 *          line or finish-with-nothing here emits nothing -> ERROR, so the
 *          caller can still answer with an HTTP status.
 *   OPEN   message_start sent; chunks drive the block machine below.
 *          finish_reason is remembered; the closing events are held until
 *          a chunk with usage arrives (same or later chunk), "[DONE]", or
 *          finish() -> FINAL.  Errors -> `event: error` -> ERROR.
 *   FINAL  last block stopped, message_delta, message_stop sent.  Later
 *          input is ignored.
 *   ERROR  `event: error` sent (or, from INIT, nothing).  Later input is
 *          ignored; feed/finish return the error again.
 *
 * Block states (s->blk) inside OPEN; one block at most is open, indexes
 * are handed out 0, 1, 2... and never reused:
 *
 *   NONE      no block open.
 *   THINKING  reasoning deltas -> thinking_delta.  Closed (signature_delta
 *             first, then content_block_stop) when text or a tool starts.
 *   TEXT      content deltas -> text_delta.  Closed when a tool starts.
 *   TOOL      argument fragments of the current call -> input_json_delta.
 *             Closed when another call or text starts.
 *
 * Choices made where the protocol leaves room (see also the report):
 * - Order is thinking, text, tools.  Reasoning that arrives once a text
 *   or tool block has been opened ("late" reasoning) does not open a new
 *   block there, which would split the answer into fragments
 *   (farion1231/cc-switch#5692); it is gathered (capped at max_block,
 *   the excess dropped) and emitted as one thinking block when the open
 *   block closes (before the next tool, or at the end).  Whitespace-only
 *   late reasoning is dropped.
 * - Text that is only whitespace is held until non-blank text follows
 *   (then emitted in front of it); whitespace before a tool call or at
 *   the end is dropped, so no text block is ever empty or blank.
 * - Tool calls stream one at a time.  A call starts (content_block_start)
 *   once its name is known and either arguments or a thought signature
 *   came, or the chunk that named it has passed (a gateway may send the
 *   signature after the name; the id that carries it goes out in
 *   content_block_start); fragments that come before are buffered
 *   (capped at max_block: A2O_E_TOOBIG).  While the open call's
 *   arguments are incomplete JSON, later calls are held with their
 *   fragments (an upstream interleaving parallel calls), and start, in
 *   order, once it completes or at the end: every fragment reaches its
 *   own call.  A delta that names the same tool again once its
 *   arguments are complete JSON starts a new call (stream_chunk.c
 *   find_call).  Arguments that still come for a call whose block was
 *   stopped (it looked complete and the next call started, or text came
 *   in between) cannot be delivered any more: blank ones are ignored,
 *   others end the stream with a 502 `event: error` (tool_delta).  A
 *   call that never got a name is dropped.
 * - Tool calls that the model wrote in its text (profile text_tool_calls)
 *   become tool_use blocks where the text had them; only the bytes that
 *   may begin one are held back (stream_tc.c).
 * - A data line that is not a JSON object (garbage, an HTML page) is an
 *   error (A2O_E_BADGATEWAY): continuing would hide a broken upstream.
 *   Lines without "data:" (comments, "event:", "id:") are ignored.
 *
 * Output is written straight into the caller's buffer with
 * a2o_buf_add_json_str (no cJSON tree per event): one cJSON parse per
 * upstream data line is the only per-chunk tree.
 */
#include "stream.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "oai.h"
#include "sse.h"
#include "stream_int.h"
#include "str.h"

/* Fixed prefixes of the frames we write most (no printf per delta). */
#define DELTA_HEAD                                                             \
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","     \
    "\"index\":"

static enum a2o_err emit_str_delta(struct a2o_stream *s, const char *type,
                                   const char *field, const char *p1, size_t n1,
                                   const char *p2, size_t n2);

/*
 * Opens a tool_use block (the caller switched to A2O_BLK_TOOL, so no
 * other block is open): content_block_start with the client-facing id
 * and name, input {} (the arguments follow as input_json_delta).
 */
enum a2o_err
a2o_stream_tool_start(struct a2o_stream *s, const char *id, size_t idn,
                      const char *name)
{
    enum a2o_err err;

    err = a2o_buf_adds(s->out, "event: content_block_start\ndata: "
                               "{\"type\":\"content_block_start\",\"index\":");
    if (err == A2O_E_OK)
        err = a2o_stream_add_int(s->out, s->next_index);
    if (err == A2O_E_OK)
        err = a2o_buf_adds(s->out, ",\"content_block\":{\"type\":"
                                   "\"tool_use\",\"id\":\"");
    if (err == A2O_E_OK)
        err = a2o_buf_add_json_str(s->out, id, idn);
    if (err == A2O_E_OK)
        err = a2o_buf_adds(s->out, "\",\"name\":\"");
    if (err == A2O_E_OK)
        err = a2o_buf_add_json_str(s->out, name, strlen(name));
    if (err == A2O_E_OK)
        err = a2o_buf_adds(s->out, "\",\"input\":{}}}\n\n");
    s->out_bytes += strlen(name);
    s->blk = A2O_BLK_TOOL;
    s->cur_index = s->next_index++;
    return err;
}

/* Appends a frame whose data is built by the caller between head/tail. */
static enum a2o_err
frame_start(struct a2o_stream *s, const char *type)
{
    enum a2o_err err = a2o_buf_adds(s->out, "event: ");

    if (err == A2O_E_OK)
        err = a2o_buf_adds(s->out, type);
    if (err == A2O_E_OK)
        err = a2o_buf_add(s->out, "\ndata: ", 7);
    return err;
}

static enum a2o_err
emit_message_start(struct a2o_stream *s)
{
    struct a2o_buf *o = s->out;
    const char *model = s->meta != NULL && s->meta->client_model != NULL
                            ? s->meta->client_model
                            : "";
    long est = s->meta != NULL && s->meta->input_estimate > 0
                   ? s->meta->input_estimate
                   : 0;
    enum a2o_err err;

    err = frame_start(s, "message_start");
    if (err == A2O_E_OK)
        err = a2o_buf_adds(o, "{\"type\":\"message_start\",\"message\":"
                              "{\"id\":\"");
    if (err == A2O_E_OK)
        err = a2o_buf_add_json_str(o, s->msg_id, strlen(s->msg_id));
    if (err == A2O_E_OK)
        err = a2o_buf_adds(o, "\",\"type\":\"message\",\"role\":"
                              "\"assistant\",\"model\":\"");
    if (err == A2O_E_OK)
        err = a2o_buf_add_json_str(o, model, strlen(model));
    /* input_tokens: the local estimate until the upstream's real count
     * arrives in message_delta; output_tokens 1 as Anthropic sends */
    if (err == A2O_E_OK)
        err = a2o_buf_addf(o,
                           "\",\"content\":[],\"stop_reason\":null,"
                           "\"stop_sequence\":null,\"usage\":"
                           "{\"input_tokens\":%ld,\"output_tokens\":1,"
                           "\"cache_creation_input_tokens\":0,"
                           "\"cache_read_input_tokens\":0}}}\n\n",
                           est);
    if (err == A2O_E_OK)
        err = a2o_buf_adds(o, "event: ping\ndata: {\"type\":\"ping\"}\n\n");
    return err;
}

/* INIT -> OPEN. */
enum a2o_err
a2o_stream_open(struct a2o_stream *s)
{
    enum a2o_err err;

    if (s->state != A2O_ST_INIT)
        return A2O_E_OK;
    s->started = 1;
    err = emit_message_start(s);
    s->state = A2O_ST_OPEN;
    return err;
}

/* content_block_start for a thinking or text block (tool: stream_chunk.c). */
static enum a2o_err
start_simple(struct a2o_stream *s, int blk)
{
    enum a2o_err err = frame_start(s, "content_block_start");

    if (err == A2O_E_OK)
        err = a2o_buf_addf(
            s->out,
            "{\"type\":\"content_block_start\",\"index\":%d,"
            "\"content_block\":%s}\n\n",
            s->next_index,
            blk == A2O_BLK_THINKING
                ? "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}"
                : "{\"type\":\"text\",\"text\":\"\"}");
    s->blk = blk;
    s->cur_index = s->next_index++;
    return err;
}

/* Closes the open block, whatever it is. */
enum a2o_err
a2o_stream_close_block(struct a2o_stream *s)
{
    enum a2o_err err = A2O_E_OK;

    if (s->blk == A2O_BLK_NONE)
        return A2O_E_OK;
    if (s->blk == A2O_BLK_THINKING) {
        /* every thinking block carries a signature before its stop:
         * the reader's (s->sig, e.g. a Responses reasoning item) or ours */
        if (s->sig.len > 0)
            err = emit_str_delta(s, "signature_delta", "signature", s->sig.p,
                                 s->sig.len, "", 0);
        else
            err = emit_str_delta(s, "signature_delta", "signature",
                                 A2O_THINKING_SIGNATURE,
                                 sizeof(A2O_THINKING_SIGNATURE) - 1, "", 0);
        a2o_buf_reset(&s->sig);
    }
    if (err == A2O_E_OK)
        err = frame_start(s, "content_block_stop");
    if (err == A2O_E_OK)
        err = a2o_buf_addf(s->out,
                           "{\"type\":\"content_block_stop\",\"index\":%d}"
                           "\n\n",
                           s->cur_index);
    if (s->blk == A2O_BLK_TOOL)
        a2o_stream_call_closed(s);
    s->blk = A2O_BLK_NONE;
    return err;
}

/* Opens a block of type blk after closing the open one; late reasoning
 * gathered while a text/tool block was open goes out in between. */
enum a2o_err
a2o_stream_switch(struct a2o_stream *s, int blk)
{
    enum a2o_err err = a2o_stream_close_block(s);

    if (err == A2O_E_OK && blk != A2O_BLK_THINKING)
        err = a2o_stream_flush_late(s);
    if (err != A2O_E_OK || blk == A2O_BLK_NONE || blk == A2O_BLK_TOOL)
        return err;
    if (blk != A2O_BLK_THINKING)
        s->content_begun = 1;
    return start_simple(s, blk);
}

/* Appends v in decimal (printf is too slow for every delta). */
enum a2o_err
a2o_stream_add_int(struct a2o_buf *b, long v)
{
    char t[24];
    size_t i = sizeof(t);
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

    do {
        t[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0)
        t[--i] = '-';
    return a2o_buf_add(b, t + i, sizeof(t) - i);
}

/* A content_block_delta whose delta is {"type":type, field:p1 p2}. */
static enum a2o_err
emit_str_delta(struct a2o_stream *s, const char *type, const char *field,
               const char *p1, size_t n1, const char *p2, size_t n2)
{
    struct a2o_buf *o = s->out;
    enum a2o_err err = a2o_buf_add(o, DELTA_HEAD, sizeof(DELTA_HEAD) - 1);

    if (err == A2O_E_OK)
        err = a2o_stream_add_int(o, s->cur_index);
    if (err == A2O_E_OK)
        err = a2o_buf_adds(o, ",\"delta\":{\"type\":\"");
    if (err == A2O_E_OK)
        err = a2o_buf_adds(o, type);
    if (err == A2O_E_OK)
        err = a2o_buf_adds(o, "\",\"");
    if (err == A2O_E_OK)
        err = a2o_buf_adds(o, field);
    if (err == A2O_E_OK)
        err = a2o_buf_adds(o, "\":\"");
    if (err == A2O_E_OK)
        err = a2o_buf_add_json_str(o, p1, n1);
    if (err == A2O_E_OK && n2 > 0)
        err = a2o_buf_add_json_str(o, p2, n2);
    if (err == A2O_E_OK)
        err = a2o_buf_adds(o, "\"}}\n\n");
    return err;
}

/* Argument fragment of the open tool block. */
enum a2o_err
a2o_stream_emit_args(struct a2o_stream *s, const char *p, size_t n)
{
    if (n == 0)
        return A2O_E_OK;
    s->out_bytes += n;
    return emit_str_delta(s, "input_json_delta", "partial_json", p, n, "", 0);
}

/* Remembers the end of the text for stop-sequence matching. */
static void
keep_tail(struct a2o_stream *s, const char *p, size_t n)
{
    size_t max = s->tail_max, keep;

    if (max == 0)
        return;
    if (n >= max) {
        memcpy(s->tail, p + n - max, max);
        s->tail_len = max;
        return;
    }
    keep = s->tail_len + n > max ? max - n : s->tail_len;
    memmove(s->tail, s->tail + s->tail_len - keep, keep);
    memcpy(s->tail + keep, p, n);
    s->tail_len = keep + n;
}

/* Answer text (after think-tag handling). */
enum a2o_err
a2o_stream_text(struct a2o_stream *s, const char *p, size_t n)
{
    enum a2o_err err;

    if (n == 0)
        return A2O_E_OK;
    s->out_bytes += n; /* blanks too: the model produced them */
    if (s->blk == A2O_BLK_TEXT) {
        keep_tail(s, p, n);
        return emit_str_delta(s, "text_delta", "text", p, n, "", 0);
    }
    if (a2o_str_blank(p, n)) {
        /* held: a blank text block is worse than none */
        if (s->ws.len + n > s->max_block)
            return A2O_E_OK; /* beyond the cap the blanks are dropped */
        return a2o_buf_add(&s->ws, p, n);
    }
    err = a2o_stream_switch(s, A2O_BLK_TEXT);
    if (err != A2O_E_OK)
        return err;
    keep_tail(s, s->ws.p != NULL ? s->ws.p : "", s->ws.len);
    keep_tail(s, p, n);
    err = emit_str_delta(s, "text_delta", "text",
                         s->ws.p != NULL ? s->ws.p : "", s->ws.len, p, n);
    a2o_buf_reset(&s->ws);
    return err;
}

/* Reasoning text, from a reasoning field or from inside <think>. */
enum a2o_err
a2o_stream_reasoning(struct a2o_stream *s, const char *p, size_t n)
{
    enum a2o_err err;

    if (n == 0)
        return A2O_E_OK;
    s->out_bytes += n;
    if (s->blk == A2O_BLK_THINKING)
        return emit_str_delta(s, "thinking_delta", "thinking", p, n, "", 0);
    if (!s->content_begun && s->blk == A2O_BLK_NONE) {
        err = a2o_stream_switch(s, A2O_BLK_THINKING);
        if (err == A2O_E_OK)
            err = emit_str_delta(s, "thinking_delta", "thinking", p, n, "", 0);
        return err;
    }
    /* late reasoning: gathered, emitted when the open block closes */
    if (s->late.len + n > s->max_block)
        n = s->max_block - s->late.len; /* the excess is dropped */
    return a2o_buf_add(&s->late, p, n);
}

/* Emits gathered late reasoning as one thinking block. */
enum a2o_err
a2o_stream_flush_late(struct a2o_stream *s)
{
    enum a2o_err err;

    if (s->late.len == 0)
        return A2O_E_OK;
    if (a2o_str_blank(s->late.p, s->late.len)) {
        a2o_buf_reset(&s->late);
        return A2O_E_OK;
    }
    err = start_simple(s, A2O_BLK_THINKING);
    if (err == A2O_E_OK)
        err = emit_str_delta(s, "thinking_delta", "thinking", s->late.p,
                             s->late.len, "", 0);
    a2o_buf_reset(&s->late);
    if (err == A2O_E_OK)
        err = a2o_stream_close_block(s);
    return err;
}

/* Appends the final events: closes blocks, message_delta, message_stop. */
enum a2o_err
a2o_stream_final(struct a2o_stream *s)
{
    struct a2o_oai_stop st;
    struct a2o_usage u;
    const char *reason, *seq;
    enum a2o_err err;

    err = a2o_stream_think_end(s);
    if (err == A2O_E_OK)
        err = a2o_stream_answer_end(s);
    if (err == A2O_E_OK)
        err = a2o_stream_calls_flush(s);
    if (err == A2O_E_OK)
        err = a2o_stream_switch(s, A2O_BLK_NONE);
    if (err != A2O_E_OK)
        return err;
    st.finish = s->finish[0] != '\0' ? s->finish : NULL;
    st.matched = s->matched;
    st.tool_use = s->ntools > 0;
    st.refusal = s->refusal;
    st.tail = s->tail;
    st.tailn = s->tail_len;
    reason = a2o_oai_stop_reason(&st, s->meta, &seq);
    a2o_stream_usage(s, &u);
    err = frame_start(s, "message_delta");
    if (err == A2O_E_OK)
        err = a2o_buf_addf(s->out,
                           "{\"type\":\"message_delta\",\"delta\":"
                           "{\"stop_reason\":\"%s\",\"stop_sequence\":",
                           reason);
    if (err == A2O_E_OK && seq == NULL)
        err = a2o_buf_adds(s->out, "null");
    if (err == A2O_E_OK && seq != NULL) {
        err = a2o_buf_add(s->out, "\"", 1);
        if (err == A2O_E_OK)
            err = a2o_buf_add_json_str(s->out, seq, strlen(seq));
        if (err == A2O_E_OK)
            err = a2o_buf_add(s->out, "\"", 1);
    }
    if (err == A2O_E_OK)
        err = a2o_buf_addf(s->out,
                           "},\"usage\":{\"input_tokens\":%ld,"
                           "\"output_tokens\":%ld,"
                           "\"cache_read_input_tokens\":%ld,"
                           "\"cache_creation_input_tokens\":%ld}}\n\n",
                           u.input_tokens, u.output_tokens,
                           u.cache_read_input_tokens,
                           u.cache_creation_input_tokens);
    if (err == A2O_E_OK)
        err = a2o_buf_adds(s->out, "event: message_stop\ndata: "
                                   "{\"type\":\"message_stop\"}\n\n");
    if (err == A2O_E_OK) {
        s->state = A2O_ST_FINAL;
        s->ended = 1;
    }
    return err;
}

/*
 * Ends the stream with an error.  From INIT nothing is written (the
 * caller answers with an HTTP status); else an `event: error` frame.
 * Returns err (or NOMEM when even the frame could not be written).
 */
enum a2o_err
a2o_stream_error(struct a2o_stream *s, enum a2o_err err,
                 const struct a2o_diag *d)
{
    char body[512];
    size_t n;
    enum a2o_err e2;

    if (s->state == A2O_ST_FINAL || s->state == A2O_ST_ERROR)
        return s->fail;
    s->fail = err;
    if (s->state == A2O_ST_INIT) {
        s->state = A2O_ST_ERROR;
        return err;
    }
    s->state = A2O_ST_ERROR;
    s->ended = 1;
    n = a2o_err_body(err, d, body, sizeof(body));
    e2 = a2o_sse_write(s->out, "error", body, n);
    if (e2 == A2O_E_NOMEM)
        s->fail = A2O_E_NOMEM; /* the client gets a cut stream */
    return s->fail;
}

struct a2o_stream *
a2o_stream_new(const struct a2o_stream_opts *o)
{
    struct a2o_stream *s = cJSON_malloc(sizeof(*s));
    size_t idn = o->msg_id != NULL ? strlen(o->msg_id) : 0;

    if (s == NULL)
        return NULL;
    memset(s, 0, sizeof(*s));
    s->meta = o->meta;
    s->profile = o->profile;
    s->seed = o->seed;
    s->max_line = o->max_line > 0 ? o->max_line : (size_t)16 << 20;
    s->max_block = o->max_block > 0 ? o->max_block : (size_t)16 << 20;
    s->msg_id = cJSON_malloc(idn + 1);
    s->tail_max = a2o_oai_max_stop(o->meta);
    s->tail = cJSON_malloc(s->tail_max + 1);
    if (s->msg_id == NULL || s->tail == NULL) {
        cJSON_free(s->msg_id);
        cJSON_free(s->tail);
        cJSON_free(s);
        return NULL;
    }
    if (o->upstream != NULL) {
        size_t un = strlen(o->upstream) + 1;

        s->upstream = cJSON_malloc(un);
        if (s->upstream == NULL) {
            cJSON_free(s->msg_id);
            cJSON_free(s->tail);
            cJSON_free(s);
            return NULL;
        }
        memcpy(s->upstream, o->upstream, un);
    }
    memcpy(s->msg_id, idn > 0 ? o->msg_id : "", idn);
    s->msg_id[idn] = '\0';
    a2o_sse_init(&s->sse, s->max_line);
    a2o_buf_init(&s->ws, s->max_block);
    a2o_buf_init(&s->late, s->max_block);
    a2o_buf_init(&s->scratch, s->max_line);
    a2o_buf_init(&s->tag, s->max_line);
    a2o_buf_init(&s->tcb, s->max_block);
    s->tc = s->profile != NULL && s->profile->text_tool_calls &&
                    s->meta != NULL && s->meta->ntools > 0
                ? A2O_TC_START
                : A2O_TC_OFF;
    a2o_buf_init(&s->sig, s->max_line);
    s->api = o->api;
    s->state = A2O_ST_INIT;
    s->blk = A2O_BLK_NONE;
    s->tt = s->profile != NULL && s->profile->think_tags ? A2O_TT_START
                                                         : A2O_TT_OFF;
    return s;
}

void
a2o_stream_free(struct a2o_stream *s)
{
    if (s == NULL)
        return;
    a2o_sse_free(&s->sse);
    a2o_buf_free(&s->ws);
    a2o_buf_free(&s->late);
    a2o_buf_free(&s->scratch);
    a2o_buf_free(&s->tag);
    a2o_buf_free(&s->tcb);
    a2o_buf_free(&s->sig);
    a2o_rsp_stream_free(s);
    a2o_stream_calls_free(s);
    cJSON_free(s->matched);
    cJSON_free(s->msg_id);
    cJSON_free(s->upstream);
    cJSON_free(s->tail);
    cJSON_free(s);
}

/* The reader of upstream events: chat chunks, or Responses events. */
static a2o_sse_cb
reader(const struct a2o_stream *s)
{
    return s->api == A2O_API_RESPONSES ? a2o_rsp_stream_on_event
                                       : a2o_stream_on_event;
}

/* Entry of feed and finish: 0 (with *ret set) when the stream is over. */
static int
enter(struct a2o_stream *s, struct a2o_buf *out, struct a2o_diag *d,
      enum a2o_err *ret)
{
    *ret = s->state == A2O_ST_ERROR ? s->fail : A2O_E_OK;
    if (s->state == A2O_ST_ERROR || s->state == A2O_ST_FINAL)
        return 0;
    s->out = out;
    s->d = d != NULL ? d : &s->dbuf;
    a2o_diag_clear(s->d);
    return 1;
}

enum a2o_err
a2o_stream_feed(struct a2o_stream *s, const char *p, size_t n,
                struct a2o_buf *out, struct a2o_diag *d)
{
    enum a2o_err err;

    if (!enter(s, out, d, &err))
        return err;
    err = a2o_sse_feed(&s->sse, p, n, reader(s), s);
    return a2o_stream_settle(s, err);
}

enum a2o_err
a2o_stream_finish(struct a2o_stream *s, struct a2o_buf *out, struct a2o_diag *d)
{
    enum a2o_err err;

    if (!enter(s, out, d, &err))
        return err;
    err = a2o_sse_finish(&s->sse, reader(s), s);
    /* the upstream body ended: with or without [DONE], close it */
    if (err == A2O_E_OK && s->state != A2O_ST_FINAL && s->state != A2O_ST_ERROR)
        err = s->api == A2O_API_RESPONSES ? a2o_rsp_stream_end(s)
                                          : a2o_stream_end(s);
    return a2o_stream_settle(s, err);
}

enum a2o_err
a2o_stream_begin(struct a2o_stream *s, struct a2o_buf *out)
{
    s->out = out;
    return a2o_stream_open(s);
}

enum a2o_err
a2o_stream_ping(struct a2o_stream *s, struct a2o_buf *out)
{
    enum a2o_err err;

    if (s->state == A2O_ST_FINAL || s->state == A2O_ST_ERROR)
        return A2O_E_OK;
    if (s->state == A2O_ST_INIT) {
        /* begin emits a ping of its own */
        return a2o_stream_begin(s, out);
    }
    err = a2o_buf_adds(out, "event: ping\ndata: {\"type\":\"ping\"}\n\n");
    return err;
}

enum a2o_err
a2o_stream_fail(struct a2o_stream *s, enum a2o_err err,
                const struct a2o_diag *d, struct a2o_buf *out)
{
    char body[512];
    size_t n;

    if (s->state == A2O_ST_FINAL || s->state == A2O_ST_ERROR)
        return A2O_E_OK;
    s->state = A2O_ST_ERROR;
    s->fail = err;
    s->started = 1;
    s->ended = 1;
    n = a2o_err_body(err, d, body, sizeof(body));
    return a2o_sse_write(out, "error", body, n);
}

int
a2o_stream_started(const struct a2o_stream *s)
{
    return s->started;
}

int
a2o_stream_ended(const struct a2o_stream *s)
{
    return s->ended;
}

void
a2o_stream_usage(const struct a2o_stream *s, struct a2o_usage *u)
{
    long est = s->meta != NULL ? s->meta->input_estimate : 0;

    a2o_oai_usage_final(&s->usage, est, s->out_bytes, u);
}
