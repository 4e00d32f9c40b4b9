/* test_str.c: the shared string helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "../../common/str.h"
#include "../lib/harness.h"

static void
case_insensitive_matching_is_ascii_only(void **state)
{
    (void)state;
    assert_int_equal(a2o_str_lower('Q'), 'q');
    assert_int_equal(a2o_str_lower('q'), 'q');
    assert_int_equal(a2o_str_lower(0xc4), 0xc4); /* no locale folding */
    assert_true(a2o_str_starts_ci("HTTPS://x", "https://"));
    assert_true(a2o_str_starts_ci("abc", "ABC"));
    assert_false(a2o_str_starts_ci("ab", "abc"));
    assert_true(a2o_str_starts_ci_n("Bearer x", 8, "bearer "));
    assert_false(a2o_str_starts_ci_n("Bearer x", 3, "bearer"));
    assert_true(a2o_str_contains_ci("claude-3-5-HAIKU", "haiku"));
    assert_true(a2o_str_contains_ci("anything", ""));
    assert_false(a2o_str_contains_ci("claude-opus", "haiku"));
    assert_true(a2o_str_eq_ci("LOCAL", 5, "local"));
    assert_false(a2o_str_eq_ci("LOCAL", 4, "local"));
    assert_false(a2o_str_eq_ci("LOCALS", 6, "local"));
}

static void
blank_tests(void **state)
{
    (void)state;
    assert_true(a2o_str_blank("", 0));
    assert_true(a2o_str_blank(" \t\r\n", 4));
    assert_false(a2o_str_blank(" x ", 3));
    assert_true(a2o_str_space('\t'));
    assert_false(a2o_str_space('\n'));
    assert_true(a2o_str_blank_char('\n'));
}

static void
copies_use_the_hooks_and_fail_cleanly(void **state)
{
    char *p;

    (void)state;
    p = a2o_str_dupn("hello world", 5);
    assert_non_null(p);
    assert_string_equal(p, "hello");
    cJSON_free(p);
    p = a2o_str_dup("x");
    assert_string_equal(p, "x");
    cJSON_free(p);
    th_alloc_fail_at(1);
    assert_null(a2o_str_dup("y"));
    assert_true(th_alloc_failed());
    th_alloc_fail_at(0);
}

static void
longs_print_as_printf_does(void **state)
{
    static const long vals[] = {
        0,   1,       -1,       9,        10,       -10,          99,
        100, 1234567, -7654321, LONG_MAX, LONG_MIN, LONG_MAX - 1, LONG_MIN + 1};
    char got[A2O_STR_LONG_MAX], want[64];
    size_t i, n;
    long v;

    (void)state;
    for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        n = a2o_str_long(got, vals[i]);
        snprintf(want, sizeof(want), "%ld", vals[i]);
        assert_string_equal(got, want);
        assert_int_equal(n, strlen(want));
    }
    for (v = -100000; v <= 100000; v += 7) {
        a2o_str_long(got, v);
        snprintf(want, sizeof(want), "%ld", v);
        assert_string_equal(got, want);
    }
}

static size_t
naive_span(const char *p, size_t n, int ctl)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c == '"' || c == '\\' || (ctl && c < 0x20))
            break;
    }
    return i;
}

static void
spans_find_the_first_byte_to_escape(void **state)
{
    static const unsigned char hits[] = {'"', '\\', 0, 1, 0x1f};
    static const unsigned char misses[] = {' ', 'a', 0x7f, 0x80, 0xff, '/'};
    char buf[80];
    size_t n, at, h;

    (void)state;
    for (n = 0; n < sizeof buf; n++) {
        for (at = 0; at <= n; at++) {
            for (h = 0; h < sizeof hits; h++) {
                size_t k;

                for (k = 0; k < n; k++) /* plain bytes of every kind */
                    buf[k] = (char)misses[(k + h) % sizeof misses];
                if (at < n)
                    buf[at] = (char)hits[h];
                assert_int_equal(a2o_str_span_json(buf, n),
                                 naive_span(buf, n, 1));
                assert_int_equal(a2o_str_span_quote(buf, n),
                                 naive_span(buf, n, 0));
                if (at < n && h < 2)
                    assert_int_equal(a2o_str_span_quote(buf, n), at);
                if (at < n)
                    assert_int_equal(a2o_str_span_json(buf, n), at);
            }
        }
    }
}

/* Every length, every position of one stop byte among plain ASCII,
 * and stops on both sides of the word and vector boundaries. */
static void
ascii_span_stops_at_nul_and_high_bytes(void **state)
{
    static const unsigned char stops[] = {0, 0x80, 0xc3, 0xff};
    static const unsigned char plain[] = {' ', 'a', 0x7f, 1, '"', '~'};
    char buf[80];
    size_t n, at, h, k;

    (void)state;
    for (n = 0; n < sizeof buf; n++) {
        for (at = 0; at <= n; at++) {
            for (h = 0; h < sizeof stops; h++) {
                for (k = 0; k < n; k++)
                    buf[k] = (char)plain[(k + h) % sizeof plain];
                if (at < n)
                    buf[at] = (char)stops[h];
                assert_int_equal(a2o_str_span_ascii(buf, n), at);
                if (at + 1 < n) { /* a second stop later changes nothing */
                    buf[n - 1] = (char)stops[(h + 1) % sizeof stops];
                    assert_int_equal(a2o_str_span_ascii(buf, n), at);
                }
            }
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(case_insensitive_matching_is_ascii_only),
        cmocka_unit_test(blank_tests),
        cmocka_unit_test(copies_use_the_hooks_and_fail_cleanly),
        cmocka_unit_test(longs_print_as_printf_does),
        cmocka_unit_test(spans_find_the_first_byte_to_escape),
        cmocka_unit_test(ascii_span_stops_at_nul_and_high_bytes),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("str", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
