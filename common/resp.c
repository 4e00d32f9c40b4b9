/*
 * resp.c: OpenAI chat.completion -> Anthropic message (common/README.md §4).
 *
 * The content order is the one the stream converter produces: thinking
 * (reasoning fields, then a leading <think> block), text, tool_use.  The
 * stop reason, usage, reasoning and tool-id rules live in oai.c and are
 * the same for both paths.  A blank text is no block (as in the stream).
 * Tool calls that the model wrote as text (profile text_tool_calls,
 * txtcall.h) become tool_use blocks after the native ones; the text
 * around them stays text.
 * A stop sequence that the upstream left at the end of the text stays in
 * the text: the stream cannot take back what it sent, and both paths
 * must give the same answer.
 */
#include "resp.h"

#include <stdio.h>
#include <string.h>

#include "json.h"
#include "oai.h"
#include "tokens.h"
#include "txtcall.h"

#define MAX_DEPTH 1000 /* cJSON's nesting limit */

/* Drops blanks and then one ',' at the end of b (structural: a string
 * always ends with '"'). */
static void
trim_comma(struct a2o_buf *b)
{
    while (b->len > 0 && strchr(" \t\r\n", b->p[b->len - 1]) != NULL)
        b->len--;
    if (b->len > 0 && b->p[b->len - 1] == ',')
        b->len--;
    if (b->p != NULL)
        b->p[b->len] = '\0';
}

/*
 * Repairs the simple damage a model does to tool arguments: trailing
 * commas, and text cut short (unclosed strings, objects, arrays, a key
 * without its value).  Anything else is left for the parse to reject.
 * Returns A2O_E_BADJSON when it cannot help.
 */
static enum a2o_err
repair(const char *s, size_t n, struct a2o_buf *b)
{
    char stack[MAX_DEPTH];
    size_t depth = 0, i;
    int in_str = 0, esc = 0;
    enum a2o_err err = A2O_E_OK;

    for (i = 0; i < n && err == A2O_E_OK; i++) {
        char c = s[i];

        if (in_str) {
            if (esc)
                esc = 0;
            else if (c == '\\')
                esc = 1;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (depth == MAX_DEPTH)
                return A2O_E_BADJSON;
            stack[depth++] = c == '{' ? '}' : ']';
        } else if (c == '}' || c == ']') {
            if (depth == 0 || stack[depth - 1] != c)
                return A2O_E_BADJSON;
            depth--;
            trim_comma(b);
        }
        err = a2o_buf_add(b, &c, 1);
    }
    if (err == A2O_E_OK && in_str) {
        if (esc)
            b->len--; /* a lone backslash cannot be completed */
        err = a2o_buf_add(b, "\"", 1);
    }
    if (err != A2O_E_OK)
        return err;
    trim_comma(b);
    if (b->len > 0 && b->p[b->len - 1] == ':')
        err = a2o_buf_add(b, "null", 4);
    while (err == A2O_E_OK && depth > 0) {
        trim_comma(b);
        err = a2o_buf_add(b, &stack[--depth], 1);
    }
    return err;
}

/*
 * tool_use.input from function.arguments: an object as is, a string
 * parsed (repaired if simple, a JSON string holding an object unwrapped),
 * anything else {}.  Never fails but for A2O_E_NOMEM.
 */
