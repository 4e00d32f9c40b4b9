/*
 * tokref.c: the byte-at-a-time token estimate that test_tokens and
 * fuzz_tokens hold common/tokens.c to (tokref.h).
 */
#include "tokref.h"

#include <string.h>

/*
 * A byte-at-a-time restatement of the method documented in tokens.c,
 * written for clarity, not speed: the fast runs of tokens.c must give
 * exactly these counts.  Thousandths of a token.
 */
struct ref {
    unsigned long long m;
    int k;      /* class of the open run, 0 none */
    size_t run; /* its bytes */
    size_t seg; /* letters of the open camelCase segment */
    int caps;   /* the letter run is all capitals so far */
    int prev;   /* previous byte */
};

static int
ref_class(int c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    if (c >= '0' && c <= '9')
        return 2;
    if (c == ' ' || c == '\t')
        return 3;
    if (c == '\n' || c == '\r')
        return 4;
    return c >= 0x80 ? 6 : 5;
}

static void
ref_segment(struct ref *r)
{
    if (r->seg >= 1 && r->seg <= 2)
        r->m += 1150;
    else if (r->seg >= 3 && r->seg <= 8)
        r->m += 920;
    else if (r->seg >= 9)
        r->m += 560 + 630 * (r->seg - 9);
    r->seg = 0;
}

static void
ref_close(struct ref *r)
{
    if (r->k == 1) {
        ref_segment(r);
        if (r->caps && r->run >= 3)
            r->m += 200 * r->run;
    } else if (r->k == 2) {
        r->m += 570 + 240 * r->run;
    } else if (r->k == 5) {
        r->m += 1000 + 100 * r->run;
    } else if (r->k == 4) {
        r->m += 1200;
    }
    r->k = 0;
    r->run = 0;
}

static void
ref_feed(struct ref *r, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i], k = ref_class(c);
        int upper = c >= 'A' && c <= 'Z';

        if (k != r->k) {
            ref_close(r);
            r->k = k;
            r->caps = 1;
        }
        r->run++;
        if (k == 1) {
            if (upper && r->prev >= 'a' && r->prev <= 'z')
                ref_segment(r);
            r->seg++;
            r->caps &= upper;
        } else if (c >= 0xc0) {
            r->m += c <= 0xcd   ? 1000
                    : c <= 0xdf ? 600
                    : c <= 0xe2 ? 1500
                    : c <= 0xef ? 1000
                                : 2500;
        }
        r->prev = c;
    }
}

long
th_tokens_ref(const char *s, size_t n, unsigned long long extra)
{
    struct ref r;

    memset(&r, 0, sizeof(r));
    ref_feed(&r, s, n);
    ref_close(&r);
    return (long)((r.m + extra + 999) / 1000);
}
