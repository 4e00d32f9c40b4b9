/*
 * models.c: the model list, built with cJSON (models.h).
 *
 * Claude Code keeps only ids that start with "claude" in its /model
 * picker, so the Claude ids it asks for are always listed, each routed
 * like any client model.  display_name shows where an id is routed:
 * the admin's rules at a glance.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "../common/json.h"
#include "../common/route.h"
#include "models.h"
#include "respond.h"

/* The Claude ids always listed, newest first.  Update this table when
 * Claude Code asks for new ones: 2.1.3xx asks for the first four, older
 * versions for the rest. */
static const char *const claude_ids[] = {
    "claude-opus-5-5",           /* Claude Code 2.1.3xx default opus */
    "claude-sonnet-4-6",         /* 2.1.3xx default sonnet */
    "claude-haiku-5-5",          /* 2.1.3xx background calls */
    "claude-haiku-4-5-20251001", /* 2.1.3xx dated haiku */
    "claude-opus-4-1",           /* older Claude Code */
    "claude-sonnet-4-5",         "claude-haiku-4-5",
};

/* created_at of every listed model: fixed, so the answer is stable */
#define MODEL_CREATED "2025-01-01T00:00:00Z"

/* One model object for id: its display name shows the first target. */
static cJSON *
model(const struct srv_x *x, const char *id)
{
    struct a2o_plan pl;
    cJSON *o = cJSON_CreateObject(), *req = cJSON_CreateObject();
    char name[512];
    const char *up;

    if (o == NULL || req == NULL ||
        cJSON_AddStringToObject(req, "model", id) == NULL)
        goto fail;
    a2o_route_plan(x->conf, req, &pl);
    up = pl.t[0].model;
    if (up != NULL && strcmp(up, id) != 0)
        snprintf(name, sizeof(name), "%s (%s)", id, up);
    else
        snprintf(name, sizeof(name), "%s", id);
    if (cJSON_AddStringToObject(o, "type", "model") == NULL ||
        cJSON_AddStringToObject(o, "id", id) == NULL ||
        cJSON_AddStringToObject(o, "display_name", name) == NULL ||
        cJSON_AddStringToObject(o, "created_at", MODEL_CREATED) == NULL)
        goto fail;
    cJSON_Delete(req);
    return o;
fail:
    cJSON_Delete(req);
    cJSON_Delete(o);
    return NULL;
}

/* Appends id[0..n) unless listed already; 0, or -1 on OOM. */
static int
add(const struct srv_x *x, cJSON *data, const char *id, size_t n)
{
    const cJSON *m;
    char buf[256];
    cJSON *o;

    if (n == 0)
        return 0;
    if (n >= sizeof(buf))
        n = sizeof(buf) - 1;
    memcpy(buf, id, n);
    buf[n] = '\0';
    cJSON_ArrayForEach(m, data)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "id");

        if (cJSON_IsString(v) && strcmp(v->valuestring, buf) == 0)
            return 0;
    }
    o = model(x, buf);
    if (o == NULL || !cJSON_AddItemToArray(data, o)) {
        cJSON_Delete(o);
        return -1;
    }
    return 0;
}

/* Every entry of MODELS (already trimmed, comma-joined by conf.c). */
static int
add_list(const struct srv_x *x, cJSON *data, const char *s)
{
    while (s != NULL && *s != '\0') {
        size_t n = strcspn(s, ",");

        if (add(x, data, s, n) < 0)
            return -1;
        s += n + (s[n] == ',' ? 1 : 0);
    }
    return 0;
}

/* The models the rules name, and the providers' fixed models. */
static int
add_rules(const struct srv_x *x, cJSON *data)
{
    const struct a2o_conf *c = x->conf;
    size_t i, k;

    for (i = 0; i < c->nrules; i++)
        for (k = 0; k < c->rules[i].ntargets; k++) {
            const struct a2o_target *t = &c->rules[i].targets[k];
            const char *m =
                t->model != NULL ? t->model : c->providers[t->provider].model;

            if (m != NULL && add(x, data, m, strlen(m)) < 0)
                return -1;
        }
    return 0;
}

/* root[key] = a copy of the id of m; 0, or -1 on OOM (root unchanged). */
static int
add_id(cJSON *root, const char *key, const cJSON *m)
{
    cJSON *v = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m, "id"), 0);

    if (v == NULL || !cJSON_AddItemToObject(root, key, v)) {
        cJSON_Delete(v);
        return -1;
    }
    return 0;
}

static void
reply(struct srv_x *x, cJSON *root)
{
    size_t n = 0;
    char *s = a2o_json_print_str(root, &n);

    if (s == NULL)
        srv_respond_error(x, A2O_E_NOMEM, NULL, NULL);
    else
        srv_respond_body(x, 200, "application/json", NULL, s, n);
    cJSON_free(s);
    cJSON_Delete(root);
}

void
srv_models_list(struct srv_x *x)
{
    cJSON *root = cJSON_CreateObject(), *data = cJSON_CreateArray();
    const cJSON *first, *last;
    size_t i;
    int bad = root == NULL || data == NULL;

    if (!bad && !cJSON_AddItemToObject(root, "data", data)) {
        bad = 1;
        cJSON_Delete(data);
    }
    bad = bad || add_list(x, data, x->conf->models) < 0;
    for (i = 0; !bad && i < sizeof(claude_ids) / sizeof(claude_ids[0]); i++)
        bad = add(x, data, claude_ids[i], strlen(claude_ids[i])) < 0;
    bad = bad || add_rules(x, data) < 0;
    if (!bad) {
        first = cJSON_GetArrayItem(data, 0);
        last = cJSON_GetArrayItem(data, cJSON_GetArraySize(data) - 1);
        bad = cJSON_AddFalseToObject(root, "has_more") == NULL ||
              add_id(root, "first_id", first) < 0 ||
              add_id(root, "last_id", last) < 0;
    }
    if (bad) {
        cJSON_Delete(root);
        root = NULL;
    }
    reply(x, root);
}

void
srv_models_one(struct srv_x *x, const char *id)
{
    size_t i, len = strlen(id);

    for (i = 0; i < len; i++)
        if ((unsigned char)id[i] <= 0x20 || (unsigned char)id[i] >= 0x7f ||
            id[i] == '%')
            break;
    if (i < len || len > 200) {
        srv_respond_error(x, A2O_E_NOTFOUND, NULL, NULL);
        return;
    }
    reply(x, model(x, id));
}