static enum a2o_err
tool_input(const cJSON *args, size_t max, cJSON **out)
{
    struct a2o_buf b;
    cJSON *v = NULL, *inner;
    const char *s;
    size_t n;
    enum a2o_err err = A2O_E_OK;

    if (cJSON_IsObject(args)) {
        *out = cJSON_Duplicate(args, 1);
        return *out != NULL ? A2O_E_OK : A2O_E_NOMEM;
    }
    s = cJSON_IsString(args) ? args->valuestring : "";
    n = strlen(s);
    a2o_buf_init(&b, max);
    err = n > 0 ? a2o_json_try(s, n, &v) : A2O_E_BADJSON;
    if (err == A2O_E_BADJSON && n > 0) {
        err = repair(s, n, &b);
        if (err == A2O_E_OK)
            err = a2o_json_try(b.p, b.len, &v);
        else if (err != A2O_E_NOMEM)
            err = A2O_E_BADJSON;
    }
    a2o_buf_free(&b);
    if (err == A2O_E_BADJSON)
        err = A2O_E_OK; /* beyond repair: {} */
    if (err != A2O_E_OK)
        return err;
    if (cJSON_IsString(v)) {
        /* arguments encoded twice: "\"{\\\"a\\\":1}\"" */
        err = a2o_json_try(v->valuestring, strlen(v->valuestring), &inner);
        if (err == A2O_E_NOMEM) {
            cJSON_Delete(v);
            return err;
        }
        if (err == A2O_E_OK) {
            cJSON_Delete(v);
            v = inner;
        }
    }
    if (!cJSON_IsObject(v)) {
        cJSON_Delete(v);
        v = cJSON_CreateObject();
    }
    *out = v;
    return v != NULL ? A2O_E_OK : A2O_E_NOMEM;
}

/* Appends {"type":type, key:p[0..n)} (plus a signature for thinking). */
static enum a2o_err
add_block(cJSON *content, const char *type, const char *key, const char *p,
          size_t n)
{
    cJSON *blk = cJSON_CreateObject();
    char *t = cJSON_malloc(n + 1);
    enum a2o_err err = A2O_E_NOMEM;

    if (blk != NULL && t != NULL) {
        memcpy(t, p, n);
        t[n] = '\0';
        err = a2o_json_add_str(blk, "type", type);
        if (err == A2O_E_OK)
            err = a2o_json_add_str(blk, key, t);
        if (err == A2O_E_OK && strcmp(type, "thinking") == 0)
            err = a2o_json_add_str(blk, "signature", A2O_THINKING_SIGNATURE);
    }
    cJSON_free(t);
    if (err != A2O_E_OK) {
        cJSON_Delete(blk);
        return err;
    }
    return a2o_json_append(content, blk);
}

/* What the message said, gathered before blocks are built. */
struct parts {
    struct a2o_buf think; /* reasoning fields + leading <think> text */
    struct a2o_buf text;  /* content (and refusal) */
    int refusal;
    struct a2o_txtcall *tcalls; /* tool calls written as text */
    size_t ntcalls;
};

/* content: a string, or an array of {"type":"text","text"} parts. */
static enum a2o_err
gather_content(const cJSON *msg, struct a2o_buf *text)
{
    const cJSON *c = a2o_json_get(msg, "content"), *it;
    enum a2o_err err = A2O_E_OK;

    if (cJSON_IsString(c))
        return a2o_buf_adds(text, c->valuestring);
    cJSON_ArrayForEach(it, c)
    {
        const char *t = a2o_json_str(it, "text");

        if (t != NULL && err == A2O_E_OK)
            err = a2o_buf_adds(text, t);
    }
    return err;
}

/* Moves a leading <think>...</think> of text into think (profile
 * think_tags); an unclosed one takes the whole text. */
static enum a2o_err
split_think(struct parts *pt)
{
    const char *p = pt->text.p, *body, *end;
    size_t i = 0, n = pt->text.len, rest;
    enum a2o_err err;

    while (i < n && strchr(" \t\r\n", p[i]) != NULL)
        i++;
    if (n - i < 7 || memcmp(p + i, "<think>", 7) != 0)
        return A2O_E_OK;
    body = p + i + 7;
    end = strstr(body, "</think>");
    if (end == NULL)
        end = p + n;
    err = a2o_buf_add(&pt->think, body, (size_t)(end - body));
    if (err != A2O_E_OK)
        return err;
    if (end < p + n)
        end += 8;
    while (end < p + n && strchr(" \t\r\n", *end) != NULL)
        end++;
    rest = (size_t)(p + n - end);
    memmove(pt->text.p, end, rest);
    pt->text.len = rest;
    pt->text.p[rest] = '\0';
    return A2O_E_OK;
}

