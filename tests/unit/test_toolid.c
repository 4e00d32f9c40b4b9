/* test_toolid.c: tool ids and names that survive the client round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/toolid.h"
#include "../lib/harness.h"

/* Encodes (id, sig), checks the client id is valid, decodes it back. */
static void
round_trip(const char *id, const char *sig, int want_verbatim)
{
    struct a2o_buf enc, gid, gsig;
    size_t sign = sig != NULL ? strlen(sig) : 0;

    a2o_buf_init(&enc, 1 << 20);
    a2o_buf_init(&gid, 1 << 20);
    a2o_buf_init(&gsig, 1 << 20);
    assert_int_equal(a2o_toolid_encode(id, strlen(id), sig, sign, &enc),
                     A2O_E_OK);
    assert_true(a2o_toolid_valid(enc.p, enc.len));
    if (want_verbatim)
        assert_string_equal(enc.p, id);
    else
        assert_memory_equal(enc.p, A2O_TOOLID_PREFIX,
                            strlen(A2O_TOOLID_PREFIX));
    assert_int_equal(a2o_toolid_decode(enc.p, enc.len, &gid, &gsig), A2O_E_OK);
    assert_int_equal(gid.len, strlen(id));
    assert_memory_equal(gid.p, id, gid.len);
    assert_int_equal(gsig.len, sign);
    if (sign > 0)
        assert_memory_equal(gsig.p, sig, sign);
    a2o_buf_free(&enc);
    a2o_buf_free(&gid);
    a2o_buf_free(&gsig);
}

static void
valid_ids_pass_through_unchanged(void **state)
{
    (void)state;
    round_trip("call_abc123", NULL, 1);
    round_trip("toolu_01ABCdef-_x", NULL, 1);
    round_trip("a", NULL, 1);
}

static void
kimi_ids_are_encoded_and_restored(void **state)
{
    (void)state;
    round_trip("functions.Bash:0", NULL, 0);
    round_trip("functions.mcp__github__create_issue:12", NULL, 0);
    round_trip("id with spaces/and \"quotes\"", NULL, 0);
    round_trip("\xc3\xa9t\xc3\xa9", NULL, 0); /* UTF-8 survives */
}

static void
gemini_signatures_travel_inside_the_id(void **state)
{
    (void)state;
    /* real signatures are standard base64 with + / = */
    round_trip("call_1", "CiQBcsjafE+9/xYz==", 0);
    round_trip("functions.Read:3", "a+b/c=", 0);
    /* every length modulo 3 of the joined payload */
    round_trip("x", "s", 0);
    round_trip("xy", "s", 0);
    round_trip("xyz", "s", 0);
    /* sig pointer with length 0 means no signature */
    round_trip("call_2", "", 1);
}

static void
valid_id_with_our_prefix_is_encoded_to_stay_unambiguous(void **state)
{
    (void)state;
    /* "toolu_a2o_YWJj" would otherwise decode to "abc" */
    round_trip("toolu_a2o_YWJj", NULL, 0);
    round_trip(A2O_TOOLID_PREFIX "x", NULL, 0);
}

static void
long_ids_and_signatures_round_trip(void **state)
{
    char id[201], sig[1001];
    size_t i;

    (void)state;
    for (i = 0; i < 200; i++)
        id[i] = "ab:.c"[i % 5];
    id[200] = '\0';
    for (i = 0; i < 1000; i++)
        sig[i] = "A+/=z9"[i % 6];
    sig[1000] = '\0';
    round_trip(id, NULL, 0);
    round_trip(id, sig, 0);
}

/* Decoding something that is not exactly ours copies it unchanged. */
static void
decode_copies_garbage_unchanged(void **state)
{
    static const char *const rows[] = {
        "toolu_01XYZ",       /* plain Anthropic id */
        "toolu_a2o_",        /* prefix only */
        "toolu_a2o_A",       /* impossible length (1 mod 4) */
        "toolu_a2o_YW!j",    /* not a base64url digit */
        "toolu_a2o_YWJ=",    /* padding is never written */
        "toolu_a2o_YR",      /* non-zero trailing bits */
        "toolu_a2o_AA",      /* decodes to a NUL byte: empty id */
        "toolu_a2o_YQA",     /* "a" NUL, empty signature */
        "toolu_a2o__w",      /* 0xff: not UTF-8 */
        "toolu_a2o_YQBhAGE", /* "a" NUL "a" NUL "a": NUL in sig */
        "functions.Bash:0",  /* invalid, not ours: left alone */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct a2o_buf id, sig;

        a2o_buf_init(&id, 1000);
        a2o_buf_init(&sig, 1000);
        assert_int_equal(a2o_toolid_decode(rows[i], strlen(rows[i]), &id, &sig),
                         A2O_E_OK);
        assert_string_equal(id.p, rows[i]);
        assert_int_equal(sig.len, 0);
        a2o_buf_free(&id);
        a2o_buf_free(&sig);
    }
}

