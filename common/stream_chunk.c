/*
 * stream_chunk.c: reading upstream chunks for the stream converter:
 * one cJSON parse per data line, then reasoning, content (with leading
 * <think> tags; text tool calls in stream_tc.c), tool-call deltas in every
 * dialect of common/README.md §5, finish_reason and usage.  The block
 * machine is in stream.c.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "stream_int.h"
#include "toolid.h"
#include "str.h"

#define MAX_CALLS 4096 /* tool calls in one answer; more is hostile */
#define MAX_BLANKS 64  /* blanks before a possible <think> */

static const char open_tag[] = "<think>";
static const char close_tag[] = "</think>";

static enum a2o_err content(struct a2o_stream *s, const char *p, size_t n);

/* A NUL-terminated copy of p[0..n) through cJSON's allocator. */
static char *
dup_n(const char *p, size_t n)
{
    char *c = cJSON_malloc(n + 1);

    if (c != NULL) {
        memcpy(c, p, n);
        c[n] = '\0';
    }
    return c;
}

void
a2o_stream_call_closed(struct a2o_stream *s)
{
    struct a2o_call *c = &s->calls[s->cur_call];

    c->state = A2O_CALL_CLOSED;
    a2o_buf_free(&c->args);
}

void
a2o_stream_calls_free(struct a2o_stream *s)
{
    size_t i;

    for (i = 0; i < s->ncalls; i++) {
        cJSON_free(s->calls[i].id);
        cJSON_free(s->calls[i].name);
        cJSON_free(s->calls[i].sig);
        a2o_buf_free(&s->calls[i].args);
    }
    cJSON_free(s->calls);
}

/* Appends a new PENDING call; *ci gets its position. */
static enum a2o_err
new_call(struct a2o_stream *s, long index, size_t *ci)
{
    struct a2o_call *c;

    if (s->ncalls == MAX_CALLS)
        return a2o_diag_set(s->d, A2O_E_TOOBIG, NULL,
                            "the upstream sent more than %d tool calls",
                            MAX_CALLS);
    if (s->ncalls == s->calls_cap) {
        size_t cap = s->calls_cap ? s->calls_cap * 2 : 4;
        struct a2o_call *v = cJSON_malloc(cap * sizeof(*v));

        if (v == NULL)
            return A2O_E_NOMEM;
        if (s->ncalls > 0)
            memcpy(v, s->calls, s->ncalls * sizeof(*v));
        cJSON_free(s->calls);
        s->calls = v;
        s->calls_cap = cap;
    }
    c = &s->calls[s->ncalls];
    memset(c, 0, sizeof(*c));
    a2o_buf_init(&c->args, s->max_block);
    c->index = index;
    c->state = A2O_CALL_PENDING;
    *ci = s->ncalls++;
    return A2O_E_OK;
}

/* The last call with this upstream index (-1: the last call), or -1. */
static long
last_call(const struct a2o_stream *s, long index)
{
    size_t i;

    for (i = s->ncalls; i-- > 0;)
        if (index < 0 || s->calls[i].index == index)
            return (long)i;
    return -1;
}

/* Follows the JSON structure of an argument fragment. */
void
a2o_stream_scan_args(struct a2o_args_scan *sc, const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char c = p[i];

        if (sc->in_str) {
            if (sc->esc)
                sc->esc = 0;
            else if (c == '\\')
                sc->esc = 1;
            else if (c == '"')
                sc->in_str = 0;
            continue;
        }
        if (c == '"') {
            sc->in_str = 1;
        } else if (c == '{' || c == '[') {
            sc->depth++;
        } else if (c == '}' || c == ']') {
            if (sc->depth > 0)
                sc->depth--;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            continue;
        }
        sc->nonblank = 1;
    }
}

/* 1 when no string or bracket is open (nothing at all counts too). */
int
a2o_stream_args_closed(const struct a2o_args_scan *sc)
{
    return !sc->in_str && sc->depth == 0;
}

