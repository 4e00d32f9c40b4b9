/*
 * rsp_stream.c: the reader of OpenAI Responses API events for the stream
 * converter (a2o_stream_opts.api = A2O_API_RESPONSES).  It hands what it
 * reads to the same emitter as the chat reader (stream_emit.c), so every
 * invariant of the Anthropic event stream holds whichever API the
 * upstream speaks.
 *
 * Events (their "type"; the SSE event name is the same), in the order
 * OpenAI sends them, each with a sequence_number we do not need:
 *
 *   response.created, .in_progress, .queued   nothing to emit yet: an
 *          error right after them can still become an HTTP status
 *   response.output_item.added   reasoning / message: note the item;
 *          function_call: opens its tool_use block (id from call_id)
 *   response.reasoning_summary_part.added   "\n\n" between parts
 *   response.reasoning_summary_text.delta, response.reasoning_text.delta
 *          thinking_delta
 *   response.output_item.done (reasoning)   the item's signature (id +
 *          encrypted_content, rsp.h) closes its thinking block; a
 *          reasoning item that streamed no text still becomes a block when
 *          it carries encrypted content, so it can be sent back
 *   response.output_text.delta, response.refusal.delta   text_delta
 *          (a refusal also makes stop_reason "refusal")
 *   response.function_call_arguments.delta   input_json_delta of the
 *          open call (its item_id); .done and output_item.done supply the
 *          arguments when no delta did
 *   response.completed, response.incomplete   usage, stop reason
 *          (incomplete with max_output_tokens: "max_tokens"), the end
 *   response.failed, error   the error (a2o_rsp_error): an HTTP status
 *          before the first byte, `event: error` after it
 *   anything else (annotations, server tools)   ignored
 *
 * Stop sequences: Responses has none, so text is matched here against
 * meta->stop.  Text that may be the start of a stop sequence is held
 * back (never more than the longest one) until the next delta decides;
 * a match emits the text before it and ends the message at once with
 * stop_reason "stop_sequence" (usage is then the local estimate: the
 * upstream's count comes only with response.completed).
 *
 * NOTE: reasoning that arrives after text or a tool call ("late") is
 * gathered by the emitter into one block closed with the plain proxy
 * signature: such an item cannot be replayed, which costs OpenAI only
 * the reasoning of that turn.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "oai.h"
#include "rsp.h"
#include "stream_int.h"
#include "str.h"

/* The output item being read. */
enum { K_NONE, K_REASONING, K_MESSAGE, K_CALL };

struct a2o_rsp_st {
    int kind;            /* K_* */
    int streamed;        /* a delta of the current item came */
    char *call;          /* item id of the open function_call, or NULL */
    size_t args;         /* argument bytes emitted for it */
    struct a2o_buf hold; /* text that may begin a stop sequence */
    struct a2o_buf tmp;
};

void
a2o__rsp_stream_free(struct a2o_stream *s)
{
    if (s->rsp == NULL)
        return;
    cJSON_free(s->rsp->call);
    a2o_buf_free(&s->rsp->hold);
    a2o_buf_free(&s->rsp->tmp);
    cJSON_free(s->rsp);
    s->rsp = NULL;
}

/* The reader's state, made on the first event. */
static struct a2o_rsp_st *
state(struct a2o_stream *s)
{
    if (s->rsp != NULL)
        return s->rsp;
    s->rsp = cJSON_malloc(sizeof(*s->rsp));
    if (s->rsp == NULL)
        return NULL;
    memset(s->rsp, 0, sizeof(*s->rsp));
    a2o_buf_init(&s->rsp->hold, s->max_block);
    a2o_buf_init(&s->rsp->tmp, s->max_line);
    return s->rsp;
}

