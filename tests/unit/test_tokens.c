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
#include "../lib/tokref.h"

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

        if (a2o_tokens_text(s, n) != th_tokens_ref(s, n, 0)) {
            fail_msg("case %d: %ld, method %ld for \"%.*s\"", i,
                     a2o_tokens_text(s, n), th_tokens_ref(s, n, 0), (int)n, s);
        }
    }
    /* camelCase, capitals, long words, as documented */
    assert_int_equal(a2o_tokens_text("parseJson", 9), 2);
    /* one segment of 10 (560 + 630) */
    assert_int_equal(a2o_tokens_text("HTTPServer", 10), 2);
    /* a segment of 6 (920) + all capitals (6 x 200) */
    assert_int_equal(a2o_tokens_text("README", 6), 3);
    assert_int_equal(a2o_tokens_text("internationalization", 20),
                     th_tokens_ref("internationalization", 20, 0));
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

/* Case i: the request with input (which it takes) as a tool_use input
 * costs the method's count of input's unformatted print, plus 4 for the
 * message and 1 for the block. */
static void
check_input(int i, cJSON *input)
{
    cJSON *req = parse("{\"messages\":[{\"role\":\"assistant\","
                       "\"content\":[{\"type\":\"tool_use\"}]}]}");
    cJSON *b = cJSON_GetArrayItem(
        cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(req, "messages"), 0),
            "content"),
        0);
    char *text = cJSON_PrintUnformatted(input);
    long want;

    assert_non_null(text);
    cJSON_AddItemToObject(b, "input", input);
    want = th_tokens_ref(text, strlen(text), 5000);
    if (a2o_tokens_request(req) != want)
        fail_msg("case %d: %ld, method %ld for %s", i, a2o_tokens_request(req),
                 want, text);
    cJSON_free(text);
    cJSON_Delete(req);
}

/* JSON is priced as its unformatted print, pieces joined into runs
 * exactly as in that text (a key's quote and a string's punctuation are
 * one run). */
static void
json_matches_the_byte_at_a_time_method(void **state)
{
    int i;

    (void)state;
    for (i = 0; i < 20000; i++)
        check_input(i, random_json(0));
}

/*
 * Mixed text for the 64-byte windows of tokens.c: runs of every kind
 * (lower-case words, Capitalised, camelCase and ALL-CAPS words, digits,
 * punctuation, blanks, newlines, control bytes, UTF-8 of each lead
 * weight, stray continuation bytes) and now and then one class for
 * 60-200 bytes, so runs cross window cuts, fill whole windows and end
 * at every offset.  Exactly n bytes; with json, no byte that cJSON
 * escapes (the estimate reads strings unescaped).
 */
static void
mixed_text(char *s, size_t n, int json)
{
    static const char *const utf8[] = {
        "\xc3\xa9",         "\xce\xbb", "\xe0\xa4\x85", "\xe3\x80\x81",
        "\xf0\x9f\x98\x80", "\x80",     "\xc0"};
    static const char punct[] = ".,:-_/(`{}[]<>#*=+'|~!?;";
    static const char blank[] = " \t\n\r\x01";
    size_t i = 0, len, k;

    while (i < n) {
        unsigned kind = rnd(12);

        len = rnd(20) == 0 ? 60 + rnd(140) : 1 + rnd(12);
        for (k = 0; k < len && i < n; k++) {
            char c;

            switch (kind) {
            case 0:
            case 1:
            case 2: /* lower case, a space after now and then */
                c = (char)('a' + rnd(26));
                break;
            case 3: /* Capitalised and camelCase */
                c = (char)((k == 0 || rnd(5) == 0 ? 'A' : 'a') + rnd(26));
                break;
            case 4: /* capitals */
                c = (char)('A' + rnd(26));
                break;
            case 5:
                c = (char)('0' + rnd(10));
                break;
            case 6:
                c = punct[rnd(sizeof(punct) - 1)];
                break;
            case 7:
                c = json ? ' ' : blank[rnd(sizeof(blank) - 1)];
                break;
            case 8: { /* a UTF-8 sequence (cut short at the end) */
                const char *u = utf8[rnd(sizeof(utf8) / sizeof(utf8[0]))];

                while (*u != '\0' && i < n - 1)
                    s[i++] = *u++;
                c = *u != '\0' ? *u : 'x';
                break;
            }
            default:
                c = ' ';
                break;
            }
            s[i++] = c;
        }
    }
}

/* a2o_tokens_text of every length 0..40 and long texts, and every
 * prefix of some, against the byte-at-a-time method. */
static void
long_text_matches_the_byte_at_a_time_method(void **state)
{
    static char s[4096];
    size_t n, cut;
    int i;

    (void)state;
    for (i = 0; i < 20000; i++) {
        n = i < 4100 ? (size_t)i % 41 : rnd(i % 10 == 0 ? 4096 : 400);
        mixed_text(s, n, 0);
        if (a2o_tokens_text(s, n) != th_tokens_ref(s, n, 0))
            fail_msg("case %d: %ld, method %ld for \"%.*s\"", i,
                     a2o_tokens_text(s, n), th_tokens_ref(s, n, 0), (int)n, s);
        if (i % 50 == 0)
            for (cut = 0; cut <= n && cut < 300; cut++)
                if (a2o_tokens_text(s, cut) != th_tokens_ref(s, cut, 0))
                    fail_msg("case %d, prefix %zu: %ld, method %ld", i, cut,
                             a2o_tokens_text(s, cut), th_tokens_ref(s, cut, 0));
    }
    /* one class for a long stretch: windows without a boundary */
    memset(s, 'q', 1000);
    memset(s + 1000, '7', 1000);
    memset(s + 2000, 'Q', 1000);
    memset(s + 3000, '.', 1000);
    for (n = 0; n < 4000; n += 333)
        assert_int_equal(a2o_tokens_text(s + n, 4000 - n),
                         th_tokens_ref(s + n, 4000 - n, 0));
}

/*
 * JSON whose keys and strings are pieces of every length 0..40 and long
 * ones, next to each other and to the quotes and punctuation the print
 * puts between them, so runs go from piece to piece (a string ending in
 * punctuation joins its closing quote).
 */
static void
json_pieces_match_the_byte_at_a_time_method(void **state)
{
    static char s[1024];
    int i, j;

    (void)state;
    for (i = 0; i < 3000; i++) {
        cJSON *input = cJSON_CreateObject(), *arr = cJSON_CreateArray();

        for (j = 0; j < 6; j++) {
            size_t n = rnd(3) == 0 ? rnd(1000) : rnd(41);

            mixed_text(s, n, 1);
            s[n] = '\0';
            if (j % 2 == 0)
                cJSON_AddItemToArray(arr, cJSON_CreateString(s));
            else
                cJSON_AddItemToObject(input, s, cJSON_CreateString(s + n / 2));
        }
        cJSON_AddItemToObject(input, "list", arr);
        check_input(i, input);
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
        cmocka_unit_test(long_text_matches_the_byte_at_a_time_method),
        cmocka_unit_test(json_pieces_match_the_byte_at_a_time_method),
        cmocka_unit_test(deep_json_is_bounded),
        cmocka_unit_test(count_validates_like_the_converter),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("tokens", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
