/*
 * req_msg.c: Anthropic system + messages -> OpenAI messages
 * (common/README.md §1, System text and Messages).
 *
 * One pass over the input, O(total size).  The shapes differ in ways
 * that decide the design:
 *
 *  - OpenAI has one system message and it must come first; Claude Code
 *    also sends role "system" messages in the middle of the conversation.
 *    All system text is collected and the system message is inserted at
 *    the head of the array at the end.
 *  - An Anthropic user turn carries tool results and ordinary content
 *    together; OpenAI wants one "tool" message per result directly after
 *    the assistant message with the tool_calls, and the rest in a user
 *    message after them.  So the message being built is kept "pending"
 *    (not yet in the output array): tool messages go straight into the
 *    array, ahead of the pending user message, and consecutive input
 *    messages of the same role simply keep appending to the pending one
 *    (the merge rule) without ever re-walking the output.
 *  - Strict upstreams reject a tool message that answers no call of the
 *    assistant message just before it, and an assistant message whose
 *    calls are not all answered.  The calls of the last flushed assistant
 *    message stay "open" until the next user or assistant message is
 *    flushed: results for them become tool messages, anything else
 *    becomes user text, and unanswered calls get a placeholder result.
 */
#include "req_int.h"

#include <stdio.h>
#include <string.h>

#include "json.h"
#include "toolid.h"

/* Claude Code's per-request system block; it changes on every request
 * and would defeat the upstream's prompt caching. */
#define BILLING_PREFIX "x-anthropic-billing-header:"
/* A call the client never answered (strict upstreams need an answer). */
#define NO_RESULT "(no result)"

/* {"role": role, "content": content}; NULL (content freed) on failure. */
static cJSON *
role_msg(const char *role, cJSON *content)
{
    cJSON *m;

    if (content == NULL)
        return NULL;
    m = cJSON_CreateObject();
    if (m == NULL || a2o_json_add_str(m, "role", role) != A2O_E_OK) {
        cJSON_Delete(m);
        cJSON_Delete(content);
        return NULL;
    }
    if (a2o_json_attach(m, "content", content) != A2O_E_OK) {
        cJSON_Delete(m);
        return NULL;
    }
    return m;
}

/* One piece of system text, in order; empty text and the billing
 * header are dropped. */
static enum a2o_err
sys_add(struct a2o_req_mc *mc, const char *s, const cJSON *blk)
{
    size_t n = strlen(s);
    cJSON *p;

    if (n == 0 || strncmp(s, BILLING_PREFIX, sizeof(BILLING_PREFIX) - 1) == 0)
        return A2O_E_OK;
    if (!mc->bk.pf->cache_control)
        return a2o_buf_join(&mc->sys, "\n\n", s, n);
    /* With the cache_control profile the system prompt stays in parts,
     * so the breakpoints Claude Code puts on its static prompt keep
     * working upstream (OpenRouter -> Anthropic prompt caching). */
    if (mc->sysparts == NULL) {
        mc->sysparts = cJSON_CreateArray();
        if (mc->sysparts == NULL)
            return A2O_E_NOMEM;
    }
    p = a2o__req_text_part(&mc->bk, cJSON_CreateString(s), blk);
    return a2o_json_append(mc->sysparts, p);
}

/* Text of a block array (system, role "system" message); other block
 * types carry no system meaning and are skipped. */
static enum a2o_err
sys_blocks(struct a2o_req_mc *mc, const cJSON *arr, struct a2o_req_loc *l)
{
    const cJSON *blk;
    enum a2o_err err;

    l->b = 0;
    cJSON_ArrayForEach(blk, arr)
    {
        const char *type = a2o_json_str(blk, "type");
        const cJSON *text;

        if (!cJSON_IsObject(blk))
            return a2o_req_bad_at(&mc->bk, l, NULL, "expected an object");
        if (type == NULL)
            return a2o_req_bad_at(&mc->bk, l, "type", "expected a string");
        if (strcmp(type, "text") == 0) {
            text = a2o_json_get(blk, "text");
            if (!cJSON_IsString(text))
                return a2o_req_bad_at(&mc->bk, l, "text", "expected a string");
            err = sys_add(mc, text->valuestring, blk);
            if (err != A2O_E_OK)
                return err;
        }
        l->b++;
    }
    return A2O_E_OK;
}

/*
 * Answers every open call the client left unanswered, then closes.
 * NOTE: runs before the next user/assistant message is appended, so the
 * placeholders land right after the tool messages that did arrive;
 * OpenAI otherwise answers 400 "tool_call_ids did not have response
 * messages" (an interrupted Claude Code turn, a compacted history).
 */
