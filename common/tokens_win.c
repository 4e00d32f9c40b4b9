/*
 * tokens_win.c: the token estimate of tokens.c, 64 bytes at a time
 * (tokens_int.h).
 */
#include "tokens_int.h"

#ifdef A2O_TOKENS_WINDOWS
#include <immintrin.h>
#include <string.h>

/*
 * Sixty-four bytes at a time where the CPU has AVX2 and POPCNT (x86-64
 * since 2013; others take the byte-at-a-time path): the bytes' classes
 * as bit masks (bit i for byte i), and every cost of the table above as
 * a count of bits, so that a window costs about 150 instructions however
 * its runs fall:
 *   run starts        X & ~(X << 1) for a class mask X;
 *   segments          a letter continues its segment (C) when the byte
 *                     before is a letter and they are not a lower-upper
 *                     hump; a segment of len letters costs
 *                     1150 - 230 [len >= 3] - 360 [len >= 9]
 *                     + 630 (len - 9 when len > 9), which is one 1150
 *                     per start, one -230 per run of C & C << 1 (its
 *                     third letter), one -360 per run of eight C in a
 *                     row (its ninth) and 630 per letter past the ninth;
 *   all capitals      a run-wide property, so each letter run that
 *                     starts with three capitals is checked on its own
 *                     (rare: README, NOTE, HTTP);
 *   non-ASCII         lead bytes by threshold masks (C0, CE, E0, E3, F0).
 * A window holds only whole runs: it is cut at its last letter boundary,
 * the run there starting the next window, so no state goes from window
 * to window and a bit before a run's first byte always reads as another
 * class.  SSE2 alone (16 bytes a compare, counts by shifts and masks)
 * measured no faster than the byte-at-a-time path.
 */
#define FAST                                                                   \
    static inline __attribute__((always_inline, target("avx2,popcnt,bmi")))

struct bits {
    uint64_t up;  /* A-Z */
    uint64_t lo;  /* a-z */
    uint64_t dig; /* 0-9 */
    uint64_t sp;  /* space, tab */
    uint64_t nl;  /* \n, \r */
    uint64_t hi;  /* 0x80 and above */
};

FAST __m256i
load32(const unsigned char *p)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

/* 0xff in each byte of x that is in [lo, lo + n), unsigned (n < 128). */
FAST __m256i
in_range(__m256i x, int lo, int n)
{
    __m256i y = _mm256_add_epi8(x, _mm256_set1_epi8((char)(0x80 - lo)));

    return _mm256_cmpgt_epi8(_mm256_set1_epi8((char)(0x80 + n)), y);
}

/* The top bits of the bytes of a (bits 0-31) and b (bits 32-63). */
FAST uint64_t
bits64(__m256i a, __m256i b)
{
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(a) |
           (uint64_t)(uint32_t)_mm256_movemask_epi8(b) << 32;
}

/*
 * The class masks of the 64 bytes at p.  Control bytes are rare, so one
 * signed compare finds them all (with the bytes of 0x80 and above, which
 * hi removes) and a loop over them picks out tab, \n and \r; the other
 * control bytes are punctuation, as in cls_of.
 */
FAST void
classify(const unsigned char *p, struct bits *k)
{
    __m256i x = load32(p), y = load32(p + 32);
    __m256i blank = _mm256_set1_epi8(' '), ctl = _mm256_set1_epi8(0x20);
    uint64_t c, sp, nl = 0;

    k->up = bits64(in_range(x, 'A', 26), in_range(y, 'A', 26));
    k->lo = bits64(in_range(x, 'a', 26), in_range(y, 'a', 26));
    k->dig = bits64(in_range(x, '0', 10), in_range(y, '0', 10));
    sp = bits64(_mm256_cmpeq_epi8(x, blank), _mm256_cmpeq_epi8(y, blank));
    k->hi = bits64(x, y);
    c = bits64(_mm256_cmpgt_epi8(ctl, x), _mm256_cmpgt_epi8(ctl, y));
    for (c &= ~k->hi; c != 0; c &= c - 1) {
        unsigned i = (unsigned)__builtin_ctzll(c);

        if (p[i] == '\t')
            sp |= 1ULL << i;
        else if (p[i] == '\n' || p[i] == '\r')
            nl |= 1ULL << i;
    }
    k->sp = sp;
    k->nl = nl;
}

FAST unsigned
pop(uint64_t x)
{
    return (unsigned)__builtin_popcountll(x);
}

/* Starts of the runs of set bits of x. */
FAST uint64_t
starts(uint64_t x)
{
    return x & ~(x << 1);
}

/* Bytes of the 64 at p that are t or above, unsigned. */
FAST uint64_t
at_least(const unsigned char *p, int t)
{
    __m256i v = _mm256_set1_epi8((char)t), x = load32(p), y = load32(p + 32);

    return bits64(_mm256_cmpeq_epi8(_mm256_max_epu8(x, v), x),
                  _mm256_cmpeq_epi8(_mm256_max_epu8(y, v), y));
}