/*
 * Which call a tool_calls[] delta belongs to (common/README.md §5):
 * - an id seen before: that call (some servers repeat it every delta);
 * - a new id: the call at that index (or the last call, without index)
 *   when it has no id yet (id after its fragments), else a new call
 *   (no index: Gemini; same index, other id: Ollama);
 * - no id: the call at that index (or the last), unless it already has
 *   another name, or the same name and complete arguments while this
 *   delta names it again (whole calls without id or index, one per
 *   delta, two of them of the same tool) and, with an index, brings
 *   arguments too (a bare repeated name is no new call);
 * - nothing matches: a new call.
 */
static enum a2o_err
find_call(struct a2o_stream *s, long index, const char *id, const char *name,
          size_t n, size_t *ci)
{
    const struct a2o_call *c;
    long i;
    size_t k;

    if (id != NULL) {
        for (k = s->ncalls; k-- > 0;) {
            if (s->calls[k].id != NULL && strcmp(s->calls[k].id, id) == 0) {
                *ci = k;
                return A2O_E_OK;
            }
        }
        i = last_call(s, index);
        if (i >= 0 && s->calls[i].id == NULL &&
            s->calls[i].state != A2O_CALL_CLOSED) {
            *ci = (size_t)i;
            return A2O_E_OK;
        }
        return new_call(s, index, ci);
    }
    i = last_call(s, index);
    if (i < 0)
        return new_call(s, index, ci);
    c = &s->calls[i];
    if (name != NULL && c->name != NULL &&
        (strcmp(c->name, name) != 0 ||
         (c->scan.nonblank && a2o_stream_args_closed(&c->scan) &&
          (index < 0 || n > 0))))
        return new_call(s, index, ci);
    *ci = (size_t)i;
    return A2O_E_OK;
}

/* PENDING -> OPEN: content_block_start, then the buffered arguments. */
static enum a2o_err
start_call(struct a2o_stream *s, size_t ci)
{
    struct a2o_buf id;
    const char *name;
    enum a2o_err err;

    err = a2o_stream_switch(s, A2O_BLK_TOOL);
    if (err != A2O_E_OK)
        return err;
    s->content_begun = 1;
    a2o_buf_init(&id, s->max_line);
    err = a2o_oai_tool_id_for(s->calls[ci].id, s->calls[ci].sig, s->upstream,
                              &s->seed, &id);
    name = s->meta != NULL ? a2o_reqmeta_tool_name(s->meta, s->calls[ci].name)
                           : s->calls[ci].name;
    if (err == A2O_E_OK)
        err = a2o_stream_tool_start(s, id.p, id.len, name);
    a2o_buf_free(&id);
    s->cur_call = ci;
    s->calls[ci].state = A2O_CALL_OPEN;
    s->ntools++;
    if (err == A2O_E_OK && s->calls[ci].args.len > 0)
        err =
            a2o_stream_emit_args(s, s->calls[ci].args.p, s->calls[ci].args.len);
    a2o_buf_free(&s->calls[ci].args);
    return err;
}

/*
 * Starts the named PENDING calls, in order, that may start now:
 * - not while the open tool block's arguments are still incomplete (an
 *   upstream interleaving parallel calls): later calls are held, with
 *   their fragments, until it completes, so every fragment reaches its
 *   own call;
 * - not in the chunk that named it, when that chunk brought neither
 *   arguments nor a thought signature: a gateway may send the signature
 *   with the first arguments, and the id (which carries it) goes out in
 *   content_block_start.  A later chunk starts it regardless.
 * force (the end): every named call, in order.
 */
static enum a2o_err
start_ready(struct a2o_stream *s, int force)
{
    size_t i;
    enum a2o_err err;

    for (i = 0; i < s->ncalls; i++) {
        const struct a2o_call *c = &s->calls[i];

        if (c->state != A2O_CALL_PENDING || c->name == NULL)
            continue;
        if (!force && s->blk == A2O_BLK_TOOL &&
            !a2o_stream_args_closed(&s->calls[s->cur_call].scan))
            return A2O_E_OK;
        if (!force && c->sig == NULL && c->args.len == 0 &&
            c->named_at == s->nchunk)
            return A2O_E_OK;
        err = start_call(s, i);
        if (err != A2O_E_OK)
            return err;
    }
    return A2O_E_OK;
}

