/* test_err.c: the error table, upstream status mapping, error bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/err.h"
#include "../../common/json.h"
#include "../lib/harness.h"

static void
table_gives_status_and_type(void **state)
{
    static const struct {
        enum a2o_err err;
        int status;
        const char *type;
    } rows[] = {
        {A2O_E_BADJSON, 400, "invalid_request_error"},
        {A2O_E_BADREQ, 400, "invalid_request_error"},
        {A2O_E_AUTH, 401, "authentication_error"},
        {A2O_E_PERM, 403, "permission_error"},
        {A2O_E_NOTFOUND, 404, "not_found_error"},
        {A2O_E_TOOBIG, 413, "request_too_large"},
        {A2O_E_RATELIMIT, 429, "rate_limit_error"},
        {A2O_E_NOMEM, 500, "api_error"},
        {A2O_E_BADGATEWAY, 502, "api_error"},
        {A2O_E_TIMEOUT, 504, "timeout_error"},
        {A2O_E_OVERLOADED, 529, "overloaded_error"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        assert_int_equal(a2o_err_status(rows[i].err), rows[i].status);
        assert_string_equal(a2o_err_type(rows[i].err), rows[i].type);
    }
    assert_int_equal(a2o_err_status((enum a2o_err)9999), 500);
    assert_string_equal(a2o_err_type(A2O_E_OK), "api_error");
}

static void
upstream_statuses_map_per_protocol(void **state)
{
    static const struct {
        long status;
        enum a2o_err err;
    } rows[] = {
        {200, A2O_E_OK},         {201, A2O_E_OK},
        {400, A2O_E_BADREQ},     {422, A2O_E_BADREQ},
        {401, A2O_E_AUTH},       {403, A2O_E_PERM},
        {404, A2O_E_NOTFOUND},   {408, A2O_E_TIMEOUT},
        {504, A2O_E_TIMEOUT},    {413, A2O_E_TOOBIG},
        {429, A2O_E_RATELIMIT},  {500, A2O_E_UPSTREAM},
        {502, A2O_E_BADGATEWAY}, {503, A2O_E_OVERLOADED},
        {529, A2O_E_OVERLOADED}, {302, A2O_E_BADGATEWAY},
        {0, A2O_E_BADGATEWAY},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(a2o_err_from_status(rows[i].status), rows[i].err);
}

static void
error_body_has_path_and_escapes_message(void **state)
{
    struct a2o_diag d;
    char out[512];
    size_t n;

    (void)state;
    a2o_diag_set(&d, A2O_E_BADREQ, "messages[3].content[0].type",
                 "expected a \"string\"\n");
    n = a2o_err_body(A2O_E_BADREQ, &d, out, sizeof(out));
    assert_int_equal(n, strlen(out));
    assert_string_equal(out, "{\"type\":\"error\",\"error\":{\"type\":"
                             "\"invalid_request_error\",\"message\":"
                             "\"messages[3].content[0].type: expected a "
                             "\\\"string\\\"\\u000a\"}}");
}

static void
error_body_without_diag_uses_table_text(void **state)
{
    char out[256];

    (void)state;
    a2o_err_body(A2O_E_NOMEM, NULL, out, sizeof(out));
    assert_string_equal(out, "{\"type\":\"error\",\"error\":{\"type\":"
                             "\"api_error\",\"message\":\"out of memory\"}}");
}

static void
error_body_truncates_but_stays_json(void **state)
{
    struct a2o_diag d;
    char out[80];
    size_t n;
    cJSON *j;

    (void)state;
    a2o_diag_set(&d, A2O_E_BADREQ, NULL, "%s",
                 "a very long message that cannot fit in eighty bytes "
                 "of output at all, not even close");
    n = a2o_err_body(A2O_E_BADREQ, &d, out, sizeof(out));
    assert_true(n < sizeof(out));
    j = cJSON_Parse(out);
    assert_non_null(j);
    cJSON_Delete(j);
}

static void
error_body_is_valid_json_whatever_the_message_bytes(void **state)
{
    struct a2o_diag d;
    char out[64 + 40];
    cJSON *j;
    size_t cut;

    (void)state;
    /* invalid UTF-8 from an upstream error body becomes U+FFFD */
    a2o_diag_set(&d, A2O_E_UPSTREAM, NULL, "bad \xff\xfe \xed\xa0\x80 ok");
    a2o_err_body(A2O_E_UPSTREAM, &d, out, sizeof(out));
    assert_non_null(strstr(out, "bad \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd ok"));
    j = cJSON_Parse(out);
    assert_non_null(j);
    cJSON_Delete(j);
    /* truncation never splits a multi-byte character: try every cut */
    for (cut = 64; cut <= sizeof(out); cut++) {
        a2o_diag_set(&d, A2O_E_UPSTREAM, NULL, "%s",
                     "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9\xe2\x82\xac"
                     "\xf0\x9f\x98\x80\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
        a2o_err_body(A2O_E_UPSTREAM, &d, out, cut);
        assert_true(a2o_utf8_valid(out, strlen(out)));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_gives_status_and_type),
        cmocka_unit_test(upstream_statuses_map_per_protocol),
        cmocka_unit_test(error_body_has_path_and_escapes_message),
        cmocka_unit_test(error_body_without_diag_uses_table_text),
        cmocka_unit_test(error_body_truncates_but_stays_json),
        cmocka_unit_test(error_body_is_valid_json_whatever_the_message_bytes),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("err", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
