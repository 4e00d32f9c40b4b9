/*
 * native.c: the /v1/messages passthrough, request side and non-stream
 * answer check (native.h).
 *
 * The upstream speaks the client's own protocol, so nothing is converted:
 * the request is copied member by member, in order, with three changes
 * (model, billing block, drop list).  Copying rather than editing keeps
 * the input tree untouched (it is the caller's, and may be shared) and
 * makes a failed copy free of half-edited state.
 */
#include "native.h"

#include <string.h>

#include "json.h"
#include "oai.h"
#include "tokens.h"
#include "str.h"

/* Claude Code's per-request system block (cc_version, cch=...): it changes
 * on every request, so an upstream that caches by prefix (vLLM's prefix
 * cache, llama.cpp's slot cache, Ollama's context) would miss on the very
 * first block.  Anthropic itself strips it; nobody else needs it. */
#define BILLING_PREFIX "x-anthropic-billing-header:"
#define BILLING_LEN (sizeof(BILLING_PREFIX) - 1)

/* Counts above 2^53 are not exact as doubles: ignore them as garbage. */
#define MAX_COUNT 9007199254740992.0

/* 1 when name is one of the comma-separated names of list. */
static int
in_list(const char *list, const char *name)
{
    size_t nl = strlen(name);
    const char *p = list;

    if (p == NULL)
        return 0;
    while (*p != '\0') {
        const char *e = strchr(p, ',');
        size_t k = e != NULL ? (size_t)(e - p) : strlen(p);
        const char *q = p;

        /* blanks around a name are the writer's, not the name's */
        while (k > 0 && (*q == ' ' || *q == '\t')) {
            q++;
            k--;
        }
        while (k > 0 && (q[k - 1] == ' ' || q[k - 1] == '\t'))
            k--;
        if (k == nl && k > 0 && memcmp(q, name, k) == 0)
            return 1;
        if (e == NULL)
            break;
        p = e + 1;
    }
    return 0;
}

static int
is_billing_text(const char *s)
{
    return s != NULL && strncmp(s, BILLING_PREFIX, BILLING_LEN) == 0;
}

/*
 * The client's system value without the billing block: *out is a new
 * item, or NULL when nothing is left (the field is then left out).
 */
static enum a2o_err
copy_system(const cJSON *sys, cJSON **out)
{
    const cJSON *b;
    cJSON *arr, *c;
    int removed = 0;

    *out = NULL;
    if (cJSON_IsString(sys) && is_billing_text(sys->valuestring)) {
        /* a string system: only its first line is the header */
        const char *nl = strchr(sys->valuestring, '\n');

        if (nl == NULL || nl[1] == '\0')
            return A2O_E_OK;
        *out = cJSON_CreateString(nl + 1);
        return *out != NULL ? A2O_E_OK : A2O_E_NOMEM;
    }
    if (!cJSON_IsArray(sys)) {
        *out = cJSON_Duplicate(sys, 1);
        return *out != NULL ? A2O_E_OK : A2O_E_NOMEM;
    }
    arr = cJSON_CreateArray();
    if (arr == NULL)
        return A2O_E_NOMEM;
    cJSON_ArrayForEach(b, sys)
    {
        const char *type = a2o_json_str(b, "type");

        if (type != NULL && strcmp(type, "text") == 0 &&
            is_billing_text(a2o_json_str(b, "text"))) {
            removed = 1;
            continue;
        }
        c = cJSON_Duplicate(b, 1);
        if (a2o_json_append(arr, c) != A2O_E_OK) {
            cJSON_Delete(arr);
            return A2O_E_NOMEM;
        }
    }
    /* an array the client sent empty stays; one we emptied goes */
    if (removed && arr->child == NULL) {
        cJSON_Delete(arr);
        return A2O_E_OK;
    }
    *out = arr;
    return A2O_E_OK;
}

/* The copy of one top-level member k (NULL *out: leave it out). */
static enum a2o_err
copy_member(const cJSON *k, const struct a2o_native_opts *o, cJSON **out)
{
    const char *name = k->string;

    *out = NULL;
    if (strcmp(name, "model") == 0) {
        *out = o->model != NULL ? cJSON_CreateString(o->model)
                                : cJSON_Duplicate(k, 1);
        return *out != NULL ? A2O_E_OK : A2O_E_NOMEM;
    }
    if (strcmp(name, "messages") != 0 && in_list(o->drop, name))
        return A2O_E_OK;
    if (strcmp(name, "system") == 0)
        return copy_system(k, out);
    *out = cJSON_Duplicate(k, 1);
    return *out != NULL ? A2O_E_OK : A2O_E_NOMEM;
}

