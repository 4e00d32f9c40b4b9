/*
 * stream_tc.c: answer text of a chat stream, through the recognition of
 * tool calls that the model wrote as text (profile text_tool_calls; the
 * forms are in txtcall.h).  Text goes to the emitter (stream_emit.c), a
 * recognised call to stream_call.c.
 *
 * Only what may begin such a call is held back, as the think-tag
 * look-ahead does for <think>:
 *   - from a '<' that may open "<tool_call>" or "<function=" (a partial
 *     tag at the end of a piece waits for the next piece) up to the
 *     closing tag;
 *   - when the answer opens with '{', the JSON object and the blanks
 *     after it, because a bare {"name","arguments"} object is a call only
 *     as the whole message.
 * Everything else goes straight to a2o__emit_text.  Held text that is no
 * call after all (malformed, a tool that was not offered, a tag that is
 * never closed, more than max_block bytes) goes out as text, unchanged,
 * so the client never loses a byte; a call becomes one whole tool_use
 * block (a2o__call_text) where the text had it.
 *
 * States (s->tc): OFF (not looked for), START (only blanks so far), TEXT
 * (s->tcb may hold a partial opening tag), TAG (s->tcb holds an opened
 * tag), JSON (s->tcb holds the opening JSON object).
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "stream_int.h"
#include "txtcall.h"
#include "str.h"

/* What tcb holds goes out as text; back to TEXT. */
static enum a2o_err
release(struct a2o_stream *s)
{
    enum a2o_err err = A2O_E_OK;

    if (s->tcb.len > 0)
        err = a2o__emit_text(&s->em, s->tcb.p, s->tcb.len);
    a2o_buf_reset(&s->tcb);
    s->tc = A2O_TC_TEXT;
    return err;
}

/* Holds p[0..n); past max_block all of it is only text. */
static enum a2o_err
hold(struct a2o_stream *s, const char *p, size_t n)
{
    enum a2o_err err;

    if (s->tcb.len + n <= s->max_block)
        return a2o_buf_add(&s->tcb, p, n);
    err = release(s);
    return err == A2O_E_OK ? a2o__emit_text(&s->em, p, n) : err;
}

/* A candidate q[0..n) is complete: a call, or text. */
static enum a2o_err
decide(struct a2o_stream *s, const char *q, size_t n, int bare)
{
    char *name, *args;
    enum a2o_err err = a2o_txtcall_parse(q, n, bare, s->meta, &name, &args);

    if (err != A2O_E_OK)
        return err;
    if (name == NULL)
        return a2o__emit_text(&s->em, q, n);
    return a2o__call_text(s, name, args);
}

/*
 * TAG: appends p, and decides once the closing tag is in (or the text
 * can no longer be a call).  What follows the decided part is to be read
 * again as text: *rp, *rn (rn 0: nothing), inside *own, a buffer the
 * caller frees (NULL: none).  No recursion, so that a piece full of
 * tags cannot exhaust the stack.
 */
static enum a2o_err
tag_step(struct a2o_stream *s, const char *p, size_t n, char **own,
         const char **rp, size_t *rn)
{
    const char *close = a2o_txtcall_close(s->tc_kind), *hit = NULL;
    size_t cl = strlen(close), old = s->tcb.len, from, i, qn;
    char *q;
    enum a2o_err err;

    *own = NULL;
    *rn = 0;
    err = hold(s, p, n);
    if (err != A2O_E_OK || s->tc != A2O_TC_TAG)
        return err; /* released: it was too long to be a call */
    from = old >= cl ? old - cl + 1 : 0;
    for (i = from; i + cl <= s->tcb.len; i++) {
        if (s->tcb.p[i] == '<' && memcmp(s->tcb.p + i, close, cl) == 0) {
            hit = s->tcb.p + i;
            break;
        }
    }
    if (hit == NULL && a2o_txtcall_plausible(s->tcb.p, s->tcb.len, s->meta))
        return A2O_E_OK;
    q = a2o_buf_detach(&s->tcb, &qn);
    if (q == NULL)
        return A2O_E_NOMEM;
    s->tc = A2O_TC_TEXT;
    *own = q;
    if (hit == NULL) {
        /* no call after all (a mention of the tag): its '<' is text and
         * the rest is read again, for a real tag after it */
        i = 1;
        err = a2o__emit_text(&s->em, q, 1);
    } else {
        i += cl;
        err = decide(s, q, i, 0);
    }
    *rp = q + i;
    *rn = qn - i;
    return err;
}

