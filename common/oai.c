/*
 * oai.c: the meaning of OpenAI completion fields, shared by the
 * non-stream (resp.c) and stream (stream.c) converters.
 */
#include "oai.h"

#include <stdio.h>
#include <string.h>

#include "json.h"
#include "toolid.h"
#include "str.h"

/* Reads a token count; NOTE: numbers are doubles in cJSON, so range-check
 * before the cast (a hostile 1e300 must not become UB). */
static int
get_count(const cJSON *obj, const char *key, long *out)
{
    const cJSON *v = a2o_json_get(obj, key);

    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 1e15)
        return 0;
    *out = (long)v->valuedouble;
    return 1;
}

int
a2o_oai_usage_read(const cJSON *obj, struct a2o_oai_usage *u)
{
    const cJSON *us = a2o_json_get(obj, "usage");

    if (!cJSON_IsObject(us))
        us = a2o_json_get(a2o_json_get(obj, "x_groq"), "usage");
    return a2o_oai_usage_of(us, u);
}

int
a2o_oai_usage_of(const cJSON *us, struct a2o_oai_usage *u)
{
    const cJSON *det;

    if (!cJSON_IsObject(us))
        return 0;
    if (get_count(us, "prompt_tokens", &u->prompt))
        u->have_prompt = 1;
    if (get_count(us, "completion_tokens", &u->completion))
        u->have_completion = 1;
    det = a2o_json_get(us, "prompt_tokens_details");
    /* OpenAI: cached_tokens; DeepSeek: prompt_cache_hit_tokens */
    if (!get_count(det, "cached_tokens", &u->cached))
        get_count(us, "prompt_cache_hit_tokens", &u->cached);
    /* OpenRouter/Anthropic-backed: cache_write_tokens, either place */
    if (!get_count(us, "cache_write_tokens", &u->cache_write))
        get_count(det, "cache_write_tokens", &u->cache_write);
    return 1;
}

long
a2o_oai_estimate(size_t n)
{
    return (long)((n + 3) / 4);
}

void
a2o_oai_usage_final(const struct a2o_oai_usage *o, long input_estimate,
                    size_t out_bytes, struct a2o_usage *u)
{
    long in;

    if (o->have_prompt) {
        /* prompt_tokens counts cached and cache-written tokens too;
         * Anthropic's input_tokens excludes both */
        in = o->prompt - o->cached - o->cache_write;
        u->input_tokens = in < 0 ? 0 : in;
    } else {
        u->input_tokens = input_estimate < 0 ? 0 : input_estimate;
    }
    u->output_tokens =
        o->have_completion ? o->completion : a2o_oai_estimate(out_bytes);
    u->cache_read_input_tokens = o->cached;
    u->cache_creation_input_tokens = o->cache_write;
    u->estimated = !(o->have_prompt && o->have_completion);
}

size_t
a2o_oai_max_stop(const struct a2o_reqmeta *m)
{
    size_t i, max = 0;

    for (i = 0; m != NULL && i < m->nstop; i++)
        if (m->stop[i] != NULL && strlen(m->stop[i]) > max)
            max = strlen(m->stop[i]);
    return max;
}

/* The requested stop sequence the text ends with, or NULL. */
static const char *
tail_match(const char *tail, size_t n, const struct a2o_reqmeta *m)
{
    size_t i;

    for (i = 0; m != NULL && i < m->nstop; i++) {
        const char *s = m->stop[i];
        size_t sl = s != NULL ? strlen(s) : 0;

        if (sl > 0 && sl <= n && memcmp(tail + n - sl, s, sl) == 0)
            return s;
    }
    return NULL;
}