/* The non-ASCII lead bytes among v of the window at p (lead_milli). */
FAST unsigned long long
milli_leads(const unsigned char *p, uint64_t v)
{
    return (unsigned long long)W_U_LATIN * pop(at_least(p, 0xc0) & v) -
           (unsigned long long)(W_U_LATIN - W_U_ALPHA) *
               pop(at_least(p, 0xce) & v) +
           (unsigned long long)(W_U_MID - W_U_ALPHA) *
               pop(at_least(p, 0xe0) & v) -
           (unsigned long long)(W_U_MID - W_U_CJK) *
               pop(at_least(p, 0xe3) & v) +
           (unsigned long long)(W_U_ASTRAL - W_U_CJK) *
               pop(at_least(p, 0xf0) & v);
}

/* Letter runs (of let) that start with three capitals (cand): the
 * all-capitals ones add W_CAPS per letter. */
FAST unsigned long long
milli_caps(uint64_t cand, uint64_t let, uint64_t lo)
{
    unsigned long long m = 0;

    while (cand != 0) {
        unsigned s = (unsigned)__builtin_ctzll(cand);
        uint64_t y = let >> s, run = y & ~(y + 1);

        if (((lo >> s) & run) == 0)
            m += (unsigned long long)W_CAPS * pop(run);
        cand &= cand - 1;
    }
    return m;
}

/*
 * The cost of the whole runs that the bits v of the window k (at p)
 * hold.  Only the letters need v for their shapes: a letter's
 * neighbours outside v are never letters of its run.
 */
FAST unsigned long long
milli_window(const struct bits *k, uint64_t v, const unsigned char *p)
{
    uint64_t up = k->up, lo = k->lo, let = (up | lo) & v;
    uint64_t dig = k->dig & v, nl = k->nl & v, hi = k->hi & v;
    uint64_t punct = v & ~(let | dig | k->sp | nl | hi);
    uint64_t c = let & (let << 1) & ~(up & (lo << 1)), c2 = c & (c << 1);
    uint64_t c8 = c2 & (c2 << 2), cand;
    unsigned long long m;

    c8 &= c8 << 4;
    m = (unsigned long long)W_SEG_SHORT * pop(let & ~c) -
        (unsigned long long)(W_SEG_SHORT - W_SEG_MID) * pop(starts(c2)) +
        (unsigned long long)W_SEG_EXTRA * pop(c8 & (c << 8)) -
        (unsigned long long)(W_SEG_MID - W_SEG_LONG) * pop(starts(c8)) +
        (unsigned long long)W_PUNCT * pop(punct) +
        (unsigned long long)W_PUNCT_RUN * pop(starts(punct)) +
        (unsigned long long)W_DIGIT * pop(dig) +
        (unsigned long long)W_DIGIT_RUN * pop(starts(dig)) +
        (unsigned long long)W_NEWLINE_RUN * pop(starts(nl));
    cand = starts(let) & up & (up >> 1) & (up >> 2);
    if (cand != 0)
        m += milli_caps(cand, let, lo);
    if (hi != 0)
        m += milli_leads(p, hi);
    return m;
}

/* Where the last run of the window k starts (its last letter boundary,
 * else its last class boundary), or 0 when one run fills it. */
FAST unsigned
last_start(const struct bits *k)
{
    uint64_t let = k->up | k->lo, b = (let ^ (let << 1)) & ~1ULL;

    if (b == 0)
        b = ((k->dig ^ (k->dig << 1)) | (k->sp ^ (k->sp << 1)) |
             (k->nl ^ (k->nl << 1)) | (k->hi ^ (k->hi << 1))) &
            ~1ULL;
    return b != 0 ? 63u - (unsigned)__builtin_clzll(b) : 0;
}

__attribute__((target("avx2,popcnt,bmi"))) unsigned long long
a2o__tokens_windows(const unsigned char *s, size_t a, size_t b, size_t *at)
{
    unsigned char tmp[64];
    const unsigned char *w;
    unsigned long long m = 0;
    struct bits k;
    unsigned cut;

    while (b - a > 64) {
        classify(s + a, &k);
        cut = last_start(&k);
        if (cut == 0) {
            *at = a;
            return m;
        }
        m += milli_window(&k, ~0ULL >> (64 - cut), s + a);
        a += cut;
    }
    *at = b;
    if (a == b)
        return m;
    if (b >= 64) { /* the last window ends at b */
        w = s + b - 64;
    } else {
        memset(tmp, 0, 64 - b);
        memcpy(tmp + 64 - b, s, b);
        w = tmp;
    }
    classify(w, &k);
    return m + milli_window(&k, ~0ULL << (64 - (b - a)), w);
}

int
a2o__tokens_fast_cpu(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") &&
           __builtin_cpu_supports("bmi");
}
#else
/* Never called: a2o__tokens_fast_cpu says no. */
unsigned long long
a2o__tokens_windows(const unsigned char *s, size_t a, size_t b, size_t *at)
{
    (void)s;
    (void)a;
    *at = b;
    return 0;
}

int
a2o__tokens_fast_cpu(void)
{
    return 0;
}
#endif
