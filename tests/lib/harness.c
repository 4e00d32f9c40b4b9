/*
 * harness.c: counting allocator, OOM torture and fixture helpers.
 */
#include "harness.h"

#include "../../common/json.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static long live;    /* allocations not yet freed */
static long count;   /* allocations since the last arm */
static long fail_at; /* 0 = never fail */
static int fired;
static unsigned long failures; /* allocations that returned NULL */

static void *
th_malloc(size_t n)
{
    void *p;

    count++;
    if (fail_at > 0 && count == fail_at) {
        fired = 1;
        failures++;
        return NULL;
    }
    p = malloc(n);
    if (p != NULL)
        live++;
    else
        failures++;
    return p;
}

static void
th_free(void *p)
{
    if (p == NULL)
        return;
    live--;
    free(p);
}

void
th_alloc_init(void)
{
    cJSON_Hooks h = {th_malloc, th_free};

    cJSON_InitHooks(&h);
}

long
th_alloc_live(void)
{
    return live;
}

void
th_alloc_fail_at(long n)
{
    count = 0;
    fail_at = n;
    fired = 0;
}

int
th_alloc_failed(void)
{
    return fired;
}

/* common/json.h: the failed allocations so far (the tests run on one
 * thread). */
unsigned long
a2o_alloc_failures(void)
{
    return failures;
}

int
th_setup_leaks(void **state)
{
    (void)state;
    th_alloc_fail_at(0);
    *state = (void *)(intptr_t)live;
    return 0;
}

int
th_teardown_leaks(void **state)
{
    long before = (long)(intptr_t)*state;

    th_alloc_fail_at(0);
    if (live != before) {
        fprintf(stderr, "leak: %ld allocation(s) still live\n", live - before);
        return -1;
    }
    return 0;
}

long
th_oom_torture(enum a2o_err (*fn)(void *arg), void *arg, enum a2o_err want,
               const enum a2o_err *also_ok)
{
    long n, before;
    enum a2o_err err;

    for (n = 1;; n++) {
        before = live;
        th_alloc_fail_at(n);
        err = fn(arg);
        if (live != before) {
            th_alloc_fail_at(0);
            fail_msg("allocation %ld failing: %ld allocation(s) leaked", n,
                     live - before);
        }
        if (!fired) {
            th_alloc_fail_at(0);
            if (err != want)
                fail_msg("clean run returned %s, want %s", a2o_err_name(err),
                         a2o_err_name(want));
            return n - 1;
        }
        if (err != A2O_E_NOMEM) {
            const enum a2o_err *e;
            int ok = 0;

            for (e = also_ok; e != NULL && *e != A2O_E_OK; e++)
                if (*e == err)
                    ok = 1;
            if (!ok) {
                th_alloc_fail_at(0);
                fail_msg("allocation %ld failing returned %s, want NOMEM", n,
                         a2o_err_name(err));
            }
        }
        if (n > 10000000) {
            th_alloc_fail_at(0);
            fail_msg("OOM torture did not converge");
        }
    }
}

char *
th_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    size_t len = 0, cap = 0, got;

    if (f == NULL)
        fail_msg("cannot open %s", path);
    for (;;) {
        if (cap - len < 65536) {
            char *q;

            cap = cap ? cap * 2 : 131072;
            q = realloc(p, cap + 1);
            if (q == NULL) {
                fclose(f);
                free(p);
                fail_msg("out of memory reading %s", path);
            }
            p = q;
        }
        got = fread(p + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    p[len] = '\0';
    if (n != NULL)
        *n = len;
    return p;
}

cJSON *
th_read_json(const char *path)
{
    size_t n;
    char *text = th_read_file(path, &n);
    cJSON *j = cJSON_ParseWithLength(text, n);

    free(text);
    if (j == NULL)
        fail_msg("%s is not valid JSON", path);
    return j;
}

void
th_assert_json_equal(const cJSON *want, const cJSON *got, const char *what)
{
    char *w, *g;

    if (cJSON_Compare(want, got, 1))
        return;
    w = cJSON_Print(want);
    g = cJSON_Print(got);
    fprintf(stderr, "%s: JSON differs\n--- want\n%s\n--- got\n%s\n", what,
            w ? w : "(null)", g ? g : "(null)");
    cJSON_free(w);
    cJSON_free(g);
    fail_msg("%s: JSON differs", what);
}

static int
cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t
th_list(const char *dir, const char *suffix, char ***names)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **v = NULL;
    size_t n = 0, sl = strlen(suffix);

    if (d == NULL)
        fail_msg("cannot open directory %s", dir);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        char **nv;

        if (l < sl || strcmp(e->d_name + l - sl, suffix) != 0)
            continue;
        nv = realloc(v, (n + 1) * sizeof(*v));
        if (nv == NULL)
            fail_msg("out of memory");
        v = nv;
        v[n] = malloc(strlen(dir) + l + 2);
        if (v[n] == NULL)
            fail_msg("out of memory");
        sprintf(v[n], "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n > 0)
        qsort(v, n, sizeof(*v), cmpstr);
    *names = v;
    return n;
}

void
th_free_list(char **names, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

void
th_regen_json(const char *path, const cJSON *got)
{
    char *text;
    FILE *f;

    if (getenv("A2O_REGEN") == NULL)
        return;
    text = cJSON_Print(got);
    f = fopen(path, "wb");
    assert_non_null(text);
    assert_non_null(f);
    fprintf(f, "%s\n", text);
    fclose(f);
    cJSON_free(text);
}
