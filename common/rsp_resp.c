/*
 * rsp_resp.c: a whole OpenAI Responses object -> Anthropic message, and
 * what the stream reader (rsp_stream.c) shares with it: thinking
 * signatures and error codes.
 *
 * Output items, in their order:
 *   reasoning      thinking block: the summary texts joined by "\n\n"
 *                  (or the raw reasoning_text of open-weight models),
 *                  signature "a2o.rsp." id "." encrypted_content so the
 *                  item can be sent back (rsp_req.c); no block when it
 *                  has neither text nor encrypted content
 *   message        output_text -> text; refusal -> text with stop_reason
 *                  "refusal"; consecutive texts are one block, as in the
 *                  stream; a blank text is no block
 *   function_call  tool_use (id from call_id, toolid rules in oai.c;
 *                  input parsed from the arguments text, {} if broken)
 *   anything else  (server tools we never declared) dropped
 *
 * stop_reason: tool_use > max_tokens (status "incomplete", reason
 * max_output_tokens) > refusal (a refusal part, or reason
 * content_filter) > stop_sequence > end_turn, through
 * a2o_oai_stop_reason like chat.  Responses has no "stop" parameter, so
 * stop sequences are applied here: the text is cut before the first
 * match and nothing after it is kept.
 */
#include "rsp.h"

#include <string.h>

#include "json.h"
#include "oai.h"
#include "resp.h"
#include "tokens.h"
#include "toolid.h"
#include "str.h"

/* Cap of one answer's joined text (the body is capped by fcgi too). */
#define TEXT_MAX ((size_t)64 << 20)

/* Characters of a reasoning item id (rs_...) we carry as they are. */
static int
id_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Base64 (standard or URL-safe) characters: encrypted_content. */
static int
b64_char(int c)
{
    return id_char(c) || c == '+' || c == '/' || c == '=';
}

static int
all(const char *p, size_t n, int (*ok)(int))
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!ok((unsigned char)p[i]))
            return 0;
    return 1;
}

enum a2o_err
a2o_rsp_sig_encode(const char *id, const char *ec, struct a2o_buf *out)
{
    size_t idn = id != NULL ? strlen(id) : 0;
    size_t ecn = ec != NULL ? strlen(ec) : 0;
    enum a2o_err err;

    /* NOTE: '.' is neither an id nor a base64 character, so the one
     * separator is unambiguous */
    if (idn == 0 || !all(id, idn, id_char) || !all(ec, ecn, b64_char))
        return a2o_buf_adds(out, A2O_THINKING_SIGNATURE);
    err = a2o_buf_adds(out, A2O_RSP_SIG_PREFIX);
    if (err == A2O_E_OK)
        err = a2o_buf_add(out, id, idn);
    if (err == A2O_E_OK)
        err = a2o_buf_add(out, ".", 1);
    if (err == A2O_E_OK && ecn > 0)
        err = a2o_buf_add(out, ec, ecn);
    return err;
}

int
a2o_rsp_sig_decode(const char *sig, const char **id, size_t *idn,
                   const char **ec, size_t *ecn)
{
    const char *p, *dot;

    if (strncmp(sig, A2O_RSP_SIG_PREFIX, sizeof(A2O_RSP_SIG_PREFIX) - 1) != 0)
        return 0;
    p = sig + sizeof(A2O_RSP_SIG_PREFIX) - 1;
    dot = strchr(p, '.');
    if (dot == NULL || dot == p || !all(p, (size_t)(dot - p), id_char) ||
        !all(dot + 1, strlen(dot + 1), b64_char))
        return 0;
    *id = p;
    *idn = (size_t)(dot - p);
    *ec = dot + 1;
    *ecn = strlen(dot + 1);
    return 1;
}

enum a2o_err
a2o_rsp_error(const cJSON *e, struct a2o_diag *d)
{
    const char *code = a2o_json_str(e, "code");
    const char *msg = a2o_json_str(e, "message");
    enum a2o_err err = A2O_E_BADGATEWAY;

    if (code != NULL && (strcmp(code, "rate_limit_exceeded") == 0 ||
                         strcmp(code, "insufficient_quota") == 0))
        err = A2O_E_RATELIMIT;
    else if (code != NULL &&
             (strcmp(code, "invalid_prompt") == 0 ||
              strcmp(code, "context_length_exceeded") == 0 ||
              strcmp(code, "bio_policy") == 0 ||
              strstr(code, "image") != NULL || strstr(code, "file") != NULL))
        err = A2O_E_BADREQ;
    if (msg == NULL || msg[0] == '\0')
        msg = "the upstream response failed";
    return a2o_oai_set_msg(d, err, "", msg, strlen(msg));
}

