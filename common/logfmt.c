/*
 * logfmt.c: the one-line-per-request log record (logfmt.h).
 *
 * Shape (one line, keys always present, in this order):
 *
 *   id=<req id> method=POST path=/v1/messages model=<client model>
 *   upstream_model=<model> stream=0|1 status=200 upstream_status=200
 *   ms=123.4 ttfb_ms=45.6 in=10 out=20 cache_read=0 cache_write=0
 *   estimated=0|1 error=<text>
 *
 * An absent string or an unknown time prints as "-".  Every string value
 * comes from outside (the client's model and path, the upstream's model,
 * error text), so each goes through a2o_log_escape: no raw space, quote,
 * backslash, control or non-ASCII byte reaches the line, and a value
 * cannot fake a second key or a second line (kcgi logging.c does the
 * same).  The record holds no key, header or body, and this file must
 * never be given one.
 */
#include "logfmt.h"
#include "str.h"

#include <string.h>

/* 1 for the bytes that a2o_log_escape writes as \xHH. */
static int
needs_escape(unsigned char c)
{
    return c < 0x21 || c >= 0x7f || c == '"' || c == '\\';
}

size_t
a2o_log_escape(const char *s, size_t n, char *out, size_t outsz)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, o = 0;

    if (outsz == 0)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (needs_escape(c)) {
            /* NOTE: an escape is written whole or not at all, so a cut
             * line never ends in a dangling "\x4" */
            if (o + 4 >= outsz)
                break;
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            if (o + 1 >= outsz)
                break;
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return o;
}

/* Appends text at out[*o], never past outsz - 1; keeps NUL-termination. */
static void
put(char *out, size_t outsz, size_t *o, const char *text)
{
    size_t n = strlen(text), room = outsz - 1 - *o;

    if (n > room)
        n = room;
    memcpy(out + *o, text, n);
    *o += n;
    out[*o] = '\0';
}

/* " key=<escaped s>", "-" for NULL. */
static void
put_str(char *out, size_t outsz, size_t *o, const char *key, const char *s)
{
    put(out, outsz, o, key);
    if (s == NULL || s[0] == '\0') {
        put(out, outsz, o, "-");
        return;
    }
    *o += a2o_log_escape(s, strlen(s), out + *o, outsz - *o);
}

/* " key=<n>" */
static void
put_long(char *out, size_t outsz, size_t *o, const char *key, long n)
{
    char num[A2O_STR_LONG_MAX];

    a2o_str_long(num, n);
    put(out, outsz, o, key);
    put(out, outsz, o, num);
}

/* " key=<ms with one decimal>", "-" when negative (unknown). */
static void
put_ms(char *out, size_t outsz, size_t *o, const char *key, double ms)
{
    char num[A2O_STR_LONG_MAX + 2];
    long tenths;
    size_t n;

    put(out, outsz, o, key);
    if (ms < 0 || ms != ms) { /* unknown, or NaN */
        put(out, outsz, o, "-");
        return;
    }
    if (ms > 1e12) { /* clamp: a clock jump must not widen the line */
        put(out, outsz, o, "1e12");
        return;
    }
    /* "%.1f" without printf: whole tenths, rounded half up */
    tenths = (long)(ms * 10 + 0.5);
    n = a2o_str_long(num, tenths / 10);
    num[n++] = '.';
    num[n++] = (char)('0' + tenths % 10);
    num[n] = '\0';
    put(out, outsz, o, num);
}

size_t
a2o_log_format(const struct a2o_logrec *r, char *out, size_t outsz)
{
    size_t o = 0;

    if (outsz == 0)
        return 0;
    out[0] = '\0';
    put_str(out, outsz, &o, "id=", r->req_id);
    put_str(out, outsz, &o, " method=", r->method);
    put_str(out, outsz, &o, " path=", r->endpoint);
    put_str(out, outsz, &o, " model=", r->client_model);
    put_str(out, outsz, &o, " upstream_model=", r->upstream_model);
    if (r->provider != NULL) {
        /* requests that went upstream: where, by which rule, how often */
        put_str(out, outsz, &o, " upstream=", r->provider);
        put_str(out, outsz, &o, " rule=", r->rule);
        put_long(out, outsz, &o, " attempts=", r->attempts);
        put_str(out, outsz, &o, " failover=", r->failover);
    }
    put_long(out, outsz, &o, " stream=", r->stream ? 1 : 0);
    put_long(out, outsz, &o, " status=", r->status);
    put_long(out, outsz, &o, " upstream_status=", r->upstream_status);
    put_ms(out, outsz, &o, " ms=", r->latency_ms);
    put_ms(out, outsz, &o, " ttfb_ms=", r->ttfb_ms);
    put_long(out, outsz, &o, " in=", r->usage.input_tokens);
    put_long(out, outsz, &o, " out=", r->usage.output_tokens);
    put_long(out, outsz, &o, " cache_read=", r->usage.cache_read_input_tokens);
    put_long(out, outsz, &o,
             " cache_write=", r->usage.cache_creation_input_tokens);
    put_long(out, outsz, &o, " estimated=", r->usage.estimated ? 1 : 0);
    put_str(out, outsz, &o, " error=", r->error);
    return o;
}
