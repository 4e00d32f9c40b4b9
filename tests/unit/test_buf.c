/* test_buf.c: bounded buffer and JSON helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/buf.h"
#include "../../common/json.h"
#include "../lib/harness.h"

static void
add_past_cap_fails_and_frees(void **state)
{
    struct a2o_buf b;

    (void)state;
    a2o_buf_init(&b, 8);
    assert_int_equal(a2o_buf_adds(&b, "12345678"), A2O_E_OK);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.p, "12345678");
    assert_int_equal(a2o_buf_adds(&b, "9"), A2O_E_TOOBIG);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
    assert_int_equal(th_alloc_live(), 0);
}

static void
growth_keeps_contents_over_many_appends(void **state)
{
    struct a2o_buf b;
    size_t i;

    (void)state;
    a2o_buf_init(&b, 1 << 20);
    for (i = 0; i < 100000; i++)
        assert_int_equal(a2o_buf_add(&b, "ab", 2), A2O_E_OK);
    assert_int_equal(b.len, 200000);
    assert_memory_equal(b.p + 199998, "ab", 2);
    assert_int_equal(b.p[b.len], '\0');
    a2o_buf_free(&b);
}

static void
addf_formats_long_text(void **state)
{
    struct a2o_buf b;
    char big[1000];

    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    a2o_buf_init(&b, 4096);
    assert_int_equal(a2o_buf_addf(&b, "<%s|%d>", big, 42), A2O_E_OK);
    assert_int_equal(b.len, 1000 + 4);
    assert_memory_equal(b.p + b.len - 4, "|42>", 4);
    a2o_buf_free(&b);
}

static void
json_string_escaping(void **state)
{
    struct a2o_buf b;

    (void)state;
    a2o_buf_init(&b, 100);
    assert_int_equal(a2o_buf_add_json_str(&b, "a\"b\\c\n\x01\xc3\xa9", 9),
                     A2O_E_OK);
    assert_string_equal(b.p, "a\\\"b\\\\c\\n\\u0001\xc3\xa9");
    a2o_buf_reset(&b);
    /* as cJSON writes them; a NUL inside the length is escaped too */
    assert_int_equal(a2o_buf_add_json_str(&b, "\b\f\x1f\0/\x7f", 6), A2O_E_OK);
    assert_string_equal(b.p, "\\b\\f\\u001f\\u0000/\x7f");
    a2o_buf_free(&b);
}

static void
detach_hands_over_ownership(void **state)
{
    struct a2o_buf b;
    size_t n;
    char *p;

    (void)state;
    a2o_buf_init(&b, 100);
    p = a2o_buf_detach(&b, &n);
    assert_string_equal(p, "");
    assert_int_equal(n, 0);
    cJSON_free(p);
    assert_int_equal(a2o_buf_adds(&b, "hi"), A2O_E_OK);
    p = a2o_buf_detach(&b, &n);
    assert_string_equal(p, "hi");
    assert_null(b.p);
    cJSON_free(p);
}