static enum a2o_err
close_calls(struct a2o_req_mc *mc)
{
    const cJSON *call;
    size_t i = 0;

    if (mc->open == NULL)
        return A2O_E_OK;
    cJSON_ArrayForEach(call, mc->open)
    {
        if (i >= mc->answered.len || mc->answered.p[i] == 0) {
            cJSON *m = cJSON_CreateObject();

            if (m == NULL || a2o_json_add_str(m, "role", "tool") ||
                a2o_json_add_str(m, "tool_call_id", a2o_json_str(call, "id")) ||
                a2o_json_add_str(m, "content", NO_RESULT)) {
                cJSON_Delete(m);
                return A2O_E_NOMEM;
            }
            if (a2o_json_append(mc->msgs, m) != A2O_E_OK)
                return A2O_E_NOMEM;
        }
        i++;
    }
    mc->open = NULL;
    return A2O_E_OK;
}

/* Content of the pending user message: one plain text part becomes a
 * string (what every upstream accepts), anything else stays parts. */
static enum a2o_err
user_content(struct a2o_req_mc *mc, cJSON *m)
{
    cJSON *p = mc->parts;
    cJSON *text;

    mc->parts = NULL;
    if (p->child != NULL && p->child->next == NULL &&
        strcmp(a2o_json_str(p->child, "type"), "text") == 0 &&
        a2o_json_get(p->child, "cache_control") == NULL) {
        text = cJSON_DetachItemFromObjectCaseSensitive(p->child, "text");
        cJSON_Delete(p);
        return a2o_json_attach(m, "content", text);
    }
    return a2o_json_attach(m, "content", p);
}

/*
 * Content of the pending assistant message: its text as one string
 * (several upstreams reject part arrays from the assistant), null or ""
 * next to tool calls as the profile wants (Ollama rejects null), and
 * the thinking history as reasoning_content when it was collected.
 */
static enum a2o_err
assistant_content(struct a2o_req_mc *mc, cJSON *m)
{
    enum a2o_err err;
    cJSON *calls = mc->calls;

    if (mc->text.len > 0)
        err = a2o_json_attach(m, "content", a2o_json_str_take(&mc->text));
    else if (calls != NULL && mc->bk.pf->null_content)
        err = a2o_json_attach(m, "content", cJSON_CreateNull());
    else
        err = a2o_json_add_str(m, "content", ""); /* "" : Ollama et al. */
    if (err == A2O_E_OK && mc->reason.len > 0)
        err = a2o_json_attach(m, "reasoning_content",
                              a2o_json_str_take(&mc->reason));
    if (err == A2O_E_OK && calls != NULL) {
        mc->calls = NULL;
        err = a2o_json_attach(m, "tool_calls", calls);
    }
    return err;
}

/* Moves the pending message into the output. */
static enum a2o_err
flush(struct a2o_req_mc *mc)
{
    enum a2o_req_pend role = mc->role;
    cJSON *m, *calls = mc->calls;
    enum a2o_err err;

    if (role == A2O_PEND_NONE)
        return A2O_E_OK;
    err = close_calls(mc);
    if (err != A2O_E_OK)
        return err;
    m = cJSON_CreateObject();
    if (m == NULL)
        return A2O_E_NOMEM;
    err = a2o_json_add_str(m, "role",
                           role == A2O_PEND_USER ? "user" : "assistant");
    if (err == A2O_E_OK)
        err = role == A2O_PEND_USER ? user_content(mc, m)
                                    : assistant_content(mc, m);
    if (err == A2O_E_OK)
        err = a2o_json_append(mc->msgs, m);
    else
        cJSON_Delete(m);
    if (err != A2O_E_OK)
        return err;
    mc->role = A2O_PEND_NONE;
    a2o_buf_reset(&mc->text);
    a2o_buf_reset(&mc->reason);
    /* these calls are now the ones tool results may answer; anything
     * flushed after them closes them (close_calls above) */
    if (role == A2O_PEND_ASSISTANT && calls != NULL) {
        size_t n = (size_t)cJSON_GetArraySize(calls);

        /* the calls are now inside msgs, which outlives mc->open */
        mc->open = calls;
        a2o_buf_reset(&mc->answered);
        while (err == A2O_E_OK && mc->answered.len < n)
            err = a2o_buf_add(&mc->answered, "", 1);
    }
    return err;
}