/* usage {input_tokens, output_tokens, cache_*}, Anthropic's order. */
static enum a2o_err
add_usage(cJSON *msg, const struct a2o_usage *u)
{
    const char *const key[] = {"input_tokens", "output_tokens",
                               "cache_creation_input_tokens",
                               "cache_read_input_tokens"};
    const long val[] = {u->input_tokens, u->output_tokens,
                        u->cache_creation_input_tokens,
                        u->cache_read_input_tokens};
    cJSON *us = cJSON_CreateObject();
    size_t i;

    for (i = 0; us != NULL && i < sizeof(key) / sizeof(key[0]); i++) {
        if (a2o_json_add_num(us, key[i], (double)val[i]) != A2O_E_OK) {
            cJSON_Delete(us);
            return A2O_E_NOMEM;
        }
    }
    return a2o_json_attach(msg, "usage", us);
}

/* What a conversion gathers besides the blocks. */
struct acc {
    const struct a2o_resp_opts *o;
    unsigned long long seed;
    struct a2o_buf text; /* the text block being built */
    struct a2o_buf tmp;
    size_t bytes;  /* produced, for the usage estimate */
    int tools;     /* tool_use blocks made */
    int refusal;   /* a refusal part came */
    char *matched; /* the stop sequence that cut the text, borrowed */
};

/* {"type":type, key:p[0..n)} (+ signature sig for thinking). */
static enum a2o_err
add_block(cJSON *content, const char *type, const char *key, const char *p,
          size_t n, const char *sig, size_t sign)
{
    cJSON *b = cJSON_CreateObject();
    struct a2o_buf t;
    enum a2o_err err;

    a2o_buf_init(&t, TEXT_MAX);
    err = b == NULL ? A2O_E_NOMEM : a2o_json_add_str(b, "type", type);
    if (err == A2O_E_OK)
        err = a2o_buf_add(&t, p, n);
    if (err == A2O_E_OK)
        err = a2o_json_attach(b, key, a2o_json_str_take(&t));
    if (err == A2O_E_OK && sig != NULL) {
        err = a2o_buf_add(&t, sig, sign);
        if (err == A2O_E_OK)
            err = a2o_json_attach(b, "signature", a2o_json_str_take(&t));
    }
    a2o_buf_free(&t);
    if (err == A2O_E_OK)
        return a2o_json_append(content, b);
    cJSON_Delete(b);
    return err;
}

/* Ends the text block being built (a blank one is none). */
static enum a2o_err
flush_text(struct acc *a, cJSON *content)
{
    enum a2o_err err = A2O_E_OK;

    if (a->text.len > 0 && !a2o_str_blank(a->text.p, a->text.len))
        err =
            add_block(content, "text", "text", a->text.p, a->text.len, NULL, 0);
    a2o_buf_reset(&a->text);
    return err;
}

/* Text of a part, cut at the first stop sequence (then a->matched).
 * The text block being built is searched as a whole, as the stream
 * matches across the message items of one text block. */
static enum a2o_err
add_text(struct acc *a, const char *s)
{
    const struct a2o_reqmeta *m = a->o->meta;
    size_t start = a->text.len, cut, i;
    enum a2o_err err = a2o_buf_adds(&a->text, s);

    if (err != A2O_E_OK || a->text.p == NULL)
        return err;
    cut = a->text.len;
    for (i = 0; m != NULL && i < m->nstop; i++) {
        const char *hit = strstr(a->text.p, m->stop[i]);

        if (hit != NULL && (size_t)(hit - a->text.p) < cut) {
            cut = (size_t)(hit - a->text.p);
            a->matched = m->stop[i];
        }
    }
    a->text.len = cut;
    a->text.p[cut] = '\0';
    a->bytes += cut > start ? cut - start : 0;
    return A2O_E_OK;
}