const char *
a2o_oai_stop_reason(const struct a2o_oai_stop *st, const struct a2o_reqmeta *m,
                    const char **seq)
{
    const char *f = st->finish;

    *seq = NULL;
    /* what was produced first: a tool_use block is always answered
     * with tool_use, whatever finish_reason said ("stop" from Ollama) */
    if (st->tool_use)
        return "tool_use";
    if (f != NULL && strcmp(f, "length") == 0)
        return "max_tokens";
    if (st->refusal || (f != NULL && strcmp(f, "content_filter") == 0))
        return "refusal";
    if (f == NULL || strcmp(f, "stop") == 0) {
        /* vLLM names the stop string it matched in choice.stop_reason
         * (a number there is a stop token id, not a sequence) */
        if (st->matched != NULL && st->matched[0] != '\0') {
            *seq = st->matched;
            return "stop_sequence";
        }
        *seq = tail_match(st->tail, st->tailn, m);
        if (*seq != NULL)
            return "stop_sequence";
    }
    return "end_turn";
}

/* Appends the texts of reasoning_details[] items to scratch. */
static enum a2o_err
details_text(const cJSON *arr, struct a2o_buf *scratch)
{
    const cJSON *it;
    enum a2o_err err;

    cJSON_ArrayForEach(it, arr)
    {
        const char *t = a2o_json_str(it, "text");

        if (t == NULL)
            t = a2o_json_str(it, "summary"); /* reasoning.summary items */
        if (t == NULL || t[0] == '\0')
            continue;
        err = a2o_buf_adds(scratch, t);
        if (err != A2O_E_OK)
            return err;
    }
    return A2O_E_OK;
}

enum a2o_err
a2o_oai_reasoning_of(const cJSON *content, const cJSON *plain,
                     const cJSON *details, struct a2o_buf *scratch,
                     const char **p, size_t *n)
{
    const cJSON *first[2];
    enum a2o_err err;
    size_t i;

    *p = "";
    *n = 0;
    first[0] = content; /* reasoning_content: DeepSeek, vLLM, Kimi */
    first[1] = plain;   /* reasoning: OpenRouter, Ollama */
    for (i = 0; i < 2; i++) {
        if (cJSON_IsString(first[i]) && first[i]->valuestring[0] != '\0') {
            *p = first[i]->valuestring;
            *n = strlen(*p);
            return A2O_E_OK;
        }
    }
    if (!cJSON_IsArray(details))
        return A2O_E_OK;
    a2o_buf_reset(scratch);
    err = details_text(details, scratch);
    if (err != A2O_E_OK)
        return err;
    if (scratch->len > 0) {
        *p = scratch->p;
        *n = scratch->len;
    }
    return A2O_E_OK;
}

enum a2o_err
a2o_oai_reasoning(const cJSON *obj, struct a2o_buf *scratch, const char **p,
                  size_t *n)
{
    return a2o_oai_reasoning_of(
        a2o_json_get(obj, "reasoning_content"), a2o_json_get(obj, "reasoning"),
        a2o_json_get(obj, "reasoning_details"), scratch, p, n);
}

const char *
a2o_oai_tool_sig(const cJSON *tc)
{
    const cJSON *g = a2o_json_get(a2o_json_get(tc, "extra_content"), "google");
    const char *s = a2o_json_str(g, "thought_signature");

    return s != NULL && s[0] != '\0' ? s : NULL;
}

enum a2o_err
a2o_oai_tool_id(const char *id, const char *sig, unsigned long long *seed,
                struct a2o_buf *out)
{
    return a2o_oai_tool_id_for(id, sig, NULL, seed, out);
}

enum a2o_err
a2o_oai_tool_id_for(const char *id, const char *sig, const char *upstream,
                    unsigned long long *seed, struct a2o_buf *out)
{
    char made[31], tag[A2O_TOOLID_TAG_LEN + 1];
    size_t idn = id != NULL ? strlen(id) : 0;
    size_t sign = sig != NULL ? strlen(sig) : 0;

    if (idn == 0) {
        /* no id upstream (Gemini, old Ollama): make one, once per call */
        a2o_toolid_make(seed, made);
        id = made;
        idn = strlen(made);
    }
    if (sign == 0 && a2o_toolid_valid(id, idn))
        return a2o_buf_add(out, id, idn);
    a2o_toolid_tag(upstream, tag);
    return a2o_toolid_encode_tagged(id, idn, sig, sign, tag, out);
}

