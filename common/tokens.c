/*
 * tokens.c: a local estimate of Claude's token count (tokens.h).
 *
 * Used for POST /v1/messages/count_tokens, for message_start's
 * input_tokens (sent before the upstream reports anything) and for usage
 * when an upstream reports none.  It needs no vocabulary: text is cut
 * into runs of one byte class and each run costs a fixed amount plus an
 * amount per byte, weights fitted by least squares (relative error) on
 * ~270 samples counted by Claude's published tokenizer
 * (@anthropic-ai/tokenizer; tests/tokens/calibrate.mjs):
 *
 *   run                         cost (thousandths of a token)
 *   letters, split at camelCase  1-2 letters 1150, 3-8 letters 920,
 *     humps ("parseJson" is       9 and more 560 + 630 per letter past 9
 *     two segments)               (BPE keeps whole common words)
 *   ALL-CAPS run of 3+ letters   +200 per letter (caps split more)
 *   digits                       570 + 240 per digit
 *   ASCII punctuation            1000 + 100 per byte ("\":\"" merges)
 *   newlines (\n, \r)            1200 per run
 *   spaces, tabs                 free (they merge into the next token)
 *   non-ASCII, per code point    by UTF-8 lead byte: U+0080-036F (accents)
 *                                1000, U+0370-07FF (Greek, Cyrillic, ...)
 *                                600, U+0800-2FFF (Indic, typographic
 *                                punctuation) 1500, U+3000-FFFF (CJK,
 *                                kana, Hangul) 1000, beyond (emoji) 2500
 *
 * Measured against that tokenizer on ~3 KB chunks (mean / worst relative
 * error; the fit's own corpus):
 *   English prose (licences)     +0.3% / 13%
 *   C headers                    -1.6% /  9%
 *   Python                       +2.9% /  8%
 *   Markdown specs               -3.1% /  7%
 *   JSON (schemas, AWS models)   -1.0% /  9%
 *   Claude Code tools JSON       +1.0% /  4%
 *   Claude Code system prompt    +0.4% /  4%
 *   numbers (CSV, logs)          -0.3% /  6%
 *   CJK                          -6.8% / 27% (few samples)
 *   one-line European/Cyrillic/Korean sentences  -6% / 33%
 * and on the committed samples of tests/data/tokens (whole files, held
 * to 15% by test_tokens): prose +2.6%, design doc -0.7%, markdown spec
 * -1.7%, C +6.1%, CSV +5.7%, multilingual -5.2%, schemas +1.9%, tools
 * JSON +0.5%.
 * Newer Claude models use an unpublished tokenizer that counts more
 * tokens on the same text; this estimate tracks the published one.
 *
 * JSON is estimated from the tree by feeding the text cJSON would print
 * (without escapes) through the same runs, so structure is weighed as
 * the punctuation it prints as, and nothing is allocated.
 *
 * It runs on every request, so it is written for speed: a class table,
 * each run priced whole as soon as it ends, lower-case words found
 * eight bytes per step: about 9 instructions per byte of a Claude Code
 * request.  Where the CPU has AVX2 and POPCNT, the middle of every long
 * piece is priced 64 bytes per step from bit masks (tokens_win.c):
 * about 4.4 per byte of the same request.  tests/lib/tokref.c keeps the
 * plain byte-at-a-time loop (35 per byte) as the reference that both
 * must match exactly.
 */
#include "tokens.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "tokens_int.h"

enum cls { C_NONE, C_LETTER, C_DIGIT, C_SPACE, C_NEWLINE, C_PUNCT, C_OTHER };

/*
 * The class of every byte, so that a run is found with one load and one
 * compare per byte (this estimate runs on every request: it used to cost
 * about a third of a request's conversion).
 */
