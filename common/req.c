/*
 * req.c: Anthropic Messages request -> OpenAI Chat Completions request
 * (common/README.md §1): validation, top-level parameters, tools, reasoning
 * and the request meta.  System text and messages are in req_msg.c.
 *
 * Lenient in, exact out: fields we do not know (context_management,
 * container, service_tier, inference_geo, betas, whatever comes next) are
 * never forwarded, because strict upstreams (OpenAI, Mistral) answer 400
 * to unknown parameters.  The output is built from scratch, so nothing
 * is dropped by accident and nothing unknown slips through.  Known fields
 * of the wrong type are 400s with the JSON path, like Anthropic's own.
 *
 * The input tree is never modified and never referenced from the output
 * (reference items leak on OOM, cJSON#1008); every string is copied once.
 *
 * Top-level mapping (the profile switches come from a2o_profile_infer):
 *
 *   model                  the routed upstream model (route.h)
 *   max_tokens             max_tokens or max_completion_tokens, clamped
 *                          only to UPSTREAM_MAX_TOKENS when set
 *   stream                 stream:true (+ stream_options.include_usage
 *                          when the profile allows it)
 *   temperature, top_p     same; top_k only where the profile takes it
 *   stop_sequences         stop (first 4); all of them in meta->stop
 *   metadata.user_id       user: 16 hex digits of a hash
 *   session id             prompt_cache_key where the profile takes it
 *                          (the route's session_id, else the one in
 *                          metadata.user_id)
 *   tools                  functions (server tools dropped, deferred ones
 *                          kept, schemas through a2o_schema_clean, names
 *                          over 64 bytes shortened and kept in meta)
 *   tool_choice            "auto" / "required" ("auto" without it) /
 *                          {"type":"function",...} / "none"; nothing
 *                          when no tool is left
 *   disable_parallel_...   parallel_tool_calls:false
 *   thinking (+ output_config.effort)
 *                          reasoning_effort / reasoning{} / thinking{}
 *                          per profile; nothing when disabled
 *   output_config.format   response_format json_schema
 *   system, messages       req_msg.c
 *   anything else          dropped
 */
#include "req.h"

#include <stdarg.h>
#include <string.h>

#include "json.h"
#include "req_int.h"
#include "schema.h"
#include "tokens.h"
#include "toolid.h"
#include "str.h"

/* OpenAI accepts at most 4 stop sequences; the rest are still detected
 * on the way back (meta->stop). */
#define MAX_STOP 4
/* Largest max_tokens we accept: an int on every upstream. */
#define MAX_TOKENS_LIMIT 2147483647.0

/* reasoning_effort values (OpenAI, vLLM, Gemini, Ollama): low, medium
 * and high are what every reasoning model accepts (o1/o3 reject
 * "xhigh"), so "max" is sent as "high". */
static const char *const effort_name[] = {
    NULL,     /* A2O_EFFORT_NONE */
    "low",    /* A2O_EFFORT_LOW */
    "medium", /* A2O_EFFORT_MEDIUM */
    "high",   /* A2O_EFFORT_HIGH */
    "high"    /* A2O_EFFORT_MAX */
};

/* OpenRouter's reasoning.effort normalises "xhigh" for every reasoning
 * model it routes to, so "max" gets that. */
static const char *const openrouter_effort[] = {
    NULL,     /* A2O_EFFORT_NONE */
    "low",    /* A2O_EFFORT_LOW */
    "medium", /* A2O_EFFORT_MEDIUM */
    "high",   /* A2O_EFFORT_HIGH */
    "xhigh"   /* A2O_EFFORT_MAX */
};

const char *
a2o_req_effort_name(enum a2o_req_effort e)
{
    return effort_name[e];
}

void
a2o_reqmeta_free(struct a2o_reqmeta *m)
{
    size_t i;

    if (m == NULL)
        return;
    cJSON_free(m->client_model);
    for (i = 0; i < m->nstop; i++)
        cJSON_free(m->stop[i]);
    cJSON_free(m->stop);
    for (i = 0; i < m->nnames; i++) {
        cJSON_free(m->names[i].full);
        cJSON_free(m->names[i].short_name);
    }
    cJSON_free(m->names);
    for (i = 0; i < m->ntools; i++)
        cJSON_free(m->tools[i]);
    cJSON_free(m->tools);
    cJSON_free(m);
}

const char *
a2o_reqmeta_tool_name(const struct a2o_reqmeta *m, const char *name)
{
    size_t i;

    if (m == NULL || name == NULL)
        return name;
    for (i = 0; i < m->nnames; i++)
        if (strcmp(m->names[i].short_name, name) == 0)
            return m->names[i].full;
    return name;
}

