/*
 * stream_emit.c: the emitter of the stream converter (stream_emit.h).
 * The only code that writes Anthropic events, and the only code that
 * moves the message and block states; the readers of upstream data
 * (stream_chunk.c and its helpers, rsp_stream.c) hand it what they found.
 *
 * Message states (e->state), h2o style: in progress, final, error.
 *
 *   INIT   nothing emitted.  A reader's first finding (or begin/ping)
 *          emits message_start + ping -> OPEN.  An error here emits
 *          nothing -> ERROR, so the caller can still answer with an HTTP
 *          status.
 *   OPEN   message_start sent; findings drive the block machine below.
 *          a2o__emit_final -> FINAL.  Errors -> `event: error` -> ERROR.
 *   FINAL  last block stopped, message_delta, message_stop sent.
 *   ERROR  `event: error` sent (or, from INIT, nothing).
 *
 * Block states (e->blk) inside OPEN; one block at most is open, indexes
 * are handed out 0, 1, 2... and never reused:
 *
 *   NONE      no block open.
 *   THINKING  reasoning -> thinking_delta.  Closed (signature_delta
 *             first, then content_block_stop) when text or a tool starts.
 *   TEXT      answer text -> text_delta.  Closed when a tool starts.
 *   TOOL      argument fragments of the open call -> input_json_delta.
 *             Closed when another call or text starts.
 *
 * Choices made where the protocol leaves room:
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
 *
 * Output is written straight into the caller's buffer with
 * a2o_buf_add_json_str (no cJSON tree per event).
 */
#include "stream_emit.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "sse.h"
#include "str.h"

/* Fixed prefixes of the frames we write most (no printf per delta). */
#define DELTA_HEAD                                                             \
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","     \
    "\"index\":"

enum a2o_err
a2o__emit_init(struct a2o__emit *e, const struct a2o_reqmeta *meta,
               const char *msg_id, size_t max_block)
{
    size_t idn = msg_id != NULL ? strlen(msg_id) : 0;

    memset(e, 0, sizeof(*e));
    e->meta = meta;
    e->max_block = max_block;
    a2o_buf_init(&e->ws, max_block);
    a2o_buf_init(&e->late, max_block);
    e->state = A2O_ST_INIT;
    e->blk = A2O_BLK_NONE;
    e->msg_id = cJSON_malloc(idn + 1);
    e->tail_max = a2o_oai_max_stop(meta);
    e->tail = cJSON_malloc(e->tail_max + 1);
    if (e->msg_id == NULL || e->tail == NULL) {
        a2o__emit_free(e);
        return A2O_E_NOMEM;
    }
    memcpy(e->msg_id, idn > 0 ? msg_id : "", idn);
    e->msg_id[idn] = '\0';
    return A2O_E_OK;
}

void
a2o__emit_free(struct a2o__emit *e)
{
    a2o_buf_free(&e->ws);
    a2o_buf_free(&e->late);
    cJSON_free(e->msg_id);
    cJSON_free(e->tail);
    e->msg_id = NULL;
    e->tail = NULL;
}

/* Appends v in decimal (printf is too slow for every delta). */
static enum a2o_err
add_int(struct a2o_buf *b, long v)
{
    char t[A2O_STR_LONG_MAX];
    size_t n = a2o_str_long(t, v);

    return a2o_buf_add(b, t, n);
}

static enum a2o_err
emit_message_start(struct a2o__emit *e)
{
    struct a2o_buf *o = e->out;
    const char *model = e->meta != NULL && e->meta->client_model != NULL
                            ? e->meta->client_model
                            : "";
    long est = e->meta != NULL && e->meta->input_estimate > 0
                   ? e->meta->input_estimate
                   : 0;
    enum a2o_err err;

    err = a2o_sse_begin(o, "message_start");
    if (err == A2O_E_OK)
        err = a2o_buf_adds(o, "{\"type\":\"message_start\",\"message\":"
                              "{\"id\":\"");
    if (err == A2O_E_OK)
        err = a2o_buf_add_json_str(o, e->msg_id, strlen(e->msg_id));
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
        err = a2o_buf_add(o, A2O_SSE_PING, sizeof(A2O_SSE_PING) - 1);
    return err;
}