/* TEXT: text up to a '<' that may open a call, then TAG. */
static enum a2o_err
text_scan(struct a2o_stream *s, const char *p, size_t n)
{
    const char *q = p, *end = p + n, *lt;
    char *own = NULL, *next;
    enum a2o_err err = A2O_E_OK;
    int kind;

    while (err == A2O_E_OK) {
        lt = memchr(q, '<', (size_t)(end - q));
        if (lt == NULL) {
            err = a2o__emit_text(&s->em, p, (size_t)(end - p));
            break;
        }
        kind = a2o_txtcall_open(lt, (size_t)(end - lt));
        if (kind == A2O_TXT_NONE) {
            q = lt + 1;
            continue;
        }
        err = a2o__emit_text(&s->em, p, (size_t)(lt - p));
        if (err == A2O_E_OK && kind < 0) {
            err = hold(s, lt, (size_t)(end - lt)); /* decided later */
            break;
        }
        if (err != A2O_E_OK)
            break;
        s->tc = A2O_TC_TAG;
        s->tc_kind = kind;
        err = tag_step(s, lt, (size_t)(end - lt), &next, &p, &n);
        cJSON_free(own);
        own = next;
        if (n == 0)
            break;
        q = p;
        end = p + n;
    }
    cJSON_free(own);
    return err;
}

/* TAG, from a2o__tc_answer. */
static enum a2o_err
tag_feed(struct a2o_stream *s, const char *p, size_t n)
{
    const char *rp;
    size_t rn;
    char *own;
    enum a2o_err err = tag_step(s, p, n, &own, &rp, &rn);

    if (err == A2O_E_OK && rn > 0)
        err = text_scan(s, rp, rn);
    cJSON_free(own);
    return err;
}

/* TEXT with a partial opening tag held: the two together. */
static enum a2o_err
text_held(struct a2o_stream *s, const char *p, size_t n)
{
    size_t hn = s->tcb.len;
    char *q = cJSON_malloc(hn + n);
    enum a2o_err err;

    if (q == NULL)
        return A2O_E_NOMEM;
    memcpy(q, s->tcb.p, hn);
    memcpy(q + hn, p, n);
    a2o_buf_reset(&s->tcb);
    err = text_scan(s, q, hn + n);
    cJSON_free(q);
    return err;
}

/* 1 once the JSON held is one whole value. */
static int
json_done(const struct a2o_stream *s)
{
    return s->tc_scan.nonblank && a2o__call_closed(&s->tc_scan);
}

/* JSON: holds the object; anything but blanks after it makes it text. */
static enum a2o_err
json_feed(struct a2o_stream *s, const char *p, size_t n)
{
    size_t i;
    enum a2o_err err;

    for (i = 0; i < n; i++) {
        if (json_done(s) && !a2o_str_blank_char(p[i])) {
            err = hold(s, p, i);
            if (err == A2O_E_OK)
                err = release(s);
            return err == A2O_E_OK ? text_scan(s, p + i, n - i) : err;
        }
        a2o__call_scan(&s->tc_scan, p + i, 1);
    }
    err = hold(s, p, n);
    if (err == A2O_E_OK && s->tc != A2O_TC_JSON)
        memset(&s->tc_scan, 0, sizeof(s->tc_scan)); /* released */
    return err;
}

enum a2o_err
a2o__tc_answer(struct a2o_stream *s, const char *p, size_t n)
{
    size_t i = 0;
    enum a2o_err err;

    switch (s->tc) {
    case A2O_TC_START:
        while (i < n && a2o_str_blank_char(p[i]))
            i++;
        /* blanks: a2o__emit_text holds them until text follows */
        err = a2o__emit_text(&s->em, p, i);
        if (err != A2O_E_OK || i == n)
            return err;
        if (p[i] == '{') {
            s->tc = A2O_TC_JSON;
            memset(&s->tc_scan, 0, sizeof(s->tc_scan));
            return json_feed(s, p + i, n - i);
        }
        s->tc = A2O_TC_TEXT;
        return text_scan(s, p + i, n - i);
    case A2O_TC_TEXT:
        return s->tcb.len > 0 ? text_held(s, p, n) : text_scan(s, p, n);
    case A2O_TC_TAG:
        return tag_feed(s, p, n);
    case A2O_TC_JSON:
        return json_feed(s, p, n);
    case A2O_TC_OFF:
    default:
        return a2o__emit_text(&s->em, p, n);
    }
}

enum a2o_err
a2o__tc_end(struct a2o_stream *s)
{
    char *q;
    size_t qn;
    enum a2o_err err;

    if (s->tc == A2O_TC_JSON && json_done(s)) {
        q = a2o_buf_detach(&s->tcb, &qn);
        if (q == NULL)
            return A2O_E_NOMEM;
        s->tc = A2O_TC_TEXT;
        err = decide(s, q, qn, 1);
        cJSON_free(q);
        return err;
    }
    if (s->tc == A2O_TC_OFF)
        return A2O_E_OK;
    return release(s); /* an unclosed tag, a partial one: only text */
}
