/*
 * test_stream.c: the stream converter (common/stream.h).
 *
 * Golden pairs tests/data/stream/<case>.in.sse -> <case>.out.sse, with an
 * optional <case>.meta.json (tests/lib/rmeta.h).  Each input is fed
 * whole, byte by byte and in pseudo-random pieces (several seeds): every
 * way must give the same bytes and the same result.  The output is
 * compared event by event with the golden file and checked by evcheck
 * against every invariant of common/README.md §5; then OOM torture.
 * A2O_REGEN=1 rewrites the golden outputs (review the diff!).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/stream.h"
#include "../lib/evcheck.h"
#include "../lib/harness.h"
#include "../lib/rmeta.h"

#define DIR "tests/data/stream"
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
run(const struct th_case *c, const char *in, size_t n, int mode,
    struct a2o_buf *acc, struct a2o_diag *d)
{
    struct a2o_stream_opts o;
    struct a2o_stream *s;
    unsigned long long r = 0x9e3779b97f4a7c15ULL * (unsigned)(mode + 1);
    size_t pos = 0;
    enum a2o_err err = A2O_E_OK;

    memset(&o, 0, sizeof(o));
    o.meta = &c->meta;
    o.profile = &c->profile;
    o.msg_id = "msg_test0001";
    o.seed = c->seed;
    o.upstream = c->upstream;
    o.max_line = c->max_line;
    o.max_block = c->max_block;
    s = a2o_stream_new(&o);
    if (s == NULL)
        return A2O_E_NOMEM;
    while (pos < n && err == A2O_E_OK) {
        size_t k = piece(mode, &r, n - pos);

        err = a2o_stream_feed(s, in + pos, k, acc, d);
        pos += k;
    }
    if (err == A2O_E_OK)
        err = a2o_stream_finish(s, acc, d);
    /* nothing may follow the end, and the end is reported again */
    if (err == A2O_E_OK || a2o_stream_ended(s)) {
        size_t before = acc->len;
        enum a2o_err again = a2o_stream_finish(s, acc, d);

        if (acc->len != before || again != err)
            err = A2O_E_INTERNAL;
    }
    a2o_stream_free(s);
    return err;
}

static void
compare_events(const char *want, size_t wn, const char *got, size_t gn,
               const char *what)
{
    struct ev_frame *a, *b;
    size_t na, nb, i;
    char msg[256];

    if (ev_parse(want, wn, &a, &na, msg, sizeof(msg)))
        fail_msg("%s: golden file: %s", what, msg);
    if (ev_parse(got, gn, &b, &nb, msg, sizeof(msg))) {
        ev_free(a, na);
        fail_msg("%s: output: %s\n%.*s", what, msg, (int)gn, got);
    }
    for (i = 0; i < na && i < nb; i++) {
        if (strcmp(a[i].name, b[i].name) != 0 ||
            !cJSON_Compare(a[i].data, b[i].data, 1))
            break;
    }
    if (i < na || i < nb) {
        fprintf(stderr, "%s: event %zu differs\n--- got\n%.*s\n", what, i,
                (int)gn, got);
        ev_free(a, na);
        ev_free(b, nb);
        fail_msg("%s: event %zu differs", what, i);
    }
    ev_free(a, na);
    ev_free(b, nb);
}

