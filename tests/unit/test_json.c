/*
 * test_json.c: common/json_print.c writes what cJSON_PrintUnformatted
 * writes, byte for byte: on every JSON file under tests/data, on trees
 * built to hit each rule (numbers, every byte in strings and keys, raw
 * and empty items), on seeded random trees, and under OOM torture.
 * common/json_parse.c's fast parser builds cJSON's own tree wherever it
 * answers, and gives up (for cJSON to decide) wherever cJSON rejects.
 */
#include <dirent.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "../../common/buf.h"
#include "../../common/json.h"
#include "../../common/json_int.h"
#include "../lib/harness.h"

/* Fails unless both printers agree on item. */
static void
same_as_cjson(const cJSON *item, const char *what)
{
    char *want = cJSON_PrintUnformatted(item);
    size_t n = 0;
    char *got = a2o_json_print_str(item, &n);

    assert_non_null(want);
    if (got == NULL || strcmp(want, got) != 0)
        print_error("%s:\n cJSON: %.300s\n ours:  %.300s\n", what, want,
                    got != NULL ? got : "(NULL)");
    assert_non_null(got);
    assert_string_equal(want, got);
    assert_int_equal(n, strlen(want));
    cJSON_free(want);
    cJSON_free(got);
}

/* Fails unless a and b are the same tree, down to valueint and the
 * first child's prev (cJSON's tail pointer). */
static void
same_tree(const cJSON *a, const cJSON *b, const char *what)
{
    const cJSON *x, *y;

    assert_int_equal(a->type, b->type);
    assert_int_equal(a->valueint, b->valueint);
    assert_memory_equal(&a->valuedouble, &b->valuedouble, sizeof(double));
    if (a->valuestring == NULL || b->valuestring == NULL)
        assert_ptr_equal(a->valuestring, b->valuestring);
    else
        assert_string_equal(a->valuestring, b->valuestring);
    if (a->string == NULL || b->string == NULL)
        assert_ptr_equal(a->string, b->string);
    else
        assert_string_equal(a->string, b->string);
    for (x = a->child, y = b->child; x != NULL && y != NULL;
         x = x->next, y = y->next) {
        same_tree(x, y, what);
        if (x->next == NULL) { /* the tail is where cJSON keeps it */
            assert_ptr_equal(a->child->prev, x);
            assert_ptr_equal(b->child->prev, y);
        }
    }
    if (x != NULL || y != NULL)
        fail_msg("%s: child counts differ", what);
}

static size_t fast_answered; /* inputs the fast parser took alone */

/* The fast parser agrees with cJSON on p[0..n), or gives up. */
static void
same_parse(const char *p, size_t n, const char *what)
{
    const char *end1 = NULL, *end2 = NULL;
    cJSON *a = NULL;
    enum a2o_err err = a2o__json_fast(p, n, &a, &end1);
    cJSON *b = cJSON_ParseWithLengthOpts(p, n, &end2, 0);

    if (err == A2O_E_OK) {
        if (b == NULL)
            fail_msg("%s: the fast parser took what cJSON rejects", what);
        if (end1 != end2)
            fail_msg("%s: ends at %td, cJSON at %td", what, end1 - p, end2 - p);
        same_tree(a, b, what);
        fast_answered++;
    } else {
        assert_int_equal(err, A2O_E_BADJSON); /* unsure, no allocation failed */
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* Every *.json under dir, recursively; returns how many were compared. */
static size_t
walk(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t count = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        size_t len = strlen(e->d_name);

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        assert_int_equal(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            count += walk(path);
        } else if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
            size_t n;
            char *text = th_read_file(path, &n);
            cJSON *tree = cJSON_ParseWithLength(text, n);

            same_parse(text, n, path);
            free(text);
            if (tree == NULL)
                continue; /* a deliberately broken input */
            same_as_cjson(tree, path);
            cJSON_Delete(tree);
            count++;
        }
    }
    closedir(d);
    return count;
}