/* Moves tool calls written in the text (txtcall.h) to pt->tcalls. */
static enum a2o_err
text_calls(struct parts *pt, const struct a2o_reqmeta *m)
{
    struct a2o_buf rest;
    enum a2o_err err;

    a2o_buf_init(&rest, (size_t)64 << 20);
    err = a2o_txtcall_extract(pt->text.p, pt->text.len, m, &rest, &pt->tcalls,
                              &pt->ntcalls);
    if (err == A2O_E_OK && pt->ntcalls > 0) {
        a2o_buf_reset(&pt->text);
        err = a2o_buf_add(&pt->text, rest.p != NULL ? rest.p : "", rest.len);
    }
    a2o_buf_free(&rest);
    return err;
}

static enum a2o_err
gather(const cJSON *msg, const struct a2o_resp_opts *o, struct parts *pt)
{
    const char *p;
    size_t n;
    enum a2o_err err;

    err = a2o_oai_reasoning(msg, &pt->text, &p, &n);
    if (err == A2O_E_OK)
        err = a2o_buf_add(&pt->think, p, n);
    a2o_buf_reset(&pt->text);
    if (err == A2O_E_OK)
        err = gather_content(msg, &pt->text);
    if (err == A2O_E_OK && o->profile != NULL && o->profile->think_tags &&
        pt->text.len > 0)
        err = split_think(pt);
    if (err == A2O_E_OK && o->profile != NULL && o->profile->text_tool_calls &&
        o->meta != NULL && o->meta->ntools > 0 && pt->text.len > 0)
        err = text_calls(pt, o->meta);
    p = a2o_json_str(msg, "refusal");
    if (err == A2O_E_OK && p != NULL && p[0] != '\0') {
        pt->refusal = 1;
        err = a2o_buf_adds(&pt->text, p);
    }
    return err;
}

/* One tool call, from tool_calls[] or from the text. */
struct call {
    const char *id, *sig, *name;
    const cJSON *args; /* function.arguments (any type), or NULL */
};

/* Appends one tool_use block; *bytes grows by its name and input. */
static enum a2o_err
add_call(cJSON *content, const struct call *c, const struct a2o_resp_opts *o,
         unsigned long long *seed, size_t *bytes)
{
    const char *name = c->name;
    const cJSON *args = c->args;
    struct a2o_buf id;
    cJSON *blk = NULL, *input = NULL;
    enum a2o_err err;

    if (name == NULL || name[0] == '\0')
        return A2O_E_OK; /* a call without a name cannot be answered */
    if (o->meta != NULL)
        name = a2o_reqmeta_tool_name(o->meta, name);
    a2o_buf_init(&id, (size_t)1 << 20);
    err = a2o_oai_tool_id_for(c->id, c->sig, o->upstream, seed, &id);
    if (err == A2O_E_OK)
        err = tool_input(args, (size_t)64 << 20, &input);
    if (err == A2O_E_OK) {
        blk = cJSON_CreateObject();
        err = blk != NULL ? a2o_json_add_str(blk, "type", "tool_use")
                          : A2O_E_NOMEM;
    }
    if (err == A2O_E_OK)
        err = a2o_json_add_str(blk, "id", id.p);
    if (err == A2O_E_OK)
        err = a2o_json_add_str(blk, "name", name);
    if (err == A2O_E_OK) {
        err = a2o_json_attach(blk, "input", input);
        input = NULL;
    }
    a2o_buf_free(&id);
    cJSON_Delete(input);
    if (err != A2O_E_OK) {
        cJSON_Delete(blk);
        return err;
    }
    *bytes +=
        strlen(name) + (cJSON_IsString(args) ? strlen(args->valuestring) : 2);
    return a2o_json_append(content, blk);
}

/* A tool_calls[] element (or a legacy function_call). */
static enum a2o_err
add_tool(cJSON *content, const cJSON *tc, const cJSON *fn,
         const struct a2o_resp_opts *o, unsigned long long *seed, size_t *bytes)
{
    struct call c;

    c.id = a2o_json_str(tc, "id");
    c.sig = a2o_oai_tool_sig(tc);
    c.name = a2o_json_str(fn, "name");
    c.args = a2o_json_get(fn, "arguments");
    return add_call(content, &c, o, seed, bytes);
}

