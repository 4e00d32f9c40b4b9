/*
 * stream_think.c: the content of a chat delta through the think-tag
 * states (profile think_tags; common/README.md §5): llama.cpp and older
 * vLLM reasoning parsers leave the reasoning in the content, inside a
 * leading <think>...</think>.  What is inside goes to the emitter as
 * reasoning, the rest on to the answer text (stream_tc.c).
 *
 * States (s->tt): OFF (content is answer text), START (only blanks so
 * far: content may open with <think>), IN (inside: reasoning), AFTER
 * (just after </think>: the blanks that follow are layout).  A tag split
 * across deltas is held in s->tag until the next piece decides.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "str.h"
#include "stream_int.h"

#define MAX_BLANKS 64 /* blanks before a possible <think> */

static const char open_tag[] = "<think>";
static const char close_tag[] = "</think>";

/* Where "</think>" starts in p[0..n), or n. */
static size_t
find_close(const char *p, size_t n)
{
    const char *q = p, *end = p + n;

    while ((q = memchr(q, '<', (size_t)(end - q))) != NULL) {
        if ((size_t)(end - q) >= sizeof(close_tag) - 1 &&
            memcmp(q, close_tag, sizeof(close_tag) - 1) == 0)
            return (size_t)(q - p);
        q++;
    }
    return n;
}

/* Inside <think>: reasoning up to "</think>"; a possible partial tag at
 * the end is held in s->tag for the next piece. */
static enum a2o_err
think_scan(struct a2o_stream *s, const char *p, size_t n)
{
    size_t k = find_close(p, n), hold;
    enum a2o_err err;

    if (k < n) {
        err = a2o__emit_reasoning(&s->em, p, k);
        if (err != A2O_E_OK)
            return err;
        s->tt = A2O_TT_AFTER;
        k += sizeof(close_tag) - 1;
        return a2o__think_content(s, p + k, n - k);
    }
    for (hold = sizeof(close_tag) - 2; hold > 0; hold--)
        if (hold <= n && memcmp(p + n - hold, close_tag, hold) == 0)
            break;
    err = a2o__emit_reasoning(&s->em, p, n - hold);
    if (err == A2O_E_OK && hold > 0)
        err = a2o_buf_add(&s->tag, p + n - hold, hold);
    return err;
}

/* Runs f over what s->tag holds followed by p[0..n). */
static enum a2o_err
with_held(struct a2o_stream *s, const char *p, size_t n,
          enum a2o_err (*f)(struct a2o_stream *, const char *, size_t))
{
    enum a2o_err err = a2o_buf_add(&s->tag, p, n);
    size_t qn;
    char *q;

    if (err != A2O_E_OK)
        return err;
    q = a2o_buf_detach(&s->tag, &qn);
    if (q == NULL)
        return A2O_E_NOMEM;
    err = f(s, q, qn);
    cJSON_free(q);
    return err;
}

/* TT_START: decides, from the first non-blank bytes, whether content
 * opens with <think>. */
static enum a2o_err
think_start(struct a2o_stream *s, const char *q, size_t qn)
{
    size_t i = 0, r, cmp;

    while (i < qn && a2o_str_blank(q + i, 1))
        i++;
    r = qn - i;
    cmp = r < sizeof(open_tag) - 1 ? r : sizeof(open_tag) - 1;
    if ((r == 0 && qn <= MAX_BLANKS) || (r > 0 && r < sizeof(open_tag) - 1 &&
                                         memcmp(q + i, open_tag, cmp) == 0))
        return a2o_buf_add(&s->tag, q, qn); /* not decided yet: hold */
    if (r >= sizeof(open_tag) - 1 && memcmp(q + i, open_tag, cmp) == 0) {
        s->tt = A2O_TT_IN;
        i += sizeof(open_tag) - 1;
        return think_scan(s, q + i, qn - i);
    }
    s->tt = A2O_TT_OFF;
    return a2o__tc_answer(s, q, qn);
}

/*
 * NOTE: think_scan calls back here once after "</think>", in state
 * AFTER, which never comes back to think_scan: the recursion is one
 * level deep.
 */
enum a2o_err
a2o__think_content(struct a2o_stream *s, const char *p, size_t n)
{
    size_t i = 0;

    switch (s->tt) {
    case A2O_TT_START:
        return with_held(s, p, n, think_start);
    case A2O_TT_IN:
        if (s->tag.len > 0)
            return with_held(s, p, n, think_scan);
        return think_scan(s, p, n);
    case A2O_TT_AFTER:
        /* the blank line(s) after </think> are layout, not answer */
        while (i < n && a2o_str_blank(p + i, 1))
            i++;
        if (i == n)
            return A2O_E_OK;
        s->tt = A2O_TT_OFF;
        return a2o__tc_answer(s, p + i, n - i);
    case A2O_TT_OFF:
    default:
        return a2o__tc_answer(s, p, n);
    }
}

enum a2o_err
a2o__think_end(struct a2o_stream *s)
{
    enum a2o_err err = A2O_E_OK;

    /* what was held waiting for a decision is what it looked like */
    if (s->tag.len > 0 && s->tt == A2O_TT_START)
        err = a2o__tc_answer(s, s->tag.p, s->tag.len);
    else if (s->tag.len > 0 && s->tt == A2O_TT_IN)
        err = a2o__emit_reasoning(&s->em, s->tag.p, s->tag.len);
    a2o_buf_free(&s->tag);
    s->tt = A2O_TT_OFF;
    return err;
}
