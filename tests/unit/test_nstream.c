/*
 * test_nstream.c: the Anthropic SSE relay (common/nstream.h).
 *
 * Golden pairs tests/data/nstream/<case>.in.sse -> <case>.out.sse, with
 * an optional <case>.meta.json (tests/lib/rmeta.h: "error" the expected
 * code, "max_line").  Each input is fed whole, byte by byte and in
 * pseudo-random pieces (several seeds): every way must give the same
 * bytes and the same result.  The output must equal the golden file byte
 * for byte (the relay keeps the upstream's data text) and pass evcheck;
 * then OOM torture.  A2O_REGEN=1 rewrites the golden outputs (review the
 * diff!).  Shapes evcheck does not know (block types of Anthropic's
 * server tools, several message_delta) are tested one by one below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/nstream.h"
#include "../lib/evcheck.h"
#include "../lib/harness.h"
#include "../lib/rmeta.h"

#define DIR "tests/data/nstream"
#define NSEEDS 6

/* Size of the next piece: mode 0 whole, 1 byte by byte, else random. */
static size_t
piece(int mode, unsigned long long *r, size_t left)
{
    size_t k;

    if (mode == 0)
        return left;
    if (mode == 1)
        return 1;
    *r ^= *r << 13;
    *r ^= *r >> 7;
    *r ^= *r << 17;
    k = (size_t)(*r % 97) + 1;
    return k < left ? k : left;
}

/* Runs one case; output appended to acc.  Returns the first error. */
static enum a2o_err
run(size_t max_line, const char *in, size_t n, int mode, struct a2o_buf *acc,
    struct a2o_diag *d)
{
    struct a2o_nstream_opts o = {max_line};
    struct a2o_nstream *s = a2o_nstream_new(&o);
    unsigned long long r = 0x9e3779b97f4a7c15ULL * (unsigned)(mode + 1);
    size_t pos = 0;
    enum a2o_err err = A2O_E_OK;

    if (s == NULL)
        return A2O_E_NOMEM;
    while (pos < n && err == A2O_E_OK) {
        size_t k = piece(mode, &r, n - pos);

        err = a2o_nstream_feed(s, in + pos, k, acc, d);
        pos += k;
    }
    if (err == A2O_E_OK)
        err = a2o_nstream_finish(s, acc, d);
    /* nothing may follow the end, and the end is reported again; a
     * stream that started has ended, whatever happened (memory short,
     * the caller's buffer may have been freed on the way: not checked) */
    if (err != A2O_E_NOMEM) {
        size_t before = acc->len;
        enum a2o_err again = a2o_nstream_finish(s, acc, d);

        if (a2o_nstream_ping(s, acc) != A2O_E_OK || acc->len != before ||
            again != err || a2o_nstream_started(s) != (acc->len > 0) ||
            (a2o_nstream_started(s) && !a2o_nstream_ended(s)))
            err = A2O_E_INTERNAL;
    }
    a2o_nstream_free(s);
    return err;
}

struct oom_arg {
    size_t max_line;
    const char *in;
    size_t n;
};

static enum a2o_err
oom_one(void *p)
{
    struct oom_arg *a = p;
    struct a2o_buf acc;
    struct a2o_diag d;
    enum a2o_err err;

    a2o_buf_init(&acc, (size_t)1 << 30);
    err = run(a->max_line, a->in, a->n, 2, &acc, &d);
    a2o_buf_free(&acc);
    return err;
}