/* Makes role the pending message, flushing another one first.  Called
 * lazily, when a block actually produces output, so that a message that
 * converts to nothing (only unknown blocks) does not split the merge of
 * its neighbours. */
static enum a2o_err
begin(struct a2o_req_mc *mc, enum a2o_req_pend role)
{
    enum a2o_err err;

    if (mc->role == role)
        return A2O_E_OK;
    err = flush(mc);
    if (err != A2O_E_OK)
        return err;
    if (role == A2O_PEND_USER) {
        mc->parts = cJSON_CreateArray();
        if (mc->parts == NULL)
            return A2O_E_NOMEM;
    }
    mc->role = role;
    return A2O_E_OK;
}

/* Appends part (NULL: a failed create) to the pending user message. */
static enum a2o_err
add_user_part(struct a2o_req_mc *mc, cJSON *part)
{
    enum a2o_err err;

    if (part == NULL)
        return A2O_E_NOMEM;
    err = begin(mc, A2O_PEND_USER);
    if (err != A2O_E_OK) {
        cJSON_Delete(part);
        return err;
    }
    return a2o_json_append(mc->parts, part);
}

/* Index of the open call with the decoded id in mc->id, or -1 when it is
 * not open or already answered. */
static long
open_index(const struct a2o_req_mc *mc)
{
    const cJSON *call;
    long i = 0;

    cJSON_ArrayForEach(call, mc->open)
    {
        const char *id = a2o_json_str(call, "id");

        if (id != NULL && strcmp(id, mc->id.p) == 0)
            return (size_t)i < mc->answered.len && mc->answered.p[i] == 0 ? i
                                                                          : -1;
        i++;
    }
    return -1;
}

/* place of a2o_req_result_text: images and files go to the user
 * message after the tool messages. */
static enum a2o_err
place_part(void *arg, cJSON *part)
{
    return add_user_part(arg, part);
}

/* Appends the tool message answering open call idx (id in mc->id)
 * straight to msgs: ahead of the pending user message, if any. */
static enum a2o_err
tool_msg(struct a2o_req_mc *mc, long idx, cJSON *text)
{
    cJSON *m = role_msg("tool", text);

    if (m == NULL || a2o_json_add_str(m, "tool_call_id", mc->id.p)) {
        cJSON_Delete(m);
        return A2O_E_NOMEM;
    }
    mc->answered.p[idx] = 1;
    return a2o_json_append(mc->msgs, m);
}

/* tool_result -> a tool message (or user text when it answers no open
 * call: orphans after context compaction would fail strict upstreams). */
static enum a2o_err
tool_result(struct a2o_req_mc *mc, const cJSON *blk, struct a2o_req_loc *l)
{
    const char *tid = a2o_json_str(blk, "tool_use_id");
    const cJSON *c = a2o_json_get(blk, "content");
    size_t moved;
    long idx;
    cJSON *text;
    enum a2o_err err;

    if (tid == NULL)
        return a2o_req_bad_at(&mc->bk, l, "tool_use_id", "expected a string");
    if (c != NULL && !cJSON_IsNull(c) && !cJSON_IsString(c) &&
        !cJSON_IsArray(c))
        return a2o_req_bad_at(
            &mc->bk, l, "content",
            "expected a string or an array of content blocks");
    if (mc->role == A2O_PEND_ASSISTANT) {
        err = flush(mc); /* the calls being answered must be out first */
        if (err != A2O_E_OK)
            return err;
    }
    a2o_buf_reset(&mc->id);
    a2o_buf_reset(&mc->sig);
    err = a2o_toolid_decode(tid, strlen(tid), &mc->id, &mc->sig);
    if (err != A2O_E_OK)
        return err;
    if (mc->id.p == NULL)
        return A2O_E_OK; /* "" answers nothing and says nothing */
    idx = open_index(mc);
    /* the common case, a plain answered string: one copy, no buffer */
    if (idx >= 0 && cJSON_IsString(c) && c->valuestring[0] != '\0' &&
        !cJSON_IsTrue(a2o_json_get(blk, "is_error")))
        return tool_msg(mc, idx, cJSON_CreateString(c->valuestring));
    err = a2o_req_result_text(&mc->bk, blk, l, idx < 0 ? mc->id.p : NULL,
                              &mc->tmp, place_part, mc, &moved);
    if (err != A2O_E_OK)
        return err;
    text = a2o_json_str_take(&mc->tmp);
    if (idx < 0)
        return add_user_part(mc, a2o__req_text_part(&mc->bk, text, NULL));
    return tool_msg(mc, idx, text);
}

