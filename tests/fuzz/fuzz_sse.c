/*
 * fuzz_sse.c: the SSE reader and writer, a2o_sse_* (common/README.md §5).
 *
 * Input: option bytes (cap, split seed, callback stop point), then the
 * bytes of an event stream.  Invariants:
 * - fed whole or in pieces (1-byte pieces for seed 0), the reader gives
 *   the same events and the same code;
 * - every event has data (NUL-terminated) and no line end inside its
 *   name or data lines, each within the cap;
 * - with a cap that is not reached, the events equal those of a small
 *   reference reader written from the WHATWG text in this file;
 * - a callback error stops the reader and comes back unchanged;
 * - a frame made by a2o_sse_write reads back as exactly one event;
 * - nothing stays allocated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/buf.h"
#include "../../common/sse.h"
#include "fuzz_util.h"

#define LOG_MAX ((size_t)64 << 20)

struct sink {
    struct a2o_buf log; /* "<event>\x1f<data>\x1e" per event */
    size_t max;
    long n, stop_at; /* stop_at > 0: fail the n-th callback */
};

static enum a2o_err
on_event(void *arg, const struct a2o_sse_event *ev)
{
    struct sink *s = arg;

    FZ_CHECK(ev->data != NULL && ev->data[ev->datan] == '\0',
             "data is NUL-terminated");
    FZ_CHECK(ev->event != NULL, "event name is a string");
    FZ_CHECK(memchr(ev->event, '\n', ev->eventn) == NULL &&
                 memchr(ev->event, '\r', ev->eventn) == NULL &&
                 memchr(ev->data, '\r', ev->datan) == NULL,
             "no line end inside a field");
    FZ_CHECK(ev->datan <= s->max && ev->eventn <= s->max,
             "event within the cap");
    s->n++;
    if (s->stop_at > 0 && s->n == s->stop_at)
        return A2O_E_RATELIMIT; /* any distinctive code */
    if (a2o_buf_add(&s->log, ev->event, ev->eventn) != A2O_E_OK ||
        a2o_buf_add(&s->log, "\x1f", 1) != A2O_E_OK ||
        a2o_buf_add(&s->log, ev->data, ev->datan) != A2O_E_OK ||
        a2o_buf_add(&s->log, "\x1e", 1) != A2O_E_OK)
        return A2O_E_NOMEM;
    return A2O_E_OK;
}