/* Length of the token (non-space run) at s. */
static size_t
token_len(const char *s, size_t n)
{
    size_t k = 0;

    while (k < n && s[k] != ' ' && s[k] != '"' && s[k] != '\'' &&
           (unsigned char)s[k] > 0x20)
        k++;
    return k;
}

enum a2o_err
a2o_oai_set_msg(struct a2o_diag *d, enum a2o_err err, const char *prefix,
                const char *s, size_t n)
{
    const size_t cap = 200; /* a short message, not a document */
    char *o;
    size_t i, len, room;

    if (d == NULL)
        return err;
    d->path[0] = '\0';
    o = d->msg;
    room = sizeof(d->msg) - 4; /* for "..." and the NUL */
    if (room > cap)
        room = cap;
    len = strlen(prefix) < room ? strlen(prefix) : room;
    memcpy(o, prefix, len);
    for (i = 0; i < n && len < room;) {
        unsigned char c = (unsigned char)s[i];
        size_t t;

        if ((i == 0 || s[i - 1] == ' ' || s[i - 1] == ':' || s[i - 1] == '"') &&
            (a2o_str_starts_ci_n(s + i, n - i, "sk-") ||
             a2o_str_starts_ci_n(s + i, n - i, "bearer "))) {
            /* never hand a key (or what looks like one) to a client */
            t = a2o_str_starts_ci_n(s + i, n - i, "bearer ") ? 7 : 0;
            t += token_len(s + i + t, n - i - t);
            if (len + 10 > room)
                break;
            memcpy(o + len, "[redacted]", 10);
            len += 10;
            i += t;
            continue;
        }
        o[len++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
        i++;
    }
    if (i < n) {
        /* cut at a UTF-8 boundary: drop a partial sequence */
        while (len > 0 && ((unsigned char)o[len - 1] & 0xc0) == 0x80)
            len--;
        if (len > 0 && (unsigned char)o[len - 1] >= 0xc0)
            len--;
        memcpy(o + len, "...", 3);
        len += 3;
    }
    o[len] = '\0';
    return err;
}

enum a2o_err
a2o_oai_inband_error(const cJSON *obj, struct a2o_diag *d)
{
    const cJSON *e = a2o_json_get(obj, "error"), *code;
    enum a2o_err err = A2O_E_BADGATEWAY;
    const char *msg;

    if (e == NULL || cJSON_IsNull(e))
        return A2O_E_OK;
    if (cJSON_IsString(e)) {
        msg = e->valuestring;
    } else {
        msg = a2o_json_str(e, "message");
        code = a2o_json_get(e, "code");
        if (!cJSON_IsNumber(code))
            code = a2o_json_get(e, "status");
        /* OpenRouter puts the HTTP status it would have sent in code */
        if (cJSON_IsNumber(code) && code->valuedouble >= 400 &&
            code->valuedouble < 600) {
            err = a2o_err_from_status((long)code->valuedouble);
            if (err == A2O_E_OK)
                err = A2O_E_BADGATEWAY;
        }
    }
    if (msg == NULL || msg[0] == '\0')
        msg = "the upstream reported an error";
    return a2o_oai_set_msg(d, err, "", msg, strlen(msg));
}

enum a2o_err
a2o_oai_event_json(const char *p, size_t n, int empty_ok, cJSON **root,
                   struct a2o_diag *d)
{
    const char *end = NULL;
    cJSON *r;

    *root = NULL;
    while (n > 0 && a2o_str_blank(p, 1)) {
        p++;
        n--;
    }
    while (n > 0 && a2o_str_blank(p + n - 1, 1))
        n--;
    if ((n == 0 && empty_ok) || (n == 6 && memcmp(p, "[DONE]", 6) == 0))
        return A2O_E_OK;
    if (a2o_json_value(p, n, &r, &end) == A2O_E_NOMEM)
        return A2O_E_NOMEM;
    if (r == NULL || !cJSON_IsObject(r) || end != p + n) {
        cJSON_Delete(r);
        return a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                            "the upstream sent a data line that is not a "
                            "JSON object");
    }
    *root = r;
    return A2O_E_OK;
}