enum a2o_err
a2o_stream_calls_flush(struct a2o_stream *s)
{
    return start_ready(s, 1);
}

enum a2o_err
a2o_stream_text_call(struct a2o_stream *s, char *name, char *args)
{
    struct a2o_call *c;
    size_t ci;
    enum a2o_err err;

    /* calls written earlier in the text are complete: they go first */
    err = start_ready(s, 1);
    if (err == A2O_E_OK)
        err = new_call(s, -1, &ci);
    if (err != A2O_E_OK) {
        cJSON_free(name);
        cJSON_free(args);
        return err;
    }
    c = &s->calls[ci];
    c->name = name;
    c->named_at = s->nchunk;
    err = a2o_buf_adds(&c->args, args);
    cJSON_free(args);
    if (err == A2O_E_TOOBIG)
        a2o_diag_set(s->d, err, NULL,
                     "tool call arguments exceed the size limit");
    a2o_stream_scan_args(&c->scan, c->args.p != NULL ? c->args.p : "",
                         c->args.len);
    if (err == A2O_E_OK)
        err = start_call(s, ci);
    if (err == A2O_E_OK)
        err = a2o_stream_close_block(s);
    return err;
}

/* Copies src into dst[0..size), cut to fit. */
static void
n_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Sets *dst to a copy of src unless already set. */
static enum a2o_err
keep_first(char **dst, const char *src)
{
    if (src == NULL || *dst != NULL)
        return A2O_E_OK;
    *dst = dup_n(src, strlen(src));
    return *dst != NULL ? A2O_E_OK : A2O_E_NOMEM;
}

/* A non-empty string member, or NULL. */
static const char *
nonempty(const cJSON *obj, const char *key)
{
    const char *v = a2o_json_str(obj, key);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* One element of delta.tool_calls (or a legacy function_call). */
static enum a2o_err
tool_delta(struct a2o_stream *s, const cJSON *tc, const cJSON *fn)
{
    const cJSON *iv = a2o_json_get(tc, "index"), *av;
    const char *id = nonempty(tc, "id"), *name = nonempty(fn, "name");
    const char *args = "";
    char *printed = NULL;
    size_t n = 0, ci;
    long index = -1;
    struct a2o_call *c;
    enum a2o_err err;

    if (cJSON_IsNumber(iv) && iv->valuedouble >= 0 && iv->valuedouble < 1e9)
        index = (long)iv->valuedouble;
    av = a2o_json_get(fn, "arguments");
    if (cJSON_IsString(av)) {
        args = av->valuestring;
        n = strlen(args);
    } else if (cJSON_IsObject(av) || cJSON_IsArray(av)) {
        /* some servers send the arguments as an object, not its text */
        printed = a2o_json_print_str(av, &n);
        if (printed == NULL)
            return A2O_E_NOMEM;
        args = printed;
    }
    if (id == NULL && name == NULL && n == 0 && a2o_oai_tool_sig(tc) == NULL) {
        cJSON_free(printed);
        return A2O_E_OK; /* an empty delta says nothing */
    }
    err = find_call(s, index, id, name, n, &ci);
    if (err != A2O_E_OK)
        goto out;
    c = &s->calls[ci];
    if (c->name == NULL && name != NULL)
        c->named_at = s->nchunk;
    err = keep_first(&c->id, id);
    if (err == A2O_E_OK)
        err = keep_first(&c->sig, a2o_oai_tool_sig(tc));
    if (err == A2O_E_OK)
        err = keep_first(&c->name, name);
    if (err != A2O_E_OK || n == 0) {
        /* nothing to add */
    } else if (c->state == A2O_CALL_OPEN) {
        a2o_stream_scan_args(&c->scan, args, n);
        err = a2o_stream_emit_args(s, args, n);
    } else if (c->state == A2O_CALL_PENDING) {
        a2o_stream_scan_args(&c->scan, args, n);
        err = a2o_buf_add(&c->args, args, n);
        if (err == A2O_E_TOOBIG)
            a2o_diag_set(s->d, err, NULL,
                         "tool call arguments exceed the size limit");
    } else if (!a2o_str_blank(args, n)) {
        err = a2o_diag_set(s->d, A2O_E_BADGATEWAY, NULL,
                           "the upstream sent arguments for a tool call "
                           "after it had ended");
    }
    if (err == A2O_E_OK)
        err = start_ready(s, 0);
out:
    cJSON_free(printed);
    return err;
}

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
        err = a2o_stream_reasoning(s, p, k);
        if (err != A2O_E_OK)
            return err;
        s->tt = A2O_TT_AFTER;
        k += sizeof(close_tag) - 1;
        return content(s, p + k, n - k);
    }
    for (hold = sizeof(close_tag) - 2; hold > 0; hold--)
        if (hold <= n && memcmp(p + n - hold, close_tag, hold) == 0)
            break;
    err = a2o_stream_reasoning(s, p, n - hold);
    if (err == A2O_E_OK && hold > 0)
        err = a2o_buf_add(&s->tag, p + n - hold, hold);
    return err;
}