/* A tool call recovered from the text: a generated id. */
static enum a2o_err
add_text_call(cJSON *content, const struct a2o_txtcall *t,
              const struct a2o_resp_opts *o, unsigned long long *seed,
              size_t *bytes)
{
    struct call c;
    cJSON *args = cJSON_CreateString(t->args);
    enum a2o_err err;

    if (args == NULL)
        return A2O_E_NOMEM;
    c.id = NULL;
    c.sig = NULL;
    c.name = t->name;
    c.args = args;
    err = add_call(content, &c, o, seed, bytes);
    cJSON_Delete(args);
    return err;
}

/* The first choice with index 0 (or without index). */
static const cJSON *
first_choice(const cJSON *in)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, a2o_json_get(in, "choices"))
    {
        const cJSON *iv = a2o_json_get(c, "index");

        if (cJSON_IsObject(c) && (!cJSON_IsNumber(iv) || iv->valuedouble == 0))
            return c;
    }
    return NULL;
}

static enum a2o_err
add_usage(cJSON *msg, const struct a2o_usage *u)
{
    cJSON *us = cJSON_CreateObject();
    enum a2o_err err = us != NULL ? A2O_E_OK : A2O_E_NOMEM;

    if (err == A2O_E_OK)
        err = a2o_json_add_num(us, "input_tokens", (double)u->input_tokens);
    if (err == A2O_E_OK)
        err = a2o_json_add_num(us, "output_tokens", (double)u->output_tokens);
    if (err == A2O_E_OK)
        err = a2o_json_add_num(us, "cache_creation_input_tokens",
                               (double)u->cache_creation_input_tokens);
    if (err == A2O_E_OK)
        err = a2o_json_add_num(us, "cache_read_input_tokens",
                               (double)u->cache_read_input_tokens);
    if (err != A2O_E_OK) {
        cJSON_Delete(us);
        return err;
    }
    return a2o_json_attach(msg, "usage", us);
}

/* The blocks, in order: thinking, text, tool_use. */
static enum a2o_err
build_content(cJSON *content, const cJSON *m, const struct parts *pt,
              const struct a2o_resp_opts *o, size_t *bytes, int *tools)
{
    unsigned long long seed = o->seed;
    const cJSON *tc;
    enum a2o_err err = A2O_E_OK;
    size_t i;
    int before;

    if (pt->think.len > 0)
        err = add_block(content, "thinking", "thinking", pt->think.p,
                        pt->think.len);
    if (err == A2O_E_OK && pt->text.len > 0 &&
        strspn(pt->text.p, " \t\r\n") < pt->text.len)
        err = add_block(content, "text", "text", pt->text.p, pt->text.len);
    *bytes += pt->think.len + pt->text.len;
    before = cJSON_GetArraySize(content);
    cJSON_ArrayForEach(tc, a2o_json_get(m, "tool_calls"))
    {
        if (err == A2O_E_OK)
            err = add_tool(content, tc, a2o_json_get(tc, "function"), o, &seed,
                           bytes);
    }
    tc = a2o_json_get(m, "function_call"); /* the legacy functions API */
    if (err == A2O_E_OK && cJSON_IsObject(tc))
        err = add_tool(content, m, tc, o, &seed, bytes);
    for (i = 0; err == A2O_E_OK && i < pt->ntcalls; i++)
        err = add_text_call(content, &pt->tcalls[i], o, &seed, bytes);
    *tools = cJSON_GetArraySize(content) > before;
    return err;
}

enum a2o_err
a2o_resp_convert(const cJSON *in, const struct a2o_resp_opts *o, cJSON **out,
                 struct a2o_usage *u, struct a2o_diag *d)
{
    const cJSON *choice, *m;
    const char *model = "", *reason, *seq, *fin;
    struct parts pt;
    struct a2o_oai_usage ou;
    struct a2o_oai_stop st;
    struct a2o_usage us;
    cJSON *msg = NULL, *content = NULL;
    size_t bytes = 0;
    int tools = 0;
    long est;
    enum a2o_err err;

