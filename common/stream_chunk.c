/*
 * stream_chunk.c: the reader of chat.completion.chunk data lines for
 * the stream converter (common/README.md §5): one parse per data line,
 * then, of the choice with index 0, reasoning (to the emitter), content
 * (through the think tags, stream_think.c), refusal, tool-call deltas
 * (stream_call.c); finish_reason and usage, which decide when the
 * message ends.  Events are written by the emitter (stream_emit.c).
 *
 * A data line that is not a JSON object (garbage, an HTML page) is an
 * error (A2O_E_BADGATEWAY): continuing would hide a broken upstream.
 * The closing events wait for the usage chunk (it follows the
 * finish_reason chunk, with choices: []), for [DONE] or for the end of
 * the body.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "str.h"
#include "stream_int.h"

/* Copies src into dst[0..size), cut to fit. */
static void
n_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Members of a delta, found in one pass over it (a chunk is read once;
 * a lookup per field would compare every key again). */
struct delta_fields {
    const cJSON *content, *reasoning_content, *reasoning, *details;
    const cJSON *refusal, *tool_calls, *function_call;
};

static void
delta_scan(const cJSON *dl, struct delta_fields *f)
{
    const cJSON *it;

    memset(f, 0, sizeof(*f));
    for (it = dl->child; it != NULL; it = it->next) {
        const char *k = it->string;

        if (k == NULL)
            continue;
        if (strcmp(k, "content") == 0)
            f->content = it;
        else if (strcmp(k, "tool_calls") == 0)
            f->tool_calls = it;
        else if (k[0] != 'r' && k[0] != 'f')
            continue; /* role, and anything we do not read */
        else if (strcmp(k, "reasoning_content") == 0)
            f->reasoning_content = it;
        else if (strcmp(k, "reasoning") == 0)
            f->reasoning = it;
        else if (strcmp(k, "reasoning_details") == 0)
            f->details = it;
        else if (strcmp(k, "refusal") == 0)
            f->refusal = it;
        else if (strcmp(k, "function_call") == 0)
            f->function_call = it;
    }
}

/* delta (or message) of one choice: reasoning, content, refusal, tool
 * calls, in that order. */
static enum a2o_err
delta(struct a2o_stream *s, const cJSON *dl)
{
    struct delta_fields f;
    const cJSON *tc;
    const char *p;
    size_t n;
    enum a2o_err err;

    delta_scan(dl, &f);
    err = a2o_oai_reasoning_of(f.reasoning_content, f.reasoning, f.details,
                               &s->scratch, &p, &n);
    if (err == A2O_E_OK)
        err = a2o__emit_reasoning(&s->em, p, n);
    if (err == A2O_E_OK && cJSON_IsString(f.content) &&
        f.content->valuestring[0] != '\0')
        err = a2o__think_content(s, f.content->valuestring,
                                 strlen(f.content->valuestring));
    if (err == A2O_E_OK && cJSON_IsString(f.refusal) &&
        f.refusal->valuestring[0] != '\0') {
        /* OpenAI's refusal text is the answer; stop_reason refusal */
        s->oc.refusal = 1;
        err = a2o__emit_text(&s->em, f.refusal->valuestring,
                             strlen(f.refusal->valuestring));
    }
    cJSON_ArrayForEach(tc, f.tool_calls)
    {
        if (err != A2O_E_OK)
            break;
        if (cJSON_IsObject(tc))
            err = a2o__call_delta(s, tc, a2o_json_get(tc, "function"));
    }
    /* the legacy functions API */
    if (err == A2O_E_OK && cJSON_IsObject(f.function_call))
        err = a2o__call_delta(s, dl, f.function_call);
    return err;
}

/* One choice: its delta (or whole message), finish_reason, and vLLM's
 * stop_reason (the stop string it matched). */
