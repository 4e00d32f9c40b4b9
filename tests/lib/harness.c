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

/* The JSON in the file at path (which must exist), or NULL. */
static cJSON *
parse_file(const char *path)
{
    size_t n;
    char *text = th_read_file(path, &n);
    cJSON *j = cJSON_ParseWithLength(text, n);

    free(text);
    return j;
}

cJSON *
th_read_json(const char *path)
{
    cJSON *j = parse_file(path);

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

int
th_regen(void)
{
    return getenv("A2O_REGEN") != NULL;
}

/* Writes p[0..n), then "\n" when nl, as the file at path. */
static void
write_file(const char *path, const void *p, size_t n, int nl)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL)
        fail_msg("%s: cannot write", path);
    if (fwrite(p, 1, n, f) != n || (nl && fputc('\n', f) == EOF) ||
        fclose(f) != 0)
        fail_msg("%s: write failed", path);
}

/* 1 when the file at path holds JSON equal to got (cJSON_Compare, as
 * the tests compare); 0 when it differs, is not JSON or is missing. */
static int
same_json(const char *path, const cJSON *got)
{
    FILE *f = fopen(path, "rb");
    cJSON *old;
    int same;

    if (f == NULL)
        return 0;
    fclose(f);
    old = parse_file(path);
    same = old != NULL && cJSON_Compare(old, got, 1);
    cJSON_Delete(old);
    return same;
}

void
th_regen_file(const char *path, const void *p, size_t n)
{
    FILE *f;
    char *old = NULL;
    size_t oldn = 0;

    if (!th_regen())
        return;
    f = fopen(path, "rb");
    if (f != NULL) {
        fclose(f);
        old = th_read_file(path, &oldn);
    }
    if (old == NULL || oldn != n || memcmp(old, p, n) != 0)
        write_file(path, p, n, 0);
    free(old);
}

/* How a golden file is laid out, so that a rewrite keeps it. */
struct layout {
    int tabs;         /* cJSON_Print's layout (tabs) */
    int indent;       /* else spaces per level, one value a line; 0: all
                       * on one line, as below */
    const char *isep; /* between items on one line: "," or ", " */
    const char *ksep; /* between key and value: ":" or ": " */
    int nl;           /* a "\n" at the end */
};

/* The layout of text: cJSON_Print's, or that of Python's json.dumps
 * with indent=N or none (the hand-made goldens).  Without text (a new
 * file) cJSON_Print's. */
static void
layout_of(const char *text, struct layout *l)
{
    const char *nl = text != NULL ? strchr(text, '\n') : NULL;
    size_t n = text != NULL ? strlen(text) : 0;

    memset(l, 0, sizeof(*l));
    l->isep = ", ";
    l->ksep = ": ";
    l->nl = 1;
    if (text == NULL || strstr(text, "\n\t") != NULL) {
        l->tabs = 1;
        return;
    }
    l->nl = n > 0 && text[n - 1] == '\n';
    if (nl != NULL && nl[1] != '\0') {
        l->indent = (int)strspn(nl + 1, " ");
        l->isep = ",";
        return;
    }
    if (strstr(text, ", ") == NULL && strstr(text, "\": ") == NULL) {
        l->isep = ",";
        l->ksep = ":";
    }
}

/* Appends "s", escaped as cJSON and json.dumps(ensure_ascii=False) do. */
static enum a2o_err
put_str(struct a2o_buf *b, const char *s)
{
    enum a2o_err err = a2o_buf_adds(b, "\"");

    if (err == A2O_E_OK)
        err = a2o_buf_add_json_str(b, s, strlen(s));
    return err == A2O_E_OK ? a2o_buf_adds(b, "\"") : err;
}

/* Appends v in layout l at nesting depth, as json.dumps would. */
static enum a2o_err
put_value(struct a2o_buf *b, const cJSON *v, const struct layout *l, int depth)
{
    enum a2o_err err = A2O_E_OK;
    const cJSON *c;
    char num[64];
    int prec;

    if (cJSON_IsString(v))
        return put_str(b, v->valuestring);
    if (cJSON_IsNumber(v)) {
        /* integers as integers; other numbers in the shortest form
         * that reads back the same, like Python's repr */
        if (v->valuedouble > -1e15 && v->valuedouble < 1e15 &&
            v->valuedouble == (double)(long long)v->valuedouble)
            snprintf(num, sizeof(num), "%lld", (long long)v->valuedouble);
        else
            for (prec = 15; prec <= 17; prec++) {
                snprintf(num, sizeof(num), "%.*g", prec, v->valuedouble);
                if (strtod(num, NULL) == v->valuedouble)
                    break;
            }
        return a2o_buf_adds(b, num);
    }
    if (cJSON_IsBool(v))
        return a2o_buf_adds(b, cJSON_IsTrue(v) ? "true" : "false");
    if (!cJSON_IsArray(v) && !cJSON_IsObject(v))
        return a2o_buf_adds(b, "null");
    err = a2o_buf_adds(b, cJSON_IsArray(v) ? "[" : "{");
    cJSON_ArrayForEach(c, v)
    {
        if (err == A2O_E_OK && c != v->child)
            err = a2o_buf_adds(b, l->isep);
        if (err == A2O_E_OK && l->indent > 0)
            err = a2o_buf_addf(b, "\n%*s", l->indent * (depth + 1), "");
        if (err == A2O_E_OK && cJSON_IsObject(v))
            err = put_str(b, c->string);
        if (err == A2O_E_OK && cJSON_IsObject(v))
            err = a2o_buf_adds(b, l->ksep);
        if (err == A2O_E_OK)
            err = put_value(b, c, l, depth + 1);
    }
    if (err == A2O_E_OK && l->indent > 0 && v->child != NULL)
        err = a2o_buf_addf(b, "\n%*s", l->indent * depth, "");
    return err == A2O_E_OK ? a2o_buf_adds(b, cJSON_IsArray(v) ? "]" : "}")
                           : err;
}

void
th_regen_json(const char *path, const cJSON *got)
{
    struct layout l;
    struct a2o_buf b;
    char *old = NULL, *text;
    size_t n;
    FILE *f;

    if (!th_regen() || same_json(path, got))
        return;
    f = fopen(path, "rb");
    if (f != NULL) {
        fclose(f);
        old = th_read_file(path, &n);
    }
    layout_of(old, &l);
    free(old);
    if (l.tabs) {
        text = cJSON_Print(got);
        assert_non_null(text);
        write_file(path, text, strlen(text), l.nl);
        cJSON_free(text);
        return;
    }
    a2o_buf_init(&b, 1 << 26);
    if (put_value(&b, got, &l, 0) != A2O_E_OK)
        fail_msg("%s: out of memory", path);
    write_file(path, b.p, b.len, l.nl);
    a2o_buf_free(&b);
}
