/*
 * rsp_msg.c: Anthropic system + messages -> Responses instructions and
 * input items (the conversation half of rsp_req.c).
 *
 * Responses takes a flat list of typed input items instead of role
 * messages:
 *
 *   system (+ role "system")   instructions, joined by "\n\n"
 *   user text/image/document   a user "message" item with input_text,
 *                              input_image (URL or data URL) and
 *                              input_file (PDF as a data URL) parts
 *   assistant text             an assistant "message" with output_text
 *   tool_use                   {"type":"function_call","call_id","name",
 *                              "arguments"} (arguments: JSON text)
 *   tool_result                {"type":"function_call_output","call_id",
 *                              "output"} (output: text); its images and
 *                              files go into the user message after it
 *   thinking with our signature  the "reasoning" item it came from (id,
 *                              summary, encrypted_content); any other
 *                              thinking is dropped: a foreign signature
 *                              means nothing to OpenAI
 *
 * OpenAI checks the pairing strictly: a function_call_output must answer
 * a function_call before it (else "No tool call found"), every call
 * needs an output before the next user message ("No tool output found"),
 * and a reasoning item must be followed by the message or call it led
 * to.  So, as in req_msg.c, the calls of the last assistant turn stay
 * "open": results for them become outputs, orphans become user text,
 * unanswered ones get a placeholder output; reasoning items wait for the
 * item that follows them and are dropped when none does.
 */
#include "rsp_int.h"

#include <string.h>

#include "json.h"
#include "req.h"
#include "rsp.h"
#include "toolid.h"

/* Claude Code's per-request system block (see req_msg.c). */
#define BILLING_PREFIX "x-anthropic-billing-header:"
#define NO_RESULT "(no result)"

/* Role of the last item produced. */
enum turn {
    TURN_NONE, /* no item yet */
    TURN_USER,
    TURN_ASSISTANT
};

/* State of one conversion. */
struct rc {
    struct a2o_req_blocks bk; /* for req.h's block converters */
    cJSON *input;             /* the items, in order */
    struct a2o_buf sys;       /* instructions */
    cJSON *user;              /* pending user message parts, or NULL */
    cJSON *asst;              /* pending assistant message parts, or NULL */
    cJSON *reason;            /* reasoning items waiting for their successor */
    cJSON *open;              /* call_ids of the last assistant turn */
    struct a2o_buf answered;  /* one byte per open call, 1 once answered */
    enum turn turn;           /* role of the last item produced */
    struct a2o_buf id, sig, tmp;
};

/* {"type":"message","role":role,"content":parts}; parts is consumed. */
static enum a2o_err
push_message(struct rc *r, const char *role, cJSON *parts)
{
    cJSON *m = cJSON_CreateObject();

    if (m == NULL || a2o_json_add_str(m, "type", "message") ||
        a2o_json_add_str(m, "role", role)) {
        cJSON_Delete(m);
        cJSON_Delete(parts);
        return A2O_E_NOMEM;
    }
    if (a2o_json_attach(m, "content", parts) != A2O_E_OK) {
        cJSON_Delete(m);
        return A2O_E_NOMEM;
    }
    return a2o_json_append(r->input, m);
}

/* Moves the waiting reasoning items into the input (their successor is
 * about to follow). */
static void
push_reasoning(struct rc *r)
{
    cJSON *it;

    if (r->reason == NULL)
        return;
    while ((it = cJSON_DetachItemFromArray(r->reason, 0)) != NULL)
        cJSON_AddItemToArray(r->input, it); /* cannot fail: no alloc */
    cJSON_Delete(r->reason);
    r->reason = NULL;
}

/* Reasoning items that nothing followed are dropped: OpenAI rejects a
 * reasoning item "provided without its required following item". */
static void
drop_reasoning(struct rc *r)
{
    cJSON_Delete(r->reason);
    r->reason = NULL;
}

static enum a2o_err
flush_asst(struct rc *r)
{
    cJSON *p = r->asst;

    if (p == NULL)
        return A2O_E_OK;
    r->asst = NULL;
    push_reasoning(r);
    return push_message(r, "assistant", p);
}

/* Answers every open call the client left unanswered (an interrupted
 * turn, a compacted history), then closes them. */
