/*
 * json_parse.c: JSON text to cJSON trees, with cJSON's acceptance and
 * cJSON's trees, at a fraction of its cost.
 *
 * cJSON_ParseWithLengthOpts was the second largest cost of a request: it
 * walks every string twice byte by byte and copies each number into a
 * buffer for strtod.  The parser here finds a string's end eight bytes
 * at a time and copies it whole, reads plain integers itself, and builds
 * the very tree cJSON builds (nodes and strings from cJSON_malloc, first
 * child's prev at the last one, valueint saturated), so cJSON_Delete and
 * every cJSON call work on it.
 *
 * It never decides alone that text is bad.  Whatever it is unsure of
 * (a syntax error, a UTF-8 byte-order mark, \u0000 or a \u escape that
 * cJSON would turn into a NUL, a bad surrogate, nesting past 1000) makes
 * it give up, and cJSON parses the text from the start: cJSON's answer
 * and its error offset then stand.  So what is accepted, and what each
 * error says, is exactly what it was with cJSON alone; tests/unit/
 * test_json.c and the json fuzz target compare the two parsers' trees.
 *
 * cJSON's rules kept: any byte up to 0x20 counts as whitespace between
 * tokens; raw control bytes are allowed inside strings; a number is the
 * longest run of [0-9+-eE.] as far as strtod reads it (a run of 63 bytes
 * or more is left to cJSON).
 */
#include "json.h"
#include "json_int.h"
#include "str.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* cJSON's CJSON_NESTING_LIMIT */
#define NESTING_MAX 1000

/* "Unsure: let cJSON decide", never returned to a caller as such. */
#define GIVE_UP A2O_E_BADJSON

struct parser {
    const unsigned char *p;   /* next byte */
    const unsigned char *end; /* one past the text */
    int depth;
};

static void
skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && *ps->p <= 0x20)
        ps->p++;
}

/* The value of 4 hex digits at p, or -1. */
static long
hex4(const unsigned char *p)
{
    long v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        int c = p[i], d;

        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    return v;
}

/* Writes code point cp as UTF-8 at o; returns the bytes written. */
static size_t
put_utf8(unsigned char *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/*
 * Decodes the escapes of s[0..n) into o (room for n + 1 bytes: no escape
 * grows); GIVE_UP on any escape cJSON would reject or turn into a NUL.
 */
static enum a2o_err
unescape(const unsigned char *s, size_t n, unsigned char *o)
{
    const unsigned char *e = s + n;

    while (s < e) {
        const unsigned char *bs = memchr(s, '\\', (size_t)(e - s));
        long cp, lo;

        if (bs == NULL)
            bs = e;
        memcpy(o, s, (size_t)(bs - s));
        o += bs - s;
        s = bs;
        if (s == e)
            break;
        switch (s[1]) {
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case '"':
        case '\\':
        case '/':
            *o++ = s[1];
            break;
        case 'u':
            if (e - s < 6 || (cp = hex4(s + 2)) <= 0 ||
                (cp >= 0xdc00 && cp <= 0xdfff))
                return GIVE_UP;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (e - s < 12 || s[6] != '\\' || s[7] != 'u' ||
                    (lo = hex4(s + 8)) < 0xdc00 || lo > 0xdfff)
                    return GIVE_UP;
                cp = 0x10000 + ((cp & 0x3ff) << 10 | (lo & 0x3ff));
                s += 6;
            }
            o += put_utf8(o, (unsigned long)cp);
            s += 4;
            break;
        default:
            return GIVE_UP;
        }
        s += 2;
    }
    *o = '\0';
    return A2O_E_OK;
}

/* The string at ps->p (a '"') into a new *out. */
static enum a2o_err
parse_string(struct parser *ps, char **out)
{
    const unsigned char *s = ps->p + 1, *q = s;
    int escaped = 0;
    size_t n;
    unsigned char *o;

    for (;;) {
        q += a2o_str_span_quote((const char *)q, (size_t)(ps->end - q));
        if (q >= ps->end)
            return GIVE_UP; /* no closing quote */
        if (*q == '"')
            break;
        if (ps->end - q < 2)
            return GIVE_UP;
        escaped = 1;
        q += 2; /* the escaped byte cannot end the string */
    }
    n = (size_t)(q - s);
    o = cJSON_malloc(n + 1);
    if (o == NULL)
        return A2O_E_NOMEM;
    if (!escaped) {
        memcpy(o, s, n);
        o[n] = '\0';
    } else if (unescape(s, n, o) != A2O_E_OK) {
        cJSON_free(o);
        return GIVE_UP;
    }
    *out = (char *)o;
    ps->p = q + 1;
    return A2O_E_OK;
}