static enum a2o_err
choice(struct a2o_stream *s, const cJSON *ch)
{
    const cJSON *it, *dl = NULL, *msg = NULL, *fr = NULL, *sr = NULL;
    const char *em;
    enum a2o_err err = A2O_E_OK;

    for (it = ch->child; it != NULL; it = it->next) {
        if (it->string == NULL)
            continue;
        if (strcmp(it->string, "delta") == 0)
            dl = it;
        else if (strcmp(it->string, "finish_reason") == 0)
            fr = it;
        else if (strcmp(it->string, "message") == 0)
            msg = it;
        else if (strcmp(it->string, "stop_reason") == 0)
            sr = it;
    }
    if (!cJSON_IsObject(dl))
        dl = msg; /* some servers send the whole message at the end */
    if (cJSON_IsObject(dl))
        err = delta(s, dl);
    if (err != A2O_E_OK || !cJSON_IsString(fr) || fr->valuestring[0] == '\0')
        return err;
    if (strcmp(fr->valuestring, "error") == 0) {
        /* OpenRouter: a mid-stream failure, not a normal end */
        em = a2o_json_str(a2o_json_get(ch, "error"), "message");
        if (em == NULL)
            em = "the upstream ended the completion with an error";
        return a2o_oai_set_msg(s->d, A2O_E_BADGATEWAY, "", em, strlen(em));
    }
    n_copy(s->oc.finish, sizeof(s->oc.finish), fr->valuestring);
    if (cJSON_IsString(sr) && sr->valuestring[0] != '\0' &&
        s->oc.matched == NULL) {
        s->oc.matched = a2o_str_dup(sr->valuestring);
        if (s->oc.matched == NULL)
            return A2O_E_NOMEM;
    }
    return err;
}

/* The closing events: what the readers below still hold goes out
 * (think-tag look-ahead, held text, calls never started), then the
 * emitter's message_delta and message_stop. */
static enum a2o_err
final(struct a2o_stream *s)
{
    enum a2o_err err = a2o__think_end(s);

    if (err == A2O_E_OK)
        err = a2o__tc_end(s);
    if (err == A2O_E_OK)
        err = a2o__call_ready(s, 1);
    return err == A2O_E_OK ? a2o__emit_final(&s->em, &s->oc) : err;
}

/* One parsed chunk; its top-level members are found in one pass. */
static enum a2o_err
chunk(struct a2o_stream *s, const cJSON *root)
{
    const cJSON *it, *ch = NULL, *us = NULL, *groq = NULL, *c;
    int have_usage;
    enum a2o_err err = A2O_E_OK;

    for (it = root->child; it != NULL; it = it->next) {
        if (it->string == NULL)
            continue;
        if (strcmp(it->string, "choices") == 0)
            ch = it;
        else if (strcmp(it->string, "usage") == 0)
            us = it;
        else if (strcmp(it->string, "error") == 0)
            err = a2o_oai_inband_error(root, s->d);
        else if (strcmp(it->string, "x_groq") == 0)
            groq = a2o_json_get(it, "usage");
    }
    if (err != A2O_E_OK)
        return err;
    s->any_chunk = 1;
    s->nchunk++;
    err = a2o__emit_open(&s->em);
    if (err != A2O_E_OK)
        return err;
    have_usage = a2o_oai_usage_of(cJSON_IsObject(us) ? us : groq, &s->oc.usage);
    /* the choice this converter follows: index 0 (or the first) */
    cJSON_ArrayForEach(c, ch)
    {
        const cJSON *iv = a2o_json_get(c, "index");

        if (cJSON_IsObject(c) &&
            (!cJSON_IsNumber(iv) || iv->valuedouble == 0)) {
            err = choice(s, c);
            break;
        }
    }
    /* a call named in an earlier chunk waits no longer */
    if (err == A2O_E_OK)
        err = a2o__call_ready(s, 0);
    /* the usage chunk follows the finish_reason chunk (or is it):
     * only now is message_delta complete */
    if (err == A2O_E_OK && have_usage && s->oc.finish[0] != '\0')
        err = final(s);
    return err;
}

enum a2o_err
a2o__chunk_on_event(void *arg, const struct a2o_sse_event *ev)
{
    struct a2o_stream *s = arg;
    cJSON *root;
    enum a2o_err err;

    if (s->em.state == A2O_ST_FINAL || s->em.state == A2O_ST_ERROR)
        return A2O_E_OK;
    err = a2o_oai_event_json(ev->data, ev->datan, 0, &root, s->d);
    if (err != A2O_E_OK)
        return err;
    if (root == NULL)
        return a2o__chunk_end(s); /* [DONE] */
    err = chunk(s, root);
    cJSON_Delete(root);
    return err;
}

enum a2o_err
a2o__chunk_end(struct a2o_stream *s)
{
    if (s->em.state == A2O_ST_FINAL || s->em.state == A2O_ST_ERROR)
        return A2O_E_OK;
    if (!s->any_chunk)
        return a2o_diag_set(s->d, A2O_E_BADGATEWAY, NULL,
                            "the upstream sent no completion chunks");
    return final(s);
}
