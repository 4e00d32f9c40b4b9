/*
 * stream_call.c: the upstream tool calls of a chat stream, in every
 * dialect of common/README.md §5: which call each tool_calls[] delta
 * belongs to, when a call may start, and its arguments; the tool_use
 * blocks themselves are written by the emitter (stream_emit.c).
 *
 * Tool calls stream one at a time.  A call starts (content_block_start)
 * once its name is known and either arguments or a thought signature
 * came, or the chunk that named it has passed (a gateway may send the
 * signature after the name; the id that carries it goes out in
 * content_block_start); fragments that come before are buffered (capped
 * at max_block: A2O_E_TOOBIG).  While the open call's arguments are
 * incomplete JSON, later calls are held with their fragments (an upstream
 * interleaving parallel calls), and start, in order, once it completes or
 * at the end: every fragment reaches its own call.  A delta that names
 * the same tool again once its arguments are complete JSON starts a new
 * call (find_call).  Arguments that still come for a call whose block was
 * stopped (it looked complete and the next call started, or text came in
 * between) cannot be delivered any more: blank ones are ignored, others
 * end the stream with a 502 `event: error` (add_args).  A call that never
 * got a name is dropped.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "str.h"
#include "stream_int.h"
#include "toolid.h"

#define MAX_CALLS 4096 /* tool calls in one answer; more is hostile */

/* Life of one upstream tool call (call_state). */
enum {
    CALL_PENDING, /* not started (no name yet, or held behind the open
                   * call): arguments buffered */
    CALL_OPEN,    /* its tool_use block is the open block */
    CALL_CLOSED   /* its block was stopped */
};

struct a2o_call {
    char *id;                  /* upstream id, NULL until one came */
    char *name;                /* upstream name, NULL until one came */
    char *sig;                 /* Gemini thought_signature, or NULL */
    struct a2o_buf args;       /* fragments received while PENDING */
    struct a2o_args_scan scan; /* every fragment, held or emitted */
    long index;                /* upstream "index", -1 when it had none */
    long named_at;             /* chunk number that brought the name */
    int started;               /* its tool_use block was started */
};

/* CALL_*: a started call is open while the emitter's tool block is its
 * own (cur_call), and closed once that block was stopped. */
static int
call_state(const struct a2o_stream *s, size_t ci)
{
    if (!s->calls[ci].started)
        return CALL_PENDING;
    return s->em.blk == A2O_BLK_TOOL && s->cur_call == ci ? CALL_OPEN
                                                          : CALL_CLOSED;
}

void
a2o__call_free(struct a2o_stream *s)
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

void
a2o__call_scan(struct a2o_args_scan *sc, const char *p, size_t n)
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

int
a2o__call_closed(const struct a2o_args_scan *sc)
{
    return !sc->in_str && sc->depth == 0;
}

/* A call of this id: the last one with the id, else the call at that
 * index (or the last call) while it has no id yet and is not closed. */
static long
by_id(const struct a2o_stream *s, long index, const char *id)
{
    size_t k;
    long i;

    for (k = s->ncalls; k-- > 0;)
        if (s->calls[k].id != NULL && strcmp(s->calls[k].id, id) == 0)
            return (long)k;
    i = last_call(s, index);
    if (i >= 0 && s->calls[i].id == NULL &&
        call_state(s, (size_t)i) != CALL_CLOSED)
        return i;
    return -1;
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
    long i = id != NULL ? by_id(s, index, id) : last_call(s, index);

    if (i < 0 || id != NULL) {
        if (i < 0)
            return new_call(s, index, ci);
        *ci = (size_t)i;
        return A2O_E_OK;
    }
    c = &s->calls[i];
    if (name != NULL && c->name != NULL &&
        (strcmp(c->name, name) != 0 ||
         (c->scan.nonblank && a2o__call_closed(&c->scan) &&
          (index < 0 || n > 0))))
        return new_call(s, index, ci);
    *ci = (size_t)i;
    return A2O_E_OK;
}