static void
every_fixture_prints_as_cjson_does(void **state)
{
    (void)state;
    /* tests/data holds several hundred parseable files; a walk that
     * finds few means the test looked in the wrong place */
    fast_answered = 0;
    assert_true(walk("tests/data") > 300);
    /* and the fast parser answered for (nearly) all of them itself */
    assert_true(fast_answered > 300);
}

static void
parser_agrees_with_cjson_on_edge_texts(void **state)
{
    static const char *const texts[] = {
        "",
        " ",
        "null",
        "nul",
        "nullx",
        "true",
        "false",
        "tru",
        "[]",
        "{}",
        "[ ]",
        "{ }",
        "[1,]",
        "[,1]",
        "{\"a\":}",
        "{\"a\" 1}",
        "{1:2}",
        "{\"a\":1,}",
        "[1 2]",
        "\x01[\x02 1\x1f]",
        "[1]\x01",
        " \t\n[1] ",
        "0",
        "-0",
        "-",
        "+1",
        ".5",
        "-.5",
        "01",
        "1.",
        "1.e5",
        "1e",
        "1e+",
        "1.5e-3",
        "1E400",
        "-1E400",
        "1e-400",
        "123456789012345",
        "1234567890123456",
        "9007199254740993",
        "2147483647",
        "2147483648",
        "-2147483648",
        "-2147483649",
        "0x10",
        "1-2",
        "1+2",
        "--1",
        "1ee2",
        "12345678901234567890123456789012345678901234567890123456789012345678"
        "90",
        "\"\"",
        "\"a",
        "\"a\\\"",
        "\"\\\"\"",
        "\"\\\\\"",
        "\"\\/\\b\\f\\n\\r\\t\"",
        "\"\\x\"",
        "\"\\u00e9\"",
        "\"\\u00E9\"",
        "\"\\u0000\"",
        "\"\\u00zz\"",
        "\"\\u12\"",
        "\"\\ud83d\\ude00\"",
        "\"\\ud83d\"",
        "\"\\ud83dx\"",
        "\"\\ude00\"",
        "\"\\ud83d\\u0041\"",
        "\"\\uffff\"",
        "\"\\u0800\"",
        "\"\\u07ff\"",
        "\"a\x01\tb\"",
        "\xef\xbb\xbf[1]",
        "[\"a\",{\"b\":[null]}]",
        "{\"a\":1,\"a\":2}",
        "[[[[[]]]]]",
        "{\"\":\"\"}",
    };
    char deep[2100];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof texts / sizeof texts[0]; i++)
        same_parse(texts[i], strlen(texts[i]), texts[i]);
    /* nesting: 1000 levels parse, 1001 do not */
    for (i = 999; i <= 1001; i++) {
        memset(deep, '[', i);
        memset(deep + i, ']', i);
        same_parse(deep, 2 * i, "deep nesting");
    }
}

static void
parser_agrees_with_cjson_on_every_cut_and_flip(void **state)
{
    static const char doc[] =
        "{\"model\":\"m\",\"max_tokens\":1024,\"temperature\":0.7,"
        "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
        "\"text\",\"text\":\"caf\\u00e9 \\\"q\\\" \\ud83d\\ude00\\n\"}]}],"
        "\"stream\":true,\"stop\":null,\"n\":-12.5e-1,\"ok\":false}";
    char buf[sizeof doc];
    size_t n = sizeof doc - 1, i;
    static const char flips[] = "\"\\{}[]:,0-.eu \x01";

    (void)state;
    for (i = 0; i <= n; i++) /* every prefix */
        same_parse(doc, i, "prefix");
    for (i = 0; i < n; i++) {
        size_t k;

        for (k = 0; k < sizeof flips - 1; k++) { /* every byte replaced */
            memcpy(buf, doc, n);
            buf[i] = flips[k];
            same_parse(buf, n, "flipped byte");
        }
    }
}

static enum a2o_err
parse_case(void *arg)
{
    const char *text = arg;
    cJSON *t = NULL;
    enum a2o_err err = a2o_json_try(text, strlen(text), &t);

    cJSON_Delete(t);
    return err;
}

