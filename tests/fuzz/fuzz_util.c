/*
 * fuzz_util.c: invariant helpers for the fuzz targets (the counting
 * hooks are tests/lib/harness.c's).
 * Shared by the libFuzzer builds (clang) and the plain replay (gcc).
 */
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../common/json.h"
#include "../lib/harness.h"

void
fz_init(void)
{
    static int done;

    if (!done)
        th_alloc_init();
    done = 1;
}

void
fz_check(int ok, const char *what, const char *file, int line)
{
    if (ok)
        return;
    fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
    abort();
}

unsigned
fz_byte(struct fz_in *in)
{
    unsigned b;

    if (in->n == 0)
        return 0;
    b = in->p[0];
    in->p++;
    in->n--;
    return b;
}

int
fz_json_ok(const char *p, size_t n)
{
    cJSON *t = NULL;
    struct a2o_diag d;
    enum a2o_err err;

    err = a2o_json_parse(p, n, &t, &d);
    cJSON_Delete(t);
    return err == A2O_E_OK;
}

void
fz_check_diag(const struct a2o_diag *d)
{
    FZ_CHECK(memchr(d->msg, 0, sizeof d->msg) != NULL, "diag msg is a string");
    FZ_CHECK(memchr(d->path, 0, sizeof d->path) != NULL,
             "diag path is a string");
}

void
fz_check_err_body(enum a2o_err err, const struct a2o_diag *d)
{
    char body[1024];
    size_t n;
    cJSON *t = NULL;
    const cJSON *e;
    const char *type;
    struct a2o_diag pd;

    fz_check_diag(d);
    n = a2o_err_body(err, d, body, sizeof body);
    FZ_CHECK(n < sizeof body && body[n] == '\0', "error body terminated");
    FZ_CHECK(a2o_json_parse(body, n, &t, &pd) == A2O_E_OK,
             "error body is valid JSON");
    e = a2o_json_get(t, "error");
    type = a2o_json_str(e, "type");
    FZ_CHECK(type != NULL && strcmp(type, a2o_err_type(err)) == 0,
             "error body carries the table's error.type");
    FZ_CHECK(a2o_json_str(e, "message") != NULL, "error body has a message");
    cJSON_Delete(t);
}

#include "../../common/conf.h"

#define NBASE 6
static struct a2o_conf confs[NBASE * 2];
static int confs_ok;

/* Upstream base URLs whose inferred profiles differ (common/README.md §9). */
static const char *const bases[NBASE] = {
    "http://127.0.0.1:8094/v1",
    "https://api.openai.com/v1",
    "https://openrouter.ai/api/v1",
    "https://api.deepseek.com/v1",
    "https://generativelanguage.googleapis.com/v1beta/openai",
    "http://localhost:11434/v1",
};

static void
build_confs(void)
{
    struct a2o_diag d;
    int i;

    for (i = 0; i < NBASE * 2; i++) {
        struct a2o_conf *c = &confs[i];

        a2o_conf_init(c);
        if (a2o_conf_set(c, "OPENAI_BASE_URL", bases[i % NBASE], &d) !=
                A2O_E_OK ||
            a2o_conf_set(c, "OPENAI_API_KEY", "sk-fuzz", &d) != A2O_E_OK ||
            (i >= NBASE && a2o_conf_set(c, "HAIKU_MODEL_NAME",
                                        "gemini-2.5-flash", &d) != A2O_E_OK) ||
            a2o_conf_finish(c, &d) != A2O_E_OK) {
            fprintf(stderr, "fuzz conf %d: %s\n", i, d.msg);
            abort();
        }
    }
    confs_ok = 1;
}

void
fz_conf(struct fz_in *in, struct a2o_conf *c)
{
    unsigned sel = fz_byte(in), a = fz_byte(in), b = fz_byte(in);

    if (!confs_ok)
        build_confs();
    *c = confs[sel % (NBASE * 2)];
    /* Top bit of a: keep inference; else override from the bits. */
    if (a & 0x80)
        return;
    c->ov.null_content = (a & 1) ? (int)((a >> 1) & 1) : -1;
    c->ov.top_k = (a & 4) ? (int)((a >> 3) & 1) : -1;
    c->ov.cache_control = (a & 16) ? (int)((a >> 5) & 1) : -1;
    c->ov.stream_options = (a & 64) ? (int)(b & 1) : -1;
    c->ov.reasoning = (b & 2) ? (int)((b >> 2) & 3) : -1;
    c->ov.schema = (b & 16) ? (int)((b >> 5) % 3) : -1;
    c->ov.maxtok_field = (b & 128) ? (int)(sel >> 7) : -1;
    c->ov.thinking_replay = (sel & 0x40) ? (int)((sel >> 5) & 1) : -1;
    c->ov.tool_choice_required = (sel & 0x10) ? (int)((sel >> 3) & 1) : -1;
    c->ov.think_tags = (a & 0x40) ? (int)((a >> 5) & 1) : -1;
    c->ov.max_tokens_cap = (b & 0x40) ? 4096 : -1;
}

void
fz_profile(struct fz_in *in, struct a2o_profile *p)
{
    unsigned a = fz_byte(in), b = fz_byte(in);

    memset(p, 0, sizeof *p);
    p->null_content = a & 1;
    p->maxtok_field =
        (a & 2) ? A2O_MAXTOK_MAX_COMPLETION_TOKENS : A2O_MAXTOK_MAX_TOKENS;
    p->max_tokens_cap = (a & 4) ? 8192 : 0;
    p->top_k = (a >> 3) & 1;
    p->reasoning = (enum a2o_reasoning)((a >> 4) & 3);
    p->thinking_replay = (a >> 6) & 1;
    p->cache_control = (a >> 7) & 1;
    p->schema = (enum a2o_schema_profile)(b % 3);
    p->stream_options = (b >> 2) & 1;
    p->tool_choice_required = (b >> 3) & 1;
    p->think_tags = (b >> 4) & 1;
    p->text_tool_calls = (b >> 5) & 1;
}

int
fz_prints_as(const cJSON *a, const char *p, size_t n)
{
    char *s = cJSON_PrintUnformatted(a);
    int same;

    FZ_CHECK(s != NULL, "print");
    same = strlen(s) == n && memcmp(s, p, n) == 0;
    cJSON_free(s);
    return same;
}

int
fz_same_json(const cJSON *a, const cJSON *b)
{
    char *s = cJSON_PrintUnformatted(b);
    int same;

    FZ_CHECK(s != NULL, "print");
    same = fz_prints_as(a, s, strlen(s));
    cJSON_free(s);
    return same;
}
