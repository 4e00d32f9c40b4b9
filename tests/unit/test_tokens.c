/*
 * test_tokens.c: the token estimate against reference counts.
 *
 * Samples are the .txt files of tests/data/tokens (counted as text) and
 * its other .json files (counted as a tool_use input).  Two goldens:
 *   counts.json     what Claude's published tokenizer counts for each
 *                   sample; the estimate must stay within 15% of it.
 *                   Not output of our code: tests/tokens/calibrate.mjs
 *                   --write refreshes it, A2O_REGEN never touches it.
 *   estimates.json  the estimate of each sample, exactly, so that a
 *                   change to common/tokens.c shows in review as a diff
 *                   here.  A2O_REGEN=1 rewrites it (review the diff!).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/tokens.h"
#include "../lib/harness.h"

#define DIR "tests/data/tokens"

/* The estimate of sample name: text through a2o_tokens_text, JSON as a
 * tool_use input inside a request (the path tool inputs take), whose
 * fixed framing is a few tokens. */
static double
estimate(const char *name)
{
    char path[512];
    size_t len = strlen(name);
    double est;

    snprintf(path, sizeof(path), "%s/%s", DIR, name);
    if (len > 5 && strcmp(name + len - 5, ".json") == 0) {
        cJSON *req = cJSON_CreateObject(), *msgs, *m, *content, *b;

        msgs = cJSON_AddArrayToObject(req, "messages");
        m = cJSON_CreateObject();
        cJSON_AddItemToArray(msgs, m);
        cJSON_AddStringToObject(m, "role", "assistant");
        content = cJSON_AddArrayToObject(m, "content");
        b = cJSON_CreateObject();
        cJSON_AddItemToArray(content, b);
        cJSON_AddStringToObject(b, "type", "tool_use");
        cJSON_AddItemToObject(b, "input", th_read_json(path));
        est = (double)a2o_tokens_request(req);
        cJSON_Delete(req);
    } else {
        size_t sz;
        char *text = th_read_file(path, &sz);

        est = (double)a2o_tokens_text(text, sz);
        free(text);
    }
    return est;
}

static void
samples_within_15_percent_of_reference(void **state)
{
    cJSON *counts = th_read_json(DIR "/counts.json"), *c;
    int n = 0;

    (void)state;
    cJSON_ArrayForEach(c, counts)
    {
        double ref = c->valuedouble, est = estimate(c->string), err;

        err = (est - ref) / ref;
        if (err > 0.15 || err < -0.15)
            fail_msg("%s: estimate %.0f, reference %.0f (%+.1f%%)", c->string,
                     est, ref, 100 * err);
        n++;
    }
    assert_true(n >= 8);
    cJSON_Delete(counts);
}

static void
estimates_match_the_golden(void **state)
{
    cJSON *counts = th_read_json(DIR "/counts.json"), *c;
    cJSON *got = cJSON_CreateObject(), *want;

    (void)state;
    cJSON_ArrayForEach(c, counts)
    {
        cJSON_AddNumberToObject(got, c->string, estimate(c->string));
    }
    th_regen_json(DIR "/estimates.json", got);
    want = th_read_json(DIR "/estimates.json");
    th_assert_json_equal(want, got, DIR "/estimates.json");
    cJSON_Delete(want);
    cJSON_Delete(got);
    cJSON_Delete(counts);
}

static void
text_basics(void **state)
{
    (void)state;
    assert_int_equal(a2o_tokens_text(NULL, 0), 0);
    assert_int_equal(a2o_tokens_text("", 0), 0);
    assert_int_equal(a2o_tokens_text("hello", 5), 1);
    assert_int_equal(a2o_tokens_text("   ", 3), 0);
    /* only n bytes are read: no NUL needed */
    assert_int_equal(a2o_tokens_text("helloXXXXXXXX", 5), 1);
    /* more text, more tokens; CJK costs about one per character */
    assert_true(a2o_tokens_text("hello world", 11) >
                a2o_tokens_text("hello", 5));
    assert_int_equal(a2o_tokens_text("\xe4\xbb\xa3\xe7\x90\x86", 6), 2);
    /* a huge run does not overflow */
    {
        size_t n = 1 << 20;
        char *big = malloc(n);

        assert_non_null(big);
        memset(big, '7', n);
        assert_true(a2o_tokens_text(big, n) > 0);
        free(big);
    }
}