static void
parser_survives_allocation_failures(void **state)
{
    char text[] = "{\"a\":[1,\"x\\n\",{\"b\":null}],\"c\":\"\\u00e9\"}";

    (void)state;
    th_oom_torture(parse_case, text, A2O_E_OK, NULL);
}

static void
numbers_print_as_cjson_does(void **state)
{
    static const double vals[] = {0.0,
                                  -0.0,
                                  1,
                                  -1,
                                  0.1,
                                  0.5,
                                  1.0 / 3,
                                  2.0 / 3,
                                  1e15,
                                  1e16,
                                  1e17,
                                  123456789012345678.0,
                                  1e21,
                                  1e22,
                                  1e-7,
                                  1e-300,
                                  1e300,
                                  5e-324,
                                  DBL_MAX,
                                  DBL_MIN,
                                  -DBL_MAX,
                                  2147483647.0,
                                  2147483648.0,
                                  -2147483648.0,
                                  -2147483649.0,
                                  4294967296.0,
                                  0.1 + 0.2,
                                  3.14159,
                                  100.25,
                                  -7.5e-5,
                                  9007199254740993.0,
                                  1.7976931348623157e308};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        cJSON *n = cJSON_CreateNumber(vals[i]);
        char what[64];

        snprintf(what, sizeof what, "number %.17g", vals[i]);
        same_as_cjson(n, what);
        cJSON_Delete(n);
    }
    {
        cJSON *a = cJSON_CreateArray();

        cJSON_AddItemToArray(a, cJSON_CreateNumber(NAN));
        cJSON_AddItemToArray(a, cJSON_CreateNumber(INFINITY));
        cJSON_AddItemToArray(a, cJSON_CreateNumber(-INFINITY));
        same_as_cjson(a, "NaN and infinities");
        cJSON_Delete(a);
    }
}

static void
every_byte_in_strings_and_keys_prints_as_cjson_does(void **state)
{
    char s[256];
    int i;
    cJSON *o = cJSON_CreateObject();

    (void)state;
    for (i = 1; i < 256; i++)
        s[i - 1] = (char)i;
    s[255] = '\0';
    cJSON_AddStringToObject(o, s, s);
    /* each byte alone, between plain text, at every offset mod 8 */
    for (i = 1; i < 256; i++) {
        char one[24];
        int k;

        for (k = 0; k < 8; k++) {
            memset(one, 'a', sizeof one);
            one[k] = (char)i;
            one[k + 9] = (char)i;
            one[k + 9 + 1] = '\0';
            cJSON_AddItemToArray(cJSON_GetObjectItem(o, "list") != NULL
                                     ? cJSON_GetObjectItem(o, "list")
                                     : cJSON_AddArrayToObject(o, "list"),
                                 cJSON_CreateString(one));
        }
    }
    cJSON_AddStringToObject(o, "", "");
    same_as_cjson(o, "every byte");
    cJSON_Delete(o);
}

static void
odd_items_print_as_cjson_does(void **state)
{
    cJSON *o = cJSON_CreateObject(), *s, *k;

    (void)state;
    cJSON_AddItemToObject(o, "raw", cJSON_CreateRaw("{\"a\": [1, 2 ]}"));
    cJSON_AddItemToObject(o, "ea", cJSON_CreateArray());
    cJSON_AddItemToObject(o, "eo", cJSON_CreateObject());
    cJSON_AddNullToObject(o, "n");
    cJSON_AddTrueToObject(o, "t");
    cJSON_AddFalseToObject(o, "f");
    s = cJSON_CreateString("x");
    cJSON_free(s->valuestring);
    s->valuestring = NULL; /* cJSON prints a NULL string as "" */
    cJSON_AddItemToObject(o, "nullstr", s);
    k = cJSON_CreateString("keyless");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "arr"), k);
    same_as_cjson(o, "odd items");
    cJSON_Delete(o);
}