/* Ends the message now: stop sequence matched, or the response ended. */
static enum a2o_err
finish_now(struct a2o_stream *s, const char *finish)
{
    size_t n = strlen(finish);
    enum a2o_err err;

    if (n >= sizeof(s->oc.finish))
        n = sizeof(s->oc.finish) - 1;
    memcpy(s->oc.finish, finish, n);
    s->oc.finish[n] = '\0';
    err = a2o__emit_open(&s->em);
    return err == A2O_E_OK ? a2o__emit_final(&s->em, &s->oc) : err;
}

/* Emits the held text: a tool call or the end follows, so no stop
 * sequence can span it.  Consecutive message items stay one text block
 * in the emitter, so the text is matched across them. */
static enum a2o_err
release(struct a2o_stream *s, struct a2o_rsp_st *r)
{
    enum a2o_err err;

    if (r->hold.len == 0)
        return A2O_E_OK;
    err = a2o__emit_text(&s->em, r->hold.p, r->hold.len);
    a2o_buf_reset(&r->hold);
    return err;
}

/* Length of the longest end of p[0..n) that begins some stop sequence. */
static size_t
partial(const struct a2o_reqmeta *m, const char *p, size_t n)
{
    size_t best = 0, i, k;

    for (i = 0; i < m->nstop; i++) {
        size_t sn = strlen(m->stop[i]);

        for (k = sn - 1 < n ? sn - 1 : n; k > best; k--) {
            if (memcmp(p + n - k, m->stop[i], k) == 0) {
                best = k;
                break;
            }
        }
    }
    return best;
}

/* Answer text, through stop-sequence matching. */
static enum a2o_err
text(struct a2o_stream *s, struct a2o_rsp_st *r, const char *p, size_t n)
{
    const struct a2o_reqmeta *m = s->meta;
    const char *hit = NULL, *h;
    size_t i, keep, which = 0, k;
    enum a2o_err err;

    if (n == 0)
        return A2O_E_OK;
    err = a2o__emit_open(&s->em);
    if (err != A2O_E_OK || m == NULL || m->nstop == 0)
        return err == A2O_E_OK ? a2o__emit_text(&s->em, p, n) : err;
    err = a2o_buf_add(&r->hold, p, n);
    if (err != A2O_E_OK)
        return err;
    /* the earliest match wins; a2o_buf keeps hold NUL-terminated.
     * NOTE: text with a NUL byte in it is matched only up to it */
    for (i = 0; i < m->nstop; i++) {
        h = strstr(r->hold.p, m->stop[i]);
        if (h != NULL && (hit == NULL || h < hit)) {
            hit = h;
            which = i;
        }
    }
    if (hit == NULL) {
        keep = partial(m, r->hold.p, r->hold.len);
        err = a2o__emit_text(&s->em, r->hold.p, r->hold.len - keep);
        if (err == A2O_E_OK) {
            memmove(r->hold.p, r->hold.p + r->hold.len - keep, keep);
            r->hold.len = keep;
            r->hold.p[keep] = '\0';
        }
        return err;
    }
    k = (size_t)(hit - r->hold.p);
    err = a2o__emit_text(&s->em, r->hold.p, k);
    a2o_buf_reset(&r->hold);
    if (err != A2O_E_OK)
        return err;
    s->oc.matched = a2o_str_dup(m->stop[which]);
    if (s->oc.matched == NULL)
        return A2O_E_NOMEM;
    return finish_now(s, "stop");
}