/* PENDING -> OPEN: content_block_start, then the buffered arguments. */
static enum a2o_err
start_call(struct a2o_stream *s, size_t ci)
{
    struct a2o_call *c = &s->calls[ci];
    struct a2o_buf id;
    const char *name;
    enum a2o_err err;

    /* the open block closes before the id is made, as the events go */
    err = a2o__emit_flush(&s->em);
    if (err != A2O_E_OK)
        return err;
    a2o_buf_init(&id, s->max_line);
    err = a2o_oai_tool_id_for(c->id, c->sig, s->upstream, &s->seed, &id);
    name = s->meta != NULL ? a2o_reqmeta_tool_name(s->meta, c->name) : c->name;
    if (err == A2O_E_OK)
        err = a2o__emit_tool(&s->em, id.p, id.len, name);
    a2o_buf_free(&id);
    s->cur_call = ci;
    c->started = 1;
    if (err == A2O_E_OK && c->args.len > 0)
        err = a2o__emit_args(&s->em, c->args.p, c->args.len);
    a2o_buf_free(&c->args);
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
enum a2o_err
a2o__call_ready(struct a2o_stream *s, int force)
{
    size_t i;
    enum a2o_err err;

    for (i = 0; i < s->ncalls; i++) {
        const struct a2o_call *c = &s->calls[i];

        if (c->started || c->name == NULL)
            continue;
        if (!force && s->em.blk == A2O_BLK_TOOL &&
            !a2o__call_closed(&s->calls[s->cur_call].scan))
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

/* Arguments that came past the cap: the diag says so. */
static enum a2o_err
too_long(struct a2o_stream *s, enum a2o_err err)
{
    if (err == A2O_E_TOOBIG)
        a2o_diag_set(s->d, err, NULL,
                     "tool call arguments exceed the size limit");
    return err;
}

enum a2o_err
a2o__call_text(struct a2o_stream *s, char *name, char *args)
{
    struct a2o_call *c;
    size_t ci;
    enum a2o_err err;

    /* calls written earlier in the text are complete: they go first */
    err = a2o__call_ready(s, 1);
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
    err = too_long(s, a2o_buf_adds(&c->args, args));
    cJSON_free(args);
    a2o__call_scan(&c->scan, c->args.p != NULL ? c->args.p : "", c->args.len);
    if (err == A2O_E_OK)
        err = start_call(s, ci);
    if (err == A2O_E_OK)
        err = a2o__emit_close(&s->em);
    return err;
}

/* Sets *dst to a copy of src unless already set. */
static enum a2o_err
keep_first(char **dst, const char *src)
{
    if (src == NULL || *dst != NULL)
        return A2O_E_OK;
    *dst = a2o_str_dup(src);
    return *dst != NULL ? A2O_E_OK : A2O_E_NOMEM;
}

/* A non-empty string member, or NULL. */
static const char *
nonempty(const cJSON *obj, const char *key)
{
    const char *v = a2o_json_str(obj, key);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Fragment args[0..n) of call ci, by its state. */
static enum a2o_err
add_args(struct a2o_stream *s, size_t ci, const char *args, size_t n)
{
    struct a2o_call *c = &s->calls[ci];

    switch (call_state(s, ci)) {
    case CALL_OPEN:
        a2o__call_scan(&c->scan, args, n);
        return a2o__emit_args(&s->em, args, n);
    case CALL_PENDING:
        a2o__call_scan(&c->scan, args, n);
        return too_long(s, a2o_buf_add(&c->args, args, n));
    case CALL_CLOSED:
    default:
        if (a2o_str_blank(args, n))
            return A2O_E_OK;
        return a2o_diag_set(s->d, A2O_E_BADGATEWAY, NULL,
                            "the upstream sent arguments for a tool call "
                            "after it had ended");
    }
}

/* The arguments of fn: a string, or (some servers) an object or array
 * printed into *printed (the caller frees it).  NULL on NOMEM. */
static const char *
args_of(const cJSON *fn, char **printed, size_t *n)
{
    const cJSON *av = a2o_json_get(fn, "arguments");

    *printed = NULL;
    *n = 0;
    if (cJSON_IsString(av)) {
        *n = strlen(av->valuestring);
        return av->valuestring;
    }
    if (cJSON_IsObject(av) || cJSON_IsArray(av)) {
        *printed = a2o_json_print_str(av, n);
        return *printed;
    }
    return "";
}

enum a2o_err
a2o__call_delta(struct a2o_stream *s, const cJSON *tc, const cJSON *fn)
{
    const cJSON *iv = a2o_json_get(tc, "index");
    const char *id = nonempty(tc, "id"), *name = nonempty(fn, "name");
    const char *args, *sig = a2o_oai_tool_sig(tc);
    char *printed;
    size_t n, ci;
    long index = -1;
    struct a2o_call *c;
    enum a2o_err err;

    if (cJSON_IsNumber(iv) && iv->valuedouble >= 0 && iv->valuedouble < 1e9)
        index = (long)iv->valuedouble;
    args = args_of(fn, &printed, &n);
    if (args == NULL)
        return A2O_E_NOMEM;
    if (id == NULL && name == NULL && n == 0 && sig == NULL) {
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
        err = keep_first(&c->sig, sig);
    if (err == A2O_E_OK)
        err = keep_first(&c->name, name);
    if (err == A2O_E_OK && n > 0)
        err = add_args(s, ci, args, n);
    if (err == A2O_E_OK)
        err = a2o__call_ready(s, 0);
out:
    cJSON_free(printed);
    return err;
}