int
a2o_reqmeta_tool_offered(const struct a2o_reqmeta *m, const char *name,
                         size_t n)
{
    size_t i;

    if (m == NULL || name == NULL)
        return 0;
    for (i = 0; i < m->ntools; i++)
        if (strlen(m->tools[i]) == n && memcmp(m->tools[i], name, n) == 0)
            return 1;
    return 0;
}

/* Optional field: absent and JSON null both mean "not given". */
static const cJSON *
opt(const cJSON *in, const char *key)
{
    const cJSON *v = a2o_json_get(in, key);

    return cJSON_IsNull(v) ? NULL : v;
}

/*
 * Checks the required scalars; on success *maxtok holds max_tokens.
 * These come first so that a request missing model or max_tokens is
 * reported as such, whatever else is wrong with it (Anthropic's order).
 */
enum a2o_err
a2o_req_check_top(const cJSON *in, double *maxtok, struct a2o_diag *d)
{
    const cJSON *v;
    static const char *const nums[] = {"temperature", "top_p", "top_k"};
    size_t i;

    if (!cJSON_IsObject(in))
        return a2o_diag_badreq(d, "request body must be a JSON object", "%s",
                               "");
    v = a2o_json_get(in, "model");
    if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
        return a2o_diag_badreq(d, "expected a non-empty string", "model");
    v = a2o_json_get(in, "max_tokens");
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 ||
        v->valuedouble > MAX_TOKENS_LIMIT ||
        /* in range, so the cast is defined: integral values only */
        v->valuedouble != (double)(long long)v->valuedouble)
        return a2o_diag_badreq(d, "expected a positive integer", "max_tokens");
    *maxtok = v->valuedouble;
    v = a2o_json_get(in, "messages");
    if (!cJSON_IsArray(v) || v->child == NULL)
        return a2o_diag_badreq(d, "expected a non-empty array of messages",
                               "messages");
    for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        v = opt(in, nums[i]);
        if (v != NULL && !cJSON_IsNumber(v))
            return a2o_diag_badreq(d, "expected a number", "%s", nums[i]);
    }
    v = opt(in, "stream");
    if (v != NULL && !cJSON_IsBool(v))
        return a2o_diag_badreq(d, "expected a boolean", "stream");
    return A2O_E_OK;
}

/* stop_sequences -> "stop" (first MAX_STOP) and meta->stop (all). */
enum a2o_err
a2o_req_stops(const cJSON *in, cJSON *root, struct a2o_reqmeta *meta,
              struct a2o_diag *d)
{
    const cJSON *arr = opt(in, "stop_sequences"), *s;
    cJSON *stop;
    size_t n = 0;

    if (arr == NULL)
        return A2O_E_OK;
    if (!cJSON_IsArray(arr))
        return a2o_diag_badreq(d, "expected an array of strings",
                               "stop_sequences");
    cJSON_ArrayForEach(s, arr)
    {
        if (!cJSON_IsString(s))
            return a2o_diag_badreq(d, "expected a string",
                                   "stop_sequences[%zu]", n);
        n++;
    }
    if (n == 0)
        return A2O_E_OK;
    meta->stop = cJSON_malloc(n * sizeof(*meta->stop));
    if (meta->stop == NULL)
        return A2O_E_NOMEM;
    stop = cJSON_CreateArray();
    if (stop == NULL)
        return A2O_E_NOMEM;
    cJSON_ArrayForEach(s, arr)
    {
        /* "" can never match and OpenAI rejects it */
        if (s->valuestring[0] == '\0')
            continue;
        meta->stop[meta->nstop] = a2o_str_dup(s->valuestring);
        if (meta->stop[meta->nstop] == NULL) {
            cJSON_Delete(stop);
            return A2O_E_NOMEM;
        }
        meta->nstop++;
        if (meta->nstop <= MAX_STOP &&
            a2o_json_append(stop, cJSON_CreateString(s->valuestring))) {
            cJSON_Delete(stop);
            return A2O_E_NOMEM;
        }
    }
    if (stop->child == NULL || root == NULL) {
        cJSON_Delete(stop);
        return A2O_E_OK;
    }
    return a2o_json_attach(root, "stop", stop);
}

/*
 * metadata.user_id -> "user": OpenAI's abuse-tracking id.  Claude Code
 * puts a JSON object with device and session ids there, which should not
 * leave the machine as is, so only a 64-bit FNV-1a hash in hex is sent:
 * stable per user, short, and not reversible in practice.
 */