/* A function_call item: its tool_use block opens. */
static enum a2o_err
call_start(struct a2o_stream *s, struct a2o_rsp_st *r, const cJSON *item)
{
    const char *name = a2o_json_str(item, "name");
    const char *id = a2o_json_str(item, "id");
    const char *args = a2o_json_str(item, "arguments");
    enum a2o_err err;

    cJSON_free(r->call);
    r->call = NULL;
    r->args = 0;
    if (name == NULL || name[0] == '\0')
        return A2O_E_OK; /* nothing the client could run: dropped */
    err = a2o__emit_open(&s->em);
    if (err == A2O_E_OK)
        err = release(s, r);
    /* the open block closes before the id is made, as the events go */
    if (err == A2O_E_OK)
        err = a2o__emit_flush(&s->em);
    if (err != A2O_E_OK)
        return err;
    a2o_buf_reset(&r->tmp);
    err =
        a2o_oai_tool_id(a2o_json_str(item, "call_id"), NULL, &s->seed, &r->tmp);
    if (s->meta != NULL)
        name = a2o_reqmeta_tool_name(s->meta, name);
    if (err == A2O_E_OK)
        err = a2o__emit_tool(&s->em, r->tmp.p, r->tmp.len, name);
    if (err != A2O_E_OK)
        return err;
    r->call = a2o_str_dup(id != NULL ? id : "");
    if (r->call == NULL)
        return A2O_E_NOMEM;
    if (args != NULL && args[0] != '\0') {
        r->args = strlen(args);
        err = a2o__emit_args(&s->em, args, r->args);
    }
    return err;
}

/* 1 when ev's item_id names the open call. */
static int
is_open_call(const struct a2o_stream *s, const struct a2o_rsp_st *r,
             const cJSON *ev)
{
    const char *id = a2o_json_str(ev, "item_id");

    return r->call != NULL && s->em.blk == A2O_BLK_TOOL && id != NULL &&
           strcmp(id, r->call) == 0;
}

/* The whole arguments of the open call, when no delta brought any. */
static enum a2o_err
call_args(struct a2o_stream *s, struct a2o_rsp_st *r, const char *args)
{
    if (args == NULL || args[0] == '\0' || r->args > 0)
        return A2O_E_OK;
    r->args = strlen(args);
    return a2o__emit_args(&s->em, args, r->args);
}

/* Joins the text members of arr's objects into r->tmp ("\n\n"). */
static enum a2o_err
join_texts(struct a2o_rsp_st *r, const cJSON *arr, const char *key)
{
    const cJSON *p;
    enum a2o_err err = A2O_E_OK;

    cJSON_ArrayForEach(p, arr)
    {
        const char *t = a2o_json_str(p, key);

        if (t == NULL || t[0] == '\0' || err != A2O_E_OK)
            continue;
        if (r->tmp.len > 0)
            err = a2o_buf_add(&r->tmp, "\n\n", 2);
        if (err == A2O_E_OK)
            err = a2o_buf_adds(&r->tmp, t);
    }
    return err;
}

/* A reasoning item is complete: text if none streamed, then its
 * signature on its thinking block. */
static enum a2o_err
reasoning_done(struct a2o_stream *s, struct a2o_rsp_st *r, const cJSON *item)
{
    const char *ec = a2o_json_str(item, "encrypted_content");
    enum a2o_err err = A2O_E_OK;

    if (!r->streamed) {
        a2o_buf_reset(&r->tmp);
        err = join_texts(r, a2o_json_get(item, "summary"), "text");
        if (err == A2O_E_OK && r->tmp.len == 0)
            err = join_texts(r, a2o_json_get(item, "content"), "text");
        if (err == A2O_E_OK && r->tmp.len > 0)
            err = a2o__emit_open(&s->em);
        if (err == A2O_E_OK)
            err = a2o__emit_reasoning(&s->em, r->tmp.p, r->tmp.len);
        if (err == A2O_E_OK && r->tmp.len == 0 && ec != NULL && ec[0] != '\0') {
            /* no text, but something to send back: an empty block */
            err = a2o__emit_open(&s->em);
            if (err == A2O_E_OK)
                err = a2o__emit_thinking(&s->em);
        }
    }
    if (err != A2O_E_OK || s->em.blk != A2O_BLK_THINKING)
        return err;
    a2o_buf_reset(&r->tmp);
    err = a2o_rsp_sig_encode(a2o_json_str(item, "id"), ec, &r->tmp);
    return err == A2O_E_OK
               ? a2o__emit_thinking_end(&s->em, r->tmp.p, r->tmp.len)
               : err;
}