static enum a2o_err
close_calls(struct rc *r)
{
    const cJSON *id;
    size_t i = 0;
    enum a2o_err err = A2O_E_OK;

    cJSON_ArrayForEach(id, r->open)
    {
        if (i >= r->answered.len || r->answered.p[i] == 0) {
            cJSON *o = cJSON_CreateObject();

            if (o == NULL ||
                a2o_json_add_str(o, "type", "function_call_output") ||
                a2o_json_add_str(o, "call_id", id->valuestring) ||
                a2o_json_add_str(o, "output", NO_RESULT)) {
                cJSON_Delete(o);
                return A2O_E_NOMEM;
            }
            err = a2o_json_append(r->input, o);
            if (err != A2O_E_OK)
                return err;
        }
        i++;
    }
    cJSON_Delete(r->open);
    r->open = NULL;
    a2o_buf_reset(&r->answered);
    return A2O_E_OK;
}

static enum a2o_err
flush_user(struct rc *r)
{
    cJSON *p = r->user;
    enum a2o_err err;

    if (p == NULL)
        return A2O_E_OK;
    r->user = NULL;
    err = close_calls(r);
    if (err != A2O_E_OK) {
        cJSON_Delete(p);
        return err;
    }
    return push_message(r, "user", p);
}

/* Before an assistant item: the user turn is over. */
static enum a2o_err
begin_asst(struct rc *r)
{
    enum a2o_err err = flush_user(r);

    if (err == A2O_E_OK && r->turn == TURN_USER)
        err = close_calls(r);
    r->turn = TURN_ASSISTANT;
    return err;
}

/* Before a user item: the assistant turn is over. */
static enum a2o_err
begin_user(struct rc *r)
{
    enum a2o_err err = flush_asst(r);

    drop_reasoning(r);
    r->turn = TURN_USER;
    return err;
}

/* Appends part (NULL: a failed create) to *parts, made on demand. */
static enum a2o_err
add_part(cJSON **parts, cJSON *part)
{
    if (part == NULL)
        return A2O_E_NOMEM;
    if (*parts == NULL) {
        *parts = cJSON_CreateArray();
        if (*parts == NULL) {
            cJSON_Delete(part);
            return A2O_E_NOMEM;
        }
    }
    return a2o_json_append(*parts, part);
}

/* {"type":type,"text":s} */
static cJSON *
text_part(const char *type, const char *s, size_t n)
{
    cJSON *p = cJSON_CreateObject();
    struct a2o_buf b;

    a2o_buf_init(&b, A2O_REQ_BUF_MAX);
    if (p == NULL || a2o_json_add_str(p, "type", type) ||
        a2o_buf_add(&b, s, n) != A2O_E_OK ||
        a2o_json_attach(p, "text", a2o_json_str_take(&b))) {
        a2o_buf_free(&b);
        cJSON_Delete(p);
        return NULL;
    }
    a2o_buf_free(&b);
    return p;
}

static enum a2o_err
user_text(struct rc *r, const char *s, size_t n)
{
    enum a2o_err err = begin_user(r);

    return err == A2O_E_OK ? add_part(&r->user, text_part("input_text", s, n))
                           : err;
}

/* A chat part from req_part.c ({"type":"image_url"} or {"type":"file"})
 * in the Responses shape; chat is consumed. */
static cJSON *
from_chat_part(cJSON *chat)
{
    cJSON *p = cJSON_CreateObject(), *v, *inner;
    int image = strcmp(a2o_json_str(chat, "type"), "image_url") == 0;

    inner =
        cJSON_GetObjectItemCaseSensitive(chat, image ? "image_url" : "file");
    if (p == NULL ||
        a2o_json_add_str(p, "type", image ? "input_image" : "input_file"))
        goto fail;
    if (image) {
        v = cJSON_DetachItemFromObjectCaseSensitive(inner, "url");
        if (a2o_json_attach(p, "image_url", v) != A2O_E_OK ||
            a2o_json_add_str(p, "detail", "auto") != A2O_E_OK)
            goto fail;
    } else {
        v = cJSON_DetachItemFromObjectCaseSensitive(inner, "filename");
        if (a2o_json_attach(p, "filename", v) != A2O_E_OK)
            goto fail;
        v = cJSON_DetachItemFromObjectCaseSensitive(inner, "file_data");
        if (a2o_json_attach(p, "file_data", v) != A2O_E_OK)
            goto fail;
    }
    cJSON_Delete(chat);
    return p;
fail:
    cJSON_Delete(chat);
    cJSON_Delete(p);
    return NULL;
}

