/*
 * test_sse.c: the SSE reader and writer (common/sse.h), and the event
 * checker tests/lib/evcheck (it must catch every violation of §4).
 *
 * Reader cases are tests/data/sse/<case>.in (raw bytes) with
 * <case>.events (one line per event: "<event name>|<data with \n as
 * \\n>"); each is fed whole, byte by byte and in random pieces.
 * A2O_REGEN=1 rewrites the .events outputs from the whole feed, which
 * every split must then match (review the diff!).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/sse.h"
#include "../lib/evcheck.h"
#include "../lib/harness.h"
#include "../lib/rmeta.h"

/* Collects events as "<event>|<data, \n escaped>\n" lines. */
static enum a2o_err
collect(void *arg, const struct a2o_sse_event *ev)
{
    struct a2o_buf *b = arg;
    enum a2o_err err;
    size_t i;

    err = a2o_buf_add(b, ev->event, ev->eventn);
    if (err == A2O_E_OK)
        err = a2o_buf_add(b, "|", 1);
    for (i = 0; i < ev->datan && err == A2O_E_OK; i++)
        err = ev->data[i] == '\n' ? a2o_buf_add(b, "\\n", 2)
                                  : a2o_buf_add(b, ev->data + i, 1);
    if (err == A2O_E_OK)
        err = a2o_buf_add(b, "\n", 1);
    if (err == A2O_E_OK && ev->data[ev->datan] != '\0')
        err = A2O_E_INTERNAL; /* data must be NUL-terminated */
    return err;
}

/* Reads in[0..n) in pieces (mode 0 whole, 1 bytes, else random). */
static enum a2o_err
read_all(const char *in, size_t n, int mode, size_t max, struct a2o_buf *b)
{
    struct a2o_sse r;
    unsigned long long x = 88172645463325252ULL * (unsigned)(mode + 1);
    size_t pos = 0;
    enum a2o_err err = A2O_E_OK;

    a2o_sse_init(&r, max);
    while (pos < n && err == A2O_E_OK) {
        size_t k = n - pos;

        if (mode == 1) {
            k = 1;
        } else if (mode > 1) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            k = (size_t)(x % 11) + 1;
            if (k > n - pos)
                k = n - pos;
        }
        err = a2o_sse_feed(&r, in + pos, k, collect, b);
        pos += k;
    }
    if (err == A2O_E_OK)
        err = a2o_sse_finish(&r, collect, b);
    a2o_sse_free(&r);
    return err;
}

static void
reader_golden_cases_in_every_split(void **state)
{
    char **names;
    size_t n = th_list("tests/data/sse", ".in", &names), i;

    (void)state;
    assert_true(n >= 8);
    for (i = 0; i < n; i++) {
        char *ep = th_sibling(names[i], ".in", ".events");
        size_t inn, wn;
        char *in = th_read_file(names[i], &inn);
        char *want;
        int mode;

        if (th_regen()) {
            struct a2o_buf b;

            a2o_buf_init(&b, 1 << 20);
            if (read_all(in, inn, 0, 4096, &b) != A2O_E_OK)
                fail_msg("%s: reader failed", names[i]);
            th_regen_file(ep, b.p != NULL ? b.p : "", b.len);
            a2o_buf_free(&b);
        }
        want = th_read_file(ep, &wn);
        for (mode = 0; mode < 8; mode++) {
            struct a2o_buf b;

            a2o_buf_init(&b, 1 << 20);
            if (read_all(in, inn, mode, 4096, &b) != A2O_E_OK)
                fail_msg("%s: reader failed (mode %d)", names[i], mode);
            if (b.len != wn || memcmp(b.p ? b.p : "", want, wn) != 0)
                fail_msg("%s (mode %d): got\n%s\nwant\n%s", names[i], mode,
                         b.p ? b.p : "", want);
            a2o_buf_free(&b);
        }
        free(in);
        free(want);
        free(ep);
    }
    th_free_list(names, n);
}

static void
line_over_the_cap_is_toobig_in_any_split(void **state)
{
    char in[200];
    int mode;

    (void)state;
    memset(in, 'x', sizeof(in));
    memcpy(in, "data: ", 6);
    in[sizeof(in) - 1] = '\n';
    for (mode = 0; mode < 4; mode++) {
        struct a2o_buf b;

        a2o_buf_init(&b, 1 << 20);
        assert_int_equal(read_all(in, sizeof(in), mode, 100, &b), A2O_E_TOOBIG);
        a2o_buf_free(&b);
    }
}

static void
event_data_over_the_cap_is_toobig(void **state)
{
    /* short lines, but together more than the cap */
    char in[400];
    struct a2o_buf b;
    size_t i;

    (void)state;
    for (i = 0; i + 10 <= sizeof(in); i += 10)
        memcpy(in + i, "data: 123\n", 10);
    a2o_buf_init(&b, 1 << 20);
    assert_int_equal(read_all(in, sizeof(in), 0, 100, &b), A2O_E_TOOBIG);
    a2o_buf_free(&b);
}

