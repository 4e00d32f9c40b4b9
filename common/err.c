/*
 * err.c: tables generated from A2O_ERRORS, upstream status mapping and the
 * Anthropic error body.  Nothing here allocates, so an error can always be
 * reported, even after an allocation failure.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const int statuses[] = {
#define X(name, status, type, text) status,
    A2O_ERRORS(X)
#undef X
};

static const char *const types[] = {
#define X(name, status, type, text) type,
    A2O_ERRORS(X)
#undef X
};

static const char *const texts[] = {
#define X(name, status, type, text) text,
    A2O_ERRORS(X)
#undef X
};

static const char *const names[] = {
#define X(name, status, type, text) #name,
    A2O_ERRORS(X)
#undef X
};

int
a2o_err_status(enum a2o_err err)
{
    if ((unsigned)err >= A2O_E__MAX)
        return 500;
    return statuses[err];
}

const char *
a2o_err_type(enum a2o_err err)
{
    if ((unsigned)err >= A2O_E__MAX || types[err] == NULL)
        return "api_error";
    return types[err];
}

const char *
a2o_err_text(enum a2o_err err)
{
    if ((unsigned)err >= A2O_E__MAX)
        return "unknown error";
    return texts[err];
}

const char *
a2o_err_name(enum a2o_err err)
{
    if ((unsigned)err >= A2O_E__MAX)
        return "UNKNOWN";
    return names[err];
}

enum a2o_err
a2o_err_from_status(long status)
{
    if (status >= 200 && status < 300)
        return A2O_E_OK;
    switch (status) {
    case 400:
    case 422: /* OpenAI-compatible servers use 422 for schema errors */
        return A2O_E_BADREQ;
    case 401:
        return A2O_E_AUTH;
    case 403:
        return A2O_E_PERM;
    case 404:
        return A2O_E_NOTFOUND;
    case 408:
    case 504:
        return A2O_E_TIMEOUT;
    case 413:
        return A2O_E_TOOBIG;
    case 429:
        return A2O_E_RATELIMIT;
    case 500:
        return A2O_E_UPSTREAM;
    case 503:
    case 529: /* Anthropic's own "overloaded", used by some gateways */
        return A2O_E_OVERLOADED;
    default:
        return A2O_E_BADGATEWAY;
    }
}

void
a2o_diag_clear(struct a2o_diag *d)
{
    if (d == NULL)
        return;
    d->msg[0] = '\0';
    d->path[0] = '\0';
}

enum a2o_err
a2o_diag_set(struct a2o_diag *d, enum a2o_err err, const char *path,
             const char *fmt, ...)
{
    va_list ap;

    if (d == NULL)
        return err;
    snprintf(d->path, sizeof(d->path), "%s", path != NULL ? path : "");
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
    va_end(ap);
    return err;
}

enum a2o_err
a2o_diag_badreq(struct a2o_diag *d, const char *msg, const char *pathfmt, ...)
{
    char path[128];
    va_list ap;

    va_start(ap, pathfmt);
    vsnprintf(path, sizeof(path), pathfmt, ap);
    va_end(ap);
    return a2o_diag_set(d, A2O_E_BADREQ, path, "%s", msg);
}

/*
 * Length of the valid UTF-8 sequence at s (1-4), or 0 when the bytes there
 * are not one (stray continuation, overlong form, surrogate, truncated).
 */
static size_t
utf8_seq(const unsigned char *s)
{
    size_t len, k;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    for (k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80) /* also stops at the NUL */
            return 0;
        cp = (cp << 6) | (s[k] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return len;
}

/*
 * Appends s to out[*pos..outsz-1] JSON-escaped, keeping room for the NUL.
 * The message may hold upstream text, so whatever its bytes the result is
 * valid JSON: control bytes become \u00XX and bytes that are not valid
 * UTF-8 become \ufffd.  Truncation happens between characters, never
 * inside a UTF-8 sequence or an escape.
 */
static void
put_escaped(char *out, size_t outsz, size_t *pos, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    char tmp[8];
    size_t n, adv;

    while (*u != '\0') {
        const char *src = tmp;

        adv = 1;
        if (*u == '"' || *u == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)*u;
            n = 2;
        } else if (*u < 0x20) {
            n = (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", *u);
        } else {
            adv = utf8_seq(u);
            if (adv == 0) {
                src = "\\ufffd";
                n = 6;
                adv = 1;
            } else {
                src = (const char *)u;
                n = adv;
            }
        }
        if (*pos + n + 1 > outsz)
            return;
        memcpy(out + *pos, src, n);
        *pos += n;
        u += adv;
    }
}

static void
put_raw(char *out, size_t outsz, size_t *pos, const char *s)
{
    size_t n = strlen(s);

    if (*pos + n + 1 > outsz)
        n = outsz - *pos - 1;
    memcpy(out + *pos, s, n);
    *pos += n;
}

size_t
a2o_err_body(enum a2o_err err, const struct a2o_diag *d, char *out,
             size_t outsz)
{
    /* the tail we always want to fit, so reserve it up front */
    static const char tail[] = "\"}}";
    size_t pos = 0, room;
    const char *msg;

    if (outsz < 64) {
        if (outsz > 0)
            out[0] = '\0';
        return 0;
    }
    room = outsz - (sizeof(tail) - 1);
    put_raw(out, room, &pos, "{\"type\":\"error\",\"error\":{\"type\":\"");
    put_raw(out, room, &pos, a2o_err_type(err));
    put_raw(out, room, &pos, "\",\"message\":\"");
    if (d != NULL && d->path[0] != '\0') {
        put_escaped(out, room, &pos, d->path);
        put_raw(out, room, &pos, ": ");
    }
    msg = d != NULL && d->msg[0] != '\0' ? d->msg : a2o_err_text(err);
    put_escaped(out, room, &pos, msg);
    memcpy(out + pos, tail, sizeof(tail));
    return pos + sizeof(tail) - 1;
}