/* A message item is complete: its text if none streamed. */
static enum a2o_err
message_done(struct a2o_stream *s, struct a2o_rsp_st *r, const cJSON *item)
{
    const cJSON *p;
    enum a2o_err err = A2O_E_OK;

    if (!r->streamed) {
        cJSON_ArrayForEach(p, a2o_json_get(item, "content"))
        {
            const char *type = a2o_json_str(p, "type"), *t = NULL;

            if (type != NULL && strcmp(type, "output_text") == 0)
                t = a2o_json_str(p, "text");
            if (type != NULL && strcmp(type, "refusal") == 0) {
                t = a2o_json_str(p, "refusal");
                s->oc.refusal = 1;
            }
            if (t != NULL && err == A2O_E_OK)
                err = text(s, r, t, strlen(t));
            if (s->em.state != A2O_ST_OPEN)
                return err; /* a stop sequence ended it */
        }
    }
    return err;
}

static enum a2o_err
item_done(struct a2o_stream *s, struct a2o_rsp_st *r, const cJSON *item)
{
    const char *type = a2o_json_str(item, "type");
    enum a2o_err err = A2O_E_OK;

    if (type == NULL)
        return A2O_E_OK;
    if (strcmp(type, "reasoning") == 0)
        err = reasoning_done(s, r, item);
    else if (strcmp(type, "message") == 0)
        err = message_done(s, r, item);
    else if (strcmp(type, "function_call") == 0 && r->call != NULL &&
             s->em.blk == A2O_BLK_TOOL)
        err = call_args(s, r, a2o_json_str(item, "arguments"));
    r->kind = K_NONE;
    r->streamed = 0;
    return err;
}

static enum a2o_err
item_added(struct a2o_stream *s, struct a2o_rsp_st *r, const cJSON *item)
{
    const char *type = a2o_json_str(item, "type");

    r->streamed = 0;
    r->kind = K_NONE;
    if (type == NULL)
        return A2O_E_OK;
    if (strcmp(type, "reasoning") == 0)
        r->kind = K_REASONING;
    else if (strcmp(type, "message") == 0)
        r->kind = K_MESSAGE;
    if (strcmp(type, "function_call") != 0)
        return A2O_E_OK;
    r->kind = K_CALL;
    return call_start(s, r, item);
}

/* response.completed / response.incomplete: usage and the end. */
static enum a2o_err
completed(struct a2o_stream *s, struct a2o_rsp_st *r, const cJSON *resp)
{
    const char *why =
        a2o_json_str(a2o_json_get(resp, "incomplete_details"), "reason");
    const char *status = a2o_json_str(resp, "status");
    const char *fin = "stop";
    enum a2o_err err = release(s, r);

    a2o_rsp_usage_read(a2o_json_get(resp, "usage"), &s->oc.usage);
    if (status != NULL && strcmp(status, "incomplete") == 0 && why != NULL) {
        if (strcmp(why, "max_output_tokens") == 0)
            fin = "length";
        else if (strcmp(why, "content_filter") == 0)
            fin = "content_filter";
    }
    return err == A2O_E_OK ? finish_now(s, fin) : err;
}

/* A delta string of ev, or NULL. */
static const char *
delta_of(const cJSON *ev, size_t *n)
{
    const char *p = a2o_json_str(ev, "delta");

    *n = p != NULL ? strlen(p) : 0;
    return p;
}

/* The streamed parts of an item: type is the event's without its
 * "response." prefix; other types are ignored. */