static int
number_byte(int c)
{
    return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'e' ||
           c == 'E' || c == '.';
}

static enum a2o_err
parse_number(struct parser *ps, cJSON *item)
{
    const unsigned char *p = ps->p;
    size_t avail = (size_t)(ps->end - p), i = p[0] == '-', k;
    double d;

    /* a plain integer of up to 15 digits: exactly what strtod reads */
    for (k = i; k < avail && k - i < 16 && p[k] >= '0' && p[k] <= '9'; k++)
        ;
    if (k > i && k - i <= 15 && (k == avail || !number_byte(p[k]))) {
        long long v = 0;

        for (; i < k; i++)
            v = v * 10 + (p[i] - '0');
        d = p[0] == '-' ? -(double)v : (double)v;
    } else {
        char tmp[64], *after;

        for (k = 0; k < sizeof tmp - 1 && k < avail && number_byte(p[k]); k++)
            tmp[k] = (char)p[k];
        if (k == sizeof tmp - 1)
            return GIVE_UP; /* longer than any sane number: cJSON's call */
        tmp[k] = '\0';
        d = strtod(tmp, &after);
        if (after == tmp)
            return GIVE_UP;
        k = (size_t)(after - tmp);
    }
    item->type = cJSON_Number;
    item->valuedouble = d;
    if (d >= INT_MAX)
        item->valueint = INT_MAX;
    else if (d <= (double)INT_MIN)
        item->valueint = INT_MIN;
    else
        item->valueint = (int)d;
    ps->p += k;
    return A2O_E_OK;
}

static enum a2o_err parse_value(struct parser *ps, cJSON *item);

/* The array or object at ps->p, its children under item. */
static enum a2o_err
parse_children(struct parser *ps, cJSON *item, int object)
{
    cJSON *last = NULL;
    enum a2o_err err;

    if (ps->depth >= NESTING_MAX)
        return GIVE_UP;
    ps->depth++;
    item->type = object ? cJSON_Object : cJSON_Array;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
        ps->p++;
        ps->depth--;
        return A2O_E_OK;
    }
    for (;;) {
        cJSON *c = cJSON_malloc(sizeof *c);

        if (c == NULL)
            return A2O_E_NOMEM;
        memset(c, 0, sizeof *c);
        if (last == NULL) {
            item->child = c;
        } else {
            last->next = c;
            c->prev = last;
        }
        last = c;
        item->child->prev = c; /* cJSON keeps the tail there */
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"')
                return GIVE_UP;
            err = parse_string(ps, &c->string);
            if (err != A2O_E_OK)
                return err;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':')
                return GIVE_UP;
            ps->p++;
            skip_ws(ps);
        }
        err = parse_value(ps, c);
        if (err != A2O_E_OK)
            return err;
        skip_ws(ps);
        if (ps->p >= ps->end)
            return GIVE_UP;
        if (*ps->p != ',')
            break;
        ps->p++;
        skip_ws(ps);
    }
    if (*ps->p != (object ? '}' : ']'))
        return GIVE_UP;
    ps->p++;
    ps->depth--;
    return A2O_E_OK;
}

static int
word_at(const struct parser *ps, const char *w, size_t n)
{
    return (size_t)(ps->end - ps->p) >= n && memcmp(ps->p, w, n) == 0;
}

static enum a2o_err
parse_value(struct parser *ps, cJSON *item)
{
    if (ps->p >= ps->end)
        return GIVE_UP;
    switch (*ps->p) {
    case '"':
        item->type = cJSON_String;
        return parse_string(ps, &item->valuestring);
    case '[':
        return parse_children(ps, item, 0);
    case '{':
        return parse_children(ps, item, 1);
    case 'n':
        if (!word_at(ps, "null", 4))
            return GIVE_UP;
        item->type = cJSON_NULL;
        ps->p += 4;
        return A2O_E_OK;
    case 'f':
        if (!word_at(ps, "false", 5))
            return GIVE_UP;
        item->type = cJSON_False;
        ps->p += 5;
        return A2O_E_OK;
    case 't':
        if (!word_at(ps, "true", 4))
            return GIVE_UP;
        item->type = cJSON_True;
        item->valueint = 1;
        ps->p += 4;
        return A2O_E_OK;
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            return parse_number(ps, item);
        return GIVE_UP;
    }
}