/* Runs f over what s->tag holds followed by p[0..n). */
static enum a2o_err
with_held(struct a2o_stream *s, const char *p, size_t n,
          enum a2o_err (*f)(struct a2o_stream *, const char *, size_t, size_t),
          size_t arg)
{
    enum a2o_err err = a2o_buf_add(&s->tag, p, n);
    size_t qn;
    char *q;

    if (err != A2O_E_OK)
        return err;
    q = a2o_buf_detach(&s->tag, &qn);
    if (q == NULL)
        return A2O_E_NOMEM;
    err = f(s, q, qn, arg);
    cJSON_free(q);
    return err;
}

/* TT_START: decides, from the first non-blank bytes, whether content
 * opens with <think>. */
static enum a2o_err
think_start(struct a2o_stream *s, const char *q, size_t qn, size_t unused)
{
    size_t i = 0, r, cmp;

    (void)unused;
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
    return a2o_stream_answer(s, q, qn);
}

static enum a2o_err
think_in(struct a2o_stream *s, const char *q, size_t qn, size_t unused)
{
    (void)unused;
    return think_scan(s, q, qn);
}

/* Content of a delta, through the think-tag states. */
static enum a2o_err
content(struct a2o_stream *s, const char *p, size_t n)
{
    size_t i = 0;

    switch (s->tt) {
    case A2O_TT_START:
        return with_held(s, p, n, think_start, 0);
    case A2O_TT_IN:
        if (s->tag.len > 0)
            return with_held(s, p, n, think_in, 0);
        return think_scan(s, p, n);
    case A2O_TT_AFTER:
        /* the blank line(s) after </think> are layout, not answer */
        while (i < n && a2o_str_blank(p + i, 1))
            i++;
        if (i == n)
            return A2O_E_OK;
        s->tt = A2O_TT_OFF;
        return a2o_stream_answer(s, p + i, n - i);
    case A2O_TT_OFF:
    default:
        return a2o_stream_answer(s, p, n);
    }
}

enum a2o_err
a2o_stream_think_end(struct a2o_stream *s)
{
    enum a2o_err err = A2O_E_OK;

    /* what was held waiting for a decision is what it looked like */
    if (s->tag.len > 0 && s->tt == A2O_TT_START)
        err = a2o_stream_answer(s, s->tag.p, s->tag.len);
    else if (s->tag.len > 0 && s->tt == A2O_TT_IN)
        err = a2o_stream_reasoning(s, s->tag.p, s->tag.len);
    a2o_buf_free(&s->tag);
    s->tt = A2O_TT_OFF;
    return err;
}

/* Members of a delta, found in one pass over it (a chunk is read once;
 * a lookup per field would compare every key again). */
struct delta_fields {
    const cJSON *content, *reasoning_content, *reasoning, *details;
    const cJSON *refusal, *tool_calls, *function_call;
};

