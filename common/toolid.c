/*
 * toolid.c: tool call ids and tool names that survive the round trip
 * through a client that only knows Anthropic's rules (common/README.md
 * §6).
 *
 * The proxy keeps no state between turns, so whatever the upstream needs
 * back on the next turn travels inside the id the client sees.  Encoded
 * ids are A2O_TOOLID_PREFIX + base64url without padding (RFC 4648 §5) of
 * the upstream id, followed, when there is a signature, by a NUL byte and
 * the signature, and, when the upstream that sent the signature is known,
 * another NUL and its tag (a2o_toolid_tag).  base64url keeps the id inside
 * ^[a-zA-Z0-9_-]+$, which Anthropic clients validate.
 */
#include "toolid.h"

#include <string.h>

#include "json.h"

#define PREFIX_LEN (sizeof(A2O_TOOLID_PREFIX) - 1)

/* OpenAI's limit on function names ("^[a-zA-Z0-9_-]{1,64}$"). */
#define NAME_MAX_LEN 64
/* Bytes of the long name kept in front of "_" + 8 hex digits. */
#define NAME_KEEP 55

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
id_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int
a2o_toolid_valid(const char *id, size_t n)
{
    size_t i;

    if (id == NULL || n == 0)
        return 0;
    for (i = 0; i < n; i++)
        if (!id_char((unsigned char)id[i]))
            return 0;
    return 1;
}

/* Value of one base64url digit, or -1. */
static int
b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Appends base64url (no padding) of p[0..n) to out, in one growth. */
static enum a2o_err
b64_add(struct a2o_buf *out, const unsigned char *p, size_t n)
{
    char quad[4];
    size_t i;
    enum a2o_err err;

    for (i = 0; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

        quad[0] = b64url[v >> 18 & 63];
        quad[1] = b64url[v >> 12 & 63];
        quad[2] = b64url[v >> 6 & 63];
        quad[3] = b64url[v & 63];
        err = a2o_buf_add(out, quad, 4);
        if (err != A2O_E_OK)
            return err;
    }
    if (n - i == 1) {
        unsigned v = (unsigned)p[i] << 16;

        quad[0] = b64url[v >> 18 & 63];
        quad[1] = b64url[v >> 12 & 63];
        return a2o_buf_add(out, quad, 2);
    }
    if (n - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;

        quad[0] = b64url[v >> 18 & 63];
        quad[1] = b64url[v >> 12 & 63];
        quad[2] = b64url[v >> 6 & 63];
        return a2o_buf_add(out, quad, 3);
    }
    return A2O_E_OK;
}

enum a2o_err
a2o_toolid_encode(const char *id, size_t idn, const char *sig, size_t sign,
                  struct a2o_buf *out)
{
    return a2o_toolid_encode_tagged(id, idn, sig, sign, NULL, out);
}

