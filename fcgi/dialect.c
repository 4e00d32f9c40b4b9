/*
 * dialect.c: one ops table per upstream API (dialect.h).  The functions
 * here only adapt the typed converters of common/ to the table's shape.
 */
#include <string.h>

#include "dialect.h"

/* Chat Completions: common/req, common/resp, common/stream. */
static enum a2o_err
chat_request(const cJSON *req, const struct a2o_route *rt, char **out,
             size_t *outn, struct a2o_reqmeta **meta, struct a2o_diag *d)
{
    struct a2o_reqmeta *m = NULL;
    cJSON *tree = NULL;
    enum a2o_err err;
    char *s;

    err = a2o_req_convert_route(req, rt, &tree, &m, d);
    if (err != A2O_E_OK)
        return err;
    s = cJSON_PrintUnformatted(tree);
    cJSON_Delete(tree);
    if (s == NULL) {
        a2o_reqmeta_free(m);
        return A2O_E_NOMEM;
    }
    *out = s;
    *outn = strlen(s);
    *meta = m;
    return A2O_E_OK;
}

static void *
st_new(const struct a2o_stream_opts *o)
{
    return a2o_stream_new(o);
}

static enum a2o_err
st_feed(void *s, const char *p, size_t n, struct a2o_buf *out,
        struct a2o_diag *d)
{
    return a2o_stream_feed(s, p, n, out, d);
}

static enum a2o_err
st_finish(void *s, struct a2o_buf *out, struct a2o_diag *d)
{
    return a2o_stream_finish(s, out, d);
}

static enum a2o_err
st_ping(void *s, struct a2o_buf *out)
{
    return a2o_stream_ping(s, out);
}

static enum a2o_err
st_fail(void *s, enum a2o_err err, const struct a2o_diag *d,
        struct a2o_buf *out)
{
    return a2o_stream_fail(s, err, d, out);
}

static int
st_started(const void *s)
{
    return a2o_stream_started(s);
}

static void
st_usage(const void *s, struct a2o_usage *u)
{
    a2o_stream_usage(s, u);
}

static void
st_free(void *s)
{
    a2o_stream_free(s);
}

static const struct srv_dialect chat = {
    "chat",
    "/chat/completions",
    0,
    chat_request,
    a2o_resp_convert_bytes,
    st_new,
    st_feed,
    st_finish,
    st_ping,
    st_fail,
    st_started,
    st_usage,
    st_free,
};

const struct srv_dialect *
srv_dialect_of(enum a2o_api api)
{
    switch (api) {
    case A2O_API_CHAT:
        return &chat;
    case A2O_API_RESPONSES:
    case A2O_API_ANTHROPIC:
    default:
        return NULL;
    }
}