struct oom_arg {
    const struct th_case *c;
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
    err = run(a->c, a->in, a->n, 2, &acc, &d);
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
    err = run(&c, in, n, 0, &acc, &d);
    if (err != c.want)
        fail_msg("%s: got %s, want %s (%s)", in_path, a2o_err_name(err),
                 a2o_err_name(c.want), d.msg);
    for (mode = 1; mode < 2 + NSEEDS; mode++) {
        a2o_buf_init(&other, (size_t)1 << 30);
        e2 = run(&c, in, n, mode, &other, &d);
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
    if (acc.len > 0 &&
        ev_check(acc.p, acc.len, c.evflags, msg, sizeof(msg)) != 0)
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
    compare_events(want, wn, acc.p ? acc.p : "", acc.len, in_path);
    free(want);
    a2o_buf_free(&acc);
    if (torture) {
        struct oom_arg a = {&c, in, n};
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
golden_pairs_match_in_every_split(void **state)
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
golden_pairs_survive_oom(void **state)
{
    char **names;
    size_t n = th_list(DIR, ".in.sse", &names), i;

    (void)state;
    for (i = 0; i < n; i++)
        one_case(names[i], 1);
    th_free_list(names, n);
}

/* Per-test fixture: a stream with default options and its buffers. */
struct fx {
    struct th_case c;
    struct a2o_stream *s;
    struct a2o_buf out;
    struct a2o_diag d;
};

static int
fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct a2o_stream_opts o;

    if (f == NULL)
        return -1;
    th_case_load("/nonexistent", &f->c);
    memset(&o, 0, sizeof(o));
    o.meta = &f->c.meta;
    o.profile = &f->c.profile;
    o.msg_id = "msg_x";
    o.seed = 1;
    f->s = a2o_stream_new(&o);
    a2o_buf_init(&f->out, 1 << 20);
    *state = f;
    return f->s != NULL ? 0 : -1;
}

static int
fx_teardown(void **state)
{
    struct fx *f = *state;

    a2o_buf_free(&f->out);
    a2o_stream_free(f->s);
    th_case_free(&f->c);
    free(f);
    return 0;
}

static enum a2o_err
feed_str(struct fx *f, const char *in)
{
    return a2o_stream_feed(f->s, in, strlen(in), &f->out, &f->d);
}

static void
begin_emits_start_and_ping_once(void **state)
{
    struct fx *f = *state;

    assert_int_equal(a2o_stream_started(f->s), 0);
    assert_int_equal(a2o_stream_begin(f->s, &f->out), A2O_E_OK);
    assert_int_equal(a2o_stream_started(f->s), 1);
    assert_non_null(strstr(f->out.p, "event: message_start\n"));
    assert_non_null(strstr(f->out.p, "event: ping\n"));
    a2o_buf_reset(&f->out);
    assert_int_equal(a2o_stream_begin(f->s, &f->out), A2O_E_OK);
    assert_int_equal(f->out.len, 0);
    assert_int_equal(a2o_stream_ping(f->s, &f->out), A2O_E_OK);
    assert_string_equal(f->out.p, "event: ping\ndata: {\"type\":\"ping\"}\n\n");
}

static void
error_before_start_appends_nothing(void **state)
{
    struct fx *f = *state;

    assert_int_equal(feed_str(f, "data: {\"error\":{\"message\":\"Rate limit "
                                 "exceeded\",\"code\":429}}\n\n"),
                     A2O_E_RATELIMIT);
    assert_int_equal(f->out.len, 0);
    assert_int_equal(a2o_stream_started(f->s), 0);
    assert_string_equal(f->d.msg, "Rate limit exceeded");
    /* later calls report the same error and still append nothing */
    assert_int_equal(a2o_stream_finish(f->s, &f->out, &f->d), A2O_E_RATELIMIT);
    assert_int_equal(f->out.len, 0);
}

static void
fail_after_start_sends_error_event_once(void **state)
{
    struct fx *f = *state;
    char msg[256];

    assert_int_equal(
        feed_str(f, "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}"
                    "\n\n"),
        A2O_E_OK);
    a2o_diag_set(&f->d, A2O_E_TIMEOUT, NULL, "no data for 300 s");
    assert_int_equal(a2o_stream_fail(f->s, A2O_E_TIMEOUT, &f->d, &f->out),
                     A2O_E_OK);
    assert_non_null(strstr(f->out.p, "event: error\ndata: {\"type\":\"error\","
                                     "\"error\":{\"type\":\"timeout_error\","
                                     "\"message\":\"no data for 300 s\"}}"));
    assert_int_equal(a2o_stream_ended(f->s), 1);
    assert_int_equal(ev_check(f->out.p, f->out.len, 0, msg, sizeof(msg)), 0);
    a2o_buf_reset(&f->out);
    assert_int_equal(a2o_stream_fail(f->s, A2O_E_TIMEOUT, &f->d, &f->out),
                     A2O_E_OK);
    assert_int_equal(a2o_stream_ping(f->s, &f->out), A2O_E_OK);
    assert_int_equal(a2o_stream_finish(f->s, &f->out, &f->d), A2O_E_TIMEOUT);
    assert_int_equal(f->out.len, 0);
}

static void
usage_is_reported_after_finish(void **state)
{
    struct fx *f = *state;
    struct a2o_usage u;

    assert_int_equal(
        feed_str(f, "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"},"
                    "\"finish_reason\":\"stop\"}]}\n\n"
                    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":50,"
                    "\"completion_tokens\":7,\"prompt_tokens_details\":"
                    "{\"cached_tokens\":20}}}\n\n"),
        A2O_E_OK);
    /* the usage chunk completes the message: no need to wait for EOF */
    assert_int_equal(a2o_stream_ended(f->s), 1);
    a2o_stream_usage(f->s, &u);
    assert_int_equal(u.input_tokens, 30);
    assert_int_equal(u.output_tokens, 7);
    assert_int_equal(u.cache_read_input_tokens, 20);
    assert_int_equal(u.estimated, 0);
    assert_int_equal(a2o_stream_finish(f->s, &f->out, NULL), A2O_E_OK);
}

static void
usage_without_upstream_numbers_is_estimated(void **state)
{
    struct fx *f = *state;
    struct a2o_usage u;

    assert_int_equal(feed_str(f, "data: {\"choices\":[{\"delta\":{\"content\":"
                                 "\"0123456789abcdef\"}}]}\n\n"),
                     A2O_E_OK);
    assert_int_equal(a2o_stream_finish(f->s, &f->out, NULL), A2O_E_OK);
    a2o_stream_usage(f->s, &u);
    assert_int_equal(u.input_tokens, 100); /* meta->input_estimate */
    assert_int_equal(u.output_tokens, 4);  /* 16 bytes / 4 */
    assert_int_equal(u.estimated, 1);
}

static void
nothing_usable_is_bad_gateway(void **state)
{
    struct fx *f = *state;

    assert_int_equal(feed_str(f, ": keep-alive\n\ndata: [DONE]\n\n"),
                     A2O_E_BADGATEWAY);
    assert_int_equal(f->out.len, 0);
}

#define FX(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(golden_pairs_match_in_every_split),
        cmocka_unit_test(golden_pairs_survive_oom),
        FX(begin_emits_start_and_ping_once),
        FX(error_before_start_appends_nothing),
        FX(fail_after_start_sends_error_event_once),
        FX(usage_is_reported_after_finish),
        FX(usage_without_upstream_numbers_is_estimated),
        FX(nothing_usable_is_bad_gateway),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("stream", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
