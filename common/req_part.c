/*
 * req_part.c: Anthropic content blocks -> OpenAI content parts
 * (common/README.md §1, Messages): text, image and document parts, blocks
 * that only make sense as text (tool_reference, search results), the
 * cache_control switch, and the small builders req_msg.c and req.c
 * share.  Each builder frees what it was handed when it fails, so a
 * caller never tracks half-built items.
 */
#include "req_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

enum a2o_err
a2o_req_bad(struct a2o_diag *d, const char *msg, const char *pathfmt, ...)
{
    char path[128];
    va_list ap;

    va_start(ap, pathfmt);
    vsnprintf(path, sizeof(path), pathfmt, ap);
    va_end(ap);
    return a2o_diag_set(d, A2O_E_BADREQ, path, "%s", msg);
}

/* BADREQ at l, optionally at a field of the block. */
enum a2o_err
a2o_req_bad_at(struct a2o_req_mc *mc, const struct a2o_req_loc *l,
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
        return a2o_req_bad(mc->d, msg, "%s.%s", at, field);
    return a2o_req_bad(mc->d, msg, "%s", at);
}

cJSON *
a2o_req_str_own(char *s)
{
    cJSON *item;

    if (s == NULL)
        return NULL;
    item = cJSON_CreateNull();
    if (item == NULL) {
        cJSON_free(s);
        return NULL;
    }
    /* NOTE: a plain (non-reference) string item owns valuestring and
     * cJSON_Delete frees it with the same hooks that allocated s. */
    item->type = cJSON_String;
    item->valuestring = s;
    return item;
}

cJSON *
a2o_req_str_take(struct a2o_buf *b)
{
    cJSON *item = cJSON_CreateString(b->p != NULL ? b->p : "");

    /* a copy of exactly the right size: the buffer keeps its capacity
     * for the next block instead of growing again from nothing */
    a2o_buf_reset(b);
    return item;
}

/* Appends sep (when b is not empty) and n bytes of s. */
enum a2o_err
a2o_req_join(struct a2o_buf *b, const char *sep, const char *s, size_t n)
{
    enum a2o_err err = A2O_E_OK;

    if (b->len > 0)
        err = a2o_buf_adds(b, sep);
    if (err == A2O_E_OK)
        err = a2o_buf_add(b, s, n);
    return err;
}

/* Copies the block's cache_control onto part, where the upstream keeps
 * it (OpenRouter and Anthropic-compatible gateways use it for caching). */
enum a2o_err
a2o_req_cc(struct a2o_req_mc *mc, cJSON *part, const cJSON *blk)
{
    const cJSON *cc;

    if (!mc->pf->cache_control)
        return A2O_E_OK;
    cc = a2o_json_get(blk, "cache_control");
    if (!cJSON_IsObject(cc))
        return A2O_E_OK;
    return a2o_json_attach(part, "cache_control", cJSON_Duplicate(cc, 1));
}