static enum a2o_err
reasoning_item(struct acc *a, const cJSON *it, cJSON *content)
{
    const cJSON *p;
    const char *ec = a2o_json_str(it, "encrypted_content");
    enum a2o_err err = A2O_E_OK;

    a2o_buf_reset(&a->tmp);
    cJSON_ArrayForEach(p, a2o_json_get(it, "summary"))
    {
        const char *t = a2o_json_str(p, "text");

        if (t != NULL && t[0] != '\0' && err == A2O_E_OK)
            err = a2o_buf_join(&a->tmp, "\n\n", t, strlen(t));
    }
    if (a->tmp.len == 0) {
        /* open-weight models (gpt-oss) send the raw reasoning text */
        cJSON_ArrayForEach(p, a2o_json_get(it, "content"))
        {
            const char *t = a2o_json_str(p, "text");

            if (t != NULL && t[0] != '\0' && err == A2O_E_OK)
                err = a2o_buf_join(&a->tmp, "\n\n", t, strlen(t));
        }
    }
    if (err != A2O_E_OK)
        return err;
    if (a->tmp.len == 0 && (ec == NULL || ec[0] == '\0'))
        return A2O_E_OK;
    a->bytes += a->tmp.len;
    err = flush_text(a, content);
    if (err == A2O_E_OK) {
        struct a2o_buf sig;
        size_t tn = a->tmp.len;

        a2o_buf_init(&sig, TEXT_MAX);
        err = a2o_rsp_sig_encode(a2o_json_str(it, "id"), ec, &sig);
        if (err == A2O_E_OK)
            err = add_block(content, "thinking", "thinking",
                            tn > 0 ? a->tmp.p : "", tn, sig.p, sig.len);
        a2o_buf_free(&sig);
    }
    return err;
}

static enum a2o_err
message_item(struct acc *a, const cJSON *it)
{
    const cJSON *p;
    enum a2o_err err = A2O_E_OK;

    cJSON_ArrayForEach(p, a2o_json_get(it, "content"))
    {
        const char *type = a2o_json_str(p, "type");
        const char *t;

        if (type == NULL || err != A2O_E_OK || a->matched != NULL)
            continue;
        if (strcmp(type, "output_text") == 0) {
            t = a2o_json_str(p, "text");
            if (t != NULL)
                err = add_text(a, t);
        } else if (strcmp(type, "refusal") == 0) {
            t = a2o_json_str(p, "refusal");
            a->refusal = 1;
            if (t != NULL)
                err = add_text(a, t);
        }
    }
    return err;
}

static enum a2o_err
call_item(struct acc *a, const cJSON *it, cJSON *content)
{
    const char *name = a2o_json_str(it, "name");
    const char *args = a2o_json_str(it, "arguments");
    cJSON *b, *input = NULL;
    enum a2o_err err;

    if (name == NULL || name[0] == '\0')
        return A2O_E_OK; /* nothing the client could run */
    err = flush_text(a, content);
    if (err != A2O_E_OK)
        return err;
    if (args != NULL && a2o_json_try(args, strlen(args), &input) == A2O_E_NOMEM)
        return A2O_E_NOMEM; /* not JSON: {} below */
    if (!cJSON_IsObject(input)) {
        cJSON_Delete(input);
        input = cJSON_CreateObject();
    }
    a2o_buf_reset(&a->tmp);
    err = a2o_oai_tool_id(a2o_json_str(it, "call_id"), NULL, &a->seed, &a->tmp);
    b = cJSON_CreateObject();
    name = a->o->meta != NULL ? a2o_reqmeta_tool_name(a->o->meta, name) : name;
    if (err != A2O_E_OK || input == NULL || b == NULL ||
        a2o_json_add_str(b, "type", "tool_use") ||
        a2o_json_attach(b, "id", a2o_json_str_take(&a->tmp)) ||
        a2o_json_add_str(b, "name", name)) {
        cJSON_Delete(input);
        cJSON_Delete(b);
        return A2O_E_NOMEM;
    }
    if (a2o_json_attach(b, "input", input) != A2O_E_OK) {
        cJSON_Delete(b);
        return A2O_E_NOMEM;
    }
    a->tools++;
    a->bytes += strlen(name) + (args != NULL ? strlen(args) : 0);
    return a2o_json_append(content, b);
}

/* Every output item, in order, into content. */
static enum a2o_err
items(struct acc *a, const cJSON *output, cJSON *content)
{
    const cJSON *it;
    enum a2o_err err = A2O_E_OK;

    cJSON_ArrayForEach(it, output)
    {
        const char *type = a2o_json_str(it, "type");

        /* a stop sequence ends the answer where it matched */
        if (type == NULL || a->matched != NULL)
            continue;
        if (strcmp(type, "reasoning") == 0)
            err = reasoning_item(a, it, content);
        else if (strcmp(type, "message") == 0)
            err = message_item(a, it);
        else if (strcmp(type, "function_call") == 0)
            err = call_item(a, it, content);
        if (err != A2O_E_OK)
            return err;
    }
    return flush_text(a, content);
}

