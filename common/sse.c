/*
 * sse.c: incremental SSE reader and frame writer.
 *
 * Parsing follows the WHATWG HTML "event stream interpretation": a line is
 * "field:value" (one leading space of value removed), a blank line
 * dispatches the event, a line starting with ':' is a comment.  Fields
 * other than "data" and "event" ("id", "retry", unknown ones) are ignored:
 * OpenAI-compatible upstreams never rely on them.
 *
 * Speed: a complete line inside one feed is handled in place, without a
 * copy; only a line split across feeds is gathered in r->line.  The data
 * of an event is copied once into r->data (its blank line may come in a
 * later feed), so each upstream byte is copied at most twice.
 */
#include "sse.h"

#include <string.h>

/* Handles one complete line (without its end). */
static enum a2o_err
on_line(struct a2o_sse *r, const char *p, size_t n, a2o_sse_cb cb, void *arg)
{
    const char *colon, *v;
    size_t fn, vn;
    enum a2o_err err;

    if (n == 0) {
        struct a2o_sse_event ev;

        /* blank line: dispatch (only events that carried data count) */
        if (!r->has_data) {
            a2o_buf_reset(&r->event);
            return A2O_E_OK;
        }
        ev.event = r->event.p != NULL ? r->event.p : "";
        ev.eventn = r->event.len;
        ev.data = r->data.p != NULL ? r->data.p : "";
        ev.datan = r->data.len;
        err = cb(arg, &ev);
        r->has_data = 0;
        a2o_buf_reset(&r->data);
        a2o_buf_reset(&r->event);
        return err;
    }
    if (p[0] == ':')
        return A2O_E_OK; /* comment, e.g. ": OPENROUTER PROCESSING" */
    colon = memchr(p, ':', n);
    if (colon != NULL) {
        fn = (size_t)(colon - p);
        v = colon + 1;
        vn = n - fn - 1;
        if (vn > 0 && v[0] == ' ') {
            v++;
            vn--;
        }
    } else {
        fn = n; /* a bare field name has an empty value */
        v = p + n;
        vn = 0;
    }
    if (fn == 4 && memcmp(p, "data", 4) == 0) {
        /* lines are joined with "\n" (added before all but the first) */
        if (r->has_data) {
            err = a2o_buf_add(&r->data, "\n", 1);
            if (err != A2O_E_OK)
                return err;
        }
        r->has_data = 1;
        return a2o_buf_add(&r->data, v, vn);
    }
    if (fn == 5 && memcmp(p, "event", 5) == 0) {
        a2o_buf_reset(&r->event);
        return a2o_buf_add(&r->event, v, vn);
    }
    return A2O_E_OK;
}

/* Offset of the first '\n' or '\r' in p[0..n), or n.  Two memchr passes
 * (vectorised in libc) beat a byte loop; '\r' is rare upstream. */
static size_t
line_end(const char *p, size_t n)
{
    const char *nl = memchr(p, '\n', n);
    size_t lim = nl != NULL ? (size_t)(nl - p) : n;
    const char *cr = memchr(p, '\r', lim);

    return cr != NULL ? (size_t)(cr - p) : lim;
}

void
a2o_sse_init(struct a2o_sse *r, size_t max)
{
    a2o_buf_init(&r->line, max);
    a2o_buf_init(&r->data, max);
    a2o_buf_init(&r->event, max);
    r->max = max;
    r->cr = 0;
    r->has_data = 0;
    r->bom = 0;
}

void
a2o_sse_free(struct a2o_sse *r)
{
    a2o_buf_free(&r->line);
    a2o_buf_free(&r->data);
    a2o_buf_free(&r->event);
}

enum a2o_err
a2o_sse_feed(struct a2o_sse *r, const char *p, size_t n, a2o_sse_cb cb,
             void *arg)
{
    enum a2o_err err;

    while (n > 0) {
        size_t i;

        if (r->cr) {
            /* "\r\n" is one line end, even when split across feeds */
            r->cr = 0;
            if (p[0] == '\n') {
                p++;
                n--;
                continue;
            }
        }
        if (r->bom >= 0) {
            /* the spec strips one leading U+FEFF; r->bom counts its
             * bytes matched so far (it may arrive split) */
            static const char bom[] = "\xef\xbb\xbf";

            if (p[0] == bom[r->bom]) {
                p++;
                n--;
                if (++r->bom == 3)
                    r->bom = -1;
                continue;
            }
            /* not a BOM: the bytes taken so far start the first line */
            err = a2o_buf_add(&r->line, bom, (size_t)r->bom);
            r->bom = -1;
            if (err != A2O_E_OK)
                return err;
        }
        i = line_end(p, n);
        if (i == n) {
            /* no line end in this feed: keep the piece for later */
            return a2o_buf_add(&r->line, p, n);
        }
        if (r->line.len > 0) {
            err = a2o_buf_add(&r->line, p, i);
            if (err == A2O_E_OK)
                err = on_line(r, r->line.p, r->line.len, cb, arg);
            a2o_buf_reset(&r->line);
        } else if (i > r->max) {
            err = A2O_E_TOOBIG;
        } else {
            err = on_line(r, p, i, cb, arg);
        }
        if (err != A2O_E_OK)
            return err;
        r->cr = p[i] == '\r';
        p += i + 1;
        n -= i + 1;
    }
    return A2O_E_OK;
}

enum a2o_err
a2o_sse_finish(struct a2o_sse *r, a2o_sse_cb cb, void *arg)
{
    enum a2o_err err;

    if (r->line.len > 0) {
        err = on_line(r, r->line.p, r->line.len, cb, arg);
        a2o_buf_reset(&r->line);
        if (err != A2O_E_OK)
            return err;
    }
    r->cr = 0;
    return on_line(r, "", 0, cb, arg);
}

enum a2o_err
a2o_sse_write(struct a2o_buf *out, const char *type, const char *json, size_t n)
{
    enum a2o_err err = a2o_sse_begin(out, type);

    if (err == A2O_E_OK)
        err = a2o_buf_add(out, json, n);
    if (err == A2O_E_OK)
        err = a2o_buf_add(out, "\n\n", 2);
    return err;
}

enum a2o_err
a2o_sse_begin(struct a2o_buf *out, const char *type)
{
    enum a2o_err err = a2o_buf_adds(out, "event: ");

    if (err == A2O_E_OK)
        err = a2o_buf_adds(out, type);
    if (err == A2O_E_OK)
        err = a2o_buf_add(out, "\ndata: ", 7);
    return err;
}

enum a2o_err
a2o_sse_write_error(struct a2o_buf *out, enum a2o_err err,
                    const struct a2o_diag *d)
{
    char body[512];
    size_t n = a2o_err_body(err, d, body, sizeof(body));

    return a2o_sse_write(out, "error", body, n);
}

enum a2o_err
a2o_sse_upstream_err(enum a2o_err err, struct a2o_diag *d)
{
    if (err != A2O_E_TOOBIG)
        return err;
    if (d->msg[0] == '\0')
        a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                     "an upstream SSE line exceeds the size limit "
                     "(MAX_SSE_LINE)");
    return A2O_E_BADGATEWAY;
}