/* image or document block -> a part in *part (NULL: nothing), or text in
 * r->bk.data (*is_text). */
static enum a2o_err
media(struct rc *r, const cJSON *blk, const char *type,
      const struct a2o_req_loc *l, cJSON **part, int *is_text)
{
    cJSON *chat = NULL;
    enum a2o_err err;

    *part = NULL;
    *is_text = 0;
    if (strcmp(type, "image") == 0)
        err = a2o_req_image(&r->bk, blk, l, &chat);
    else
        err = a2o_req_document(&r->bk, blk, l, &chat, is_text);
    if (err != A2O_E_OK || chat == NULL)
        return err;
    *part = from_chat_part(chat);
    return *part != NULL ? A2O_E_OK : A2O_E_NOMEM;
}

/* Index of the open call with the id in r->id, or -1 when it is not
 * open or already answered. */
static long
open_index(const struct rc *r)
{
    const cJSON *id;
    long i = 0;

    cJSON_ArrayForEach(id, r->open)
    {
        if (strcmp(id->valuestring, r->id.p) == 0)
            return (size_t)i < r->answered.len && r->answered.p[i] == 0 ? i
                                                                        : -1;
        i++;
    }
    return -1;
}

/* place of a2o_req_result_text: images and files go to the user
 * message after the outputs, in the Responses shape. */
static enum a2o_err
place_part(void *arg, cJSON *chat)
{
    struct rc *r = arg;

    return add_part(&r->user, from_chat_part(chat));
}

/* tool_result -> function_call_output (or user text for an orphan). */
static enum a2o_err
tool_result(struct rc *r, const cJSON *blk, struct a2o_req_loc *l)
{
    const char *tid = a2o_json_str(blk, "tool_use_id");
    const cJSON *c = a2o_json_get(blk, "content");
    size_t moved;
    long idx;
    cJSON *o;
    enum a2o_err err;

    if (tid == NULL)
        return a2o_req_bad_at(&r->bk, l, "tool_use_id", "expected a string");
    if (c != NULL && !cJSON_IsNull(c) && !cJSON_IsString(c) &&
        !cJSON_IsArray(c))
        return a2o_req_bad_at(
            &r->bk, l, "content",
            "expected a string or an array of content blocks");
    err = begin_user(r);
    a2o_buf_reset(&r->id);
    a2o_buf_reset(&r->sig);
    if (err == A2O_E_OK)
        err = a2o_toolid_decode(tid, strlen(tid), &r->id, &r->sig);
    if (err != A2O_E_OK || r->id.p == NULL)
        return err; /* "" answers nothing */
    idx = open_index(r);
    err = a2o_req_result_text(&r->bk, blk, l, idx < 0 ? r->id.p : NULL, &r->tmp,
                              place_part, r, &moved);
    if (err != A2O_E_OK)
        return err;
    if (idx < 0) {
        /* ahead of anything moved out of it, like an answered one */
        cJSON *p = text_part("input_text", r->tmp.p, r->tmp.len);

        if (p == NULL)
            return A2O_E_NOMEM;
        if (r->user == NULL)
            return add_part(&r->user, p);
        if (!cJSON_InsertItemInArray(
                r->user, cJSON_GetArraySize(r->user) - (int)moved, p)) {
            cJSON_Delete(p);
            return A2O_E_NOMEM;
        }
        return A2O_E_OK;
    }
    o = cJSON_CreateObject();
    if (o == NULL || a2o_json_add_str(o, "type", "function_call_output") ||
        a2o_json_add_str(o, "call_id", r->id.p) ||
        a2o_json_attach(o, "output", a2o_json_str_take(&r->tmp))) {
        cJSON_Delete(o);
        return A2O_E_NOMEM;
    }
    r->answered.p[idx] = 1;
    return a2o_json_append(r->input, o);
}