/* A small deterministic generator (xorshift) so a failure reproduces. */
static unsigned long long rng = 88172645463325252ULL;

static unsigned
next(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static cJSON *
random_tree(int depth)
{
    char s[40];
    unsigned i, len;
    cJSON *c;

    switch (depth > 5 ? next(4) : next(6)) {
    case 0:
        return cJSON_CreateNumber((double)(long long)(rng >> 11) /
                                  (double)(1ULL << next(60)) *
                                  (next(2) ? -1 : 1));
    case 1:
        return cJSON_CreateNumber((double)(int)next(2000000) - 1000000);
    case 2:
        len = next(sizeof s);
        for (i = 0; i < len; i++)
            s[i] = (char)(next(4) == 0 ? 1 + next(255) : 'a' + next(26));
        s[len] = '\0';
        return cJSON_CreateString(s);
    case 3:
        return next(2) ? cJSON_CreateNull() : cJSON_CreateBool((int)next(2));
    case 4:
        c = cJSON_CreateArray();
        for (i = next(5); i > 0; i--)
            cJSON_AddItemToArray(c, random_tree(depth + 1));
        return c;
    default:
        c = cJSON_CreateObject();
        for (i = next(5); i > 0; i--) {
            snprintf(s, sizeof s, "k%u\t\"%u", next(100), i);
            cJSON_AddItemToObject(c, s, random_tree(depth + 1));
        }
        return c;
    }
}

static void
random_trees_print_as_cjson_does(void **state)
{
    int i;

    (void)state;
    for (i = 0; i < 2000; i++) {
        cJSON *t = random_tree(0);
        char what[32];

        snprintf(what, sizeof what, "random tree %d", i);
        same_as_cjson(t, what);
        cJSON_Delete(t);
    }
}

static void
print_appends_and_honours_the_cap(void **state)
{
    struct a2o_buf b;
    cJSON *t = cJSON_Parse("{\"a\":[1,\"two\",null]}");

    (void)state;
    a2o_buf_init(&b, 64);
    assert_int_equal(a2o_buf_adds(&b, "x="), A2O_E_OK);
    assert_int_equal(a2o_json_print(t, &b), A2O_E_OK);
    assert_string_equal(b.p, "x={\"a\":[1,\"two\",null]}");
    a2o_buf_free(&b);
    a2o_buf_init(&b, 10);
    assert_int_equal(a2o_json_print(t, &b), A2O_E_TOOBIG);
    assert_null(b.p);
    assert_int_equal(a2o_json_print(NULL, &b), A2O_E_NOMEM);
    cJSON_Delete(t);
}

static enum a2o_err
print_case(void *arg)
{
    char *s = a2o_json_print_str(arg, NULL);

    if (s == NULL)
        return A2O_E_NOMEM;
    cJSON_free(s);
    return A2O_E_OK;
}

static void
print_survives_allocation_failures(void **state)
{
    char big[3000];
    cJSON *t = cJSON_Parse("{\"k\":[\"a\\n\",1.5,{\"x\":true}]}");

    (void)state;
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cJSON_AddStringToObject(t, "big", big); /* forces growth mid-string */
    th_oom_torture(print_case, t, A2O_E_OK, NULL);
    cJSON_Delete(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_fixture_prints_as_cjson_does),
        cmocka_unit_test(numbers_print_as_cjson_does),
        cmocka_unit_test(every_byte_in_strings_and_keys_prints_as_cjson_does),
        cmocka_unit_test(odd_items_print_as_cjson_does),
        cmocka_unit_test(random_trees_print_as_cjson_does),
        cmocka_unit_test(print_appends_and_honours_the_cap),
        cmocka_unit_test(print_survives_allocation_failures),
        cmocka_unit_test(parser_agrees_with_cjson_on_edge_texts),
        cmocka_unit_test(parser_agrees_with_cjson_on_every_cut_and_flip),
        cmocka_unit_test(parser_survives_allocation_failures),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("json", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