static enum a2o_err
part(struct a2o_stream *s, struct a2o_rsp_st *r, const char *type,
     const cJSON *ev)
{
    const cJSON *si;
    size_t n;
    const char *p = delta_of(ev, &n);
    enum a2o_err err;

    if (strcmp(type, "output_text.delta") == 0 ||
        strcmp(type, "refusal.delta") == 0) {
        if (type[0] == 'r')
            s->oc.refusal = 1;
        r->streamed = 1;
        return text(s, r, p, n);
    }
    if (strcmp(type, "reasoning_summary_text.delta") == 0 ||
        strcmp(type, "reasoning_text.delta") == 0) {
        err = n > 0 ? a2o__emit_open(&s->em) : A2O_E_OK;
        r->streamed = r->streamed || n > 0;
        return err == A2O_E_OK ? a2o__emit_reasoning(&s->em, p, n) : err;
    }
    if (strcmp(type, "reasoning_summary_part.added") == 0) {
        si = a2o_json_get(ev, "summary_index");
        /* parts of one summary are paragraphs */
        if (r->streamed && cJSON_IsNumber(si) && si->valuedouble > 0)
            return a2o__emit_reasoning(&s->em, "\n\n", 2);
        return A2O_E_OK;
    }
    if (strcmp(type, "function_call_arguments.delta") == 0) {
        if (!is_open_call(s, r, ev) || n == 0)
            return A2O_E_OK;
        r->args += n;
        return a2o__emit_args(&s->em, p, n);
    }
    if (strcmp(type, "function_call_arguments.done") == 0 &&
        is_open_call(s, r, ev))
        return call_args(s, r, a2o_json_str(ev, "arguments"));
    return A2O_E_OK;
}

/* One parsed event. */
static enum a2o_err
event(struct a2o_stream *s, struct a2o_rsp_st *r, const cJSON *ev)
{
    const char *type = a2o_json_str(ev, "type");

    if (type == NULL)
        return A2O_E_OK;
    s->any_chunk = 1;
    if (strcmp(type, "error") == 0)
        return a2o_rsp_error(ev, s->d);
    if (strcmp(type, "response.failed") == 0)
        return a2o_rsp_error(
            a2o_json_get(a2o_json_get(ev, "response"), "error"), s->d);
    if (strncmp(type, "response.", 9) != 0)
        return A2O_E_OK;
    type += 9;
    if (strcmp(type, "output_item.added") == 0)
        return item_added(s, r, a2o_json_get(ev, "item"));
    if (strcmp(type, "output_item.done") == 0)
        return item_done(s, r, a2o_json_get(ev, "item"));
    if (strcmp(type, "completed") == 0 || strcmp(type, "incomplete") == 0)
        return completed(s, r, a2o_json_get(ev, "response"));
    return part(s, r, type, ev);
}

enum a2o_err
a2o__rsp_stream_on_event(void *arg, const struct a2o_sse_event *ev)
{
    struct a2o_stream *s = arg;
    struct a2o_rsp_st *r;
    cJSON *root;
    enum a2o_err err;

    if (s->em.state == A2O_ST_FINAL || s->em.state == A2O_ST_ERROR)
        return A2O_E_OK;
    /* empty data and [DONE] (not OpenAI's, but proxies in front of it
     * add it) are no events */
    err = a2o_oai_event_json(ev->data, ev->datan, 1, &root, s->d);
    if (err != A2O_E_OK || root == NULL)
        return err;
    r = state(s);
    err = r != NULL ? event(s, r, root) : A2O_E_NOMEM;
    cJSON_Delete(root);
    return err;
}

enum a2o_err
a2o__rsp_stream_end(struct a2o_stream *s)
{
    if (s->em.state == A2O_ST_FINAL || s->em.state == A2O_ST_ERROR)
        return A2O_E_OK;
    if (!s->any_chunk)
        return a2o_diag_set(s->d, A2O_E_BADGATEWAY, NULL,
                            "the upstream sent no response events");
    /* OpenAI always ends with response.completed (or .incomplete,
     * .failed): without it the answer was cut */
    return a2o_diag_set(s->d, A2O_E_BADGATEWAY, NULL,
                        "the upstream stream ended before the response "
                        "was complete");
}