#define L_ C_LETTER
#define D_ C_DIGIT
#define S_ C_SPACE
#define N_ C_NEWLINE
#define P_ C_PUNCT
#define O_ C_OTHER
#define O16_ O_, O_, O_, O_, O_, O_, O_, O_, O_, O_, O_, O_, O_, O_, O_, O_
/* one row per 16 bytes */
/* clang-format off */
static const unsigned char cls_of[256] = {
    P_, P_, P_, P_, P_, P_, P_, P_, P_, S_, N_, P_, P_, N_, P_, P_, /* 00 */
    P_, P_, P_, P_, P_, P_, P_, P_, P_, P_, P_, P_, P_, P_, P_, P_, /* 10 */
    S_, P_, P_, P_, P_, P_, P_, P_, P_, P_, P_, P_, P_, P_, P_, P_, /* 20 */
    D_, D_, D_, D_, D_, D_, D_, D_, D_, D_, P_, P_, P_, P_, P_, P_, /* 30 */
    P_, L_, L_, L_, L_, L_, L_, L_, L_, L_, L_, L_, L_, L_, L_, L_, /* 40 */
    L_, L_, L_, L_, L_, L_, L_, L_, L_, L_, L_, P_, P_, P_, P_, P_, /* 50 */
    P_, L_, L_, L_, L_, L_, L_, L_, L_, L_, L_, L_, L_, L_, L_, L_, /* 60 */
    L_, L_, L_, L_, L_, L_, L_, L_, L_, L_, L_, P_, P_, P_, P_, P_, /* 70 */
    O16_, O16_, O16_, O16_, O16_, O16_, O16_, O16_ /* 80-FF */
};
/* clang-format on */
#undef L_
#undef D_
#undef S_
#undef N_
#undef P_
#undef O_
#undef O16_

/* Running estimate: text can arrive in pieces (JSON keys, quotes) and a
 * run may span pieces, exactly as in the printed text. */
struct est {
    unsigned long long m; /* thousandths of a token so far */
    size_t run;           /* bytes in the current run */
    size_t seg;           /* letters in the current camelCase segment */
    enum cls k;           /* class of the current run */
    int caps;             /* current letter run is all upper case */
    int low;              /* its last letter is lower case */
};

static void
est_init(struct est *e)
{
    memset(e, 0, sizeof(*e));
    e->caps = 1;
}

/* A letter segment of seg letters (0: none); the table covers the
 * words of prose's fast path. */
#define W_SEG_AT(n) (W_SEG_LONG + W_SEG_EXTRA * ((n)-9))
static unsigned long long
seg_milli(size_t seg)
{
    static const unsigned short w[16] = {0,
                                         W_SEG_SHORT,
                                         W_SEG_SHORT,
                                         W_SEG_MID,
                                         W_SEG_MID,
                                         W_SEG_MID,
                                         W_SEG_MID,
                                         W_SEG_MID,
                                         W_SEG_MID,
                                         W_SEG_LONG,
                                         W_SEG_AT(10),
                                         W_SEG_AT(11),
                                         W_SEG_AT(12),
                                         W_SEG_AT(13),
                                         W_SEG_AT(14),
                                         W_SEG_AT(15)};

    if (seg < 16)
        return w[seg];
    return W_SEG_LONG + (unsigned long long)W_SEG_EXTRA * (seg - 9);
}

/* Closes the current run, adding its cost. */
static void
end_run(struct est *e)
{
    switch (e->k) {
    case C_LETTER:
        e->m += seg_milli(e->seg);
        if (e->caps && e->run >= 3)
            e->m += (unsigned long long)W_CAPS * e->run;
        break;
    case C_DIGIT:
        e->m += W_DIGIT_RUN + (unsigned long long)W_DIGIT * e->run;
        break;
    case C_PUNCT:
        e->m += W_PUNCT_RUN + (unsigned long long)W_PUNCT * e->run;
        break;
    case C_NEWLINE:
        e->m += W_NEWLINE_RUN;
        break;
    case C_NONE:
    case C_SPACE:
    case C_OTHER: /* counted per code point as it goes */
    default:
        break;
    }
    e->k = C_NONE;
    e->run = 0;
    e->seg = 0;
    e->caps = 1;
    e->low = 0;
}