enum a2o_err
a2o__emit_open(struct a2o__emit *e)
{
    enum a2o_err err;

    if (e->state != A2O_ST_INIT)
        return A2O_E_OK;
    e->started = 1;
    err = emit_message_start(e);
    e->state = A2O_ST_OPEN;
    return err;
}

enum a2o_err
a2o__emit_ping(struct a2o__emit *e)
{
    if (e->state == A2O_ST_FINAL || e->state == A2O_ST_ERROR)
        return A2O_E_OK;
    if (e->state == A2O_ST_INIT)
        return a2o__emit_open(e); /* which sends a ping of its own */
    return a2o_buf_add(e->out, A2O_SSE_PING, sizeof(A2O_SSE_PING) - 1);
}

/* A content_block_delta whose delta is {"type":type, field:p1 p2}. */
static enum a2o_err
emit_str_delta(struct a2o__emit *e, const char *type, const char *field,
               const char *p1, size_t n1, const char *p2, size_t n2)
{
    struct a2o_buf *o = e->out;
    enum a2o_err err = a2o_buf_add(o, DELTA_HEAD, sizeof(DELTA_HEAD) - 1);

    if (err == A2O_E_OK)
        err = add_int(o, e->cur_index);
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

/* content_block_start for a thinking or text block (tool: emit_tool). */
static enum a2o_err
start_simple(struct a2o__emit *e, int blk)
{
    enum a2o_err err = a2o_sse_begin(e->out, "content_block_start");

    if (err == A2O_E_OK)
        err = a2o_buf_addf(
            e->out,
            "{\"type\":\"content_block_start\",\"index\":%d,"
            "\"content_block\":%s}\n\n",
            e->next_index,
            blk == A2O_BLK_THINKING
                ? "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}"
                : "{\"type\":\"text\",\"text\":\"\"}");
    e->blk = blk;
    e->cur_index = e->next_index++;
    return err;
}

/* Closes the open block; a thinking block first gets signature
 * sig[0..n), or ours when n is 0. */
static enum a2o_err
close_block(struct a2o__emit *e, const char *sig, size_t n)
{
    enum a2o_err err = A2O_E_OK;

    if (e->blk == A2O_BLK_NONE)
        return A2O_E_OK;
    /* every thinking block carries a signature before its stop */
    if (e->blk == A2O_BLK_THINKING && n > 0)
        err = emit_str_delta(e, "signature_delta", "signature", sig, n, "", 0);
    else if (e->blk == A2O_BLK_THINKING)
        err = emit_str_delta(e, "signature_delta", "signature",
                             A2O_THINKING_SIGNATURE,
                             sizeof(A2O_THINKING_SIGNATURE) - 1, "", 0);
    if (err == A2O_E_OK)
        err = a2o_sse_begin(e->out, "content_block_stop");
    if (err == A2O_E_OK)
        err = a2o_buf_addf(e->out,
                           "{\"type\":\"content_block_stop\",\"index\":%d}"
                           "\n\n",
                           e->cur_index);
    e->blk = A2O_BLK_NONE;
    return err;
}

enum a2o_err
a2o__emit_close(struct a2o__emit *e)
{
    return close_block(e, "", 0);
}

enum a2o_err
a2o__emit_thinking_end(struct a2o__emit *e, const char *sig, size_t n)
{
    if (e->blk != A2O_BLK_THINKING)
        return A2O_E_OK;
    return close_block(e, sig, n);
}

/* Emits gathered late reasoning as one thinking block. */
static enum a2o_err
flush_late(struct a2o__emit *e)
{
    enum a2o_err err;

    if (e->late.len == 0)
        return A2O_E_OK;
    if (a2o_str_blank(e->late.p, e->late.len)) {
        a2o_buf_reset(&e->late);
        return A2O_E_OK;
    }
    err = start_simple(e, A2O_BLK_THINKING);
    if (err == A2O_E_OK)
        err = emit_str_delta(e, "thinking_delta", "thinking", e->late.p,
                             e->late.len, "", 0);
    a2o_buf_reset(&e->late);
    if (err == A2O_E_OK)
        err = a2o__emit_close(e);
    return err;
}

enum a2o_err
a2o__emit_flush(struct a2o__emit *e)
{
    enum a2o_err err = a2o__emit_close(e);

    return err == A2O_E_OK ? flush_late(e) : err;
}

enum a2o_err
a2o__emit_thinking(struct a2o__emit *e)
{
    if (e->content_begun || e->blk != A2O_BLK_NONE)
        return A2O_E_OK;
    return start_simple(e, A2O_BLK_THINKING);
}

enum a2o_err
a2o__emit_tool(struct a2o__emit *e, const char *id, size_t idn,
               const char *name)
{
    struct a2o_buf *o = e->out;
    enum a2o_err err = a2o__emit_flush(e);

    if (err != A2O_E_OK)
        return err;
    e->content_begun = 1;
    err = a2o_sse_begin(o, "content_block_start");
    if (err == A2O_E_OK)
        err = a2o_buf_adds(o, "{\"type\":\"content_block_start\",\"index\":");
    if (err == A2O_E_OK)
        err = add_int(o, e->next_index);
    if (err == A2O_E_OK)
        err = a2o_buf_adds(o, ",\"content_block\":{\"type\":"
                              "\"tool_use\",\"id\":\"");
    if (err == A2O_E_OK)
        err = a2o_buf_add_json_str(o, id, idn);
    if (err == A2O_E_OK)
        err = a2o_buf_adds(o, "\",\"name\":\"");
    if (err == A2O_E_OK)
        err = a2o_buf_add_json_str(o, name, strlen(name));
    if (err == A2O_E_OK)
        err = a2o_buf_adds(o, "\",\"input\":{}}}\n\n");
    e->out_bytes += strlen(name);
    e->blk = A2O_BLK_TOOL;
    e->cur_index = e->next_index++;
    e->ntools++;
    return err;
}

enum a2o_err
a2o__emit_args(struct a2o__emit *e, const char *p, size_t n)
{
    if (n == 0)
        return A2O_E_OK;
    e->out_bytes += n;
    return emit_str_delta(e, "input_json_delta", "partial_json", p, n, "", 0);
}

/* Remembers the end of the text for stop-sequence matching. */
static void
keep_tail(struct a2o__emit *e, const char *p, size_t n)
{
    size_t max = e->tail_max, keep;

    if (max == 0)
        return;
    if (n >= max) {
        memcpy(e->tail, p + n - max, max);
        e->tail_len = max;
        return;
    }
    keep = e->tail_len + n > max ? max - n : e->tail_len;
    memmove(e->tail, e->tail + e->tail_len - keep, keep);
    memcpy(e->tail + keep, p, n);
    e->tail_len = keep + n;
}

enum a2o_err
a2o__emit_text(struct a2o__emit *e, const char *p, size_t n)
{
    const char *ws;
    enum a2o_err err;

    if (n == 0)
        return A2O_E_OK;
    e->out_bytes += n; /* blanks too: the model produced them */
    if (e->blk == A2O_BLK_TEXT) {
        keep_tail(e, p, n);
        return emit_str_delta(e, "text_delta", "text", p, n, "", 0);
    }
    if (a2o_str_blank(p, n)) {
        /* held: a blank text block is worse than none */
        if (e->ws.len + n > e->max_block)
            return A2O_E_OK; /* beyond the cap the blanks are dropped */
        return a2o_buf_add(&e->ws, p, n);
    }
    err = a2o__emit_flush(e);
    if (err != A2O_E_OK)
        return err;
    e->content_begun = 1;
    err = start_simple(e, A2O_BLK_TEXT);
    if (err != A2O_E_OK)
        return err;
    ws = e->ws.p != NULL ? e->ws.p : "";
    keep_tail(e, ws, e->ws.len);
    keep_tail(e, p, n);
    err = emit_str_delta(e, "text_delta", "text", ws, e->ws.len, p, n);
    a2o_buf_reset(&e->ws);
    return err;
}

enum a2o_err
a2o__emit_reasoning(struct a2o__emit *e, const char *p, size_t n)
{
    enum a2o_err err;

    if (n == 0)
        return A2O_E_OK;
    e->out_bytes += n;
    if (e->blk == A2O_BLK_THINKING)
        return emit_str_delta(e, "thinking_delta", "thinking", p, n, "", 0);
    if (!e->content_begun && e->blk == A2O_BLK_NONE) {
        err = start_simple(e, A2O_BLK_THINKING);
        if (err == A2O_E_OK)
            err = emit_str_delta(e, "thinking_delta", "thinking", p, n, "", 0);
        return err;
    }
    /* late reasoning: gathered, emitted when the open block closes */
    if (e->late.len + n > e->max_block)
        n = e->max_block - e->late.len; /* the excess is dropped */
    return a2o_buf_add(&e->late, p, n);
}

void
a2o__emit_usage(const struct a2o__emit *e, const struct a2o__outcome *o,
                struct a2o_usage *u)
{
    long est = e->meta != NULL ? e->meta->input_estimate : 0;

    a2o_oai_usage_final(&o->usage, est, e->out_bytes, u);
}

/* message_delta's "delta": the stop reason of o (common/README.md §4). */
static enum a2o_err
emit_stop(struct a2o__emit *e, const struct a2o__outcome *o)
{
    struct a2o_oai_stop st;
    const char *reason, *seq;
    enum a2o_err err;

    st.finish = o->finish[0] != '\0' ? o->finish : NULL;
    st.matched = o->matched;
    st.tool_use = e->ntools > 0;
    st.refusal = o->refusal;
    st.tail = e->tail;
    st.tailn = e->tail_len;
    reason = a2o_oai_stop_reason(&st, e->meta, &seq);
    err = a2o_buf_addf(e->out,
                       "{\"type\":\"message_delta\",\"delta\":"
                       "{\"stop_reason\":\"%s\",\"stop_sequence\":",
                       reason);
    if (err == A2O_E_OK && seq == NULL)
        err = a2o_buf_adds(e->out, "null");
    if (err == A2O_E_OK && seq != NULL) {
        err = a2o_buf_add(e->out, "\"", 1);
        if (err == A2O_E_OK)
            err = a2o_buf_add_json_str(e->out, seq, strlen(seq));
        if (err == A2O_E_OK)
            err = a2o_buf_add(e->out, "\"", 1);
    }
    return err;
}

enum a2o_err
a2o__emit_final(struct a2o__emit *e, const struct a2o__outcome *o)
{
    struct a2o_usage u;
    enum a2o_err err = a2o__emit_flush(e);

    if (err != A2O_E_OK)
        return err;
    a2o__emit_usage(e, o, &u);
    err = a2o_sse_begin(e->out, "message_delta");
    if (err == A2O_E_OK)
        err = emit_stop(e, o);
    if (err == A2O_E_OK)
        err = a2o_buf_addf(e->out,
                           "},\"usage\":{\"input_tokens\":%ld,"
                           "\"output_tokens\":%ld,"
                           "\"cache_read_input_tokens\":%ld,"
                           "\"cache_creation_input_tokens\":%ld}}\n\n",
                           u.input_tokens, u.output_tokens,
                           u.cache_read_input_tokens,
                           u.cache_creation_input_tokens);
    if (err == A2O_E_OK)
        err = a2o_buf_adds(e->out, "event: message_stop\ndata: "
                                   "{\"type\":\"message_stop\"}\n\n");
    if (err == A2O_E_OK) {
        e->state = A2O_ST_FINAL;
        e->ended = 1;
    }
    return err;
}

enum a2o_err
a2o__emit_error(struct a2o__emit *e, enum a2o_err err, const struct a2o_diag *d)
{
    if (e->state == A2O_ST_FINAL || e->state == A2O_ST_ERROR)
        return e->fail;
    e->fail = err;
    if (e->state == A2O_ST_INIT) {
        e->state = A2O_ST_ERROR;
        return err;
    }
    e->state = A2O_ST_ERROR;
    e->ended = 1;
    if (a2o_sse_write_error(e->out, err, d) == A2O_E_NOMEM)
        e->fail = A2O_E_NOMEM; /* the client gets a cut stream */
    return e->fail;
}

enum a2o_err
a2o__emit_fail(struct a2o__emit *e, enum a2o_err err, const struct a2o_diag *d)
{
    if (e->state == A2O_ST_FINAL || e->state == A2O_ST_ERROR)
        return A2O_E_OK;
    e->state = A2O_ST_ERROR;
    e->fail = err;
    e->started = 1;
    e->ended = 1;
    return a2o_sse_write_error(e->out, err, d);
}
