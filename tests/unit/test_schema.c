/* test_schema.c: tool input_schema cleaning, golden pairs per profile. *
 * A2O_REGEN=1 rewrites the golden outputs (review the diff!).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/schema.h"
#include "../lib/harness.h"

#define DIR "tests/data/schema"

/* Profile from "<case>.<profile>.in.json". */
static int
profile_of(const char *name, enum a2o_schema_profile *p)
{
    if (strstr(name, ".gemini.in.json") != NULL)
        *p = A2O_SCHEMA_GEMINI;
    else if (strstr(name, ".seed.in.json") != NULL)
        *p = A2O_SCHEMA_SEED;
    else if (strstr(name, ".none.in.json") != NULL)
        *p = A2O_SCHEMA_NONE;
    else
        return 0;
    return 1;
}

struct one {
    const cJSON *in;
    enum a2o_schema_profile p;
    const cJSON *want; /* NULL: only check that it succeeds */
};

static enum a2o_err
clean_one(void *arg)
{
    struct one *o = arg;
    struct a2o_diag d;
    cJSON *out = NULL;
    enum a2o_err err = a2o_schema_clean(o->in, o->p, &out, &d);

    if (err == A2O_E_OK && o->want != NULL && !cJSON_Compare(o->want, out, 1))
        err = A2O_E_INTERNAL;
    cJSON_Delete(out);
    return err;
}

static void
golden_pairs(void **state)
{
    char **names, path[512];
    size_t n, i;

    (void)state;
    n = th_list(DIR, ".in.json", &names);
    assert_true(n >= 18);
    for (i = 0; i < n; i++) {
        struct one o;
        cJSON *in, *copy, *want, *got = NULL;
        struct a2o_diag d;
        size_t len = strlen(names[i]);

        if (!profile_of(names[i], &o.p))
            fail_msg("%s: no profile in the name", names[i]);
        /* th_list gives "DIR/<case>.<profile>.in.json" */
        in = th_read_json(names[i]);
        snprintf(path, sizeof(path), "%.*s.out.json",
                 (int)(len - strlen(".in.json")), names[i]);
        copy = cJSON_Duplicate(in, 1);
        assert_non_null(copy);

        assert_int_equal(a2o_schema_clean(in, o.p, &got, &d), A2O_E_OK);
        th_regen_json(path, got);
        want = th_read_json(path);
        th_assert_json_equal(want, got, names[i]);
        /* the input is never modified */
        th_assert_json_equal(copy, in, names[i]);
        cJSON_Delete(got);

        /* cleaning is idempotent: clean output again, same result */
        assert_int_equal(a2o_schema_clean(want, o.p, &got, &d), A2O_E_OK);
        th_assert_json_equal(want, got, names[i]);
        cJSON_Delete(got);

        /* and survives every allocation failure */
        o.in = in;
        o.want = want;
        th_oom_torture(clean_one, &o, A2O_E_OK, NULL);

        cJSON_Delete(copy);
        cJSON_Delete(in);
        cJSON_Delete(want);
    }
    th_free_list(names, n);
}

static void
non_object_is_rejected(void **state)
{
    static const char *const bad[] = {"[]", "\"x\"", "true", "null", "3"};
    struct a2o_diag d;
    cJSON *out = NULL, *in;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        in = cJSON_Parse(bad[i]);
        assert_non_null(in);
        a2o_diag_clear(&d);
        assert_int_equal(a2o_schema_clean(in, A2O_SCHEMA_GEMINI, &out, &d),
                         A2O_E_BADREQ);
        assert_null(out);
        assert_string_equal(d.path, "input_schema");
        assert_string_equal(d.msg, "expected a JSON Schema object");
        cJSON_Delete(in);
    }
    assert_int_equal(a2o_schema_clean(NULL, A2O_SCHEMA_SEED, &out, &d),
                     A2O_E_BADREQ);
}

/* {"type":"object","properties":{"a":{...}}} nested `levels` deep. */
static cJSON *
nested(int levels)
{
    cJSON *root = cJSON_CreateObject(), *cur = root;
    int i;

    for (i = 0; i < levels; i++) {
        cJSON *props = cJSON_AddObjectToObject(cur, "properties");

        cur = cJSON_AddObjectToObject(props, "a");
    }
    cJSON_AddStringToObject(cur, "type", "string");
    return root;
}

static void
deep_schemas_fail_cleanly(void **state)
{
    static const enum a2o_schema_profile ps[] = {A2O_SCHEMA_SEED,
                                                 A2O_SCHEMA_GEMINI};
    struct a2o_diag d;
    cJSON *ok = nested(12), *deep = nested(500), *out = NULL;
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        assert_int_equal(a2o_schema_clean(ok, ps[i], &out, &d), A2O_E_OK);
        th_assert_json_equal(ok, out, "12 levels");
        cJSON_Delete(out);
        out = NULL;
        a2o_diag_clear(&d);
        assert_int_equal(a2o_schema_clean(deep, ps[i], &out, &d), A2O_E_BADREQ);
        assert_null(out);
        assert_string_equal(d.path, "input_schema");
        assert_string_equal(d.msg, "schema nested deeper than 64 levels");
    }
    /* "none" copies without walking schema keywords */
    assert_int_equal(a2o_schema_clean(deep, A2O_SCHEMA_NONE, &out, &d),
                     A2O_E_OK);
    cJSON_Delete(out);
    cJSON_Delete(ok);
    cJSON_Delete(deep);
}

/* A chain of $refs that each add a level: cut, never unbounded. */
static void
ref_chains_are_bounded(void **state)
{
    struct a2o_diag d;
    cJSON *in, *out = NULL, *defs;
    char name[16], ref[32];
    int i;

    (void)state;
    in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "$ref", "#/$defs/d0");
    defs = cJSON_AddObjectToObject(in, "$defs");
    for (i = 0; i < 40; i++) {
        cJSON *def, *props, *a;

        snprintf(name, sizeof(name), "d%d", i);
        snprintf(ref, sizeof(ref), "#/$defs/d%d", i + 1);
        def = cJSON_AddObjectToObject(defs, name);
        cJSON_AddStringToObject(def, "type", "object");
        props = cJSON_AddObjectToObject(def, "properties");
        a = cJSON_AddObjectToObject(props, "a");
        cJSON_AddStringToObject(a, "$ref", ref);
    }
    assert_int_equal(a2o_schema_clean(in, A2O_SCHEMA_GEMINI, &out, &d),
                     A2O_E_OK);
    {
        char *text = cJSON_PrintUnformatted(out);

        assert_non_null(text);
        assert_null(strstr(text, "$ref"));
        assert_null(strstr(text, "$defs"));
        cJSON_free(text);
    }
    cJSON_Delete(out);
    cJSON_Delete(in);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(golden_pairs),
        cmocka_unit_test(non_object_is_rejected),
        cmocka_unit_test(deep_schemas_fail_cleanly),
        cmocka_unit_test(ref_chains_are_bounded),
    };

    th_alloc_init();
    return cmocka_run_group_tests_name("schema", tests, th_setup_leaks,
                                       th_teardown_leaks);
}
