/*
 * rsp_req.c: Anthropic Messages request -> OpenAI Responses request.
 *
 * Validation and the parameters both APIs share (tools, tool_choice,
 * thinking, stop sequences, user) come from req.c through req.h, so
 * the two paths reject the same requests with the same paths.  The
 * conversation (instructions and input items) is rsp_msg.c.
 *
 * Top level: max_tokens -> max_output_tokens (at least 16, OpenAI's
 * minimum); thinking -> reasoning {effort, summary "auto"} with
 * store:false and include ["reasoning.encrypted_content"], so that the
 * reasoning can come back statelessly, for models that reason (profile
 * reasoning not "none", or an o-series/gpt-5/codex name; others answer
 * 400 to the parameter); output_config.format ->
 * text.format; metadata.user_id -> user (hashed); the session id ->
 * prompt_cache_key.  temperature and top_p go only to models that take
 * them: never with reasoning, never to o-series, gpt-5 or codex models
 * (which answer 400 "Unsupported parameter").  stop_sequences have no
 * Responses counterpart: they are applied to the answer on the way back
 * (meta->stop).  top_k does not exist there and is dropped.
 */
#include "rsp.h"

#include <ctype.h>
#include <string.h>

#include "json.h"
#include "oai.h"
#include "rsp_int.h"
#include "schema.h"
#include "tokens.h"
#include "str.h"

/* OpenAI's smallest max_output_tokens. */
#define MIN_OUTPUT 16

static const cJSON *
opt(const cJSON *in, const char *key)
{
    const cJSON *v = a2o_json_get(in, key);

    return cJSON_IsNull(v) ? NULL : v;
}

/* 1 for models that reject temperature and top_p on /responses: the
 * o-series (o1, o3, o4-mini...), gpt-5* and every *codex* model. */
static int
reasoning_model(const char *model)
{
    const char *m = strrchr(model, '/'); /* "openai/gpt-5" on gateways */
    char low[16];
    size_t i;

    m = m != NULL ? m + 1 : model;
    for (i = 0; i + 1 < sizeof(low) && m[i] != '\0'; i++)
        low[i] = (char)tolower((unsigned char)m[i]);
    low[i] = '\0';
    if (low[0] == 'o' && isdigit((unsigned char)low[1]))
        return 1;
    if (strncmp(low, "gpt-5", 5) == 0)
        return 1;
    for (i = 0; m[i] != '\0'; i++)
        if (strncmp(m + i, "codex", 5) == 0)
            return 1;
    return 0;
}

/* output_config.format (or output_format) -> text.format. */
static enum a2o_err
text_format(const cJSON *in, const struct a2o_profile *pf, cJSON *root,
            struct a2o_diag *d)
{
    const cJSON *f = opt(opt(in, "output_config"), "format");
    const cJSON *schema;
    const char *type;
    cJSON *clean = NULL, *fmt;
    enum a2o_err err;

    if (f == NULL)
        f = opt(in, "output_format");
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
    fmt = cJSON_CreateObject();
    if (fmt == NULL || a2o_json_add_str(fmt, "type", "json_schema") ||
        a2o_json_add_str(fmt, "name", "output")) {
        cJSON_Delete(fmt);
        cJSON_Delete(clean);
        return A2O_E_NOMEM;
    }
    if (a2o_json_attach(fmt, "schema", clean) != A2O_E_OK) {
        cJSON_Delete(fmt);
        return A2O_E_NOMEM;
    }
    return a2o_json_attach(root, "text", a2o_json_obj1("format", fmt));
}

/* reasoning {effort, summary}, store:false and the encrypted content. */
static enum a2o_err
reasoning(enum a2o_req_effort e, cJSON *root)
{
    cJSON *r, *inc;

    if (e == A2O_EFFORT_NONE)
        return A2O_E_OK;
    r = cJSON_CreateObject();
    if (r == NULL || a2o_json_add_str(r, "effort", a2o_req_effort_name(e)) ||
        a2o_json_add_str(r, "summary", "auto")) {
        cJSON_Delete(r);
        return A2O_E_NOMEM;
    }
    if (a2o_json_attach(root, "reasoning", r) != A2O_E_OK)
        return A2O_E_NOMEM;
    /* stateless: the reasoning comes back encrypted, in the history */
    inc = cJSON_CreateArray();
    if (a2o_json_add_bool(root, "store", 0) != A2O_E_OK ||
        a2o_json_append(inc,
                        cJSON_CreateString("reasoning.encrypted_content"))) {
        cJSON_Delete(inc);
        return A2O_E_NOMEM;
    }
    return a2o_json_attach(root, "include", inc);
}