    err = a2o_oai_inband_error(in, d);
    if (err != A2O_E_OK)
        return err;
    choice = first_choice(in);
    m = a2o_json_get(choice, "message");
    if (!cJSON_IsObject(m))
        return a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                            "the upstream answer is not a chat.completion "
                            "(no choices[0].message)");
    fin = a2o_json_str(choice, "finish_reason");
    if (fin != NULL && strcmp(fin, "error") == 0)
        return a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                            "the upstream ended the completion with an "
                            "error");
    if (o->meta != NULL && o->meta->client_model != NULL)
        model = o->meta->client_model;
    memset(&pt, 0, sizeof(pt));
    a2o_buf_init(&pt.think, (size_t)64 << 20);
    a2o_buf_init(&pt.text, (size_t)64 << 20);
    err = gather(m, o, &pt);
    if (err == A2O_E_OK) {
        msg = cJSON_CreateObject();
        content = cJSON_CreateArray();
        if (msg == NULL || content == NULL)
            err = A2O_E_NOMEM;
    }
    if (err == A2O_E_OK)
        err = build_content(content, m, &pt, o, &bytes, &tools);
    if (err == A2O_E_OK)
        err = a2o_json_add_str(msg, "id", o->msg_id != NULL ? o->msg_id : "");
    if (err == A2O_E_OK)
        err = a2o_json_add_str(msg, "type", "message");
    if (err == A2O_E_OK)
        err = a2o_json_add_str(msg, "role", "assistant");
    if (err == A2O_E_OK)
        err = a2o_json_add_str(msg, "model", model);
    if (err == A2O_E_OK) {
        err = a2o_json_attach(msg, "content", content);
        content = NULL;
    }
    st.finish = fin;
    st.matched = a2o_json_str(choice, "stop_reason");
    st.tool_use = tools;
    st.refusal = pt.refusal;
    st.tail = pt.text.p != NULL ? pt.text.p : "";
    st.tailn = pt.text.len;
    reason = a2o_oai_stop_reason(&st, o->meta, &seq);
    if (err == A2O_E_OK)
        err = a2o_json_add_str(msg, "stop_reason", reason);
    if (err == A2O_E_OK)
        err = seq != NULL ? a2o_json_add_str(msg, "stop_sequence", seq)
              : cJSON_AddNullToObject(msg, "stop_sequence") != NULL
                  ? A2O_E_OK
                  : A2O_E_NOMEM;
    memset(&ou, 0, sizeof(ou));
    a2o_oai_usage_read(in, &ou);
    est = o->meta != NULL ? o->meta->input_estimate : -1;
    if (!ou.have_prompt) /* only then is the estimate the figure */
        est = a2o_tokens_known(est, o->req);
    a2o_oai_usage_final(&ou, est, bytes, &us);
    if (err == A2O_E_OK)
        err = add_usage(msg, &us);
    a2o_buf_free(&pt.think);
    a2o_buf_free(&pt.text);
    a2o_txtcall_free(pt.tcalls, pt.ntcalls);
    cJSON_Delete(content);
    if (err != A2O_E_OK) {
        cJSON_Delete(msg);
        return err;
    }
    *out = msg;
    if (u != NULL)
        *u = us;
    return A2O_E_OK;
}

enum a2o_err
a2o_resp_bytes(const char *in, size_t n,
               enum a2o_err (*conv)(const cJSON *in,
                                    const struct a2o_resp_opts *o, cJSON **out,
                                    struct a2o_usage *u, struct a2o_diag *d),
               const struct a2o_resp_opts *o, char **out, size_t *outn,
               struct a2o_usage *u, struct a2o_diag *d)
{
    cJSON *root = NULL, *msg = NULL;
    char *text;
    enum a2o_err err;

    a2o_diag_clear(d);
    err = a2o_json_parse(in, n, &root, d);
    if (err == A2O_E_BADJSON)
        return a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                            "the upstream answer is not valid JSON");
    if (err != A2O_E_OK)
        return err;
    err = conv(root, o, &msg, u, d);
    cJSON_Delete(root);
    if (err != A2O_E_OK)
        return err;
    text = a2o_json_print_str(msg, outn);
    cJSON_Delete(msg);
    if (text == NULL)
        return A2O_E_NOMEM;
    *out = text;
    return A2O_E_OK;
}