/* The reqmeta of in (model already checked to be a string). */
static enum a2o_err
make_meta(const cJSON *in, struct a2o_reqmeta **meta)
{
    struct a2o_reqmeta *m = cJSON_malloc(sizeof(*m));
    const char *think;

    if (m == NULL)
        return A2O_E_NOMEM;
    memset(m, 0, sizeof(*m));
    m->client_model = a2o_str_dup(a2o_json_str(in, "model"));
    if (m->client_model == NULL) {
        a2o_reqmeta_free(m);
        return A2O_E_NOMEM;
    }
    m->stream = cJSON_IsTrue(a2o_json_get(in, "stream"));
    /* the two thinking modes that make the model think (common/README.md
     * section 1, Thinking) */
    think = a2o_json_str(a2o_json_get(in, "thinking"), "type");
    m->thinking = think != NULL && (strcmp(think, "enabled") == 0 ||
                                    strcmp(think, "adaptive") == 0);
    /* the upstream speaks Anthropic: its usage passes through */
    m->input_estimate = -1;
    *meta = m;
    return A2O_E_OK;
}

enum a2o_err
a2o_native_req(const cJSON *in, const struct a2o_native_opts *o, cJSON **out,
               struct a2o_reqmeta **meta, struct a2o_diag *d)
{
    static const struct a2o_native_opts none = {NULL, NULL};
    const char *model = a2o_json_str(in, "model");
    struct a2o_reqmeta *m = NULL;
    const cJSON *k;
    cJSON *root = NULL, *c;
    enum a2o_err err;

    a2o_diag_clear(d);
    if (!cJSON_IsObject(in))
        return a2o_diag_set(d, A2O_E_BADREQ, "",
                            "the request body must be a JSON object");
    if (model == NULL || model[0] == '\0')
        return a2o_diag_set(d, A2O_E_BADREQ, "model",
                            "model: a non-empty string is required");
    if (!cJSON_IsArray(a2o_json_get(in, "messages")))
        return a2o_diag_set(d, A2O_E_BADREQ, "messages",
                            "messages: an array is required");
    if (o == NULL)
        o = &none;
    root = cJSON_CreateObject();
    if (root == NULL)
        return A2O_E_NOMEM;
    cJSON_ArrayForEach(k, in)
    {
        err = copy_member(k, o, &c);
        if (err != A2O_E_OK)
            goto out;
        if (c == NULL)
            continue;
        /* AddItemToObject copies the key: duplicates stay duplicates */
        if (!cJSON_AddItemToObject(root, k->string, c)) {
            cJSON_Delete(c);
            err = A2O_E_NOMEM;
            goto out;
        }
    }
    err = make_meta(in, &m);
    if (err != A2O_E_OK)
        goto out;
    *out = root;
    *meta = m;
    return A2O_E_OK;
out:
    cJSON_Delete(root);
    return err;
}

/* obj[key] as a token count, when it is one. */
static int
get_count(const cJSON *obj, const char *key, long *v)
{
    const cJSON *it = a2o_json_get(obj, key);

    if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0) ||
        it->valuedouble > MAX_COUNT ||
        (double)(long long)it->valuedouble != it->valuedouble)
        return 0;
    *v = (long)it->valuedouble;
    return 1;
}

int
a2o_native_usage(const cJSON *usage, struct a2o_usage *u)
{
    int found = 0;

    if (get_count(usage, "input_tokens", &u->input_tokens))
        found |= A2O_NATIVE_IN;
    if (get_count(usage, "output_tokens", &u->output_tokens))
        found |= A2O_NATIVE_OUT;
    /* Anthropic counts cached prompt tokens apart from input_tokens */
    (void)get_count(usage, "cache_read_input_tokens",
                    &u->cache_read_input_tokens);
    (void)get_count(usage, "cache_creation_input_tokens",
                    &u->cache_creation_input_tokens);
    return found;
}

enum a2o_err
a2o_native_resp_check(const char *p, size_t n, struct a2o_usage *u,
                      struct a2o_diag *d)
{
    struct a2o_usage nu;
    const char *type;
    cJSON *root = NULL;
    enum a2o_err err;

    a2o_diag_clear(d);
    err = a2o_json_parse(p, n, &root, d);
    if (err == A2O_E_BADJSON) {
        /* the client's request was fine: the upstream's answer is not */
        return a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                            "the upstream answer is not valid JSON");
    }
    if (err != A2O_E_OK)
        return err;
    type = a2o_json_str(root, "type");
    if (type == NULL || strcmp(type, "message") != 0) {
        err = a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                           "the upstream answer is not a message "
                           "(no \"type\":\"message\")");
        goto out;
    }
    if (!cJSON_IsArray(a2o_json_get(root, "content"))) {
        err = a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                           "the upstream message has no content array");
        goto out;
    }
    memset(&nu, 0, sizeof(nu));
    nu.estimated = a2o_native_usage(a2o_json_get(root, "usage"), &nu) !=
                   (A2O_NATIVE_IN | A2O_NATIVE_OUT);
    *u = nu;
out:
    cJSON_Delete(root);
    return err;
}