static void
utf8_validation(void **state)
{
    static const struct {
        const char *s;
        size_t n;
        int ok;
    } rows[] = {
        {"plain", 5, 1},
        {"\xc3\xa9", 2, 1},
        {"\xe2\x82\xac", 3, 1},
        {"\xf0\x9f\x98\x80", 4, 1},
        {"\xc3", 1, 0},             /* truncated */
        {"\xc0\xaf", 2, 0},         /* overlong */
        {"\xe0\x80\xaf", 3, 0},     /* overlong */
        {"\xed\xa0\x80", 3, 0},     /* surrogate */
        {"\xf4\x90\x80\x80", 4, 0}, /* past U+10FFFF */
        {"\x80", 1, 0},             /* lone continuation */
        {"a\0b", 3, 0},             /* NUL */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(a2o_utf8_valid(rows[i].s, rows[i].n), rows[i].ok);
}

static void
utf8_validation_finds_bad_bytes_at_every_offset(void **state)
{
    char s[40];
    size_t i;

    (void)state;
    memset(s, 'a', sizeof(s));
    assert_true(a2o_utf8_valid(s, sizeof(s)));
    for (i = 0; i < sizeof(s); i++) {
        s[i] = '\0'; /* inside and outside the 8-byte fast path */
        assert_false(a2o_utf8_valid(s, sizeof(s)));
        s[i] = (char)0xff;
        assert_false(a2o_utf8_valid(s, sizeof(s)));
        s[i] = 'a';
    }
    for (i = 0; i + 2 <= sizeof(s); i++) {
        memcpy(s + i, "\xc3\xa9", 2);
        assert_true(a2o_utf8_valid(s, sizeof(s)));
        memset(s + i, 'a', 2);
    }
}

static void
parse_rejects_trailing_bytes_and_bad_utf8(void **state)
{
    struct a2o_diag d;
    cJSON *j = NULL;

    (void)state;
    assert_int_equal(a2o_json_parse("{} \n", 4, &j, &d), A2O_E_OK);
    cJSON_Delete(j);
    assert_int_equal(a2o_json_parse("{}x", 3, &j, &d), A2O_E_BADJSON);
    assert_non_null(strstr(d.msg, "byte 2"));
    assert_int_equal(a2o_json_parse("{\"a\":\"\xff\"}", 8, &j, &d),
                     A2O_E_BADJSON);
    assert_non_null(strstr(d.msg, "UTF-8"));
    assert_int_equal(a2o_json_parse("", 0, &j, &d), A2O_E_BADJSON);
    assert_int_equal(a2o_json_parse("{\"a\":", 5, &j, &d), A2O_E_BADJSON);
}

static void
parse_rejects_deep_nesting(void **state)
{
    static char deep[20001];
    struct a2o_diag d;
    cJSON *j = NULL;

    (void)state;
    memset(deep, '[', 10000);
    memset(deep + 10000, ']', 10000);
    assert_int_equal(a2o_json_parse(deep, 20000, &j, &d), A2O_E_BADJSON);
}

static void
case_sensitive_lookup(void **state)
{
    cJSON *j = cJSON_Parse("{\"Content\":\"x\",\"content\":1}");

    (void)state;
    assert_non_null(j);
    assert_null(a2o_json_str(j, "content"));
    assert_string_equal(a2o_json_str(j, "Content"), "x");
    assert_null(a2o_json_get(j, "CONTENT"));
    cJSON_Delete(j);
}

static enum a2o_err
build_and_print(void *arg)
{
    struct a2o_buf b;
    cJSON *o = cJSON_CreateObject();
    enum a2o_err err;

    (void)arg;
    a2o_buf_init(&b, 1000);
    if (o == NULL)
        return A2O_E_NOMEM;
    err = a2o_json_add_str(o, "k", "v");
    if (err == A2O_E_OK)
        err = a2o_json_attach(o, "arr", cJSON_CreateArray());
    if (err == A2O_E_OK)
        err = a2o_json_print(o, &b);
    cJSON_Delete(o);
    a2o_buf_free(&b);
    return err;
}

static void
helpers_survive_allocation_failures(void **state)
{
    (void)state;
    assert_true(th_oom_torture(build_and_print, NULL, A2O_E_OK, NULL) > 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(add_past_cap_fails_and_frees),
        cmocka_unit_test(growth_keeps_contents_over_many_appends),
        cmocka_unit_test(addf_formats_long_text),
        cmocka_unit_test(json_string_escaping),
        cmocka_unit_test(detach_hands_over_ownership),
        cmocka_unit_test(utf8_validation),
        cmocka_unit_test(utf8_validation_finds_bad_bytes_at_every_offset),
        cmocka_unit_test(parse_rejects_trailing_bytes_and_bad_utf8),
        cmocka_unit_test(parse_rejects_deep_nesting),
        cmocka_unit_test(case_sensitive_lookup),
        cmocka_unit_test(helpers_survive_allocation_failures),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("buf", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