static enum a2o_err
stop_at_first(void *arg, const struct a2o_sse_event *ev)
{
    (void)ev;
    (*(int *)arg)++;
    return A2O_E_BADGATEWAY;
}

static void
callback_error_stops_the_reader(void **state)
{
    static const char in[] = "data: a\n\ndata: b\n\n";
    struct a2o_sse r;
    int calls = 0;

    (void)state;
    a2o_sse_init(&r, 100);
    assert_int_equal(
        a2o_sse_feed(&r, in, sizeof(in) - 1, stop_at_first, &calls),
        A2O_E_BADGATEWAY);
    assert_int_equal(calls, 1);
    a2o_sse_free(&r);
}

static void
writer_emits_the_event_line_first(void **state)
{
    struct a2o_buf b;

    (void)state;
    a2o_buf_init(&b, 100);
    assert_int_equal(a2o_sse_write(&b, "ping", "{\"type\":\"ping\"}", 15),
                     A2O_E_OK);
    assert_string_equal(b.p, "event: ping\ndata: {\"type\":\"ping\"}\n\n");
    a2o_buf_free(&b);
}

/* evcheck: the valid stream and one broken copy per rule. */
#define START                                                                  \
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":"     \
    "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","           \
    "\"model\":\"m\",\"content\":[],\"stop_reason\":null,"                     \
    "\"stop_sequence\":null,\"usage\":{\"input_tokens\":1,"                    \
    "\"output_tokens\":1}}}\n\n"
#define PING "event: ping\ndata: {\"type\":\"ping\"}\n\n"
#define TSTART(i)                                                              \
    "event: content_block_start\ndata: {\"type\":\"content_block_start\","     \
    "\"index\":" #i                                                            \
    ",\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
#define TDELTA(i, t)                                                           \
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","     \
    "\"index\":" #i ",\"delta\":{\"type\":\"text_delta\",\"text\":\"" t        \
    "\"}}\n\n"
#define KSTART(i)                                                              \
    "event: content_block_start\ndata: {\"type\":\"content_block_start\","     \
    "\"index\":" #i ",\"content_block\":{\"type\":\"thinking\","               \
    "\"thinking\":\"\",\"signature\":\"\"}}\n\n"
#define KDELTA(i)                                                              \
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","     \
    "\"index\":" #i ",\"delta\":{\"type\":\"thinking_delta\","                 \
    "\"thinking\":\"hm\"}}\n\n"
#define KSIG(i)                                                                \
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","     \
    "\"index\":" #i ",\"delta\":{\"type\":\"signature_delta\","                \
    "\"signature\":\"c2ln\"}}\n\n"
#define USTART(i, id)                                                          \
    "event: content_block_start\ndata: {\"type\":\"content_block_start\","     \
    "\"index\":" #i ",\"content_block\":{\"type\":\"tool_use\",\"id\":\"" id   \
    "\",\"name\":\"Read\",\"input\":{}}}\n\n"
#define UDELTA(i, j)                                                           \
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","     \
    "\"index\":" #i ",\"delta\":{\"type\":\"input_json_delta\","               \
    "\"partial_json\":\"" j "\"}}\n\n"
#define STOP(i)                                                                \
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\","       \
    "\"index\":" #i "}\n\n"