/* max_output_tokens, stream, sampling, user, prompt_cache_key. */
static enum a2o_err
params(const cJSON *in, const struct a2o_route *rt, double maxtok, int stream,
       enum a2o_req_effort e, cJSON *root)
{
    const struct a2o_profile *pf = &rt->profile;
    const cJSON *v;
    enum a2o_err err;
    int sampling = e == A2O_EFFORT_NONE && !reasoning_model(rt->model);

    if (pf->max_tokens_cap > 0 && maxtok > (double)pf->max_tokens_cap)
        maxtok = (double)pf->max_tokens_cap;
    if (maxtok < MIN_OUTPUT)
        maxtok = MIN_OUTPUT;
    err = a2o_json_add_num(root, "max_output_tokens", maxtok);
    if (err == A2O_E_OK && stream)
        err = a2o_json_add_bool(root, "stream", 1);
    v = opt(in, "temperature");
    if (err == A2O_E_OK && v != NULL && sampling)
        err = a2o_json_add_num(root, "temperature", v->valuedouble);
    v = opt(in, "top_p");
    if (err == A2O_E_OK && v != NULL && sampling)
        err = a2o_json_add_num(root, "top_p", v->valuedouble);
    if (err == A2O_E_OK)
        err = a2o_req_user(in, root);
    /* one cache key per Claude Code session keeps its turns on the
     * machines that cached the prefix */
    if (err == A2O_E_OK)
        err = a2o_req_cache_key(rt, in, root, 1);
    return err;
}

enum a2o_err
a2o_rsp_req_convert(const cJSON *in, const struct a2o_route *rt, cJSON **out,
                    struct a2o_reqmeta **meta, struct a2o_diag *d)
{
    struct a2o_reqmeta *m = NULL;
    struct a2o_profile pf = rt->profile;
    cJSON *root = NULL;
    double maxtok = 0;
    enum a2o_req_effort e = A2O_EFFORT_NONE;
    long budget = -1;
    size_t kept = 0;
    int stream, m_thinking;
    enum a2o_err err;

    a2o_diag_clear(d);
    /* Responses parts carry no cache_control, and Gemini's signatures
     * do not apply */
    pf.cache_control = 0;
    err = a2o_req_check_top(in, &maxtok, d);
    if (err == A2O_E_OK)
        err = a2o_req_effort(in, &e, &budget, d);
    if (err != A2O_E_OK)
        return err;
    m_thinking = e != A2O_EFFORT_NONE;
    /* reasoning goes to models that take it: the profile says so
     * (UPSTREAM_REASONING, or OpenAI's o-series/gpt-5 inference) or the
     * name is one of the reasoning families; gpt-4.1 and friends answer
     * 400 to a reasoning parameter */
    if (pf.reasoning == A2O_REASONING_NONE && !reasoning_model(rt->model))
        e = A2O_EFFORT_NONE;
    stream = cJSON_IsTrue(a2o_json_get(in, "stream"));
    m = cJSON_malloc(sizeof(*m));
    if (m == NULL)
        return A2O_E_NOMEM;
    memset(m, 0, sizeof(*m));
    m->client_model =
        a2o_str_dup(rt->client_model != NULL ? rt->client_model
                                             : a2o_json_str(in, "model"));
    root = cJSON_CreateObject();
    if (m->client_model == NULL || root == NULL) {
        err = A2O_E_NOMEM;
        goto out;
    }
    err = a2o_json_add_str(root, "model", rt->model);
    if (err == A2O_E_OK)
        err = a2o__rsp_input(in, &pf, root, d);
    if (err == A2O_E_OK)
        err = params(in, rt, maxtok, stream, e, root);
    if (err == A2O_E_OK)
        err = a2o_req_stops(in, NULL, m, d);
    if (err == A2O_E_OK)
        err = a2o_req_tools(in, &pf, 1, root, m, &kept, d);
    if (err == A2O_E_OK)
        err = a2o_req_history_names(in, m);
    if (err == A2O_E_OK)
        err = a2o_req_tool_choice(in, &pf, 1, kept, root, d);
    if (err == A2O_E_OK)
        err = reasoning(e, root);
    if (err == A2O_E_OK)
        err = text_format(in, &pf, root, d);
out:
    if (err != A2O_E_OK) {
        cJSON_Delete(root);
        a2o_reqmeta_free(m);
        return err;
    }
    m->stream = stream;
    m->thinking = m_thinking; /* what the client asked for, as chat */
    /* for message_start; a whole answer computes it only if needed */
    m->input_estimate = stream ? a2o_tokens_request(in) : -1;
    *out = root;
    *meta = m;
    return A2O_E_OK;
}
