/*
 * req_part.c: Anthropic content blocks -> OpenAI content parts
 * (common/README.md §1, Messages): text, image and document parts, blocks
 * that only make sense as text (tool_reference, search results), the
 * content of a tool_result, and the cache_control switch; req_msg.c and
 * the Responses converter (rsp_msg.c) share them.  Each builder frees
 * what it was handed when it fails, so a caller never tracks half-built
 * items.
 */
#include "req_int.h"

#include <stdio.h>
#include <string.h>

#include "json.h"

/* BADREQ at l, optionally at a field of the block. */
enum a2o_err
a2o_req_bad_at(struct a2o_req_blocks *bk, const struct a2o_req_loc *l,
               const char *field, const char *msg)
{
    char at[96];

    if (l->sys)
        snprintf(at, sizeof(at), "system[%zu]", l->b);
    else if (l->deep)
        snprintf(at, sizeof(at), "messages[%zu].content[%zu].content[%zu]",
                 l->m, l->b, l->k);
    else
        snprintf(at, sizeof(at), "messages[%zu].content[%zu]", l->m, l->b);
    if (field != NULL)
        return a2o_diag_badreq(bk->d, msg, "%s.%s", at, field);
    return a2o_diag_badreq(bk->d, msg, "%s", at);
}

/* Copies the block's cache_control onto part, where the upstream keeps
 * it (OpenRouter and Anthropic-compatible gateways use it for caching). */
static enum a2o_err
cache_control(struct a2o_req_blocks *bk, cJSON *part, const cJSON *blk)
{
    const cJSON *cc;

    if (!bk->pf->cache_control)
        return A2O_E_OK;
    cc = a2o_json_get(blk, "cache_control");
    if (!cJSON_IsObject(cc))
        return A2O_E_OK;
    return a2o_json_attach(part, "cache_control", cJSON_Duplicate(cc, 1));
}

/* {"type": type, key: child} (+ cache_control of blk when not NULL);
 * NULL (child freed) on allocation failure. */