static unsigned long long
next(unsigned long long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Reads p[0..n) in pieces (seed 1: whole); returns the first error. */
static enum a2o_err
read_all(const char *p, size_t n, size_t max, unsigned long long seed,
         struct sink *s)
{
    struct a2o_sse r;
    enum a2o_err err = A2O_E_OK;
    size_t off = 0, len;

    a2o_sse_init(&r, max);
    while (off < n && err == A2O_E_OK) {
        len = n - off;
        if (seed != 1) {
            size_t lim = seed == 0 ? 1 : (size_t)(1 + next(&seed) % 32);

            if (len > lim)
                len = lim;
        }
        err = a2o_sse_feed(&r, p + off, len, on_event, s);
        off += len;
    }
    if (err == A2O_E_OK)
        err = a2o_sse_finish(&r, on_event, s);
    a2o_sse_free(&r);
    return err;
}

/*
 * The reference: WHATWG "interpreting an event stream", for the fields
 * that matter here (data, event; id and retry are ignored), over the
 * whole input at once.
 */
struct ref {
    struct a2o_buf log, data, event;
    int has_data;
};

static void
ref_dispatch(struct ref *f)
{
    if (f->has_data) {
        FZ_CHECK(a2o_buf_add(&f->log, f->event.p ? f->event.p : "",
                             f->event.len) == A2O_E_OK &&
                     a2o_buf_add(&f->log, "\x1f", 1) == A2O_E_OK &&
                     a2o_buf_add(&f->log, f->data.p ? f->data.p : "",
                                 f->data.len) == A2O_E_OK &&
                     a2o_buf_add(&f->log, "\x1e", 1) == A2O_E_OK,
                 "reference log");
    }
    a2o_buf_reset(&f->data);
    a2o_buf_reset(&f->event);
    f->has_data = 0;
}

static void
ref_line(struct ref *f, const char *l, size_t n)
{
    const char *colon = memchr(l, ':', n);
    size_t fn = colon != NULL ? (size_t)(colon - l) : n;
    const char *v = colon != NULL ? colon + 1 : l + n;
    size_t vn = (size_t)(l + n - v);

    if (n == 0) {
        ref_dispatch(f);
        return;
    }
    if (fn == 0)
        return; /* comment */
    if (vn > 0 && v[0] == ' ') {
        v++;
        vn--;
    }
    if (fn == 4 && memcmp(l, "data", 4) == 0) {
        if (f->has_data)
            FZ_CHECK(a2o_buf_add(&f->data, "\n", 1) == A2O_E_OK, "ref");
        FZ_CHECK(a2o_buf_add(&f->data, v, vn) == A2O_E_OK, "ref");
        f->has_data = 1;
    } else if (fn == 5 && memcmp(l, "event", 5) == 0) {
        a2o_buf_reset(&f->event);
        FZ_CHECK(a2o_buf_add(&f->event, v, vn) == A2O_E_OK, "ref");
    }
}

static void
ref_read(const char *p, size_t n, struct ref *f)
{
    size_t i = 0, start;

    if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    start = i;
    for (; i < n; i++) {
        if (p[i] == '\n' || p[i] == '\r') {
            ref_line(f, p + start, i - start);
            if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
                i++;
            start = i + 1;
        }
    }
    if (start < n)
        ref_line(f, p + start, n - start);
    ref_dispatch(f);
}

static int
same(const struct a2o_buf *a, const struct a2o_buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* a2o_sse_write, read back: one event, the same type and data. */
static void
check_writer(const char *p, size_t n)
{
    struct a2o_buf out, type;
    struct sink s;
    size_t i, half = n / 2;

    a2o_buf_init(&out, LOG_MAX);
    a2o_buf_init(&type, LOG_MAX);
    /* type: the first half without line ends or NULs; json: the rest
     * without line ends (the writer's contract is one line). */
    for (i = 0; i < half; i++)
        if (p[i] != '\n' && p[i] != '\r' && p[i] != '\0')
            FZ_CHECK(a2o_buf_add(&type, p + i, 1) == A2O_E_OK, "type");
    memset(&s, 0, sizeof s);
    a2o_buf_init(&s.log, LOG_MAX);
    s.max = LOG_MAX;
    {
        struct a2o_buf json;

        a2o_buf_init(&json, LOG_MAX);
        for (i = half; i < n; i++)
            if (p[i] != '\n' && p[i] != '\r' && p[i] != '\0')
                FZ_CHECK(a2o_buf_add(&json, p + i, 1) == A2O_E_OK, "json");
        FZ_CHECK(a2o_sse_write(&out, type.p ? type.p : "", json.p ? json.p : "",
                               json.len) == A2O_E_OK,
                 "writer");
        FZ_CHECK(read_all(out.p, out.len, LOG_MAX, 1, &s) == A2O_E_OK,
                 "written frame reads back");
        FZ_CHECK(s.n == 1, "one frame, one event");
        FZ_CHECK(s.log.len == type.len + json.len + 2 &&
                     memcmp(s.log.p, type.p ? type.p : "", type.len) == 0,
                 "written event reads back whole");
        a2o_buf_free(&json);
    }
    a2o_buf_free(&s.log);
    a2o_buf_free(&type);
    a2o_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    unsigned capb, sd, stop;
    size_t max;
    unsigned long long seed;
    struct sink a, b;
    enum a2o_err ea, eb;
    const char *p;
    size_t n;
    long before;

    fz_init();
    capb = fz_byte(&in);
    sd = fz_byte(&in);
    stop = fz_byte(&in);
    p = (const char *)in.p;
    n = in.n;
    max = (capb & 1) ? (size_t)1 + (capb >> 1) : (size_t)1 << 20;
    seed = sd == 0 ? 0 : ((unsigned long long)sd << 12) | 0x2545f491u;
    before = fz_live();

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a2o_buf_init(&a.log, LOG_MAX);
    a2o_buf_init(&b.log, LOG_MAX);
    a.max = b.max = max;
    a.stop_at = b.stop_at = (long)(stop & 15);
    ea = read_all(p, n, max, 1, &a);
    eb = read_all(p, n, max, seed, &b);
    FZ_CHECK(ea == eb, "split reading gives the same code");
    FZ_CHECK(same(&a.log, &b.log), "split reading gives the same events");
    FZ_CHECK(ea == A2O_E_OK || ea == A2O_E_TOOBIG ||
                 (ea == A2O_E_RATELIMIT && a.stop_at > 0 && a.n == a.stop_at),
             "only the documented codes");

    /* Against the reference, when no cap or stop got in the way. */
    if (ea == A2O_E_OK && !(capb & 1)) {
        struct ref f;

        memset(&f, 0, sizeof f);
        a2o_buf_init(&f.log, LOG_MAX);
        a2o_buf_init(&f.data, LOG_MAX);
        a2o_buf_init(&f.event, LOG_MAX);
        ref_read(p, n, &f);
        FZ_CHECK(same(&a.log, &f.log), "events equal the reference's");
        a2o_buf_free(&f.log);
        a2o_buf_free(&f.data);
        a2o_buf_free(&f.event);
    }
    a2o_buf_free(&a.log);
    a2o_buf_free(&b.log);
    if (stop & 0x80)
        check_writer(p, n);
    FZ_CHECK(fz_live() == before, "no leak");
    return 0;
}