void
a2o_toolid_tag(const char *upstream, char out[A2O_TOOLID_TAG_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned long h = 2166136261UL; /* FNV-1a, 32 bits */
    const unsigned char *p;
    int i;

    out[0] = '\0';
    if (upstream == NULL || upstream[0] == '\0')
        return;
    for (p = (const unsigned char *)upstream; *p != '\0'; p++) {
        h ^= *p;
        h = (h * 16777619UL) & 0xffffffffUL;
    }
    for (i = 0; i < A2O_TOOLID_TAG_LEN; i++)
        out[i] = hex[h >> (28 - 4 * i) & 15];
    out[A2O_TOOLID_TAG_LEN] = '\0';
}

enum a2o_err
a2o_toolid_encode_tagged(const char *id, size_t idn, const char *sig,
                         size_t sign, const char *tag, struct a2o_buf *out)
{
    enum a2o_err err;

    if (sig == NULL)
        sign = 0;
    /*
     * A valid id without a signature goes through untouched, unless it
     * happens to start with our prefix: then it is encoded too, so that
     * decoding it later cannot mistake it for one of ours.
     */
    if (sign == 0 && a2o_toolid_valid(id, idn) &&
        (idn < PREFIX_LEN || memcmp(id, A2O_TOOLID_PREFIX, PREFIX_LEN) != 0))
        return a2o_buf_add(out, id, idn);
    err = a2o_buf_add(out, A2O_TOOLID_PREFIX, PREFIX_LEN);
    if (err == A2O_E_OK && sign == 0)
        return b64_add(out, (const unsigned char *)id, idn);
    if (err == A2O_E_OK) {
        /*
         * base64 works on groups of 3 bytes, so id, NUL, signature (and
         * NUL, tag) are encoded as one byte string: a small staging
         * buffer joins them (signatures are a few hundred bytes).
         */
        struct a2o_buf tmp;

        a2o_buf_init(&tmp, (size_t)-1 / 2);
        err = a2o_buf_add(&tmp, id, idn);
        if (err == A2O_E_OK)
            err = a2o_buf_add(&tmp, "", 1);
        if (err == A2O_E_OK)
            err = a2o_buf_add(&tmp, sig, sign);
        if (err == A2O_E_OK && tag != NULL && tag[0] != '\0') {
            err = a2o_buf_add(&tmp, "", 1);
            if (err == A2O_E_OK)
                err = a2o_buf_add(&tmp, tag, strlen(tag));
        }
        if (err == A2O_E_OK)
            err = b64_add(out, (const unsigned char *)tmp.p, tmp.len);
        a2o_buf_free(&tmp);
    }
    return err;
}

/*
 * Decodes strict base64url without padding into out (n * 3 / 4 bytes).
 * Returns the decoded length, or (size_t)-1 for anything that is not
 * exactly what b64_add writes (bad digit, impossible length, non-zero
 * trailing bits).
 */
static size_t
b64_decode(const char *s, size_t n, unsigned char *out)
{
    size_t i, o = 0;
    unsigned acc = 0;
    int bits = 0;

    if (n % 4 == 1)
        return (size_t)-1;
    for (i = 0; i < n; i++) {
        int v = b64_val((unsigned char)s[i]);

        if (v < 0)
            return (size_t)-1;
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    /* leftover bits must be zero, or the text was not made by us */
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return (size_t)-1;
    return o;
}

enum a2o_err
a2o_toolid_decode(const char *cid, size_t n, struct a2o_buf *id,
                  struct a2o_buf *sig)
{
    char tag[A2O_TOOLID_TAG_LEN + 1];

    return a2o_toolid_decode_tagged(cid, n, id, sig, tag);
}

/* 1 when p[0..n) is a tag as a2o_toolid_tag writes it. */
static int
is_tag(const unsigned char *p, size_t n)
{
    size_t i;

    if (n != A2O_TOOLID_TAG_LEN)
        return 0;
    for (i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    return 1;
}

enum a2o_err
a2o_toolid_decode_tagged(const char *cid, size_t n, struct a2o_buf *id,
                         struct a2o_buf *sig, char tag[A2O_TOOLID_TAG_LEN + 1])
{
    const char *payload = cid + PREFIX_LEN;
    size_t pn, dn, idn, sn;
    unsigned char *dec;
    const unsigned char *nul, *s0, *nul2;
    enum a2o_err err;

    tag[0] = '\0';
    if (n <= PREFIX_LEN || memcmp(cid, A2O_TOOLID_PREFIX, PREFIX_LEN) != 0)
        return a2o_buf_add(id, cid, n);
    pn = n - PREFIX_LEN;
    dec = cJSON_malloc(pn / 4 * 3 + 3);
    if (dec == NULL)
        return A2O_E_NOMEM;
    dn = b64_decode(payload, pn, dec);
    if (dn == (size_t)-1 || dn == 0)
        goto verbatim;
    nul = memchr(dec, 0, dn);
    idn = nul != NULL ? (size_t)(nul - dec) : dn;
    s0 = dec + idn + 1;
    sn = nul != NULL ? dn - idn - 1 : 0;
    /* ids made since the upstream tag: id NUL signature NUL tag */
    nul2 = nul != NULL ? memchr(s0, 0, sn) : NULL;
    if (nul2 != NULL) {
        if (!is_tag(nul2 + 1, (size_t)(dec + dn - nul2 - 1)))
            goto verbatim;
        memcpy(tag, nul2 + 1, A2O_TOOLID_TAG_LEN);
        tag[A2O_TOOLID_TAG_LEN] = '\0';
        sn = (size_t)(nul2 - s0);
    }
    /*
     * What goes back upstream must be text: a non-empty UTF-8 id and
     * signature without further NULs.  Anything else is a client id that
     * merely looks like ours.
     */
    if (idn == 0 || !a2o_utf8_valid((const char *)dec, idn))
        goto verbatim;
    if (nul != NULL && (sn == 0 || !a2o_utf8_valid((const char *)s0, sn)))
        goto verbatim;
    err = a2o_buf_add(id, dec, idn);
    if (err == A2O_E_OK && nul != NULL)
        err = a2o_buf_add(sig, s0, sn);
    cJSON_free(dec);
    return err;
verbatim:
    tag[0] = '\0';
    cJSON_free(dec);
    return a2o_buf_add(id, cid, n);
}

/* xorshift64* (Vigna): small, fast, and good enough for unique ids. */
static unsigned long long
next_rand(unsigned long long *s)
{
    unsigned long long x = *s;

    if (x == 0)
        x = 0x9e3779b97f4a7c15ULL; /* the generator is stuck at zero */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dULL;
}

void
a2o_toolid_make(unsigned long long *seed, char out[31])
{
    static const char alnum[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t i;

    memcpy(out, "toolu_", 6);
    for (i = 0; i < 24; i++)
        /* the high bits of xorshift64* are the good ones */
        out[6 + i] = alnum[(next_rand(seed) >> 32) % 62];
    out[30] = '\0';
}

void
a2o_toolname_short(const char *name, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(name), keep = NAME_KEEP, i;
    unsigned long h = 2166136261UL; /* FNV-1a, 32 bits */

    if (n <= NAME_MAX_LEN) {
        memcpy(out, name, n + 1);
        return;
    }
    for (i = 0; i < n; i++) {
        h ^= (unsigned char)name[i];
        h = (h * 16777619UL) & 0xffffffffUL;
    }
    /*
     * NOTE: never cut inside a UTF-8 sequence, which would put invalid
     * text on the wire; the result is then a few bytes shorter than 64.
     */
    while (keep > 0 && ((unsigned char)name[keep] & 0xc0) == 0x80)
        keep--;
    memcpy(out, name, keep);
    out[keep] = '_';
    for (i = 0; i < 8; i++)
        out[keep + 1 + i] = hex[h >> (28 - 4 * i) & 15];
    out[keep + 9] = '\0';
}
