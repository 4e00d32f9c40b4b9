/* test_logfmt.c: the request log line and escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/logfmt.h"
#include "../lib/harness.h"

static void
escape_table(void **state)
{
    static const struct {
        const char *in;
        size_t n;
        const char *out;
    } cases[] = {
        {"plain-text_1.2", 14, "plain-text_1.2"},
        {"a b", 3, "a\\x20b"},
        {"line\nforged=1", 13, "line\\x0aforged=1"},
        {"\r\t", 2, "\\x0d\\x09"},
        {"q\"b\\", 4, "q\\x22b\\x5c"},
        {"caf\xc3\xa9", 5, "caf\\xc3\\xa9"},
        {"\x7f", 1, "\\x7f"},
        {"nul\0x", 5, "nul\\x00x"},
        {"", 0, ""},
    };
    char out[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = a2o_log_escape(cases[i].in, cases[i].n, out, sizeof(out));

        assert_string_equal(out, cases[i].out);
        assert_int_equal(n, strlen(cases[i].out));
    }
}

static void
escape_truncates_whole_sequences(void **state)
{
    char out[8];

    (void)state;
    /* room for 7 bytes: "ab" then one escape (4) fits, a second does not */
    assert_int_equal(a2o_log_escape("ab\n\n", 4, out, sizeof(out)), 6);
    assert_string_equal(out, "ab\\x0a");
    assert_int_equal(a2o_log_escape("abcdefghij", 10, out, sizeof(out)), 7);
    assert_string_equal(out, "abcdefg");
    assert_int_equal(a2o_log_escape("x", 1, out, 0), 0);
    assert_int_equal(a2o_log_escape("x", 1, out, 1), 0);
    assert_string_equal(out, "");
}

static void
full_record(void **state)
{
    struct a2o_logrec r;
    char out[1024];
    size_t n;

    (void)state;
    memset(&r, 0, sizeof(r));
    r.req_id = "r-1";
    r.method = "POST";
    r.endpoint = "/v1/messages";
    r.client_model = "claude-sonnet-4";
    r.upstream_model = "qwen3 coder";
    r.stream = 1;
    r.status = 200;
    r.upstream_status = 200;
    r.latency_ms = 1234.56;
    r.ttfb_ms = 45.04;
    r.usage.input_tokens = 10;
    r.usage.output_tokens = 20;
    r.usage.cache_read_input_tokens = 3;
    r.usage.cache_creation_input_tokens = 4;
    r.usage.estimated = 0;
    r.error = NULL;
    n = a2o_log_format(&r, out, sizeof(out));
    assert_string_equal(out, "id=r-1 method=POST path=/v1/messages "
                             "model=claude-sonnet-4 "
                             "upstream_model=qwen3\\x20coder stream=1 "
                             "status=200 upstream_status=200 ms=1234.6 "
                             "ttfb_ms=45.0 in=10 out=20 cache_read=3 "
                             "cache_write=4 estimated=0 error=-");
    assert_int_equal(n, strlen(out));
}

static void
missing_values_and_hostile_text(void **state)
{
    struct a2o_logrec r;
    char out[1024];

    (void)state;
    memset(&r, 0, sizeof(r));
    r.req_id = "r-2";
    r.method = "GET";
    r.endpoint = "/v1/models\n127.0.0.1 - - fake line";
    r.status = 404;
    r.latency_ms = 0.04;
    r.ttfb_ms = -1;
    r.usage.estimated = 1;
    r.error = "BADREQ at messages[0].content";
    a2o_log_format(&r, out, sizeof(out));
    assert_null(strchr(out, '\n'));
    assert_string_equal(out, "id=r-2 method=GET "
                             "path=/v1/models\\x0a127.0.0.1\\x20-\\x20-"
                             "\\x20fake\\x20line model=- upstream_model=- "
                             "stream=0 status=404 upstream_status=0 ms=0.0 "
                             "ttfb_ms=- in=0 out=0 cache_read=0 "
                             "cache_write=0 estimated=1 "
                             "error=BADREQ\\x20at\\x20messages[0].content");
}

/* ms= and ttfb_ms= read as printf's "%.1f" would write them. */
static void
milliseconds_match_printf(void **state)
{
    struct a2o_logrec r;
    char out[1024], want[64];
    const char *at;
    double ms;
    long i;

    (void)state;
    memset(&r, 0, sizeof(r));
    r.req_id = "r";
    r.ttfb_ms = -1;
    for (i = 0; i < 200000; i += 13) {
        ms = (double)i * 0.0137 + (i % 7) * 1000.0;
        snprintf(want, sizeof(want), " ms=%.1f ", ms);
        /* an exact tie (x.x5) may round either way: not asked here */
        if ((long)(ms * 100 + 0.5) % 10 == 5)
            continue;
        r.latency_ms = ms;
        a2o_log_format(&r, out, sizeof(out));
        at = strstr(out, " ms=");
        assert_non_null(at);
        assert_memory_equal(at, want, strlen(want));
    }
    r.latency_ms = 5e12;
    a2o_log_format(&r, out, sizeof(out));
    assert_non_null(strstr(out, " ms=1e12 ttfb_ms=- "));
}

static void
small_buffers_truncate_safely(void **state)
{
    struct a2o_logrec r;
    char out[40], full[512];
    size_t n, i;

    (void)state;
    memset(&r, 0, sizeof(r));
    r.req_id = "abcdef";
    r.method = "POST";
    r.endpoint = "/v1/messages/count_tokens";
    r.status = 200;
    a2o_log_format(&r, full, sizeof(full));
    for (i = 1; i <= sizeof(out); i++) {
        memset(out, 'Z', sizeof(out));
        n = a2o_log_format(&r, out, i);
        assert_true(n < i);
        assert_int_equal(out[n], '\0');
        assert_memory_equal(out, full, n); /* a prefix of the whole line */
    }
    assert_int_equal(a2o_log_format(&r, out, 0), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escape_table),
        cmocka_unit_test(escape_truncates_whole_sequences),
        cmocka_unit_test(full_record),
        cmocka_unit_test(missing_values_and_hostile_text),
        cmocka_unit_test(milliseconds_match_printf),
        cmocka_unit_test(small_buffers_truncate_safely),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("logfmt", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