static void
one_case(const char *in_path, int torture)
{
    struct th_case c;
    struct a2o_buf acc, other;
    struct a2o_diag d;
    char *meta = th_sibling(in_path, ".in.sse", ".meta.json");
    char *out_path = th_sibling(in_path, ".in.sse", ".out.sse");
    char *in, *want, msg[256];
    size_t n, wn;
    enum a2o_err err, e2;
    int mode;

    th_case_load(meta, &c);
    in = th_read_file(in_path, &n);
    a2o_buf_init(&acc, (size_t)1 << 30);
    err = run(c.max_line, in, n, 0, &acc, &d);
    if (err != c.want)
        fail_msg("%s: got %s, want %s (%s)", in_path, a2o_err_name(err),
                 a2o_err_name(c.want), d.msg);
    if (err != A2O_E_OK && d.msg[0] == '\0')
        fail_msg("%s: an error without a message", in_path);
    for (mode = 1; mode < 2 + NSEEDS; mode++) {
        a2o_buf_init(&other, (size_t)1 << 30);
        e2 = run(c.max_line, in, n, mode, &other, &d);
        if (e2 != err || other.len != acc.len ||
            (acc.len > 0 && memcmp(other.p, acc.p, acc.len) != 0)) {
            fprintf(stderr, "--- whole\n%s\n--- split %d\n%s\n",
                    acc.p ? acc.p : "", mode, other.p ? other.p : "");
            a2o_buf_free(&other);
            fail_msg("%s: split mode %d differs from whole feeding", in_path,
                     mode);
        }
        a2o_buf_free(&other);
    }
    /* every output that exists is complete: message_stop or error */
    if (acc.len > 0 && ev_check(acc.p, acc.len, 0, msg, sizeof(msg)) != 0)
        fail_msg("%s: evcheck: %s\n%s", in_path, msg, acc.p);
    if (acc.len == 0 && c.want == A2O_E_OK)
        fail_msg("%s: no output", in_path);
    if (getenv("A2O_REGEN") != NULL) {
        FILE *f = fopen(out_path, "wb");

        assert_non_null(f);
        fwrite(acc.p ? acc.p : "", 1, acc.len, f);
        fclose(f);
    }
    want = th_read_file(out_path, &wn);
    if (wn != acc.len || (wn > 0 && memcmp(want, acc.p, wn) != 0))
        fail_msg("%s: output differs from %s\n--- got\n%s", in_path, out_path,
                 acc.p ? acc.p : "");
    free(want);
    a2o_buf_free(&acc);
    if (torture) {
        struct oom_arg a = {c.max_line, in, n};
        /* cJSON allocates before it finds bad text: a case that fails
         * anyway may fail the same way with memory short */
        enum a2o_err also[] = {c.want, A2O_E_OK};

        th_oom_torture(oom_one, &a, c.want, also);
    }
    free(in);
    free(meta);
    free(out_path);
    th_case_free(&c);
}

static void
golden_streams_match_in_every_split(void **state)
{
    char **names;
    size_t n = th_list(DIR, ".in.sse", &names), i;

    (void)state;
    assert_true(n >= 40);
    for (i = 0; i < n; i++)
        one_case(names[i], 0);
    th_free_list(names, n);
}

static void
golden_streams_survive_oom(void **state)
{
    char **names;
    size_t n = th_list(DIR, ".in.sse", &names), i;

    (void)state;
    for (i = 0; i < n; i++)
        one_case(names[i], 1);
    th_free_list(names, n);
}

/* Per-test fixture: a relay with default options and its buffers. */
struct fx {
    struct a2o_nstream *s;
    struct a2o_buf out;
    struct a2o_diag d;
};

static int
fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    f->s = a2o_nstream_new(NULL);
    a2o_buf_init(&f->out, 1 << 20);
    *state = f;
    return f->s != NULL ? 0 : -1;
}

static int
fx_teardown(void **state)
{
    struct fx *f = *state;

    a2o_buf_free(&f->out);
    a2o_nstream_free(f->s);
    free(f);
    return 0;
}

static enum a2o_err
feed_str(struct fx *f, const char *in)
{
    return a2o_nstream_feed(f->s, in, strlen(in), &f->out, &f->d);
}

#define START                                                                  \
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":"     \
    "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","           \
    "\"model\":\"m\",\"content\":[],\"stop_reason\":null,"                     \
    "\"stop_sequence\":null,\"usage\":{\"input_tokens\":40,"                   \
    "\"cache_read_input_tokens\":8,\"output_tokens\":1}}}\n\n"