/* One block of a user message; unknown types are dropped. */
static enum a2o_err
user_block(struct rc *r, const cJSON *blk, const char *type,
           struct a2o_req_loc *l)
{
    const char *s;
    cJSON *part;
    enum a2o_err err;
    int done, is_text;

    if (strcmp(type, "text") == 0) {
        s = a2o_json_str(blk, "text");
        if (s == NULL)
            return a2o_req_bad_at(&r->bk, l, "text", "expected a string");
        return s[0] != '\0' ? user_text(r, s, strlen(s)) : A2O_E_OK;
    }
    if (strcmp(type, "tool_result") == 0)
        return tool_result(r, blk, l);
    if (strcmp(type, "image") == 0 || strcmp(type, "document") == 0) {
        err = media(r, blk, type, l, &part, &is_text);
        if (err == A2O_E_OK && part != NULL) {
            err = begin_user(r);
            if (err != A2O_E_OK) {
                cJSON_Delete(part);
                return err;
            }
            return add_part(&r->user, part);
        }
        if (err == A2O_E_OK && is_text && r->bk.data.len > 0)
            return user_text(r, r->bk.data.p, r->bk.data.len);
        return err;
    }
    a2o_buf_reset(&r->tmp);
    err = a2o_req_aux_text(blk, type, &r->tmp, "", &done);
    if (err != A2O_E_OK || r->tmp.len == 0)
        return err;
    return user_text(r, r->tmp.p, r->tmp.len);
}

/* tool_use -> function_call; its call_id becomes open. */
static enum a2o_err
tool_use(struct rc *r, const cJSON *blk, struct a2o_req_loc *l)
{
    const char *id = a2o_json_str(blk, "id");
    const char *name = a2o_json_str(blk, "name");
    const cJSON *input = a2o_json_get(blk, "input");
    char shortname[65];
    cJSON *call;
    enum a2o_err err;

    if (id == NULL)
        return a2o_req_bad_at(&r->bk, l, "id", "expected a string");
    if (name == NULL)
        return a2o_req_bad_at(&r->bk, l, "name", "expected a string");
    if (!cJSON_IsObject(input))
        return a2o_req_bad_at(&r->bk, l, "input", "expected an object");
    err = begin_asst(r);
    if (err == A2O_E_OK)
        err = flush_asst(r);
    /* the upstream's own call_id travelled inside the tool id */
    a2o_buf_reset(&r->id);
    a2o_buf_reset(&r->sig);
    if (err == A2O_E_OK)
        err = a2o_toolid_decode(id, strlen(id), &r->id, &r->sig);
    if (err != A2O_E_OK)
        return err;
    if (r->id.p == NULL)
        return A2O_E_OK; /* no id: nothing could answer it */
    if (r->open == NULL) {
        r->open = cJSON_CreateArray();
        if (r->open == NULL)
            return A2O_E_NOMEM;
    }
    a2o_toolname_short(name, shortname);
    call = cJSON_CreateObject();
    if (call == NULL || a2o_json_add_str(call, "type", "function_call") ||
        a2o_json_add_str(call, "call_id", r->id.p) ||
        a2o_json_add_str(call, "name", shortname) ||
        a2o_json_attach(call, "arguments",
                        a2o_json_str_own(a2o_json_print_str(input, NULL)))) {
        cJSON_Delete(call);
        return A2O_E_NOMEM;
    }
    push_reasoning(r);
    err = a2o_json_append(r->input, call);
    if (err == A2O_E_OK)
        err = a2o_json_append(r->open, cJSON_CreateString(r->id.p));
    if (err == A2O_E_OK)
        err = a2o_buf_add(&r->answered, "", 1);
    return err;
}

/* A thinking block with our signature -> its reasoning item, waiting
 * for the item after it. */
