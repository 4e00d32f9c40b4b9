/*
 * rmeta.c: hand-made request metadata for response and stream tests.
 */
#include "rmeta.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "evcheck.h"
#include "harness.h"

static char *
sdup(const char *s)
{
    char *c = malloc(strlen(s) + 1);

    if (c == NULL)
        fail_msg("out of memory");
    strcpy(c, s);
    return c;
}

enum a2o_err
th_err_parse(const char *name)
{
    int e;

    for (e = 0; e < A2O_E__MAX; e++)
        if (strcmp(a2o_err_name((enum a2o_err)e), name) == 0)
            return (enum a2o_err)e;
    fail_msg("unknown error name %s", name);
    return A2O_E_INTERNAL;
}

char *
th_sibling(const char *in, const char *insuffix, const char *suffix)
{
    size_t n = strlen(in), sl = strlen(insuffix);
    char *p = malloc(n + strlen(suffix) + 1);

    if (p == NULL || n < sl)
        fail_msg("bad fixture name %s", in);
    memcpy(p, in, n - sl);
    strcpy(p + n - sl, suffix);
    return p;
}

static double
num(const cJSON *j, const char *k, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);

    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

void
th_case_load(const char *path, struct th_case *c)
{
    const cJSON *v, *it;
    cJSON *j = NULL;
    size_t i;

    memset(c, 0, sizeof(*c));
    c->meta.client_model = sdup("claude-test");
    c->meta.input_estimate = 100;
    c->seed = 1;
    if (access(path, R_OK) != 0)
        return;
    j = th_read_json(path);
    v = cJSON_GetObjectItemCaseSensitive(j, "client_model");
    if (cJSON_IsString(v)) {
        free(c->meta.client_model);
        c->meta.client_model = sdup(v->valuestring);
    }
    c->meta.input_estimate = (long)num(j, "input_estimate", 100);
    c->meta.thinking =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "thinking"));
    c->profile.think_tags =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "think_tags"));
    c->profile.text_tool_calls =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "text_tool_calls"));
    v = cJSON_GetObjectItemCaseSensitive(j, "upstream");
    if (cJSON_IsString(v))
        c->upstream = sdup(v->valuestring);
    v = cJSON_GetObjectItemCaseSensitive(j, "tools");
    c->meta.ntools = (size_t)cJSON_GetArraySize(v);
    c->meta.tools = calloc(c->meta.ntools + 1, sizeof(char *));
    i = 0;
    cJSON_ArrayForEach(it, v) c->meta.tools[i++] = sdup(it->valuestring);
    c->max_block = (size_t)num(j, "max_block", 0);
    c->max_line = (size_t)num(j, "max_line", 0);
    c->seed = (unsigned long long)num(j, "seed", 1);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "any_args")))
        c->evflags |= EV_ANY_ARGS;
    v = cJSON_GetObjectItemCaseSensitive(j, "error");
    c->want = cJSON_IsString(v) ? th_err_parse(v->valuestring) : A2O_E_OK;
    v = cJSON_GetObjectItemCaseSensitive(j, "stop");
    c->meta.nstop = (size_t)cJSON_GetArraySize(v);
    c->meta.stop = calloc(c->meta.nstop + 1, sizeof(char *));
    i = 0;
    cJSON_ArrayForEach(it, v) c->meta.stop[i++] = sdup(it->valuestring);
    v = cJSON_GetObjectItemCaseSensitive(j, "names");
    c->meta.nnames = (size_t)cJSON_GetArraySize(v);
    c->meta.names = calloc(c->meta.nnames + 1, sizeof(*c->meta.names));
    i = 0;
    cJSON_ArrayForEach(it, v)
    {
        c->meta.names[i].full =
            sdup(cJSON_GetObjectItemCaseSensitive(it, "full")->valuestring);
        c->meta.names[i].short_name =
            sdup(cJSON_GetObjectItemCaseSensitive(it, "short")->valuestring);
        i++;
    }
    cJSON_Delete(j);
}

void
th_case_free(struct th_case *c)
{
    size_t i;

    for (i = 0; i < c->meta.nstop; i++)
        free(c->meta.stop[i]);
    free(c->meta.stop);
    for (i = 0; i < c->meta.nnames; i++) {
        free(c->meta.names[i].full);
        free(c->meta.names[i].short_name);
    }
    free(c->meta.names);
    for (i = 0; i < c->meta.ntools; i++)
        free(c->meta.tools[i]);
    free(c->meta.tools);
    free(c->upstream);
    free(c->meta.client_model);
    memset(c, 0, sizeof(*c));
}