enum a2o_err
a2o_resp_convert_bytes(const char *in, size_t n, const struct a2o_resp_opts *o,
                       char **out, size_t *outn, struct a2o_usage *u,
                       struct a2o_diag *d)
{
    return a2o_resp_bytes(in, n, a2o_resp_convert, o, out, outn, u, d);
}

/* The message of a JSON error body, or NULL. */
static const char *
json_message(const cJSON *root)
{
    const cJSON *e, *det;
    const char *m;

    if (cJSON_IsArray(root)) /* Gemini wraps its error in an array */
        root = cJSON_GetArrayItem(root, 0);
    e = a2o_json_get(root, "error");
    if (cJSON_IsString(e))
        return e->valuestring;
    m = a2o_json_str(e, "message");
    if (m == NULL)
        m = a2o_json_str(root, "message");
    if (m == NULL)
        m = a2o_json_str(root, "detail"); /* FastAPI (vLLM, LiteLLM) */
    det = a2o_json_get(root, "detail");
    if (m == NULL && cJSON_IsArray(det)) /* FastAPI validation errors */
        m = a2o_json_str(cJSON_GetArrayItem(det, 0), "msg");
    return m != NULL && m[0] != '\0' ? m : NULL;
}

/* Finds s (lower case) in p[0..n) ignoring case; returns its offset or n. */
static size_t
find_ci(const char *p, size_t n, const char *s)
{
    size_t i, k, sl = strlen(s);

    for (i = 0; i + sl <= n; i++) {
        for (k = 0; k < sl; k++) {
            char c = p[i + k];

            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c != s[k])
                break;
        }
        if (k == sl)
            return i;
    }
    return n;
}

void
a2o_resp_error_message(const char *body, size_t n, long status,
                       struct a2o_diag *d)
{
    char prefix[64];
    const char *p = body != NULL ? body : "";
    size_t i = 0, t, e;
    cJSON *root = NULL;

    a2o_diag_clear(d);
    while (i < n && strchr(" \t\r\n", p[i]) != NULL)
        i++;
    snprintf(prefix, sizeof(prefix), "upstream returned HTTP %ld", status);
    if (i < n && (p[i] == '{' || p[i] == '[') &&
        a2o_json_parse(p + i, n - i, &root, NULL) == A2O_E_OK) {
        const char *m = json_message(root);

        if (m != NULL) {
            a2o_oai_set_msg(d, A2O_E_OK, "", m, strlen(m));
            cJSON_Delete(root);
            return;
        }
        cJSON_Delete(root);
        a2o_oai_set_msg(d, A2O_E_OK, prefix, "", 0);
        return;
    }
    if (i < n && p[i] == '<') {
        /* an HTML page (a proxy's or a load balancer's): its title at
         * most, never the rest (it may echo the request) */
        t = find_ci(p, n, "<title");
        if (t < n) {
            const char *gt = memchr(p + t, '>', n - t);

            if (gt != NULL) {
                t = (size_t)(gt + 1 - p);
                e = t + find_ci(p + t, n - t, "</title");
                while (t < e && strchr(" \t\r\n", p[t]) != NULL)
                    t++;
                while (e > t && strchr(" \t\r\n", p[e - 1]) != NULL)
                    e--;
                if (e > t) {
                    strcat(prefix, ": ");
                    a2o_oai_set_msg(d, A2O_E_OK, prefix, p + t, e - t);
                    return;
                }
            }
        }
        a2o_oai_set_msg(d, A2O_E_OK, prefix, "", 0);
        return;
    }
    if (i < n) {
        /* plain text: its first line */
        e = i;
        while (e < n && p[e] != '\n' && p[e] != '\r')
            e++;
        strcat(prefix, ": ");
        a2o_oai_set_msg(d, A2O_E_OK, prefix, p + i, e - i);
        return;
    }
    a2o_oai_set_msg(d, A2O_E_OK, prefix, "", 0);
}