static enum a2o_err
thinking(struct rc *r, const cJSON *blk)
{
    const char *sig = a2o_json_str(blk, "signature");
    const char *text = a2o_json_str(blk, "thinking");
    const char *id, *ec;
    size_t idn, ecn;
    cJSON *it, *sum;
    enum a2o_err err;

    if (sig == NULL || !a2o_rsp_sig_decode(sig, &id, &idn, &ec, &ecn))
        return A2O_E_OK; /* foreign: OpenAI could not verify it */
    err = begin_asst(r);
    if (err == A2O_E_OK)
        err = flush_asst(r); /* it leads to what follows it */
    if (err != A2O_E_OK)
        return err;
    it = cJSON_CreateObject();
    sum = cJSON_CreateArray();
    a2o_buf_reset(&r->tmp);
    if (it == NULL || sum == NULL ||
        a2o_json_add_str(it, "type", "reasoning") ||
        a2o_buf_add(&r->tmp, id, idn) != A2O_E_OK ||
        a2o_json_attach(it, "id", a2o_json_str_take(&r->tmp)))
        goto nomem;
    if (text != NULL && text[0] != '\0' &&
        a2o_json_append(sum, text_part("summary_text", text, strlen(text))))
        goto nomem;
    err = a2o_json_attach(it, "summary", sum);
    sum = NULL;
    if (err != A2O_E_OK)
        goto nomem;
    if (ecn > 0 &&
        (a2o_buf_add(&r->tmp, ec, ecn) != A2O_E_OK ||
         a2o_json_attach(it, "encrypted_content", a2o_json_str_take(&r->tmp))))
        goto nomem;
    return add_part(&r->reason, it);
nomem:
    cJSON_Delete(it);
    cJSON_Delete(sum);
    return A2O_E_NOMEM;
}

/* One block of an assistant message. */
static enum a2o_err
assistant_block(struct rc *r, const cJSON *blk, const char *type,
                struct a2o_req_loc *l)
{
    const char *s;
    enum a2o_err err;
    int done;

    if (strcmp(type, "tool_use") == 0)
        return tool_use(r, blk, l);
    if (strcmp(type, "thinking") == 0)
        return thinking(r, blk);
    a2o_buf_reset(&r->tmp);
    if (strcmp(type, "text") == 0) {
        s = a2o_json_str(blk, "text");
        if (s == NULL)
            return a2o_req_bad_at(&r->bk, l, "text", "expected a string");
        err = a2o_buf_adds(&r->tmp, s);
    } else {
        /* server tool traffic the model saw, as text */
        err = a2o_req_aux_text(blk, type, &r->tmp, "", &done);
    }
    if (err != A2O_E_OK || r->tmp.len == 0)
        return err;
    err = begin_asst(r);
    if (err == A2O_E_OK)
        err =
            add_part(&r->asst, text_part("output_text", r->tmp.p, r->tmp.len));
    return err;
}

/* System text, in order; empty text and the billing header dropped. */
static enum a2o_err
sys_add(struct rc *r, const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || strncmp(s, BILLING_PREFIX, sizeof(BILLING_PREFIX) - 1) == 0)
        return A2O_E_OK;
    return a2o_buf_join(&r->sys, "\n\n", s, n);
}

static enum a2o_err
sys_blocks(struct rc *r, const cJSON *arr, struct a2o_req_loc *l)
{
    const cJSON *blk;
    enum a2o_err err;

    l->b = 0;
    cJSON_ArrayForEach(blk, arr)
    {
        const char *type = a2o_json_str(blk, "type");
        const cJSON *text;

        if (!cJSON_IsObject(blk))
            return a2o_req_bad_at(&r->bk, l, NULL, "expected an object");
        if (type == NULL)
            return a2o_req_bad_at(&r->bk, l, "type", "expected a string");
        if (strcmp(type, "text") == 0) {
            text = a2o_json_get(blk, "text");
            if (!cJSON_IsString(text))
                return a2o_req_bad_at(&r->bk, l, "text", "expected a string");
            err = sys_add(r, text->valuestring);
            if (err != A2O_E_OK)
                return err;
        }
        l->b++;
    }
    return A2O_E_OK;
}