static cJSON *
typed(struct a2o_req_blocks *bk, const char *type, const char *key,
      cJSON *child, const cJSON *blk)
{
    cJSON *p;

    if (child == NULL)
        return NULL;
    p = cJSON_CreateObject();
    if (p == NULL || a2o_json_add_str(p, "type", type) != A2O_E_OK) {
        cJSON_Delete(p);
        cJSON_Delete(child);
        return NULL;
    }
    if (a2o_json_attach(p, key, child) != A2O_E_OK || /* freed child */
        (blk != NULL && cache_control(bk, p, blk) != A2O_E_OK)) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

/* {"type":"text","text":text} (+ cache_control); NULL: no memory. */
cJSON *
a2o__req_text_part(struct a2o_req_blocks *bk, cJSON *text, const cJSON *blk)
{
    return typed(bk, "text", "text", text, blk);
}

/* Appends the base64 payload of data, without any "data:...," prefix a
 * client already put there (the SDKs do not, some frameworks do). */
static enum a2o_err
add_data_url(struct a2o_buf *b, const char *mt, const char *data)
{
    enum a2o_err err;

    /* "data:image/png;base64,AAAA": keep only what follows the comma,
     * the media type comes from media_type */
    if (strncmp(data, "data:", 5) == 0 && strchr(data, ',') != NULL)
        data = strchr(data, ',') + 1;
    err = a2o_buf_addf(b, "data:%s;base64,", mt);
    if (err == A2O_E_OK)
        err = a2o_buf_adds(b, data);
    return err;
}

/* image block -> {"type":"image_url","image_url":{"url"}}. */
enum a2o_err
a2o_req_image(struct a2o_req_blocks *bk, const cJSON *blk,
              const struct a2o_req_loc *l, cJSON **out)
{
    const cJSON *src = a2o_json_get(blk, "source");
    const char *st = a2o_json_str(src, "type"), *mt, *data;
    cJSON *url, *p;
    enum a2o_err err;

    if (!cJSON_IsObject(src))
        return a2o_req_bad_at(bk, l, "source", "expected an object");
    if (st != NULL && strcmp(st, "base64") == 0) {
        mt = a2o_json_str(src, "media_type");
        data = a2o_json_str(src, "data");
        if (mt == NULL)
            return a2o_req_bad_at(bk, l, "source.media_type",
                                  "expected a string");
        if (data == NULL)
            return a2o_req_bad_at(bk, l, "source.data", "expected a string");
        a2o_buf_reset(&bk->data);
        err = add_data_url(&bk->data, mt, data);
        if (err != A2O_E_OK)
            return err;
        url = a2o_json_str_take(&bk->data);
    } else if (st != NULL && strcmp(st, "url") == 0) {
        /* image_url takes a plain URL as well; the upstream fetches it */
        data = a2o_json_str(src, "url");
        if (data == NULL)
            return a2o_req_bad_at(bk, l, "source.url", "expected a string");
        url = cJSON_CreateString(data);
    } else {
        return a2o_req_bad_at(bk, l, "source.type",
                              "expected \"base64\" or \"url\"");
    }
    p = typed(bk, "image_url", "image_url", a2o_json_obj1("url", url), blk);
    if (p == NULL)
        return A2O_E_NOMEM;
    *out = p;
    return A2O_E_OK;
}

/*
 * document block: PDF (any base64) -> a "file" part; text and URL
 * sources -> text in bk->data (*out stays NULL, *is_text 1); other
 * sources are dropped.
 */
enum a2o_err
a2o_req_document(struct a2o_req_blocks *bk, const cJSON *blk,
                 const struct a2o_req_loc *l, cJSON **out, int *is_text)
{
    const cJSON *src = a2o_json_get(blk, "source"), *c, *sub;
    const char *st = a2o_json_str(src, "type"), *mt, *data, *url;
    cJSON *f, *p;
    enum a2o_err err = A2O_E_OK;

    *out = NULL;
    *is_text = 0;
    if (!cJSON_IsObject(src))
        return a2o_req_bad_at(bk, l, "source", "expected an object");
    if (st == NULL)
        return A2O_E_OK;
    a2o_buf_reset(&bk->data);
    data = a2o_json_str(src, "data");
    url = a2o_json_str(src, "url");
    if (strcmp(st, "text") == 0 && data != NULL) {
        *is_text = 1;
        return a2o_buf_adds(&bk->data, data);
    }
    /* OpenAI's file part takes data only, no URL: name the document so
     * the model knows what was referred to */
    if (strcmp(st, "url") == 0 && url != NULL) {
        *is_text = 1;
        return a2o_buf_addf(&bk->data, "Document: %s", url);
    }
    if (strcmp(st, "content") == 0) {
        /* content: a string or text blocks (citable documents) */
        c = a2o_json_get(src, "content");
        *is_text = 1;
        if (cJSON_IsString(c))
            return a2o_buf_adds(&bk->data, c->valuestring);
        cJSON_ArrayForEach(sub, c)
        {
            const char *t = a2o_json_str(sub, "text");

            if (t != NULL && t[0] != '\0' && err == A2O_E_OK)
                err = a2o_buf_join(&bk->data, "\n\n", t, strlen(t));
        }
        return err;
    }
    /* base64 (PDF): OpenAI's {"type":"file"} part with a data URL;
     * file_data requires a filename next to it */
    if (strcmp(st, "base64") != 0 || data == NULL)
        return A2O_E_OK;
    mt = a2o_json_str(src, "media_type");
    if (mt == NULL)
        mt = "application/pdf";
    err = add_data_url(&bk->data, mt, data);
    if (err != A2O_E_OK)
        return err;
    f = cJSON_CreateObject();
    if (f == NULL ||
        a2o_json_add_str(f, "filename",
                         strcmp(mt, "application/pdf") == 0 ? "document.pdf"
                                                            : "document") ||
        a2o_json_attach(f, "file_data", a2o_json_str_take(&bk->data))) {
        cJSON_Delete(f);
        return A2O_E_NOMEM;
    }
    p = typed(bk, "file", "file", f, blk);
    if (p == NULL)
        return A2O_E_NOMEM;
    *out = p;
    return A2O_E_OK;
}

/*
 * Text for blocks that only make sense to the model as text, appended to
 * b after sep: tool_reference (Claude Code's tool search; the upstream
 * already has every tool as a function), search_result and
 * web_search_tool_result.  Returns 0 in *done for any other type.
 */
enum a2o_err
a2o_req_aux_text(const cJSON *blk, const char *type, struct a2o_buf *b,
                 const char *sep, int *done)
{
    const char *s;
    const cJSON *c, *it;
    enum a2o_err err = A2O_E_OK;

    *done = 1;
    if (strcmp(type, "tool_reference") == 0) {
        s = a2o_json_str(blk, "tool_name");
        if (s == NULL)
            return A2O_E_OK;
        err = a2o_buf_join(b, sep, "Tool loaded: ", 13);
        return err == A2O_E_OK ? a2o_buf_adds(b, s) : err;
    }
    if (strcmp(type, "search_result") == 0) {
        const char *head[2];
        size_t i;

        head[0] = a2o_json_str(blk, "title");
        head[1] = a2o_json_str(blk, "source");
        for (i = 0; i < 2 && err == A2O_E_OK; i++)
            if (head[i] != NULL && head[i][0] != '\0')
                err = a2o_buf_join(b, i == 0 ? sep : "\n", head[i],
                                   strlen(head[i]));
        cJSON_ArrayForEach(it, a2o_json_get(blk, "content"))
        {
            s = a2o_json_str(it, "text");
            if (s != NULL && s[0] != '\0' && err == A2O_E_OK)
                err = a2o_buf_join(b, "\n", s, strlen(s));
        }
        return err;
    }
    if (strcmp(type, "web_search_tool_result") == 0) {
        c = a2o_json_get(blk, "content");
        if (!cJSON_IsArray(c) || c->child == NULL)
            return A2O_E_OK;
        /* the model's next words refer to these results: keep titles
         * and URLs (encrypted_content is opaque to anyone else) */
        err = a2o_buf_join(b, sep, "Web search results:", 19);
        cJSON_ArrayForEach(it, c)
        {
            const char *t = a2o_json_str(it, "title");
            const char *u = a2o_json_str(it, "url");

            if (u != NULL && err == A2O_E_OK)
                err = a2o_buf_addf(b, "\n- %s (%s)", t != NULL ? t : "", u);
        }
        return err;
    }
    *done = 0;
    return A2O_E_OK;
}

/* One block of a tool_result's content array: text into tmp (after "\n"
 * once tmp is longer than start), an image or a file in *part. */
static enum a2o_err
result_block(struct a2o_req_blocks *bk, const cJSON *blk,
             const struct a2o_req_loc *l, struct a2o_buf *tmp, size_t start,
             cJSON **part)
{
    const char *type = a2o_json_str(blk, "type"), *s;
    const char *sep = tmp->len > start ? "\n" : "";
    enum a2o_err err;
    int done, is_text;

    *part = NULL;
    if (!cJSON_IsObject(blk))
        return a2o_req_bad_at(bk, l, NULL, "expected an object");
    if (type == NULL)
        return a2o_req_bad_at(bk, l, "type", "expected a string");
    if (strcmp(type, "text") == 0) {
        s = a2o_json_str(blk, "text");
        if (s == NULL)
            return a2o_req_bad_at(bk, l, "text", "expected a string");
        return s[0] != '\0' ? a2o_buf_join(tmp, sep, s, strlen(s)) : A2O_E_OK;
    }
    /* a tool's answer carries text only (Chat's tool message, Responses'
     * function_call_output): images and files go to the user message
     * after it */
    if (strcmp(type, "image") == 0)
        return a2o_req_image(bk, blk, l, part);
    if (strcmp(type, "document") == 0) {
        err = a2o_req_document(bk, blk, l, part, &is_text);
        if (err == A2O_E_OK && is_text && bk->data.len > 0)
            err = a2o_buf_join(tmp, sep, bk->data.p, bk->data.len);
        return err;
    }
    return a2o_req_aux_text(blk, type, tmp, sep, &done);
}

enum a2o_err
a2o_req_result_text(struct a2o_req_blocks *bk, const cJSON *blk,
                    struct a2o_req_loc *l, const char *orphan,
                    struct a2o_buf *tmp,
                    enum a2o_err (*place)(void *arg, cJSON *part), void *arg,
                    size_t *moved)
{
    const cJSON *c = a2o_json_get(blk, "content"), *it;
    enum a2o_err err = A2O_E_OK;
    size_t start;

    *moved = 0;
    a2o_buf_reset(tmp);
    if (orphan != NULL)
        err = a2o_buf_addf(tmp, "Result of tool call %s:\n", orphan);
    if (err == A2O_E_OK && cJSON_IsTrue(a2o_json_get(blk, "is_error")))
        err = a2o_buf_adds(tmp, "Error: ");
    start = tmp->len;
    if (err == A2O_E_OK && cJSON_IsString(c))
        err = a2o_buf_adds(tmp, c->valuestring);
    else if (err == A2O_E_OK && cJSON_IsArray(c)) {
        l->deep = 1;
        l->k = 0;
        cJSON_ArrayForEach(it, c)
        {
            cJSON *part;

            err = result_block(bk, it, l, tmp, start, &part);
            if (err == A2O_E_OK && part != NULL) {
                (*moved)++;
                err = place(arg, part);
            }
            if (err != A2O_E_OK)
                return err;
            l->k++;
        }
        l->deep = 0;
    }
    /* OpenAI rejects empty tool messages on some servers: never send
     * one; say where the content went when it was all moved */
    if (err == A2O_E_OK && tmp->len == start)
        err = a2o_buf_adds(tmp, *moved > 0 ? "(the result is attached below)"
                                           : "(no output)");
    return err;
}