/* One block of a user message.  Unknown types (container_upload,
 * whatever comes next) are dropped, never an error: lenient in. */
static enum a2o_err
user_block(struct a2o_req_mc *mc, const cJSON *blk, const char *type,
           struct a2o_req_loc *l)
{
    const cJSON *text;
    cJSON *part = NULL;
    enum a2o_err err;
    int done;

    if (strcmp(type, "text") == 0) {
        text = a2o_json_get(blk, "text");
        if (!cJSON_IsString(text))
            return a2o_req_bad_at(&mc->bk, l, "text", "expected a string");
        if (text->valuestring[0] == '\0')
            return A2O_E_OK; /* empty text blocks are rejected upstream */
        return add_user_part(
            mc, a2o__req_text_part(&mc->bk,
                                   cJSON_CreateString(text->valuestring), blk));
    }
    if (strcmp(type, "tool_result") == 0)
        return tool_result(mc, blk, l);
    if (strcmp(type, "image") == 0) {
        err = a2o_req_image(&mc->bk, blk, l, &part);
        return err == A2O_E_OK ? add_user_part(mc, part) : err;
    }
    if (strcmp(type, "document") == 0) {
        int is_text;

        err = a2o_req_document(&mc->bk, blk, l, &part, &is_text);
        if (err != A2O_E_OK || (part == NULL && mc->bk.data.len == 0))
            return err;
        if (part == NULL)
            part = a2o__req_text_part(&mc->bk, a2o_json_str_take(&mc->bk.data),
                                      blk);
        return add_user_part(mc, part);
    }
    a2o_buf_reset(&mc->tmp);
    err = a2o_req_aux_text(blk, type, &mc->tmp, "", &done);
    if (err != A2O_E_OK || mc->tmp.len == 0)
        return err;
    return add_user_part(
        mc, a2o__req_text_part(&mc->bk, a2o_json_str_take(&mc->tmp), blk));
}

/* tool_use -> {"id","type":"function","function":{"name","arguments"}}. */
static enum a2o_err
tool_use(struct a2o_req_mc *mc, const cJSON *blk, struct a2o_req_loc *l)
{
    const char *id = a2o_json_str(blk, "id");
    const char *name = a2o_json_str(blk, "name");
    const cJSON *input = a2o_json_get(blk, "input");
    char shortname[65], tag[A2O_TOOLID_TAG_LEN + 1];
    cJSON *call = NULL, *fn = NULL, *g;
    enum a2o_err err;

    if (id == NULL)
        return a2o_req_bad_at(&mc->bk, l, "id", "expected a string");
    if (name == NULL)
        return a2o_req_bad_at(&mc->bk, l, "name", "expected a string");
    if (!cJSON_IsObject(input))
        return a2o_req_bad_at(&mc->bk, l, "input", "expected an object");
    err = begin(mc, A2O_PEND_ASSISTANT);
    if (err == A2O_E_OK && mc->calls == NULL) {
        mc->calls = cJSON_CreateArray();
        if (mc->calls == NULL)
            err = A2O_E_NOMEM;
    }
    /* the upstream gets its own id back (Kimi "functions.Bash:0"), and
     * Gemini its thought signature: both travelled inside the id */
    a2o_buf_reset(&mc->id);
    a2o_buf_reset(&mc->sig);
    if (err == A2O_E_OK)
        err = a2o_toolid_decode_tagged(id, strlen(id), &mc->id, &mc->sig, tag);
    if (err != A2O_E_OK)
        return err;
    /* the same short name as in the tools list, so history and
     * declarations agree on every turn (the hash is deterministic) */
    a2o_toolname_short(name, shortname);
    fn = cJSON_CreateObject();
    call = cJSON_CreateObject();
    if (fn == NULL || call == NULL ||
        a2o_json_add_str(call, "id", mc->id.p != NULL ? mc->id.p : "") ||
        a2o_json_add_str(call, "type", "function") ||
        a2o_json_add_str(fn, "name", shortname) ||
        /* arguments are JSON text; an empty input prints as "{}" */
        a2o_json_attach(fn, "arguments",
                        a2o_json_str_own(a2o_json_print_str(input, NULL))))
        goto nomem;
    err = a2o_json_attach(call, "function", fn);
    fn = NULL;
    if (err != A2O_E_OK)
        goto nomem;
    if (mc->sig.len > 0 &&
        (tag[0] != '\0' ? strcmp(tag, mc->tag) == 0 : mc->gemini)) {
        /* Gemini rejects the next turn unless each call's thought
         * signature comes back exactly where it sent it, also behind a
         * gateway (LiteLLM, OpenRouter) whose profile is not Gemini's;
         * the tag keeps it from any other upstream, which would reject
         * the unknown field.  Old ids without a tag: Gemini only. */
        g = cJSON_CreateObject();
        if (g == NULL ||
            a2o_json_add_str(g, "thought_signature", mc->sig.p) != A2O_E_OK) {
            cJSON_Delete(g);
            goto nomem;
        }
        if (a2o_json_attach(call, "extra_content",
                            a2o_json_obj1("google", g)) != A2O_E_OK)
            goto nomem;
    }
    return a2o_json_append(mc->calls, call);
nomem:
    cJSON_Delete(fn);
    cJSON_Delete(call);
    return A2O_E_NOMEM;
}