enum a2o_err
a2o__json_fast(const char *p, size_t n, cJSON **out, const char **end)
{
    struct parser ps;
    cJSON *root;
    enum a2o_err err;

    ps.p = (const unsigned char *)p;
    ps.end = ps.p + n;
    ps.depth = 0;
    if (n == 0 || (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0))
        return GIVE_UP; /* cJSON skips a byte-order mark; let it */
    root = cJSON_malloc(sizeof *root);
    if (root == NULL)
        return A2O_E_NOMEM;
    memset(root, 0, sizeof *root);
    skip_ws(&ps);
    err = parse_value(&ps, root);
    if (err != A2O_E_OK) {
        cJSON_Delete(root);
        return err;
    }
    *out = root;
    *end = (const char *)ps.p;
    return A2O_E_OK;
}

int
a2o_utf8_valid(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;

    while (i < n) {
        unsigned c;
        size_t len, k;
        unsigned cp;

        /* bodies are mostly ASCII: skip it sixteen bytes a step */
        i += a2o_str_span_ascii(p + i, n - i);
        if (i == n)
            break;
        c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0; /* continuation byte, overlong lead, or > U+10FFFF */
        }
        if (n - i < len)
            return 0;
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        /* overlong 3/4-byte forms, surrogates, past U+10FFFF */
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return 0;
        i += len;
    }
    return 1;
}

/* 1 when p[0..n) holds only JSON whitespace. */
static int
blanks(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
            return 0;
    return 1;
}

enum a2o_err
a2o_json_value(const char *p, size_t n, cJSON **out, const char **end)
{
    unsigned long before = a2o_alloc_failures();
    enum a2o_err err;

    *out = NULL;
    err = a2o__json_fast(p, n, out, end);
    if (err != A2O_E_BADJSON)
        return err;
    *out = cJSON_ParseWithLengthOpts(p, n, end, 0);
    if (*out != NULL)
        return A2O_E_OK;
    return a2o_alloc_failures() != before ? A2O_E_NOMEM : A2O_E_BADJSON;
}

enum a2o_err
a2o_json_try(const char *p, size_t n, cJSON **out)
{
    const char *end = NULL;
    cJSON *root = NULL;
    enum a2o_err err = a2o_json_value(p, n, &root, &end);

    if (err != A2O_E_OK)
        return err;
    if (!blanks(end, n - (size_t)(end - p))) {
        cJSON_Delete(root);
        return A2O_E_BADJSON;
    }
    *out = root;
    return A2O_E_OK;
}

enum a2o_err
a2o_json_parse(const char *p, size_t n, cJSON **out, struct a2o_diag *d)
{
    unsigned long before = a2o_alloc_failures();
    const char *end = NULL;
    cJSON *root = NULL;
    enum a2o_err err;
    size_t i;

    if (n == 0)
        return a2o_diag_set(d, A2O_E_BADJSON, NULL, "request body is empty");
    if (!a2o_utf8_valid(p, n))
        return a2o_diag_set(d, A2O_E_BADJSON, NULL,
                            "request body is not valid UTF-8 "
                            "(or contains a NUL byte)");
    err = a2o__json_fast(p, n, &root, &end);
    if (err == A2O_E_NOMEM)
        return err;
    if (err != A2O_E_OK) /* cJSON decides, and says where it failed */
        root = cJSON_ParseWithLengthOpts(p, n, &end, 0);
    if (root == NULL && a2o_alloc_failures() != before)
        return A2O_E_NOMEM;
    if (root == NULL) {
        size_t at = end != NULL && end >= p ? (size_t)(end - p) : 0;

        return a2o_diag_set(d, A2O_E_BADJSON, NULL,
                            "request body is not valid JSON "
                            "(error near byte %zu)",
                            at);
    }
    for (i = (size_t)(end - p); i < n; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') {
            cJSON_Delete(root);
            return a2o_diag_set(d, A2O_E_BADJSON, NULL,
                                "unexpected bytes after the JSON value "
                                "(at byte %zu)",
                                i);
        }
    }
    *out = root;
    return A2O_E_OK;
}