/* Continues the current run if it is of class k, else starts one. */
static void
enter(struct est *e, enum cls k)
{
    if (e->k != k) {
        end_run(e);
        e->k = k;
    }
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Eight bytes with p[i] as bits 8i..8i+7 on any machine, assembled by
 * hand (compilers make it one load). */
static inline uint64_t
load8(const unsigned char *b)
{
    return (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 |
           (uint64_t)b[3] << 24 | (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 |
           (uint64_t)b[6] << 48 | (uint64_t)b[7] << 56;
}

/*
 * The high bit of every byte of w that is not a lower-case letter: for
 * an ASCII byte x, x + 0x1f has its high bit set iff x >= 'a', and
 * x + 0x05 iff x > 'z'.  A byte of 0x80 or more is flagged by ~w, and
 * the carry its sums may push into the next byte only disturbs bytes
 * after the first flagged one, which nobody reads.
 */
static inline uint64_t
not_lower(uint64_t w)
{
    return ~((w + 0x1f * ONES) & ~(w + 0x05 * ONES) & ~w) & HIGHS;
}

/* The index of the lowest byte flagged by not_lower (f != 0). */
static inline size_t
first_flagged(uint64_t f)
{
#if defined(__GNUC__)
    return (size_t)__builtin_ctzll(f) / 8;
#else
    /* isolate the lowest bit, make a mask of the bytes below it, count
     * them by multiplication */
    uint64_t low = f & (~f + 1);

    return (size_t)(((((low >> 7) - 1) & ONES) * ONES) >> 56);
#endif
}

/* How many of p[0..n) are lower-case letters before the first that is
 * not. */
static inline size_t
lower_span(const unsigned char *p, size_t n)
{
    size_t i = 0;

    for (; n - i >= 8; i += 8) {
        uint64_t f = not_lower(load8(p + i));

        if (f != 0)
            return i + first_flagged(f);
    }
    while (i < n && (unsigned)(p[i] - 'a') < 26u)
        i++;
    return i;
}

static inline int
is_upper(unsigned c)
{
    return c - 'A' < 26u;
}

static inline int
is_lower(unsigned c)
{
    return c - 'a' < 26u;
}

/* The end of the run of class k that starts at p. */
static inline const unsigned char *
run_end(const unsigned char *p, const unsigned char *end, enum cls k)
{
    do
        p++;
    while (p < end && cls_of[*p] == k);
    return p;
}

/* Non-ASCII: each code point by its UTF-8 lead byte (continuation bytes
 * are free). */
static unsigned long long
lead_milli(unsigned c)
{
    if (c < 0xc0)
        return 0;
    return c <= 0xcd   ? W_U_LATIN
           : c <= 0xdf ? W_U_ALPHA
           : c <= 0xe2 ? W_U_MID
           : c <= 0xef ? W_U_CJK
                       : W_U_ASTRAL;
}

/*
 * Feeds s[0..n) a whole run at a time: one class lookup per byte, a run
 * that ends inside the piece is priced on the spot, and only the run
 * still open at the end is left in e (a run may go on in the next
 * piece).  Letters: segments end at lower-to-upper humps ("parseJson"
 * is parse + Json; "HTTPServer" is one segment), and prose's usual
 * "word word" goes from word to word without a trip through the
 * dispatch (the space between costs nothing).
 */
static void
feed_runs(struct est *e, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *q;
    unsigned long long m;
    size_t run0 = 0, seg = 0, len;
    int low = 0, caps = 1;
    enum cls k;

    if (n == 0)
        return;
    k = (enum cls)cls_of[*p];
    if (k == e->k) { /* the open run goes on */
        run0 = e->run;
        seg = e->seg;
        low = e->low;
        caps = e->caps;
    } else {
        end_run(e);
    }
    m = e->m;
    for (;;) {
        q = p;
        switch (k) {
        case C_LETTER:
            if (run0 == 0 && is_lower(*p)) {
                /*
                 * The common case, prose: lower-case words of 1-15
                 * letters (one or two 8-byte loads each) with single
                 * spaces between them.  Anything else (a longer word, a
                 * capital, the last 16 bytes) goes back to the start of
                 * its word, a fresh run, for the general loop; after a
                 * word, one punctuation run is priced here too and
                 * anything else goes to the dispatch.
                 */
                while (end - p > 16) {
                    uint64_t f = not_lower(load8(p));
                    size_t j = 0;

                    if (f == 0) { /* 8 letters: one more load */
                        f = not_lower(load8(p + 8));
                        if (f == 0)
                            break;
                        j = 8;
                    }
                    j += first_flagged(f);
                    if (j == 0) /* after a space: not a word */
                        goto next;
                    if (p[j] == ' ') {
                        m += seg_milli(j);
                        p += j + 1;
                        continue;
                    }
                    if (is_upper(p[j]))
                        break;
                    m += seg_milli(j);
                    p += j;
                    if (cls_of[*p] != C_PUNCT)
                        goto next;
                    /* "word. word", "main.c": the punctuation run here */
                    q = p;
                    p = run_end(p, end, C_PUNCT);
                    if (p == end) {
                        p = q;
                        goto next;
                    }
                    m += W_PUNCT_RUN +
                         (unsigned long long)W_PUNCT * (size_t)(p - q);
                    if (*p == ' ' && end - p > 1)
                        p++;
                }
                if (!is_lower(*p)) /* after a space, near the end */
                    goto next;
                q = p;
            }
            for (;;) {
                const unsigned char *u = p;

                while (p < end && is_upper(*p))
                    p++;
                if (p != u) {
                    if (low) { /* a hump: the segment before it is done */
                        m += seg_milli(seg);
                        seg = 0;
                        low = 0;
                    }
                    seg += (size_t)(p - u);
                }
                u = p;
                p += lower_span(p, (size_t)(end - p));
                if (p == u)
                    break;
                seg += (size_t)(p - u);
                low = 1;
                caps = 0;
                if (p == end || !is_upper(*p))
                    break;
            }
            if (p == end)
                goto open;
            len = run0 + (size_t)(p - q);
            m += seg_milli(seg);
            if (caps && len >= 3)
                m += (unsigned long long)W_CAPS * len;
            seg = 0;
            low = 0;
            caps = 1;
            break;
        case C_PUNCT:
            p = run_end(p, end, C_PUNCT);
            if (p == end)
                goto open;
            m += W_PUNCT_RUN +
                 (unsigned long long)W_PUNCT * (run0 + (size_t)(p - q));
            break;
        case C_SPACE:
            p = run_end(p, end, C_SPACE);
            if (p == end)
                goto open;
            break;
        case C_NEWLINE:
            p = run_end(p, end, C_NEWLINE);
            if (p == end)
                goto open;
            m += W_NEWLINE_RUN;
            break;
        case C_DIGIT:
            p = run_end(p, end, C_DIGIT);
            if (p == end)
                goto open;
            m += W_DIGIT_RUN +
                 (unsigned long long)W_DIGIT * (run0 + (size_t)(p - q));
            break;
        case C_OTHER:
        case C_NONE:
        default:
            do
                m += lead_milli(*p++);
            while (p < end && *p >= 0x80);
            if (p == end)
                goto open;
            break;
        }
        run0 = 0;
    next:
        if (*p == ' ' && ++p == end) { /* a single space costs nothing */
            k = C_SPACE;
            q = p;
            goto open;
        }
        k = (enum cls)cls_of[*p];
    }
open:
    e->m = m;
    e->k = k;
    e->run = run0 + (size_t)(p - q);
    e->seg = seg;
    e->low = low;
    e->caps = caps;
}

#ifdef A2O_TOKENS_WINDOWS
#define BLOCK_MIN 32 /* shorter pieces go byte by byte */

/* The run that starts s and ends before s + n, priced by the
 * byte-at-a-time path into *m; returns its length. */
static size_t
long_run(const unsigned char *s, size_t n, unsigned long long *m)
{
    const unsigned char *q = run_end(s, s + n, (enum cls)cls_of[*s]);
    struct est t;

    est_init(&t);
    feed_runs(&t, (const char *)s, (size_t)(q - s));
    end_run(&t);
    *m += t.m;
    return (size_t)(q - s);
}

/* The cost of the whole runs of s[a..b) (s[a] starts a run, s[b - 1]
 * ends one): by windows (tokens_win.c), and a run that fills a window
 * byte by byte. */
static unsigned long long
milli_whole(const unsigned char *s, size_t a, size_t b)
{
    unsigned long long m = 0;

    while (a < b) {
        m += a2o__tokens_windows(s, a, b, &a);
        if (a < b)
            a += long_run(s + a, b - a, &m);
    }
    return m;
}
#endif

/*
 * Continues the open run in e by the bytes s[0..n), a piece of a longer
 * text, where `next` is the class of the byte after the piece (C_NONE:
 * the end of the text).  A long piece's whole runs go by 64-byte
 * windows (milli_whole); only a first run that goes on from e and a last
 * run that may go on into the next piece go by feed_runs.
 */
static void
feed(struct est *e, const char *s, size_t n, enum cls next)
{
#ifdef A2O_TOKENS_WINDOWS
    const unsigned char *p = (const unsigned char *)s;
    size_t a = 0, b = n;

    if (n >= BLOCK_MIN && a2o__tokens_fast_cpu()) {
        if (cls_of[p[0]] == e->k)
            while (++a < n && cls_of[p[a]] == e->k)
                ;
        if (cls_of[p[n - 1]] == next)
            while (--b > a && cls_of[p[b - 1]] == next)
                ;
        if (a < b) {
            feed_runs(e, s, a);
            end_run(e);
            e->m += milli_whole(p, a, b);
            feed_runs(e, s + b, n - b);
            return;
        }
    }
#else
    (void)next;
#endif
    feed_runs(e, s, n);
}

/* A JSON string's text or key, or a literal: punctuation follows or the
 * text ends, and a punctuation run left open is closed by either. */
static void
feeds(struct est *e, const char *s)
{
    feed(e, s, strlen(s), C_PUNCT);
}

/* n bytes of ASCII punctuation (JSON structure). */
static void
feed_punct(struct est *e, size_t n)
{
    enter(e, C_PUNCT);
    e->run += n;
}

/* Thousandths of a token for n bytes of text on their own. */
static unsigned long long
milli_text(const char *s, size_t n)
{
    struct est e;

    est_init(&e);
    feed(&e, s, n, C_NONE);
    end_run(&e);
    return e.m;
}

static long
round_up(unsigned long long m)
{
    unsigned long long t = (m + 999) / 1000;

    return t > 0x7fffffffULL ? 0x7fffffffL : (long)t;
}

long
a2o_tokens_text(const char *s, size_t n)
{
    if (s == NULL)
        return 0;
    return round_up(milli_text(s, n));
}

/*
 * JSON (tool inputs, schemas, unknown blocks) is fed as the text cJSON
 * prints unformatted, walking the tree: no allocation, no failure.
 */
#define JSON_DEPTH 64 /* deeper parts count as "null" */

/*
 * A number as "%.15g" prints it.  Integers below 1e15 print as their
 * digits (with a '-'), so they are counted without formatting; other
 * values go through snprintf.
 */
static void
feed_number(struct est *e, double v)
{
    double a = v < 0 ? -v : v;
    char num[32];
    int w;

    if (a < 1e15 && a == (double)(unsigned long long)a &&
        !(v == 0 && signbit(v))) {
        unsigned long long u = (unsigned long long)a;
        size_t digits = 1;

        while (u >= 10) {
            u /= 10;
            digits++;
        }
        if (v < 0)
            feed_punct(e, 1);
        enter(e, C_DIGIT);
        e->run += digits;
        return;
    }
    w = snprintf(num, sizeof(num), "%.15g", v);
    feed(e, num, w > 0 && (size_t)w < sizeof(num) ? (size_t)w : 0, C_PUNCT);
}

static void
feed_json(struct est *e, const cJSON *j, int depth)
{
    const cJSON *c;

    if (j == NULL)
        return;
    if (depth > JSON_DEPTH) {
        feeds(e, "null");
        return;
    }
    switch (j->type & 0xff) {
    case cJSON_String:
        feed_punct(e, 1);
        feeds(e, j->valuestring);
        feed_punct(e, 1);
        break;
    case cJSON_Number:
        feed_number(e, j->valuedouble);
        break;
    case cJSON_True:
        feeds(e, "true");
        break;
    case cJSON_False:
        feeds(e, "false");
        break;
    case cJSON_NULL:
        feeds(e, "null");
        break;
    case cJSON_Array:
    case cJSON_Object:
        feed_punct(e, 1); /* [ or { */
        for (c = j->child; c != NULL; c = c->next) {
            if (c != j->child)
                feed_punct(e, 1);
            if (cJSON_IsObject(j) && c->string != NULL) {
                feed_punct(e, 1);
                feeds(e, c->string);
                feed_punct(e, 2); /* ": */
            }
            feed_json(e, c, depth + 1);
        }
        feed_punct(e, 1);
        break;
    default:
        break;
    }
}

static unsigned long long
milli_json(const cJSON *j, int depth)
{
    struct est e;

    est_init(&e);
    feed_json(&e, j, depth);
    end_run(&e);
    return e.m;
}

/* Per-item overheads (role markers, block framing), in tokens. */
#define MSG_OVERHEAD 4
#define BLOCK_OVERHEAD 1
#define TOOL_OVERHEAD 8
/* Anthropic documents a fixed tool-use system prompt when tools are
 * present (346 tokens for tool_choice auto/none on current models). */
#define TOOLS_SYSTEM 346
/* Images: Anthropic charges width*height/750, at most about 1600 for an
 * image at the 1.15 megapixel limit; dimensions are unknown without
 * decoding, so every image costs the maximum. */
#define IMAGE_TOKENS 1600
/* PDFs: about 1500-3000 tokens per page; the page count is unknown, so
 * the base64 size stands in: one page per ~60 KB of base64, at least one. */
#define PDF_PAGE_TOKENS 2000
#define PDF_B64_PER_PAGE 60000

static unsigned long long milli_blocks(const cJSON *content, int depth);

static unsigned long long
milli_str(const char *s)
{
    return s != NULL ? milli_text(s, strlen(s)) : 0;
}

static unsigned long long
milli_block(const cJSON *b, int depth)
{
    const char *type = a2o_json_str(b, "type");
    const cJSON *src;

    if (cJSON_IsString(b))
        return milli_str(b->valuestring);
    if (type == NULL)
        return milli_json(b, depth);
    if (strcmp(type, "text") == 0)
        return milli_str(a2o_json_str(b, "text"));
    if (strcmp(type, "thinking") == 0)
        return milli_str(a2o_json_str(b, "thinking"));
    if (strcmp(type, "image") == 0)
        return 1000ULL * IMAGE_TOKENS;
    if (strcmp(type, "document") == 0) {
        const char *data, *stype;

        src = a2o_json_get(b, "source");
        data = a2o_json_str(src, "data");
        stype = a2o_json_str(src, "type");
        if (data != NULL && stype != NULL && strcmp(stype, "base64") == 0) {
            size_t pages = strlen(data) / PDF_B64_PER_PAGE + 1;

            return 1000ULL * PDF_PAGE_TOKENS * pages;
        }
        if (data != NULL)
            return milli_str(data);
        /* content source: its blocks; anything else: its JSON */
        if (a2o_json_get(src, "content") != NULL)
            return milli_blocks(a2o_json_get(src, "content"), depth + 1);
        return milli_json(src, depth);
    }
    if (strcmp(type, "tool_use") == 0 || strcmp(type, "server_tool_use") == 0)
        return milli_str(a2o_json_str(b, "name")) +
               milli_str(a2o_json_str(b, "id")) +
               milli_json(a2o_json_get(b, "input"), depth);
    if (strcmp(type, "tool_result") == 0)
        return milli_str(a2o_json_str(b, "tool_use_id")) +
               milli_blocks(a2o_json_get(b, "content"), depth + 1);
    return milli_json(b, depth);
}

/* A content value: a string or an array of blocks. */
static unsigned long long
milli_blocks(const cJSON *content, int depth)
{
    unsigned long long m = 0;
    const cJSON *b;

    if (content == NULL)
        return 0;
    if (cJSON_IsString(content))
        return milli_str(content->valuestring);
    if (!cJSON_IsArray(content) || depth > JSON_DEPTH)
        return milli_json(content, depth);
    cJSON_ArrayForEach(b, content) m +=
        milli_block(b, depth + 1) + 1000ULL * BLOCK_OVERHEAD;
    return m;
}

long
a2o_tokens_known(long est, const cJSON *req)
{
    return est >= 0 ? est : req != NULL ? a2o_tokens_request(req) : 0;
}

long
a2o_tokens_request(const cJSON *req)
{
    unsigned long long m = 0;
    const cJSON *it, *tools;

    if (!cJSON_IsObject(req))
        return 0;
    m += milli_blocks(a2o_json_get(req, "system"), 0);
    cJSON_ArrayForEach(it, a2o_json_get(req, "messages")) m +=
        milli_blocks(a2o_json_get(it, "content"), 0) + 1000ULL * MSG_OVERHEAD;
    tools = a2o_json_get(req, "tools");
    if (cJSON_IsArray(tools) && cJSON_GetArraySize(tools) > 0) {
        m += 1000ULL * TOOLS_SYSTEM;
        cJSON_ArrayForEach(it, tools)
        {
            m += milli_str(a2o_json_str(it, "name")) +
                 milli_str(a2o_json_str(it, "description")) +
                 1000ULL * TOOL_OVERHEAD;
            if (a2o_json_get(it, "input_schema") != NULL)
                m += milli_json(a2o_json_get(it, "input_schema"), 0);
            else /* server tools: their parameters as sent */
                m += milli_json(it, 0);
        }
    }
    return round_up(m);
}

/*
 * The same checks, paths and texts as a2o_req_convert's (req.c
 * check_top), so a request that count_tokens accepts is one that
 * /v1/messages accepts as far as these fields go.
 */
enum a2o_err
a2o_tokens_count(const cJSON *req, long *n, struct a2o_diag *d)
{
    const cJSON *model = a2o_json_get(req, "model");
    const cJSON *msgs = a2o_json_get(req, "messages");

    if (!cJSON_IsObject(req))
        return a2o_diag_set(d, A2O_E_BADREQ, NULL,
                            "request body must be a JSON object");
    if (!cJSON_IsString(model) || model->valuestring[0] == '\0')
        return a2o_diag_set(d, A2O_E_BADREQ, "model",
                            "expected a non-empty string");
    if (!cJSON_IsArray(msgs) || msgs->child == NULL)
        return a2o_diag_set(d, A2O_E_BADREQ, "messages",
                            "expected a non-empty array of messages");
    *n = a2o_tokens_request(req);
    return A2O_E_OK;
}