static void
validity_follows_anthropic_pattern(void **state)
{
    (void)state;
    assert_true(a2o_toolid_valid("aZ09_-", 6));
    assert_false(a2o_toolid_valid("", 0));
    assert_false(a2o_toolid_valid(NULL, 0));
    assert_false(a2o_toolid_valid("a.b", 3));
    assert_false(a2o_toolid_valid("a:b", 3));
    assert_false(a2o_toolid_valid("a b", 3));
    assert_false(a2o_toolid_valid("a\0b", 3));
    assert_false(a2o_toolid_valid("\xc3\xa9", 2));
}

static void
encode_respects_the_buffer_cap(void **state)
{
    struct a2o_buf b;

    (void)state;
    a2o_buf_init(&b, 12);
    assert_int_equal(a2o_toolid_encode("functions.Bash:0", 16, NULL, 0, &b),
                     A2O_E_TOOBIG);
    assert_null(b.p);
}

static void
made_ids_are_valid_distinct_and_deterministic(void **state)
{
    unsigned long long s1 = 42, s2 = 42, z = 0;
    char a[31], b[31], c[31];
    size_t i;

    (void)state;
    a2o_toolid_make(&s1, a);
    a2o_toolid_make(&s1, b);
    a2o_toolid_make(&s2, c);
    assert_int_equal(strlen(a), 30);
    assert_memory_equal(a, "toolu_", 6);
    for (i = 6; i < 30; i++)
        assert_true((a[i] >= 'a' && a[i] <= 'z') ||
                    (a[i] >= 'A' && a[i] <= 'Z') ||
                    (a[i] >= '0' && a[i] <= '9'));
    assert_true(a2o_toolid_valid(a, 30));
    assert_string_not_equal(a, b);
    assert_string_equal(a, c); /* same seed, same id: golden tests */
    a2o_toolid_make(&z, a);    /* seed 0 must not get stuck */
    a2o_toolid_make(&z, b);
    assert_string_not_equal(a, b);
}

static void
short_names_are_kept_long_ones_shortened(void **state)
{
    char name[201], out[65], out2[65];
    size_t i;

    (void)state;
    a2o_toolname_short("Bash", out);
    assert_string_equal(out, "Bash");
    for (i = 0; i < 64; i++)
        name[i] = 'n';
    name[64] = '\0';
    a2o_toolname_short(name, out);
    assert_string_equal(out, name); /* exactly 64: kept */

    for (i = 0; i < 200; i++)
        name[i] = (char)('a' + i % 26);
    name[200] = '\0';
    a2o_toolname_short(name, out);
    assert_int_equal(strlen(out), 64);
    assert_memory_equal(out, name, 55);
    assert_int_equal(out[55], '_');
    a2o_toolname_short(name, out2);
    assert_string_equal(out, out2); /* deterministic across turns */
    name[199] = 'Z';                /* differs only past the prefix */
    a2o_toolname_short(name, out2);
    assert_memory_equal(out, out2, 56);
    assert_string_not_equal(out, out2);
}

static void
short_names_never_split_utf8(void **state)
{
    char name[101], out[65];
    size_t i;

    (void)state;
    /* "ab" then 2-byte characters: byte 55 is a continuation byte */
    name[0] = 'a';
    name[1] = 'b';
    for (i = 2; i + 1 < 98; i += 2) {
        name[i] = '\xc3';
        name[i + 1] = '\xa9';
    }
    name[98] = 'z';
    name[99] = 'z';
    name[100] = '\0';
    a2o_toolname_short(name, out);
    assert_int_equal(strlen(out), 63);
    assert_int_equal(out[54], '_');
}

static enum a2o_err
encode_decode_once(void *arg)
{
    struct a2o_buf enc, id, sig;
    enum a2o_err err;

    (void)arg;
    a2o_buf_init(&enc, 1 << 20);
    a2o_buf_init(&id, 1 << 20);
    a2o_buf_init(&sig, 1 << 20);
    err = a2o_toolid_encode("functions.Bash:0", 16, "sig+/=", 6, &enc);
    if (err == A2O_E_OK)
        err = a2o_toolid_decode(enc.p, enc.len, &id, &sig);
    if (err == A2O_E_OK &&
        (strcmp(id.p, "functions.Bash:0") != 0 || strcmp(sig.p, "sig+/=") != 0))
        err = A2O_E_INTERNAL;
    a2o_buf_free(&enc);
    a2o_buf_free(&id);
    a2o_buf_free(&sig);
    return err;
}