static void
delta_scan(const cJSON *dl, struct delta_fields *f)
{
    const cJSON *it;

    memset(f, 0, sizeof(*f));
    for (it = dl->child; it != NULL; it = it->next) {
        const char *k = it->string;

        if (k == NULL)
            continue;
        if (strcmp(k, "content") == 0)
            f->content = it;
        else if (strcmp(k, "tool_calls") == 0)
            f->tool_calls = it;
        else if (k[0] != 'r' && k[0] != 'f')
            continue; /* role, and anything we do not read */
        else if (strcmp(k, "reasoning_content") == 0)
            f->reasoning_content = it;
        else if (strcmp(k, "reasoning") == 0)
            f->reasoning = it;
        else if (strcmp(k, "reasoning_details") == 0)
            f->details = it;
        else if (strcmp(k, "refusal") == 0)
            f->refusal = it;
        else if (strcmp(k, "function_call") == 0)
            f->function_call = it;
    }
}

/* delta (or message) of one choice: reasoning, content, refusal, tool
 * calls, in that order. */
static enum a2o_err
delta(struct a2o_stream *s, const cJSON *dl)
{
    struct delta_fields f;
    const cJSON *tc;
    const char *p;
    size_t n;
    enum a2o_err err;

    delta_scan(dl, &f);
    err = a2o_oai_reasoning_of(f.reasoning_content, f.reasoning, f.details,
                               &s->scratch, &p, &n);
    if (err == A2O_E_OK)
        err = a2o_stream_reasoning(s, p, n);
    if (err == A2O_E_OK && cJSON_IsString(f.content) &&
        f.content->valuestring[0] != '\0')
        err =
            content(s, f.content->valuestring, strlen(f.content->valuestring));
    if (err == A2O_E_OK && cJSON_IsString(f.refusal) &&
        f.refusal->valuestring[0] != '\0') {
        /* OpenAI's refusal text is the answer; stop_reason refusal */
        s->refusal = 1;
        err = a2o_stream_text(s, f.refusal->valuestring,
                              strlen(f.refusal->valuestring));
    }
    cJSON_ArrayForEach(tc, f.tool_calls)
    {
        if (err != A2O_E_OK)
            break;
        if (cJSON_IsObject(tc))
            err = tool_delta(s, tc, a2o_json_get(tc, "function"));
    }
    /* the legacy functions API */
    if (err == A2O_E_OK && cJSON_IsObject(f.function_call))
        err = tool_delta(s, dl, f.function_call);
    return err;
}

/* One choice: its delta (or whole message), finish_reason, and vLLM's
 * stop_reason (the stop string it matched). */
static enum a2o_err
choice(struct a2o_stream *s, const cJSON *ch)
{
    const cJSON *it, *dl = NULL, *msg = NULL, *fr = NULL, *sr = NULL;
    const char *em;
    enum a2o_err err = A2O_E_OK;

    for (it = ch->child; it != NULL; it = it->next) {
        if (it->string == NULL)
            continue;
        if (strcmp(it->string, "delta") == 0)
            dl = it;
        else if (strcmp(it->string, "finish_reason") == 0)
            fr = it;
        else if (strcmp(it->string, "message") == 0)
            msg = it;
        else if (strcmp(it->string, "stop_reason") == 0)
            sr = it;
    }
    if (!cJSON_IsObject(dl))
        dl = msg; /* some servers send the whole message at the end */
    if (cJSON_IsObject(dl))
        err = delta(s, dl);
    if (err != A2O_E_OK || !cJSON_IsString(fr) || fr->valuestring[0] == '\0')
        return err;
    if (strcmp(fr->valuestring, "error") == 0) {
        /* OpenRouter: a mid-stream failure, not a normal end */
        em = a2o_json_str(a2o_json_get(ch, "error"), "message");
        if (em == NULL)
            em = "the upstream ended the completion with an error";
        return a2o_oai_set_msg(s->d, A2O_E_BADGATEWAY, "", em, strlen(em));
    }
    n_copy(s->finish, sizeof(s->finish), fr->valuestring);
    if (cJSON_IsString(sr) && sr->valuestring[0] != '\0')
        err = keep_first(&s->matched, sr->valuestring);
    return err;
}