/* Our chat-side finish_reason for a response status. */
static const char *
finish_of(const cJSON *in)
{
    const char *status = a2o_json_str(in, "status");
    const char *why =
        a2o_json_str(a2o_json_get(in, "incomplete_details"), "reason");

    if (status != NULL && strcmp(status, "incomplete") == 0 && why != NULL) {
        if (strcmp(why, "max_output_tokens") == 0)
            return "length";
        if (strcmp(why, "content_filter") == 0)
            return "content_filter";
    }
    return "stop";
}

void
a2o_rsp_usage_read(const cJSON *us, struct a2o_oai_usage *u)
{
    const cJSON *v;

    v = a2o_json_get(us, "input_tokens");
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15) {
        u->prompt = (long)v->valuedouble;
        u->have_prompt = 1;
    }
    v = a2o_json_get(us, "output_tokens");
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15) {
        u->completion = (long)v->valuedouble;
        u->have_completion = 1;
    }
    v = a2o_json_get(a2o_json_get(us, "input_tokens_details"), "cached_tokens");
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15)
        u->cached = (long)v->valuedouble;
}

/* Checks what kind of object in is; A2O_E_OK for a finished response. */
static enum a2o_err
check(const cJSON *in, struct a2o_diag *d)
{
    const char *status = a2o_json_str(in, "status");
    const cJSON *e = a2o_json_get(in, "error");

    if (cJSON_IsObject(e))
        return a2o_rsp_error(e, d); /* failed, or a plain error body */
    if (status != NULL && strcmp(status, "failed") == 0)
        return a2o_rsp_error(NULL, d);
    if (status == NULL || !cJSON_IsArray(a2o_json_get(in, "output")))
        return a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                            "the upstream answer is not a Responses object");
    if (strcmp(status, "completed") != 0 && strcmp(status, "incomplete") != 0)
        return a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                            "the upstream response is not finished (status "
                            "%.40s)",
                            status);
    return A2O_E_OK;
}

enum a2o_err
a2o_rsp_resp_convert(const cJSON *in, const struct a2o_resp_opts *o,
                     cJSON **out, struct a2o_usage *u, struct a2o_diag *d)
{
    struct acc a;
    struct a2o_oai_stop st;
    struct a2o_oai_usage ou;
    struct a2o_usage us;
    const char *model = "", *reason, *seq;
    cJSON *msg = NULL, *content = NULL;
    long est;
    enum a2o_err err;

    a2o_diag_clear(d);
    err = check(in, d);
    if (err != A2O_E_OK)
        return err;
    if (o->meta != NULL && o->meta->client_model != NULL)
        model = o->meta->client_model;
    memset(&a, 0, sizeof(a));
    a.o = o;
    a.seed = o->seed;
    a2o_buf_init(&a.text, TEXT_MAX);
    a2o_buf_init(&a.tmp, TEXT_MAX);
    msg = cJSON_CreateObject();
    content = cJSON_CreateArray();
    err = msg != NULL && content != NULL ? A2O_E_OK : A2O_E_NOMEM;
    if (err == A2O_E_OK)
        err = items(&a, a2o_json_get(in, "output"), content);
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
    memset(&st, 0, sizeof(st));
    st.finish = finish_of(in);
    st.matched = a.matched;
    st.tool_use = a.tools > 0;
    st.refusal = a.refusal;
    st.tail = "";
    reason = a2o_oai_stop_reason(&st, o->meta, &seq);
    if (err == A2O_E_OK)
        err = a2o_json_add_str(msg, "stop_reason", reason);
    if (err == A2O_E_OK)
        err = seq != NULL ? a2o_json_add_str(msg, "stop_sequence", seq)
              : cJSON_AddNullToObject(msg, "stop_sequence") != NULL
                  ? A2O_E_OK
                  : A2O_E_NOMEM;
    memset(&ou, 0, sizeof(ou));
    a2o_rsp_usage_read(a2o_json_get(in, "usage"), &ou);
    est = o->meta != NULL ? o->meta->input_estimate : -1;
    if (!ou.have_prompt) /* only then is the estimate the figure */
        est = a2o_tokens_known(est, o->req);
    a2o_oai_usage_final(&ou, est, a.bytes, &us);
    if (err == A2O_E_OK)
        err = add_usage(msg, &us);
    a2o_buf_free(&a.text);
    a2o_buf_free(&a.tmp);
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
a2o_rsp_resp_convert_bytes(const char *in, size_t n,
                           const struct a2o_resp_opts *o, char **out,
                           size_t *outn, struct a2o_usage *u,
                           struct a2o_diag *d)
{
    return a2o_resp_bytes(in, n, a2o_rsp_resp_convert, o, out, outn, u, d);
}