/* One block of an assistant message. */
static enum a2o_err
assistant_block(struct a2o_req_mc *mc, const cJSON *blk, const char *type,
                struct a2o_req_loc *l)
{
    const cJSON *text;
    enum a2o_err err;
    int done;

    if (strcmp(type, "text") == 0) {
        text = a2o_json_get(blk, "text");
        if (!cJSON_IsString(text))
            return a2o_req_bad_at(&mc->bk, l, "text", "expected a string");
        if (text->valuestring[0] == '\0')
            return A2O_E_OK;
        err = begin(mc, A2O_PEND_ASSISTANT);
        return err == A2O_E_OK
                   ? a2o_buf_join(&mc->text, "\n\n", text->valuestring,
                                  strlen(text->valuestring))
                   : err;
    }
    if (strcmp(type, "tool_use") == 0)
        return tool_use(mc, blk, l);
    if (strcmp(type, "thinking") == 0) {
        /* replayed only to upstreams that reject history without it
         * (DeepSeek, Kimi, vLLM reasoning parsers) */
        const char *t = a2o_json_str(blk, "thinking");

        if (!mc->bk.pf->thinking_replay || t == NULL || t[0] == '\0')
            return A2O_E_OK;
        err = begin(mc, A2O_PEND_ASSISTANT);
        return err == A2O_E_OK ? a2o_buf_join(&mc->reason, "\n\n", t, strlen(t))
                               : err;
    }
    /* server tool traffic the model saw; redacted_thinking, images and
     * unknown blocks have nothing an upstream could use */
    a2o_buf_reset(&mc->tmp);
    err = a2o_req_aux_text(blk, type, &mc->tmp, "", &done);
    if (err != A2O_E_OK || mc->tmp.len == 0)
        return err;
    err = begin(mc, A2O_PEND_ASSISTANT);
    return err == A2O_E_OK
               ? a2o_buf_join(&mc->text, "\n\n", mc->tmp.p, mc->tmp.len)
               : err;
}

/* One input message. */
static enum a2o_err
message(struct a2o_req_mc *mc, const cJSON *msg, size_t i)
{
    const char *role = a2o_json_str(msg, "role");
    const cJSON *c = a2o_json_get(msg, "content"), *blk;
    struct a2o_req_loc l = {i, 0, 0, 0, 0};
    int user;
    enum a2o_err err;

    if (!cJSON_IsObject(msg))
        return a2o_diag_badreq(mc->bk.d, "expected an object", "messages[%zu]",
                               i);
    if (role == NULL ||
        (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0 &&
         strcmp(role, "system") != 0))
        return a2o_diag_badreq(mc->bk.d,
                               "expected \"user\", \"assistant\" or \"system\"",
                               "messages[%zu].role", i);
    if (!cJSON_IsString(c) && !cJSON_IsArray(c))
        return a2o_diag_badreq(
            mc->bk.d, "expected a string or an array of content blocks",
            "messages[%zu].content", i);
    /* Claude Code sends these mid-conversation: fold into the one
     * leading system message, never a system message after a user one */
    if (role[0] == 's')
        return cJSON_IsString(c) ? sys_add(mc, c->valuestring, NULL)
                                 : sys_blocks(mc, c, &l);
    user = role[0] == 'u';
    /* a string is one text block; "" is dropped like an empty block */
    if (cJSON_IsString(c)) {
        if (c->valuestring[0] == '\0')
            return A2O_E_OK;
        if (user)
            return add_user_part(
                mc, a2o__req_text_part(
                        &mc->bk, cJSON_CreateString(c->valuestring), NULL));
        err = begin(mc, A2O_PEND_ASSISTANT);
        return err == A2O_E_OK ? a2o_buf_join(&mc->text, "\n\n", c->valuestring,
                                              strlen(c->valuestring))
                               : err;
    }
    cJSON_ArrayForEach(blk, c)
    {
        const char *type = a2o_json_str(blk, "type");

        if (!cJSON_IsObject(blk))
            return a2o_req_bad_at(&mc->bk, &l, NULL, "expected an object");
        if (type == NULL)
            return a2o_req_bad_at(&mc->bk, &l, "type", "expected a string");
        err = user ? user_block(mc, blk, type, &l)
                   : assistant_block(mc, blk, type, &l);
        if (err != A2O_E_OK)
            return err;
        l.b++;
    }
    return A2O_E_OK;
}