static void
encode_and_decode_survive_allocation_failures(void **state)
{
    (void)state;
    assert_true(th_oom_torture(encode_decode_once, NULL, A2O_E_OK, NULL) >= 4);
}

/* A signature carries the tag of its upstream; old ids decode untagged. */
static void
upstream_tags_travel_with_signatures(void **state)
{
    struct a2o_buf enc, gid, gsig;
    char tag[A2O_TOOLID_TAG_LEN + 1], t2[A2O_TOOLID_TAG_LEN + 1], got[9];

    (void)state;
    a2o_toolid_tag("http://litellm:4000/v1", tag);
    a2o_toolid_tag("https://openrouter.ai/api/v1", t2);
    assert_int_equal(strlen(tag), A2O_TOOLID_TAG_LEN);
    assert_string_not_equal(tag, t2);
    a2o_toolid_tag(NULL, t2);
    assert_string_equal(t2, "");
    a2o_toolid_tag("http://litellm:4000/v1", t2);
    assert_string_equal(t2, tag); /* deterministic */
    a2o_buf_init(&enc, 1 << 20);
    a2o_buf_init(&gid, 1 << 20);
    a2o_buf_init(&gsig, 1 << 20);
    assert_int_equal(
        a2o_toolid_encode_tagged("call_1", 6, "c2ln", 4, tag, &enc), A2O_E_OK);
    assert_true(a2o_toolid_valid(enc.p, enc.len));
    assert_int_equal(a2o_toolid_decode_tagged(enc.p, enc.len, &gid, &gsig, got),
                     A2O_E_OK);
    assert_string_equal(gid.p, "call_1");
    assert_string_equal(gsig.p, "c2ln");
    assert_string_equal(got, tag);
    /* the plain decoder gives the same id and signature, no tag */
    a2o_buf_reset(&gid);
    a2o_buf_reset(&gsig);
    assert_int_equal(a2o_toolid_decode(enc.p, enc.len, &gid, &gsig), A2O_E_OK);
    assert_string_equal(gid.p, "call_1");
    assert_string_equal(gsig.p, "c2ln");
    /* an id made before tags: signature, empty tag */
    a2o_buf_reset(&enc);
    a2o_buf_reset(&gid);
    a2o_buf_reset(&gsig);
    assert_int_equal(a2o_toolid_encode("call_1", 6, "c2ln", 4, &enc), A2O_E_OK);
    assert_int_equal(a2o_toolid_decode_tagged(enc.p, enc.len, &gid, &gsig, got),
                     A2O_E_OK);
    assert_string_equal(gsig.p, "c2ln");
    assert_string_equal(got, "");
    /* a tag that is not 8 hex digits: not ours, copied verbatim */
    a2o_buf_reset(&enc);
    a2o_buf_reset(&gid);
    a2o_buf_reset(&gsig);
    assert_int_equal(
        a2o_toolid_encode_tagged("call_1", 6, "c2ln", 4, "XYZ", &enc),
        A2O_E_OK);
    assert_int_equal(a2o_toolid_decode_tagged(enc.p, enc.len, &gid, &gsig, got),
                     A2O_E_OK);
    assert_int_equal(gid.len, enc.len);
    assert_int_equal(gsig.len, 0);
    assert_string_equal(got, "");
    a2o_buf_free(&enc);
    a2o_buf_free(&gid);
    a2o_buf_free(&gsig);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_ids_pass_through_unchanged),
        cmocka_unit_test(kimi_ids_are_encoded_and_restored),
        cmocka_unit_test(gemini_signatures_travel_inside_the_id),
        cmocka_unit_test(
            valid_id_with_our_prefix_is_encoded_to_stay_unambiguous),
        cmocka_unit_test(long_ids_and_signatures_round_trip),
        cmocka_unit_test(decode_copies_garbage_unchanged),
        cmocka_unit_test(validity_follows_anthropic_pattern),
        cmocka_unit_test(encode_respects_the_buffer_cap),
        cmocka_unit_test(made_ids_are_valid_distinct_and_deterministic),
        cmocka_unit_test(short_names_are_kept_long_ones_shortened),
        cmocka_unit_test(short_names_never_split_utf8),
        cmocka_unit_test(encode_and_decode_survive_allocation_failures),
        cmocka_unit_test(upstream_tags_travel_with_signatures),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("toolid", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