/* One parsed chunk; its top-level members are found in one pass. */
static enum a2o_err
chunk(struct a2o_stream *s, const cJSON *root)
{
    const cJSON *it, *ch = NULL, *us = NULL, *groq = NULL, *c;
    int have_usage;
    enum a2o_err err = A2O_E_OK;

    for (it = root->child; it != NULL; it = it->next) {
        if (it->string == NULL)
            continue;
        if (strcmp(it->string, "choices") == 0)
            ch = it;
        else if (strcmp(it->string, "usage") == 0)
            us = it;
        else if (strcmp(it->string, "error") == 0)
            err = a2o_oai_inband_error(root, s->d);
        else if (strcmp(it->string, "x_groq") == 0)
            groq = a2o_json_get(it, "usage");
    }
    if (err != A2O_E_OK)
        return err;
    s->any_chunk = 1;
    s->nchunk++;
    err = a2o_stream_open(s);
    if (err != A2O_E_OK)
        return err;
    have_usage = a2o_oai_usage_of(cJSON_IsObject(us) ? us : groq, &s->usage);
    /* the choice this converter follows: index 0 (or the first) */
    cJSON_ArrayForEach(c, ch)
    {
        const cJSON *iv = a2o_json_get(c, "index");

        if (cJSON_IsObject(c) &&
            (!cJSON_IsNumber(iv) || iv->valuedouble == 0)) {
            err = choice(s, c);
            break;
        }
    }
    /* a call named in an earlier chunk waits no longer */
    if (err == A2O_E_OK)
        err = start_ready(s, 0);
    /* the usage chunk follows the finish_reason chunk (or is it):
     * only now is message_delta complete */
    if (err == A2O_E_OK && have_usage && s->finish[0] != '\0')
        err = a2o_stream_final(s);
    return err;
}

enum a2o_err
a2o_stream_on_event(void *arg, const struct a2o_sse_event *ev)
{
    struct a2o_stream *s = arg;
    const char *p = ev->data, *end = NULL;
    size_t n = ev->datan;
    cJSON *root;
    enum a2o_err err;

    if (s->state == A2O_ST_FINAL || s->state == A2O_ST_ERROR)
        return A2O_E_OK;
    while (n > 0 && a2o_str_blank(p, 1)) {
        p++;
        n--;
    }
    while (n > 0 && a2o_str_blank(p + n - 1, 1))
        n--;
    if (n == 6 && memcmp(p, "[DONE]", 6) == 0)
        return a2o_stream_end(s);
    if (a2o_json_value(p, n, &root, &end) == A2O_E_NOMEM)
        return A2O_E_NOMEM;
    if (root == NULL || !cJSON_IsObject(root) || end != p + n) {
        cJSON_Delete(root);
        return a2o_diag_set(s->d, A2O_E_BADGATEWAY, NULL,
                            "the upstream sent a data line that is not a "
                            "JSON object");
    }
    err = chunk(s, root);
    cJSON_Delete(root);
    return err;
}

enum a2o_err
a2o_stream_end(struct a2o_stream *s)
{
    if (s->state == A2O_ST_FINAL || s->state == A2O_ST_ERROR)
        return A2O_E_OK;
    if (!s->any_chunk)
        return a2o_diag_set(s->d, A2O_E_BADGATEWAY, NULL,
                            "the upstream sent no completion chunks");
    return a2o_stream_final(s);
}

enum a2o_err
a2o_stream_settle(struct a2o_stream *s, enum a2o_err err)
{
    if (err == A2O_E_OK)
        return A2O_E_OK;
    /* Every size cap hit in here (an SSE line over max_line, too many
     * tool calls, arguments over the block cap) is measured on what the
     * upstream sent: its fault, a 502 api_error, never the client's
     * 413 request_too_large. */
    if (err == A2O_E_TOOBIG) {
        if (s->d->msg[0] == '\0')
            a2o_diag_set(s->d, A2O_E_BADGATEWAY, NULL,
                         "an upstream SSE line exceeds the size limit "
                         "(MAX_SSE_LINE)");
        err = A2O_E_BADGATEWAY;
    }
    return a2o_stream_error(s, err, s->d);
}
