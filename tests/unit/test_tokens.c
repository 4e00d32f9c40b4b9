/* test_tokens.c: the token estimate against reference counts. */
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

/*
 * counts.json holds what Claude's published tokenizer counts for each
 * sample (tests/tokens/calibrate.mjs --write).  Text samples go through
 * a2o_tokens_text; JSON samples as a tool_use input inside a request
 * (the path tool inputs take), whose fixed framing is a few tokens.
 */
static void
samples_within_15_percent_of_reference(void **state)
{
    cJSON *counts = th_read_json(DIR "/counts.json"), *c;
    char path[512];
    int n = 0;

    (void)state;
    cJSON_ArrayForEach(c, counts)
    {
        double ref = c->valuedouble, est, err;
        size_t len = strlen(c->string);

        snprintf(path, sizeof(path), "%s/%s", DIR, c->string);
        if (len > 5 && strcmp(c->string + len - 5, ".json") == 0) {
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
        cmocka_unit_test(text_basics),
        cmocka_unit_test(request_counts_every_block_kind),
        cmocka_unit_test(deep_json_is_bounded),
        cmocka_unit_test(count_validates_like_the_converter),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("tokens", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