#define PING "event: ping\ndata: {\"type\":\"ping\"}\n\n"
#define DELTA_END                                                              \
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"       \
    "{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":"         \
    "{\"output_tokens\":6}}\n\n"
#define STOP "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"

static void
ping_waits_for_message_start(void **state)
{
    struct fx *f = *state;

    assert_int_equal(a2o_nstream_ping(f->s, &f->out), A2O_E_OK);
    assert_int_equal(f->out.len, 0);
    assert_int_equal(a2o_nstream_started(f->s), 0);
    assert_int_equal(feed_str(f, START), A2O_E_OK);
    a2o_buf_reset(&f->out);
    assert_int_equal(a2o_nstream_ping(f->s, &f->out), A2O_E_OK);
    assert_string_equal(f->out.p, PING);
    assert_int_equal(feed_str(f, DELTA_END STOP), A2O_E_OK);
    assert_int_equal(a2o_nstream_ended(f->s), 1);
    a2o_buf_reset(&f->out);
    assert_int_equal(a2o_nstream_ping(f->s, &f->out), A2O_E_OK);
    assert_int_equal(f->out.len, 0);
}

static void
upstream_error_before_start_appends_nothing(void **state)
{
    struct fx *f = *state;

    assert_int_equal(feed_str(f, "event: error\ndata: {\"type\":\"error\","
                                 "\"error\":{\"type\":\"overloaded_error\","
                                 "\"message\":\"Overloaded\"}}\n\n"),
                     A2O_E_OVERLOADED);
    assert_int_equal(f->out.len, 0);
    assert_int_equal(a2o_nstream_started(f->s), 0);
    assert_string_equal(f->d.msg, "Overloaded");
    /* later calls report the same error and still append nothing */
    assert_int_equal(feed_str(f, START), A2O_E_OVERLOADED);
    assert_int_equal(a2o_nstream_finish(f->s, &f->out, &f->d),
                     A2O_E_OVERLOADED);
    assert_int_equal(f->out.len, 0);
}

static void
upstream_error_message_is_made_safe(void **state)
{
    struct fx *f = *state;

    assert_int_equal(feed_str(f, "event: error\ndata: {\"type\":\"error\","
                                 "\"error\":{\"type\":\"authentication_error\","
                                 "\"message\":\"bad key sk-abcdefghijkl"
                                 "mnopqrstuvwxyz0123\\nnext\"}}\n\n"),
                     A2O_E_AUTH);
    assert_null(strstr(f->d.msg, "sk-abc"));
    assert_null(strchr(f->d.msg, '\n'));
}

static void
fail_after_start_sends_error_event_once(void **state)
{
    struct fx *f = *state;
    char msg[256];

    assert_int_equal(feed_str(f, START), A2O_E_OK);
    a2o_diag_set(&f->d, A2O_E_TIMEOUT, NULL, "no data for 300 s");
    assert_int_equal(a2o_nstream_fail(f->s, A2O_E_TIMEOUT, &f->d, &f->out),
                     A2O_E_OK);
    assert_non_null(strstr(f->out.p, "event: error\ndata: {\"type\":\"error\","
                                     "\"error\":{\"type\":\"timeout_error\","
                                     "\"message\":\"no data for 300 s\"}}"));
    assert_int_equal(a2o_nstream_ended(f->s), 1);
    assert_int_equal(ev_check(f->out.p, f->out.len, 0, msg, sizeof(msg)), 0);
    a2o_buf_reset(&f->out);
    assert_int_equal(a2o_nstream_fail(f->s, A2O_E_TIMEOUT, &f->d, &f->out),
                     A2O_E_OK);
    assert_int_equal(a2o_nstream_ping(f->s, &f->out), A2O_E_OK);
    assert_int_equal(a2o_nstream_finish(f->s, &f->out, &f->d), A2O_E_TIMEOUT);
    assert_int_equal(f->out.len, 0);
}

static void
usage_comes_from_start_and_delta(void **state)
{
    struct fx *f = *state;
    struct a2o_usage u;

    assert_int_equal(feed_str(f, START), A2O_E_OK);
    a2o_nstream_usage(f->s, &u);
    assert_int_equal(u.input_tokens, 40);
    assert_int_equal(u.cache_read_input_tokens, 8);
    assert_int_equal(u.output_tokens, 1);
    assert_int_equal(u.estimated, 1); /* no final output count yet */
    assert_int_equal(feed_str(f, DELTA_END STOP), A2O_E_OK);
    a2o_nstream_usage(f->s, &u);
    assert_int_equal(u.input_tokens, 40);
    assert_int_equal(u.output_tokens, 6);
    assert_int_equal(u.cache_read_input_tokens, 8);
    assert_int_equal(u.cache_creation_input_tokens, 0);
    assert_int_equal(u.estimated, 0);
    assert_int_equal(a2o_nstream_finish(f->s, &f->out, NULL), A2O_E_OK);
}

static void
several_message_deltas_are_relayed(void **state)
{
    struct fx *f = *state;

    /* Anthropic's docs: "one or more message_delta events" */
    assert_int_equal(feed_str(f, START DELTA_END DELTA_END STOP), A2O_E_OK);
    assert_string_equal(f->out.p, START DELTA_END DELTA_END STOP);
    assert_int_equal(a2o_nstream_finish(f->s, &f->out, NULL), A2O_E_OK);
}

static void
server_tool_blocks_pass_through(void **state)
{
    static const char in[] =
        START "event: content_block_start\ndata: {\"type\":"
              "\"content_block_start\",\"index\":0,\"content_block\":{"
              "\"type\":\"server_tool_use\",\"id\":\"srvtoolu_1\",\"name\":"
              "\"web_search\",\"input\":{}}}\n\n"
              "event: content_block_delta\ndata: {\"type\":"
              "\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
              "\"input_json_delta\",\"partial_json\":\"{\\\"q\\\":1}\"}}\n\n"
              "event: content_block_stop\ndata: {\"type\":"
              "\"content_block_stop\",\"index\":0}\n\n"
              "event: content_block_start\ndata: {\"type\":"
              "\"content_block_start\",\"index\":1,\"content_block\":{"
              "\"type\":\"web_search_tool_result\",\"tool_use_id\":"
              "\"srvtoolu_1\",\"content\":[]}}\n\n"
              "event: content_block_stop\ndata: {\"type\":"
              "\"content_block_stop\",\"index\":1}\n\n"
              "event: content_block_start\ndata: {\"type\":"
              "\"content_block_start\",\"index\":2,\"content_block\":{"
              "\"type\":\"redacted_thinking\",\"data\":\"EmwKAhgB\"}}\n\n"
              "event: content_block_stop\ndata: {\"type\":"
              "\"content_block_stop\",\"index\":2}\n\n"
              "event: content_block_start\ndata: {\"type\":"
              "\"content_block_start\",\"index\":3,\"content_block\":{"
              "\"type\":\"text\",\"text\":\"\"}}\n\n"
              "event: content_block_delta\ndata: {\"type\":"
              "\"content_block_delta\",\"index\":3,\"delta\":{\"type\":"
              "\"citations_delta\",\"citation\":{\"type\":"
              "\"web_search_result_location\"}}}\n\n"
              "event: content_block_stop\ndata: {\"type\":"
              "\"content_block_stop\",\"index\":3}\n\n" DELTA_END STOP;
    struct fx *f = *state;

    assert_int_equal(feed_str(f, in), A2O_E_OK);
    assert_string_equal(f->out.p, in);
    assert_int_equal(a2o_nstream_finish(f->s, &f->out, NULL), A2O_E_OK);
}

static void
server_tool_input_takes_json_deltas_only(void **state)
{
    struct fx *f = *state;

    assert_int_equal(
        feed_str(f, START "event: content_block_start\ndata: {\"type\":"
                          "\"content_block_start\",\"index\":0,"
                          "\"content_block\":{\"type\":\"server_tool_use\"}}"
                          "\n\nevent: content_block_delta\ndata: {\"type\":"
                          "\"content_block_delta\",\"index\":0,\"delta\":"
                          "{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n"),
        A2O_E_BADGATEWAY);
    assert_non_null(strstr(f->out.p, "event: error\n"));
    assert_int_equal(a2o_nstream_ended(f->s), 1);
}

#define FX(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(golden_streams_match_in_every_split),
        cmocka_unit_test(golden_streams_survive_oom),
        FX(ping_waits_for_message_start),
        FX(upstream_error_before_start_appends_nothing),
        FX(upstream_error_message_is_made_safe),
        FX(fail_after_start_sends_error_event_once),
        FX(usage_comes_from_start_and_delta),
        FX(several_message_deltas_are_relayed),
        FX(server_tool_blocks_pass_through),
        FX(server_tool_input_takes_json_deltas_only),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("nstream", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