#define MDELTA(r, s)                                                           \
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"       \
    "{\"stop_reason\":\"" r "\",\"stop_sequence\":" s "},\"usage\":"           \
    "{\"input_tokens\":3,\"output_tokens\":2}}\n\n"
#define MSTOP "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
#define ERR                                                                    \
    "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"             \
    "\"api_error\",\"message\":\"x\"}}\n\n"

static void
evcheck_accepts_valid_streams(void **state)
{
    static const char *const ok[] = {
        START PING KSTART(0) KDELTA(0) KSIG(0) STOP(0) TSTART(1) TDELTA(1, "Hi")
            STOP(1) USTART(2, "toolu_1") UDELTA(2, "{\\\"a\\\"")
                UDELTA(2, ":1}") STOP(2) MDELTA("tool_use", "null") MSTOP,
        START MDELTA("end_turn", "null") MSTOP,
        START TSTART(0) TDELTA(0, "x") STOP(0)
            MDELTA("stop_sequence", "\"END\"") PING MSTOP,
        START TSTART(0) TDELTA(0, "x") ERR,
        ERR,
    };
    char msg[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (ev_check(ok[i], strlen(ok[i]), 0, msg, sizeof(msg)) != 0)
            fail_msg("valid stream %zu rejected: %s", i, msg);
}

static void
evcheck_catches_every_violation(void **state)
{
    static const struct {
        const char *s;
        const char *why; /* a word of the expected message */
    } bad[] = {
        {PING START MDELTA("end_turn", "null") MSTOP, "before message_start"},
        {START START MDELTA("end_turn", "null") MSTOP, "second message_start"},
        {START TSTART(1) TDELTA(1, "x") STOP(1) MDELTA("end_turn", "null")
             MSTOP,
         "index"},
        {START TSTART(0) TDELTA(0, "x") STOP(0) TSTART(0) TDELTA(0, "y") STOP(0)
             MDELTA("end_turn", "null") MSTOP,
         "index"},
        {START TSTART(0) TSTART(1) STOP(1) STOP(0) MDELTA("end_turn", "null")
             MSTOP,
         "open"},
        {START TDELTA(0, "x") MDELTA("end_turn", "null") MSTOP, "not open"},
        {START TSTART(0) UDELTA(0, "{}") STOP(0) MDELTA("end_turn", "null")
             MSTOP,
         "text block"},
        {START KSTART(0) TDELTA(0, "x") KSIG(0) STOP(0)
             MDELTA("end_turn", "null") MSTOP,
         "thinking block"},
        {START TSTART(0) STOP(0) MDELTA("end_turn", "null") MSTOP, "empty"},
        {START KSTART(0) KDELTA(0) STOP(0) MDELTA("end_turn", "null") MSTOP,
         "signature"},
        {START USTART(0, "functions.Bash:0") STOP(0) MDELTA("tool_use", "null")
             MSTOP,
         "id"},
        {START USTART(0, "t1") UDELTA(0, "{\\\"a\\\":") STOP(0)
             MDELTA("tool_use", "null") MSTOP,
         "not a JSON object"},
        {START TSTART(0) TDELTA(0, "x") MDELTA("end_turn", "null") MSTOP,
         "while block"},
        {START MDELTA("end_turn", "null") MDELTA("end_turn", "null") MSTOP,
         "second message_delta"},
        {START MDELTA("finished", "null") MSTOP, "unknown stop_reason"},
        {START MDELTA("stop_sequence", "null") MSTOP, "stop_sequence"},
        {START MDELTA("end_turn", "\"X\"") MSTOP, "stop_sequence"},
        {START MDELTA("tool_use", "null") MSTOP, "without a tool_use"},
        {START MSTOP, "without message_delta"},
        {START MDELTA("end_turn", "null") MSTOP PING, "after the end"},
        {START TSTART(0) TDELTA(0, "x") ERR PING, "after the end"},
        {START TSTART(0) TDELTA(0, "x") STOP(0), "ends without"},
        {START "event: ping\ndata: {\"type\":\"pong\"}\n\n", "differs"},
        {START "data: {\"type\":\"ping\"}\n\n", "event: "},
        {START "event: ping\ndata: {\"type\":\"ping\"}\n", "blank line"},
        {START "event: ping\ndata: {oops}\n\n", "not JSON"},
        {START "event: surprise\ndata: {\"type\":\"surprise\"}\n\n",
         "unknown event"},
    };
    char msg[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (ev_check(bad[i].s, strlen(bad[i].s), 0, msg, sizeof(msg)) == 0)
            fail_msg("broken stream %zu (%s) accepted", i, bad[i].why);
        if (strstr(msg, bad[i].why) == NULL)
            fail_msg("broken stream %zu: message \"%s\" lacks \"%s\"", i, msg,
                     bad[i].why);
    }
}

static void
evcheck_partial_and_any_args_flags(void **state)
{
    static const char cut[] = START TSTART(0) TDELTA(0, "x");
    static const char args[] = START USTART(0, "t1") UDELTA(0, "{") STOP(0)
        MDELTA("tool_use", "null") MSTOP;
    char msg[256];

    (void)state;
    assert_int_equal(ev_check(cut, strlen(cut), 0, msg, sizeof(msg)), 1);
    assert_int_equal(ev_check(cut, strlen(cut), EV_PARTIAL, msg, sizeof(msg)),
                     0);
    assert_int_equal(ev_check(args, strlen(args), 0, msg, sizeof(msg)), 1);
    assert_int_equal(
        ev_check(args, strlen(args), EV_ANY_ARGS, msg, sizeof(msg)), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reader_golden_cases_in_every_split),
        cmocka_unit_test(line_over_the_cap_is_toobig_in_any_split),
        cmocka_unit_test(event_data_over_the_cap_is_toobig),
        cmocka_unit_test(callback_error_stops_the_reader),
        cmocka_unit_test(writer_emits_the_event_line_first),
        cmocka_unit_test(evcheck_accepts_valid_streams),
        cmocka_unit_test(evcheck_catches_every_violation),
        cmocka_unit_test(evcheck_partial_and_any_args_flags),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("sse", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