static enum a2o_err
message(struct rc *r, const cJSON *msg, size_t i)
{
    const char *role = a2o_json_str(msg, "role");
    const cJSON *c = a2o_json_get(msg, "content"), *blk;
    struct a2o_req_loc l = {i, 0, 0, 0, 0};
    enum a2o_err err;
    int user;

    if (!cJSON_IsObject(msg))
        return a2o_diag_badreq(r->bk.d, "expected an object", "messages[%zu]",
                               i);
    if (role == NULL ||
        (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0 &&
         strcmp(role, "system") != 0))
        return a2o_diag_badreq(r->bk.d,
                               "expected \"user\", \"assistant\" or \"system\"",
                               "messages[%zu].role", i);
    if (!cJSON_IsString(c) && !cJSON_IsArray(c))
        return a2o_diag_badreq(
            r->bk.d, "expected a string or an array of content blocks",
            "messages[%zu].content", i);
    if (role[0] == 's')
        return cJSON_IsString(c) ? sys_add(r, c->valuestring)
                                 : sys_blocks(r, c, &l);
    user = role[0] == 'u';
    if (cJSON_IsString(c)) {
        size_t n = strlen(c->valuestring);

        if (n == 0)
            return A2O_E_OK;
        if (user)
            return user_text(r, c->valuestring, n);
        err = begin_asst(r);
        return err == A2O_E_OK
                   ? add_part(&r->asst,
                              text_part("output_text", c->valuestring, n))
                   : err;
    }
    cJSON_ArrayForEach(blk, c)
    {
        const char *type = a2o_json_str(blk, "type");

        if (!cJSON_IsObject(blk))
            return a2o_req_bad_at(&r->bk, &l, NULL, "expected an object");
        if (type == NULL)
            return a2o_req_bad_at(&r->bk, &l, "type", "expected a string");
        err = user ? user_block(r, blk, type, &l)
                   : assistant_block(r, blk, type, &l);
        if (err != A2O_E_OK)
            return err;
        l.b++;
    }
    return A2O_E_OK;
}

enum a2o_err
a2o__rsp_input(const cJSON *in, const struct a2o_profile *pf, cJSON *root,
               struct a2o_diag *d)
{
    const cJSON *sys = a2o_json_get(in, "system"), *m;
    struct a2o_req_loc l = {0, 0, 0, 0, 1};
    struct rc r;
    size_t i = 0;
    enum a2o_err err = A2O_E_OK;

    memset(&r, 0, sizeof(r));
    r.bk.pf = pf;
    r.bk.d = d;
    a2o_buf_init(&r.bk.data, A2O_REQ_BUF_MAX);
    a2o_buf_init(&r.sys, A2O_REQ_BUF_MAX);
    a2o_buf_init(&r.answered, A2O_REQ_BUF_MAX);
    a2o_buf_init(&r.id, A2O_REQ_BUF_MAX);
    a2o_buf_init(&r.sig, A2O_REQ_BUF_MAX);
    a2o_buf_init(&r.tmp, A2O_REQ_BUF_MAX);
    r.input = cJSON_CreateArray();
    if (r.input == NULL)
        return A2O_E_NOMEM;
    if (cJSON_IsString(sys))
        err = sys_add(&r, sys->valuestring);
    else if (cJSON_IsArray(sys))
        err = sys_blocks(&r, sys, &l);
    else if (sys != NULL && !cJSON_IsNull(sys))
        err = a2o_diag_badreq(d, "expected a string or an array of text blocks",
                              "system");
    cJSON_ArrayForEach(m, a2o_json_get(in, "messages"))
    {
        if (err != A2O_E_OK)
            break;
        err = message(&r, m, i++);
    }
    if (err == A2O_E_OK)
        err = flush_asst(&r);
    drop_reasoning(&r);
    if (err == A2O_E_OK)
        err = flush_user(&r);
    if (err == A2O_E_OK)
        err = close_calls(&r);
    if (err == A2O_E_OK && r.sys.len > 0)
        err = a2o_json_attach(root, "instructions", a2o_json_str_take(&r.sys));
    if (err == A2O_E_OK) {
        err = a2o_json_attach(root, "input", r.input);
        r.input = NULL;
    }
    cJSON_Delete(r.input);
    cJSON_Delete(r.user);
    cJSON_Delete(r.asst);
    cJSON_Delete(r.reason);
    cJSON_Delete(r.open);
    a2o_buf_free(&r.bk.data);
    a2o_buf_free(&r.sys);
    a2o_buf_free(&r.answered);
    a2o_buf_free(&r.id);
    a2o_buf_free(&r.sig);
    a2o_buf_free(&r.tmp);
    return err;
}