static cJSON *
parse(const char *s)
{
    cJSON *j = cJSON_Parse(s);

    assert_non_null(j);
    return j;
}

static long
count(const char *s)
{
    cJSON *j = parse(s);
    long n = a2o_tokens_request(j);

    cJSON_Delete(j);
    return n;
}

/* Each block kind adds to the estimate, by the documented amounts where
 * the cost is fixed. */
static void
request_counts_every_block_kind(void **state)
{
    long base, n;

    (void)state;
    base = count("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assert_true(base >= 1);
    assert_true(count("{\"system\":\"You are terse.\",\"messages\":[{\"role\":"
                      "\"user\",\"content\":\"hi\"}]}") > base);
    assert_true(count("{\"system\":[{\"type\":\"text\",\"text\":\"You are "
                      "terse.\"}],\"messages\":[{\"role\":\"user\","
                      "\"content\":\"hi\"}]}") > base);
    n = count("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
              "\"text\",\"text\":\"hi\"},{\"type\":\"image\",\"source\":{"
              "\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":"
              "\"AAAA\"}}]}]}");
    assert_true(n >= base + 1600 && n <= base + 1610);
    n = count("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
              "\"document\",\"source\":{\"type\":\"base64\",\"media_type\":"
              "\"application/pdf\",\"data\":\"JVBERi0=\"}}]}]}");
    assert_true(n >= 2000 && n <= 2010);
    n = count("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
              "\"document\",\"source\":{\"type\":\"text\",\"media_type\":"
              "\"text/plain\",\"data\":\"hello world\"}}]}]}");
    assert_true(n > base && n < base + 10);
    assert_true(count("{\"messages\":[{\"role\":\"assistant\",\"content\":[{"
                      "\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":"
                      "\"Bash\",\"input\":{\"command\":\"ls -la /tmp\"}}]}]}") >
                base + 5);
    assert_true(count("{\"messages\":[{\"role\":\"user\",\"content\":[{"
                      "\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\","
                      "\"content\":[{\"type\":\"text\",\"text\":\"total 0 "
                      "drwx files here\"}]}]}]}") > base + 5);
    assert_true(count("{\"messages\":[{\"role\":\"assistant\",\"content\":[{"
                      "\"type\":\"thinking\",\"thinking\":\"Let me think "
                      "about the question first.\",\"signature\":\"x\"}]}]}") >
                base + 5);
    /* unknown blocks count as their JSON, never crash */
    assert_true(count("{\"messages\":[{\"role\":\"user\",\"content\":[{"
                      "\"type\":\"mystery\",\"payload\":[1,2,3]}]}]}") > base);
    /* tools: the fixed tool-use prompt plus each definition */
    n = count("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
              "\"tools\":[{\"name\":\"get_weather\",\"description\":\"Get "
              "the weather\",\"input_schema\":{\"type\":\"object\","
              "\"properties\":{\"city\":{\"type\":\"string\"}}}}]}");
    assert_true(n > base + 346 + 10 && n < base + 346 + 60);
    /* not an object, odd shapes: estimates, never failures */
    assert_int_equal(count("[]"), 0);
    assert_true(count("{\"messages\":\"oops\",\"system\":5}") >= 0);
}

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

static long
ref_tokens(const char *s, size_t n, unsigned long long extra)
{
    struct ref r;

    memset(&r, 0, sizeof(r));
    ref_feed(&r, s, n);
    ref_close(&r);
    return (long)((r.m + extra + 999) / 1000);
}

/* Bytes that make every kind of run and transition: both cases (humps,
 * capitals), digits, blanks, newlines, punctuation, UTF-8 leads of each
 * weight and continuation bytes, NUL. */
static const char alphabet[] = "abcxyzabcABCXYZ0189 \t\n\r.,:-_/(`\x01"
                               "\xc3\xa9\xce\xbb\xe0\xa4\x85\xe3\x80\x81"
                               "\xf0\x9f\x98\x80";

static unsigned long long rng = 0x2545f4914f6cdd1dULL;

static unsigned
rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* Random text: words from the alphabet, long runs now and then (the
 * 8-byte steps and their tails). */
static size_t
random_text(char *s, size_t cap, const char *alpha, size_t na)
{
    size_t n = rnd((unsigned)cap), i = 0;

    while (i < n) {
        size_t len = rnd(8) == 0 ? rnd(40) : 1;
        char c = alpha[rnd((unsigned)na)];

        if (rnd(3) == 0) /* a lower-case word and a space: the fast path */
            for (; len > 0 && i < n; len--)
                s[i++] = (char)('a' + rnd(26));
        else
            for (; len > 0 && i < n; len--)
                s[i++] = c;
        if (rnd(4) == 0 && i < n)
            s[i++] = ' ';
    }
    return n;
}

static void
text_matches_the_byte_at_a_time_method(void **state)
{
    char s[160];
    int i;

    (void)state;
    for (i = 0; i < 200000; i++) {
        size_t n = random_text(s, sizeof(s), alphabet, sizeof(alphabet) - 1);

        if (a2o_tokens_text(s, n) != ref_tokens(s, n, 0)) {
            fail_msg("case %d: %ld, method %ld for \"%.*s\"", i,
                     a2o_tokens_text(s, n), ref_tokens(s, n, 0), (int)n, s);
        }
    }
    /* camelCase, capitals, long words, as documented */
    assert_int_equal(a2o_tokens_text("parseJson", 9), 2);
    /* one segment of 10 (560 + 630) */
    assert_int_equal(a2o_tokens_text("HTTPServer", 10), 2);
    /* a segment of 6 (920) + all capitals (6 x 200) */
    assert_int_equal(a2o_tokens_text("README", 6), 3);
    assert_int_equal(a2o_tokens_text("internationalization", 20),
                     ref_tokens("internationalization", 20, 0));
}

/* A random JSON value whose unformatted print is exactly the text the
 * estimate walks: strings without bytes cJSON escapes, integers. */
static cJSON *
random_json(int depth)
{
    static const char strs[] = "abcxyzABCXYZ0189 .,:-_/(`"
                               "\xc3\xa9\xe3\x80\x81\xf0\x9f\x98\x80";
    char s[64];
    size_t n;
    int i, kids;
    cJSON *j;

    switch (rnd(depth > 3 ? 4 : 6)) {
    case 0:
        n = random_text(s, sizeof(s) - 1, strs, sizeof(strs) - 1);
        s[n] = '\0';
        return cJSON_CreateString(s);
    case 1:
        return cJSON_CreateNumber((double)rnd(2000000) - 1000000);
    case 2:
        return rnd(2) ? cJSON_CreateBool(rnd(2)) : cJSON_CreateNull();
    case 3:
        return cJSON_CreateString("");
    case 4:
        j = cJSON_CreateArray();
        kids = (int)rnd(5);
        for (i = 0; i < kids; i++)
            cJSON_AddItemToArray(j, random_json(depth + 1));
        return j;
    default:
        j = cJSON_CreateObject();
        kids = (int)rnd(5);
        for (i = 0; i < kids; i++) {
            n = random_text(s, 16, strs, sizeof(strs) - 1);
            s[n] = '\0';
            cJSON_AddItemToObject(j, s, random_json(depth + 1));
        }
        return j;
    }
}

/* JSON is priced as its unformatted print, pieces joined into runs
 * exactly as in that text (a key's quote and a string's punctuation are
 * one run). */
static void
json_matches_the_byte_at_a_time_method(void **state)
{
    int i;

    (void)state;
    for (i = 0; i < 20000; i++) {
        cJSON *req = parse("{\"messages\":[{\"role\":\"assistant\","
                           "\"content\":[{\"type\":\"tool_use\"}]}]}");
        cJSON *b = cJSON_GetArrayItem(
            cJSON_GetObjectItem(
                cJSON_GetArrayItem(cJSON_GetObjectItem(req, "messages"), 0),
                "content"),
            0);
        cJSON *input = random_json(0);
        char *text = cJSON_PrintUnformatted(input);
        long want;

        assert_non_null(text);
        cJSON_AddItemToObject(b, "input", input);
        /* 4 for the message, 1 for the block */
        want = ref_tokens(text, strlen(text), 5000);
        if (a2o_tokens_request(req) != want)
            fail_msg("case %d: %ld, method %ld for %s", i,
                     a2o_tokens_request(req), want, text);
        cJSON_free(text);
        cJSON_Delete(req);
    }
}

static void
deep_json_is_bounded(void **state)
{
    cJSON *req = parse("{\"messages\":[{\"role\":\"user\",\"content\":[{"
                       "\"type\":\"tool_use\",\"input\":{}}]}]}");
    cJSON *cur = cJSON_GetObjectItem(
        cJSON_GetArrayItem(
            cJSON_GetObjectItem(
                cJSON_GetArrayItem(cJSON_GetObjectItem(req, "messages"), 0),
                "content"),
            0),
        "input");
    int i;

    (void)state;
    for (i = 0; i < 5000; i++)
        cur = cJSON_AddObjectToObject(cur, "a");
    assert_true(a2o_tokens_request(req) > 0);
    cJSON_Delete(req);
}

static void
count_validates_like_the_converter(void **state)
{
    static const struct {
        const char *body, *path, *msg;
    } bad[] = {
        {"[]", "", "request body must be a JSON object"},
        {"{\"messages\":[{}]}", "model", "expected a non-empty string"},
        {"{\"model\":5,\"messages\":[{}]}", "model",
         "expected a non-empty string"},
        {"{\"model\":\"\",\"messages\":[{}]}", "model",
         "expected a non-empty string"},
        {"{\"model\":\"m\"}", "messages",
         "expected a non-empty array of messages"},
        {"{\"model\":\"m\",\"messages\":{}}", "messages",
         "expected a non-empty array of messages"},
        {"{\"model\":\"m\",\"messages\":[]}", "messages",
         "expected a non-empty array of messages"},
    };
    struct a2o_diag d;
    cJSON *j;
    long n = -7;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        j = parse(bad[i].body);
        a2o_diag_clear(&d);
        assert_int_equal(a2o_tokens_count(j, &n, &d), A2O_E_BADREQ);
        assert_string_equal(d.path, bad[i].path);
        assert_string_equal(d.msg, bad[i].msg);
        assert_int_equal(n, -7); /* untouched on failure */
        cJSON_Delete(j);
    }
    j = parse("{\"model\":\"claude-sonnet-4\",\"messages\":[{\"role\":"
              "\"user\",\"content\":\"Hello, Claude\"}]}");
    assert_int_equal(a2o_tokens_count(j, &n, &d), A2O_E_OK);
    assert_int_equal(n, a2o_tokens_request(j));
    assert_true(n > 4 && n < 20);
    cJSON_Delete(j);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(samples_within_15_percent_of_reference),
        cmocka_unit_test(estimates_match_the_golden),
        cmocka_unit_test(text_basics),
        cmocka_unit_test(request_counts_every_block_kind),
        cmocka_unit_test(text_matches_the_byte_at_a_time_method),
        cmocka_unit_test(json_matches_the_byte_at_a_time_method),
        cmocka_unit_test(deep_json_is_bounded),
        cmocka_unit_test(count_validates_like_the_converter),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("tokens", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