/* {key: child}; NULL (child freed) on allocation failure. */
cJSON *
a2o_req_obj1(const char *key, cJSON *child)
{
    cJSON *o;

    if (child == NULL)
        return NULL;
    o = cJSON_CreateObject();
    if (o == NULL) {
        cJSON_Delete(child);
        return NULL;
    }
    if (a2o_json_attach(o, key, child) != A2O_E_OK) { /* freed child */
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* {"type": type, key: child} (+ cache_control of blk when not NULL);
 * NULL (child freed) on allocation failure. */
static cJSON *
typed(struct a2o_req_mc *mc, const char *type, const char *key, cJSON *child,
      const cJSON *blk)
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
        (blk != NULL && a2o_req_cc(mc, p, blk) != A2O_E_OK)) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

/* {"type":"text","text":text} (+ cache_control); NULL: no memory. */
cJSON *
a2o_req_text_part(struct a2o_req_mc *mc, cJSON *text, const cJSON *blk)
{
    return typed(mc, "text", "text", text, blk);
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
a2o_req_image(struct a2o_req_mc *mc, const cJSON *blk,
              const struct a2o_req_loc *l, cJSON **out)
{
    const cJSON *src = a2o_json_get(blk, "source");
    const char *st = a2o_json_str(src, "type"), *mt, *data;
    cJSON *url, *p;
    enum a2o_err err;

    if (!cJSON_IsObject(src))
        return a2o_req_bad_at(mc, l, "source", "expected an object");
    if (st != NULL && strcmp(st, "base64") == 0) {
        mt = a2o_json_str(src, "media_type");
        data = a2o_json_str(src, "data");
        if (mt == NULL)
            return a2o_req_bad_at(mc, l, "source.media_type",
                                  "expected a string");
        if (data == NULL)
            return a2o_req_bad_at(mc, l, "source.data", "expected a string");
        a2o_buf_reset(&mc->data);
        err = add_data_url(&mc->data, mt, data);
        if (err != A2O_E_OK)
            return err;
        url = a2o_req_str_take(&mc->data);
    } else if (st != NULL && strcmp(st, "url") == 0) {
        /* image_url takes a plain URL as well; the upstream fetches it */
        data = a2o_json_str(src, "url");
        if (data == NULL)
            return a2o_req_bad_at(mc, l, "source.url", "expected a string");
        url = cJSON_CreateString(data);
    } else {
        return a2o_req_bad_at(mc, l, "source.type",
                              "expected \"base64\" or \"url\"");
    }
    p = typed(mc, "image_url", "image_url", a2o_req_obj1("url", url), blk);
    if (p == NULL)
        return A2O_E_NOMEM;
    *out = p;
    return A2O_E_OK;
}

/*
 * document block: PDF (any base64) -> a "file" part; text and URL
 * sources -> text in mc->data (*out stays NULL, *is_text 1); other
 * sources are dropped.
 */
enum a2o_err
a2o_req_document(struct a2o_req_mc *mc, const cJSON *blk,
                 const struct a2o_req_loc *l, cJSON **out, int *is_text)
{
    const cJSON *src = a2o_json_get(blk, "source"), *c, *sub;
    const char *st = a2o_json_str(src, "type"), *mt, *data, *url;
    cJSON *f, *p;
    enum a2o_err err = A2O_E_OK;

    *out = NULL;
    *is_text = 0;
    if (!cJSON_IsObject(src))
        return a2o_req_bad_at(mc, l, "source", "expected an object");
    if (st == NULL)
        return A2O_E_OK;
    a2o_buf_reset(&mc->data);
    data = a2o_json_str(src, "data");
    url = a2o_json_str(src, "url");
    if (strcmp(st, "text") == 0 && data != NULL) {
        *is_text = 1;
        return a2o_buf_adds(&mc->data, data);
    }
    /* OpenAI's file part takes data only, no URL: name the document so
     * the model knows what was referred to */
    if (strcmp(st, "url") == 0 && url != NULL) {
        *is_text = 1;
        return a2o_buf_addf(&mc->data, "Document: %s", url);
    }
    if (strcmp(st, "content") == 0) {
        /* content: a string or text blocks (citable documents) */
        c = a2o_json_get(src, "content");
        *is_text = 1;
        if (cJSON_IsString(c))
            return a2o_buf_adds(&mc->data, c->valuestring);
        cJSON_ArrayForEach(sub, c)
        {
            const char *t = a2o_json_str(sub, "text");

            if (t != NULL && t[0] != '\0' && err == A2O_E_OK)
                err = a2o_req_join(&mc->data, "\n\n", t, strlen(t));
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
    err = add_data_url(&mc->data, mt, data);
    if (err != A2O_E_OK)
        return err;
    f = cJSON_CreateObject();
    if (f == NULL ||
        a2o_json_add_str(f, "filename",
                         strcmp(mt, "application/pdf") == 0 ? "document.pdf"
                                                            : "document") ||
        a2o_json_attach(f, "file_data", a2o_req_str_take(&mc->data))) {
        cJSON_Delete(f);
        return A2O_E_NOMEM;
    }
    p = typed(mc, "file", "file", f, blk);
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
        err = a2o_req_join(b, sep, "Tool loaded: ", 13);
        return err == A2O_E_OK ? a2o_buf_adds(b, s) : err;
    }
    if (strcmp(type, "search_result") == 0) {
        const char *head[2];
        size_t i;

        head[0] = a2o_json_str(blk, "title");
        head[1] = a2o_json_str(blk, "source");
        for (i = 0; i < 2 && err == A2O_E_OK; i++)
            if (head[i] != NULL && head[i][0] != '\0')
                err = a2o_req_join(b, i == 0 ? sep : "\n", head[i],
                                   strlen(head[i]));
        cJSON_ArrayForEach(it, a2o_json_get(blk, "content"))
        {
            s = a2o_json_str(it, "text");
            if (s != NULL && s[0] != '\0' && err == A2O_E_OK)
                err = a2o_req_join(b, "\n", s, strlen(s));
        }
        return err;
    }
    if (strcmp(type, "web_search_tool_result") == 0) {
        c = a2o_json_get(blk, "content");
        if (!cJSON_IsArray(c) || c->child == NULL)
            return A2O_E_OK;
        /* the model's next words refer to these results: keep titles
         * and URLs (encrypted_content is opaque to anyone else) */
        err = a2o_req_join(b, sep, "Web search results:", 19);
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