/* Builds the leading system message from everything collected. */
static enum a2o_err
system_message(struct a2o_req_mc *mc)
{
    cJSON *m, *content;

    if (mc->sysparts != NULL) {
        content = mc->sysparts;
        mc->sysparts = NULL;
    } else if (mc->sys.len > 0) {
        content = a2o_json_str_take(&mc->sys);
    } else {
        return A2O_E_OK;
    }
    m = role_msg("system", content);
    if (m == NULL)
        return A2O_E_NOMEM;
    if (!cJSON_InsertItemInArray(mc->msgs, 0, m)) {
        cJSON_Delete(m);
        return A2O_E_NOMEM;
    }
    return A2O_E_OK;
}

enum a2o_err
a2o__req_messages(const cJSON *in, const struct a2o_profile *pf, int gemini,
                  const char *upstream, cJSON *root, struct a2o_diag *d)
{
    const cJSON *sys = a2o_json_get(in, "system");
    const cJSON *msgs = a2o_json_get(in, "messages"), *m;
    struct a2o_req_mc mc;
    struct a2o_req_loc l = {0, 0, 0, 0, 1};
    size_t i = 0;
    enum a2o_err err = A2O_E_OK;

    memset(&mc, 0, sizeof(mc));
    mc.bk.pf = pf;
    mc.gemini = gemini;
    a2o_toolid_tag(upstream, mc.tag);
    mc.bk.d = d;
    a2o_buf_init(&mc.sys, A2O_REQ_BUF_MAX);
    a2o_buf_init(&mc.text, A2O_REQ_BUF_MAX);
    a2o_buf_init(&mc.reason, A2O_REQ_BUF_MAX);
    a2o_buf_init(&mc.answered, A2O_REQ_BUF_MAX);
    a2o_buf_init(&mc.id, A2O_REQ_BUF_MAX);
    a2o_buf_init(&mc.sig, A2O_REQ_BUF_MAX);
    a2o_buf_init(&mc.tmp, A2O_REQ_BUF_MAX);
    a2o_buf_init(&mc.bk.data, A2O_REQ_BUF_MAX);
    mc.msgs = cJSON_CreateArray();
    if (mc.msgs == NULL)
        return A2O_E_NOMEM;

    if (cJSON_IsString(sys))
        err = sys_add(&mc, sys->valuestring, NULL);
    else if (cJSON_IsArray(sys))
        err = sys_blocks(&mc, sys, &l);
    else if (sys != NULL && !cJSON_IsNull(sys))
        err = a2o_diag_badreq(d, "expected a string or an array of text blocks",
                              "system");
    cJSON_ArrayForEach(m, msgs)
    {
        if (err != A2O_E_OK)
            break;
        err = message(&mc, m, i++);
    }
    /* the last pending message, then answers for calls nobody answered
     * (a history that ends on tool calls), then the system message at
     * the head: only now is all system text known */
    if (err == A2O_E_OK)
        err = flush(&mc);
    if (err == A2O_E_OK)
        err = close_calls(&mc);
    if (err == A2O_E_OK)
        err = system_message(&mc);
    if (err == A2O_E_OK) {
        err = a2o_json_attach(root, "messages", mc.msgs);
        mc.msgs = NULL;
    }
    cJSON_Delete(mc.msgs);
    cJSON_Delete(mc.sysparts);
    cJSON_Delete(mc.parts);
    cJSON_Delete(mc.calls);
    a2o_buf_free(&mc.sys);
    a2o_buf_free(&mc.text);
    a2o_buf_free(&mc.reason);
    a2o_buf_free(&mc.answered);
    a2o_buf_free(&mc.id);
    a2o_buf_free(&mc.sig);
    a2o_buf_free(&mc.tmp);
    a2o_buf_free(&mc.bk.data);
    return err;
}