enum a2o_err
a2o_req_user(const cJSON *in, cJSON *root)
{
    const char *uid = a2o_json_str(opt(in, "metadata"), "user_id");
    unsigned long long h = 14695981039346656037ULL;
    char hex[17];
    const unsigned char *p;
    int i;

    if (uid == NULL || uid[0] == '\0')
        return A2O_E_OK;
    for (p = (const unsigned char *)uid; *p != '\0'; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    for (i = 15; i >= 0; i--, h >>= 4) /* "%016llx" */
        hex[i] = "0123456789abcdef"[h & 15];
    hex[16] = '\0';
    return a2o_json_add_str(root, "user", hex);
}

/* Longest session id we read; Claude Code's are UUIDs (36). */
#define SESSION_MAX 256

/*
 * Copies the session id at p (up to a '"' or the end) into out; 0 when
 * it is empty, too long or not printable ASCII.
 */
static int
session_copy(const char *p, char out[SESSION_MAX + 1])
{
    size_t n = 0;

    while (p[n] != '\0' && p[n] != '"') {
        if (n == SESSION_MAX || p[n] <= ' ' || p[n] > '~' || p[n] == '\\')
            return 0;
        out[n] = p[n];
        n++;
    }
    out[n] = '\0';
    return n > 0;
}

/*
 * Claude Code's session id: the x-claude-code-session-id header (the
 * route's session_id), else what metadata.user_id carries, a JSON text
 * {"device_id":..,"account_uuid":..,"session_id":".."} (2.x) or
 * "user_<hash>_account_<uuid>_session_<uuid>" (1.x).  0 when none.
 */
static int
session_id(const struct a2o_route *rt, const cJSON *in,
           char out[SESSION_MAX + 1])
{
    const char *uid = a2o_json_str(opt(in, "metadata"), "user_id"), *p;

    if (rt->session_id != NULL && rt->session_id[0] != '\0')
        return session_copy(rt->session_id, out);
    if (uid == NULL)
        return 0;
    p = strstr(uid, "\"session_id\"");
    if (uid[0] == '{' && p != NULL) {
        p += sizeof("\"session_id\"") - 1;
        p += strspn(p, " \t\r\n");
        if (*p++ != ':')
            return 0;
        p += strspn(p, " \t\r\n");
        return *p == '"' && session_copy(p + 1, out);
    }
    p = strstr(uid, "_session_");
    return p != NULL && session_copy(p + sizeof("_session_") - 1, out);
}

/*
 * prompt_cache_key (OpenAI, xAI, OpenRouter; always on the Responses
 * API): the session id as is, so that every turn of one session lands on
 * the same cache.  OpenAI rejects keys over 64 characters; a longer id is
 * cut like a long tool name (its first 55 bytes, '_', 8 hex digits of a
 * hash of it all).
 */
enum a2o_err
a2o_req_cache_key(const struct a2o_route *rt, const cJSON *in, cJSON *root,
                  int always)
{
    char sid[SESSION_MAX + 1], key[65];

    if ((!always && !rt->profile.prompt_cache_key) || !session_id(rt, in, sid))
        return A2O_E_OK;
    a2o_toolname_short(sid, key);
    return a2o_json_add_str(root, "prompt_cache_key", key);
}

/* Server tools (web_search_*, bash_*, text_editor_*, code_execution_*,
 * computer_*, ...) run at Anthropic; an upstream cannot run them. */
static int
server_tool(const cJSON *t)
{
    const char *type = a2o_json_str(t, "type");

    return (type != NULL && strcmp(type, "custom") != 0) ||
           opt(t, "input_schema") == NULL;
}

/* Records a shortened name in meta (once per name). */
static enum a2o_err
note_name(struct a2o_reqmeta *meta, const char *full, const char *shortn)
{
    struct a2o_toolname *tn;
    size_t i;

    for (i = 0; i < meta->nnames; i++)
        if (strcmp(meta->names[i].full, full) == 0)
            return A2O_E_OK;
    tn = &meta->names[meta->nnames];
    tn->full = a2o_str_dup(full);
    tn->short_name = a2o_str_dup(shortn);
    if (tn->full == NULL || tn->short_name == NULL) {
        cJSON_free(tn->full);
        cJSON_free(tn->short_name);
        return A2O_E_NOMEM;
    }
    meta->nnames++;
    return A2O_E_OK;
}

/* One custom tool -> {"type":"function","function":{...}}. */
static enum a2o_err
function_tool(const cJSON *t, size_t i, const struct a2o_profile *pf, int flat,
              struct a2o_reqmeta *meta, cJSON **out, struct a2o_diag *d)
{
    const char *name = a2o_json_str(t, "name");
    const char *desc = a2o_json_str(t, "description");
    const cJSON *schema = opt(t, "input_schema");
    char shortn[65];
    cJSON *params = NULL, *fn, *tool;
    enum a2o_err err;

    if (!cJSON_IsObject(schema))
        return a2o_diag_badreq(d, "expected an object",
                               "tools[%zu].input_schema", i);
    err = a2o_schema_clean(schema, pf->schema, &params, d);
    if (err == A2O_E_BADREQ && d != NULL) {
        char rel[sizeof(d->path)], msg[sizeof(d->msg)];

        /* the cleaner names paths relative to the tool */
        memcpy(rel, d->path, sizeof(rel));
        memcpy(msg, d->msg, sizeof(msg));
        return a2o_diag_badreq(d, msg[0] != '\0' ? msg : "invalid schema",
                               "tools[%zu].%s", i,
                               rel[0] != '\0' ? rel : "input_schema");
    }
    if (err != A2O_E_OK)
        return err;
    a2o_toolname_short(name, shortn);
    if (strcmp(shortn, name) != 0)
        err = note_name(meta, name, shortn);
    /* what a model may write as a text tool call (stream, resp) */
    if (err == A2O_E_OK) {
        meta->tools[meta->ntools] = a2o_str_dup(shortn);
        err = meta->tools[meta->ntools] != NULL ? A2O_E_OK : A2O_E_NOMEM;
    }
    if (err != A2O_E_OK) {
        cJSON_Delete(params);
        return err;
    }
    meta->ntools++;
    fn = cJSON_CreateObject();
    if (fn == NULL || a2o_json_add_str(fn, "name", shortn) ||
        (desc != NULL && a2o_json_add_str(fn, "description", desc))) {
        cJSON_Delete(params);
        cJSON_Delete(fn);
        return A2O_E_NOMEM;
    }
    err = a2o_json_attach(fn, "parameters", params);
    if (flat) {
        /* Responses: the function's members sit on the tool itself */
        if (err == A2O_E_OK)
            err = a2o_json_add_bool(fn, "strict", 0);
        if (err == A2O_E_OK)
            err = a2o_json_add_str(fn, "type", "function");
        if (err != A2O_E_OK) {
            cJSON_Delete(fn);
            return A2O_E_NOMEM;
        }
        *out = fn;
        return A2O_E_OK;
    }
    tool = cJSON_CreateObject();
    if (err != A2O_E_OK || tool == NULL ||
        a2o_json_add_str(tool, "type", "function")) {
        cJSON_Delete(fn);
        cJSON_Delete(tool);
        return A2O_E_NOMEM;
    }
    err = a2o_json_attach(tool, "function", fn);
    if (err != A2O_E_OK) {
        cJSON_Delete(tool);
        return err;
    }
    *out = tool;
    return A2O_E_OK;
}

/* 1 when blk is a history tool_use whose name had to be shortened. */
static int
long_history_name(const cJSON *blk)
{
    const char *type = a2o_json_str(blk, "type");
    const char *name = a2o_json_str(blk, "name");

    return type != NULL && strcmp(type, "tool_use") == 0 && name != NULL &&
           strlen(name) > 64;
}

/*
 * Room in meta->names for every name that may be shortened: the tools,
 * and the tool_use blocks of the history (a tool that is no longer
 * offered, e.g. an MCP server gone, still has calls there whose short
 * name the upstream may repeat).
 */
static enum a2o_err
names_alloc(const cJSON *in, struct a2o_reqmeta *meta)
{
    const cJSON *tl = opt(in, "tools"), *m, *blk;
    size_t n = cJSON_IsArray(tl) ? (size_t)cJSON_GetArraySize(tl) : 0;

    cJSON_ArrayForEach(m, a2o_json_get(in, "messages"))
    {
        cJSON_ArrayForEach(blk, a2o_json_get(m, "content"))
        {
            n += long_history_name(blk);
        }
    }
    meta->names = cJSON_malloc((n > 0 ? n : 1) * sizeof(*meta->names));
    return meta->names != NULL ? A2O_E_OK : A2O_E_NOMEM;
}

/* History tool names over 64 bytes -> meta->names (after the tools). */
enum a2o_err
a2o_req_history_names(const cJSON *in, struct a2o_reqmeta *meta)
{
    const cJSON *m, *blk;
    char shortn[65];
    enum a2o_err err = A2O_E_OK;

    cJSON_ArrayForEach(m, a2o_json_get(in, "messages"))
    {
        cJSON_ArrayForEach(blk, a2o_json_get(m, "content"))
        {
            if (err != A2O_E_OK || !long_history_name(blk))
                continue;
            a2o_toolname_short(a2o_json_str(blk, "name"), shortn);
            err = note_name(meta, a2o_json_str(blk, "name"), shortn);
        }
    }
    return err;
}

/* tools -> functions; *kept gets how many were sent. */
enum a2o_err
a2o_req_tools(const cJSON *in, const struct a2o_profile *pf, int flat,
              cJSON *root, struct a2o_reqmeta *meta, size_t *kept,
              struct a2o_diag *d)
{
    const cJSON *arr = opt(in, "tools"), *t;
    cJSON *fns;
    size_t i = 0;
    enum a2o_err err = A2O_E_OK;

    *kept = 0;
    /* room for every shortened name: the tools and the history's */
    if (meta->names == NULL && names_alloc(in, meta) != A2O_E_OK)
        return A2O_E_NOMEM;
    if (arr == NULL)
        return A2O_E_OK;
    if (!cJSON_IsArray(arr))
        return a2o_diag_badreq(d, "expected an array of tools", "tools");
    cJSON_ArrayForEach(t, arr)
    {
        const char *name = a2o_json_str(t, "name");

        if (!cJSON_IsObject(t))
            return a2o_diag_badreq(d, "expected an object", "tools[%zu]", i);
        if (name == NULL || name[0] == '\0')
            return a2o_diag_badreq(d, "expected a non-empty string",
                                   "tools[%zu].name", i);
        i++;
    }
    /* room for every name: no growth later, so a failure cannot leave
     * meta half-grown (names: see names_alloc) */
    meta->tools = cJSON_malloc((i > 0 ? i : 1) * sizeof(*meta->tools));
    fns = cJSON_CreateArray();
    if (meta->tools == NULL || fns == NULL) {
        cJSON_Delete(fns);
        return A2O_E_NOMEM;
    }
    i = 0;
    cJSON_ArrayForEach(t, arr)
    {
        cJSON *f = NULL;

        /* deferred tools (defer_loading) are sent like the others: the
         * upstream has no tool search, so it must see them all */
        if (!server_tool(t)) {
            err = function_tool(t, i, pf, flat, meta, &f, d);
            if (err == A2O_E_OK)
                err = a2o_json_append(fns, f);
            if (err != A2O_E_OK)
                break;
        }
        i++;
    }
    if (err != A2O_E_OK || fns->child == NULL) {
        cJSON_Delete(fns);
        return err;
    }
    *kept = (size_t)cJSON_GetArraySize(fns);
    return a2o_json_attach(root, "tools", fns);
}

/* 1 when a tool named name was sent as a function. */
static int
tool_sent(const cJSON *in, const char *name)
{
    const cJSON *t;

    cJSON_ArrayForEach(t, opt(in, "tools"))
    {
        const char *n = a2o_json_str(t, "name");

        if (n != NULL && strcmp(n, name) == 0 && !server_tool(t))
            return 1;
    }
    return 0;
}

/* tool_choice and disable_parallel_tool_use (validated even when no
 * tool is left to choose from). */
enum a2o_err
a2o_req_tool_choice(const cJSON *in, const struct a2o_profile *pf, int flat,
                    size_t kept, cJSON *root, struct a2o_diag *d)
{
    const cJSON *tc = opt(in, "tool_choice");
    const char *type, *name = NULL;
    char shortn[65];
    cJSON *v;

    if (tc == NULL)
        return A2O_E_OK;
    if (!cJSON_IsObject(tc))
        return a2o_diag_badreq(d, "expected an object", "tool_choice");
    type = a2o_json_str(tc, "type");
    if (type == NULL ||
        (strcmp(type, "auto") != 0 && strcmp(type, "any") != 0 &&
         strcmp(type, "tool") != 0 && strcmp(type, "none") != 0))
        return a2o_diag_badreq(
            d, "expected \"auto\", \"any\", \"tool\" or \"none\"",
            "tool_choice.type");
    if (strcmp(type, "tool") == 0) {
        name = a2o_json_str(tc, "name");
        if (name == NULL)
            return a2o_diag_badreq(d, "expected a string", "tool_choice.name");
    }
    /* OpenAI rejects tool_choice without tools */
    if (kept == 0)
        return A2O_E_OK;
    if (strcmp(type, "any") == 0) {
        v = cJSON_CreateString(flat || pf->tool_choice_required ? "required"
                                                                : "auto");
    } else if (name != NULL && tool_sent(in, name)) {
        cJSON *fn = cJSON_CreateObject();

        a2o_toolname_short(name, shortn);
        v = cJSON_CreateObject();
        if (fn == NULL || v == NULL || a2o_json_add_str(fn, "name", shortn) ||
            a2o_json_add_str(v, "type", "function")) {
            cJSON_Delete(fn);
            cJSON_Delete(v);
            return A2O_E_NOMEM;
        }
        if (flat) {
            /* Responses: {"type":"function","name":...} */
            cJSON *nm = cJSON_DetachItemFromObjectCaseSensitive(fn, "name");

            cJSON_Delete(fn);
            fn = NULL;
            if (a2o_json_attach(v, "name", nm) != A2O_E_OK) {
                cJSON_Delete(v);
                return A2O_E_NOMEM;
            }
        }
        if (fn != NULL && a2o_json_attach(v, "function", fn) != A2O_E_OK) {
            cJSON_Delete(v);
            return A2O_E_NOMEM;
        }
    } else {
        /* a named server tool was not sent: let the model choose */
        v = cJSON_CreateString(name != NULL ? "auto" : type);
    }
    if (a2o_json_attach(root, "tool_choice", v) != A2O_E_OK)
        return A2O_E_NOMEM;
    if (cJSON_IsTrue(a2o_json_get(tc, "disable_parallel_tool_use")))
        return a2o_json_add_bool(root, "parallel_tool_calls", 0);
    return A2O_E_OK;
}

/* The client's thinking request as an effort; *budget for OpenRouter's
 * token form (-1 when the client gave none). */
enum a2o_err
a2o_req_effort(const cJSON *in, enum a2o_req_effort *e, long *budget,
               struct a2o_diag *d)
{
    const cJSON *th = opt(in, "thinking"), *b;
    const char *type, *lvl;

    *e = A2O_EFFORT_NONE;
    *budget = -1;
    if (th == NULL)
        return A2O_E_OK;
    if (!cJSON_IsObject(th))
        return a2o_diag_badreq(d, "expected an object", "thinking");
    type = a2o_json_str(th, "type");
    if (type == NULL)
        return a2o_diag_badreq(d, "expected a string", "thinking.type");
    if (strcmp(type, "enabled") == 0) {
        b = opt(th, "budget_tokens");
        if (b != NULL && (!cJSON_IsNumber(b) || b->valuedouble < 0 ||
                          b->valuedouble > MAX_TOKENS_LIMIT))
            return a2o_diag_badreq(d, "expected a positive integer",
                                   "thinking.budget_tokens");
        if (b == NULL) {
            *e = A2O_EFFORT_MEDIUM;
            return A2O_E_OK;
        }
        *budget = (long)b->valuedouble;
        *e = *budget >= 4096   ? A2O_EFFORT_HIGH
             : *budget >= 2048 ? A2O_EFFORT_MEDIUM
                               : A2O_EFFORT_LOW;
    } else if (strcmp(type, "adaptive") == 0) {
        /* Claude Code 2.1.3xx: the strength is output_config.effort;
         * Anthropic's default effort is high */
        lvl = a2o_json_str(opt(in, "output_config"), "effort");
        *e = A2O_EFFORT_HIGH;
        if (lvl != NULL && strcmp(lvl, "low") == 0)
            *e = A2O_EFFORT_LOW;
        else if (lvl != NULL && strcmp(lvl, "medium") == 0)
            *e = A2O_EFFORT_MEDIUM;
        else if (lvl != NULL && strcmp(lvl, "max") == 0)
            *e = A2O_EFFORT_MAX;
    }
    /* "disabled" and types we do not know: no reasoning parameter */
    return A2O_E_OK;
}

/* The reasoning parameter in the upstream's dialect. */
static enum a2o_err
reasoning(const struct a2o_profile *pf, enum a2o_req_effort e, long budget,
          cJSON *root)
{
    cJSON *o;

    if (e == A2O_EFFORT_NONE)
        return A2O_E_OK;
    switch (pf->reasoning) {
    case A2O_REASONING_EFFORT:
        return a2o_json_add_str(root, "reasoning_effort", effort_name[e]);
    case A2O_REASONING_OPENROUTER:
        /* one of max_tokens or effort, never both (OpenRouter rejects) */
        o = cJSON_CreateObject();
        if (o == NULL ||
            (budget >= 0
                 ? a2o_json_add_num(o, "max_tokens", (double)budget)
                 : a2o_json_add_str(o, "effort", openrouter_effort[e]))) {
            cJSON_Delete(o);
            return A2O_E_NOMEM;
        }
        return a2o_json_attach(root, "reasoning", o);
    case A2O_REASONING_DEEPSEEK:
        o = cJSON_CreateObject();
        if (o == NULL || a2o_json_add_str(o, "type", "enabled")) {
            cJSON_Delete(o);
            return A2O_E_NOMEM;
        }
        return a2o_json_attach(root, "thinking", o);
    case A2O_REASONING_NONE:
    default:
        return A2O_E_OK;
    }
}

/* output_config.format (structured outputs) -> response_format. */
static enum a2o_err
response_format(const cJSON *in, const struct a2o_profile *pf, cJSON *root,
                struct a2o_diag *d)
{
    const cJSON *f = opt(opt(in, "output_config"), "format");
    const cJSON *schema;
    const char *type;
    cJSON *clean = NULL, *js, *rf;
    enum a2o_err err;

    if (f == NULL)
        f = opt(in, "output_format"); /* the beta's earlier spelling */
    type = a2o_json_str(f, "type");
    schema = opt(f, "schema");
    if (type == NULL || strcmp(type, "json_schema") != 0 ||
        !cJSON_IsObject(schema))
        return A2O_E_OK;
    err = a2o_schema_clean(schema, pf->schema, &clean, d);
    if (err == A2O_E_BADREQ)
        return a2o_diag_badreq(d, "invalid schema",
                               "output_config.format.schema");
    if (err != A2O_E_OK)
        return err;
    js = cJSON_CreateObject();
    if (js == NULL || a2o_json_add_str(js, "name", "output")) {
        cJSON_Delete(js);
        cJSON_Delete(clean);
        return A2O_E_NOMEM;
    }
    if (a2o_json_attach(js, "schema", clean) != A2O_E_OK) {
        cJSON_Delete(js);
        return A2O_E_NOMEM;
    }
    rf = cJSON_CreateObject();
    if (rf == NULL || a2o_json_add_str(rf, "type", "json_schema")) {
        cJSON_Delete(rf);
        cJSON_Delete(js);
        return A2O_E_NOMEM;
    }
    if (a2o_json_attach(rf, "json_schema", js) != A2O_E_OK) {
        cJSON_Delete(rf);
        return A2O_E_NOMEM;
    }
    return a2o_json_attach(root, "response_format", rf);
}

/* Sampling and output-length parameters. */
static enum a2o_err
params(const cJSON *in, const struct a2o_profile *pf, double maxtok, int stream,
       cJSON *root)
{
    const cJSON *v;
    enum a2o_err err;

    /* clamp only to a configured ceiling: a small default would cut
     * Claude Code's 32000/128000 answers short */
    if (pf->max_tokens_cap > 0 && maxtok > (double)pf->max_tokens_cap)
        maxtok = (double)pf->max_tokens_cap;
    err = a2o_json_add_num(root,
                           pf->maxtok_field == A2O_MAXTOK_MAX_COMPLETION_TOKENS
                               ? "max_completion_tokens"
                               : "max_tokens",
                           maxtok);
    if (err == A2O_E_OK && stream)
        err = a2o_json_add_bool(root, "stream", 1);
    if (err == A2O_E_OK && stream && pf->stream_options) {
        /* the usage chunk the stream converter waits for */
        cJSON *so = cJSON_CreateObject();

        if (so == NULL || a2o_json_add_bool(so, "include_usage", 1)) {
            cJSON_Delete(so);
            return A2O_E_NOMEM;
        }
        err = a2o_json_attach(root, "stream_options", so);
    }
    v = opt(in, "temperature");
    if (err == A2O_E_OK && v != NULL)
        err = a2o_json_add_num(root, "temperature", v->valuedouble);
    v = opt(in, "top_p");
    if (err == A2O_E_OK && v != NULL)
        err = a2o_json_add_num(root, "top_p", v->valuedouble);
    v = opt(in, "top_k");
    if (err == A2O_E_OK && v != NULL && pf->top_k)
        err = a2o_json_add_num(root, "top_k", v->valuedouble);
    return err;
}

enum a2o_err
a2o_req_convert_route(const cJSON *in, const struct a2o_route *rt, cJSON **out,
                      struct a2o_reqmeta **meta, struct a2o_diag *d)
{
    struct a2o_reqmeta *m = NULL;
    const struct a2o_profile *pf = &rt->profile;
    cJSON *root = NULL;
    double maxtok = 0;
    enum a2o_req_effort e = A2O_EFFORT_NONE;
    long budget = -1;
    size_t kept = 0;
    int stream;
    enum a2o_err err;

    a2o_diag_clear(d);
    err = a2o_req_check_top(in, &maxtok, d);
    if (err == A2O_E_OK)
        err = a2o_req_effort(in, &e, &budget, d);
    if (err != A2O_E_OK)
        return err;
    stream = cJSON_IsTrue(a2o_json_get(in, "stream"));
    m = cJSON_malloc(sizeof(*m));
    if (m == NULL)
        return A2O_E_NOMEM;
    memset(m, 0, sizeof(*m));
    m->client_model = a2o_str_dup(a2o_json_str(in, "model"));
    root = cJSON_CreateObject();
    if (m->client_model == NULL || root == NULL) {
        err = A2O_E_NOMEM;
        goto out;
    }
    err = a2o_json_add_str(root, "model", rt->model);
    /* Gemini's profile is the one that sends thought signatures */
    if (err == A2O_E_OK)
        err = a2o__req_messages(in, pf, pf->schema == A2O_SCHEMA_GEMINI,
                                rt->base_url, root, d);
    if (err == A2O_E_OK)
        err = params(in, pf, maxtok, stream, root);
    if (err == A2O_E_OK)
        err = a2o_req_stops(in, root, m, d);
    if (err == A2O_E_OK)
        err = a2o_req_user(in, root);
    if (err == A2O_E_OK)
        err = a2o_req_cache_key(rt, in, root, 0);
    if (err == A2O_E_OK)
        err = a2o_req_tools(in, pf, 0, root, m, &kept, d);
    if (err == A2O_E_OK)
        err = a2o_req_history_names(in, m);
    if (err == A2O_E_OK)
        err = a2o_req_tool_choice(in, pf, 0, kept, root, d);
    if (err == A2O_E_OK)
        err = reasoning(pf, e, budget, root);
    if (err == A2O_E_OK)
        err = response_format(in, pf, root, d);
out:
    if (err != A2O_E_OK) {
        cJSON_Delete(root);
        a2o_reqmeta_free(m);
        return err;
    }
    m->stream = stream;
    m->thinking = e != A2O_EFFORT_NONE;
    /* message_start's input_tokens, sent before the upstream reports
     * usage; a whole answer needs it only when the upstream reports none
     * (a2o_resp_opts.req), so it is left to then */
    m->input_estimate = stream ? a2o_tokens_request(in) : -1;
    *out = root;
    *meta = m;
    return A2O_E_OK;
}

enum a2o_err
a2o_req_convert(const cJSON *in, const struct a2o_conf *c, cJSON **out,
                struct a2o_reqmeta **meta, struct a2o_route *rt,
                struct a2o_diag *d)
{
    struct a2o_plan plan;
    enum a2o_err err;

    a2o_route_plan(c, in, &plan);
    err = a2o_req_convert_route(in, &plan.t[0], out, meta, d);
    if (err != A2O_E_OK)
        return err;
    if ((*meta)->input_estimate < 0) /* the long condition's, if counted */
        (*meta)->input_estimate = plan.estimate;
    /* the route borrows client_model from meta, which the caller keeps
     * for the whole request, not from in */
    *rt = plan.t[0];
    if (rt->model == rt->client_model) /* unmapped: the same string */
        rt->model = (*meta)->client_model;
    rt->client_model = (*meta)->client_model;
    return A2O_E_OK;
}

enum a2o_err
a2o_req_convert_bytes(const char *in, size_t n, const struct a2o_conf *c,
                      char **out, size_t *outn, struct a2o_reqmeta **meta,
                      struct a2o_route *rt, struct a2o_diag *d)
{
    cJSON *tree = NULL, *conv = NULL;
    struct a2o_reqmeta *m = NULL;
    char *s;
    enum a2o_err err;

    a2o_diag_clear(d);
    /* strict: trailing bytes, bad UTF-8 and NULs are 400s, not guesses */
    err = a2o_json_parse(in, n, &tree, d);
    if (err != A2O_E_OK)
        return err;
    err = a2o_req_convert(tree, c, &conv, &m, rt, d);
    /* the caller of bytes has no tree for the response converters */
    if (err == A2O_E_OK && m->input_estimate < 0)
        m->input_estimate = a2o_tokens_request(tree);
    cJSON_Delete(tree);
    if (err != A2O_E_OK)
        return err;
    s = a2o_json_print_str(conv, outn);
    cJSON_Delete(conv);
    if (s == NULL) {
        a2o_reqmeta_free(m);
        return A2O_E_NOMEM;
    }
    *out = s;
    *meta = m;
    return A2O_E_OK;
}
