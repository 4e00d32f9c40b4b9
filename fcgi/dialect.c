/*
 * dialect.c: one ops table per upstream API (dialect.h).  The functions
 * here only adapt the typed converters of common/ to the table's shape.
 */
#include <string.h>

#include "../common/json.h"

#include "../common/native.h"
#include "../common/nstream.h"
#include "../common/rsp.h"
#include "arena.h"
#include "dialect.h"

/* A converted request tree to the bytes to send; *tree is freed (by the
 * arena when it holds it).  *outn holds the size to expect (see
 * dialect.h). */
static enum a2o_err
print(cJSON *tree, struct a2o_reqmeta *m, char **out, size_t *outn,
      struct a2o_reqmeta **meta)
{
    char *s = a2o_json_print_sized(tree, *outn, outn);

    if (!srv_arena_holds())
        cJSON_Delete(tree);
    if (s == NULL) {
        a2o_reqmeta_free(m);
        return A2O_E_NOMEM;
    }
    *out = s;
    *meta = m;
    return A2O_E_OK;
}

/* Chat Completions: common/req, common/resp, common/stream. */
static enum a2o_err
chat_request(const cJSON *req, const struct a2o_route *rt, char **out,
             size_t *outn, struct a2o_reqmeta **meta, struct a2o_diag *d)
{
    struct a2o_reqmeta *m = NULL;
    cJSON *tree = NULL;
    enum a2o_err err;

    err = a2o_req_convert_route(req, rt, &tree, &m, d);
    if (err != A2O_E_OK)
        return err;
    return print(tree, m, out, outn, meta);
}

/*
 * The table's stream functions for a converter whose functions are
 * PREFIX_feed, PREFIX_finish, ... over struct TYPE (common/stream.h and
 * common/nstream.h share one contract): they only drop the type.
 */
#define STREAM_ADAPTERS(ab, prefix, type)                                      \
    static enum a2o_err ab##_feed(void *s, const char *p, size_t n,            \
                                  struct a2o_buf *out, struct a2o_diag *d)     \
    {                                                                          \
        return prefix##_feed((struct type *)s, p, n, out, d);                  \
    }                                                                          \
    static enum a2o_err ab##_finish(void *s, struct a2o_buf *out,              \
                                    struct a2o_diag *d)                        \
    {                                                                          \
        return prefix##_finish((struct type *)s, out, d);                      \
    }                                                                          \
    static enum a2o_err ab##_ping(void *s, struct a2o_buf *out)                \
    {                                                                          \
        return prefix##_ping((struct type *)s, out);                           \
    }                                                                          \
    static enum a2o_err ab##_fail(void *s, enum a2o_err err,                   \
                                  const struct a2o_diag *d,                    \
                                  struct a2o_buf *out)                         \
    {                                                                          \
        return prefix##_fail((struct type *)s, err, d, out);                   \
    }                                                                          \
    static int ab##_started(const void *s)                                     \
    {                                                                          \
        return prefix##_started((const struct type *)s);                       \
    }                                                                          \
    static void ab##_usage(const void *s, struct a2o_usage *u)                 \
    {                                                                          \
        prefix##_usage((const struct type *)s, u);                             \
    }                                                                          \
    static void ab##_free(void *s)                                             \
    {                                                                          \
        prefix##_free((struct type *)s);                                       \
    }

STREAM_ADAPTERS(st, a2o_stream, a2o_stream)
STREAM_ADAPTERS(ns, a2o_nstream, a2o_nstream)

static void *
st_new(const struct a2o_stream_opts *o)
{
    return a2o_stream_new(o);
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

/* OpenAI Responses: common/rsp (request, whole answer); the stream
 * goes through the one event emitter of common/stream with the
 * Responses reader. */
static enum a2o_err
rsp_request(const cJSON *req, const struct a2o_route *rt, char **out,
            size_t *outn, struct a2o_reqmeta **meta, struct a2o_diag *d)
{
    struct a2o_reqmeta *m = NULL;
    cJSON *tree = NULL;
    enum a2o_err err;

    err = a2o_rsp_req_convert(req, rt, &tree, &m, d);
    if (err != A2O_E_OK)
        return err;
    return print(tree, m, out, outn, meta);
}

static void *
rsp_new(const struct a2o_stream_opts *o)
{
    struct a2o_stream_opts ro = *o;

    ro.api = A2O_API_RESPONSES;
    return a2o_stream_new(&ro);
}

static const struct srv_dialect responses = {
    "responses",
    "/responses",
    0,
    rsp_request,
    a2o_rsp_resp_convert_bytes,
    rsp_new,
    st_feed,
    st_finish,
    st_ping,
    st_fail,
    st_started,
    st_usage,
    st_free,
};

/* Anthropic Messages upstreams: the client's body passes through
 * (common/native), the answer is checked (whole) or relayed event by
 * event (common/nstream). */
static enum a2o_err
native_request(const cJSON *req, const struct a2o_route *rt, char **out,
               size_t *outn, struct a2o_reqmeta **meta, struct a2o_diag *d)
{
    struct a2o_native_opts o;
    struct a2o_reqmeta *m = NULL;
    cJSON *tree = NULL;
    enum a2o_err err;

    o.model = rt->model;
    o.drop = rt->drop;
    err = a2o_native_req(req, &o, &tree, &m, d);
    if (err != A2O_E_OK)
        return err;
    return print(tree, m, out, outn, meta);
}

static enum a2o_err
native_whole(const char *in, size_t n, const struct a2o_resp_opts *o,
             char **out, size_t *outn, struct a2o_usage *u, struct a2o_diag *d)
{
    (void)o;
    *out = NULL; /* the upstream's body goes to the client unchanged */
    *outn = 0;
    return a2o_native_resp_check(in, n, u, d);
}

/* count_tokens: the upstream's {"input_tokens": N} passes through. */
static enum a2o_err
count_whole(const char *in, size_t n, const struct a2o_resp_opts *o, char **out,
            size_t *outn, struct a2o_usage *u, struct a2o_diag *d)
{
    cJSON *j = NULL;
    const cJSON *t;
    enum a2o_err err;

    (void)o;
    *out = NULL;
    *outn = 0;
    err = a2o_json_parse(in, n, &j, d);
    if (err == A2O_E_NOMEM)
        return err;
    t = cJSON_GetObjectItemCaseSensitive(j, "input_tokens");
    if (err != A2O_E_OK || !cJSON_IsNumber(t) || t->valuedouble < 0) {
        cJSON_Delete(j);
        return a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                            "the upstream's count_tokens answer has no "
                            "input_tokens");
    }
    u->input_tokens = (long)t->valuedouble;
    u->estimated = 0;
    cJSON_Delete(j);
    return A2O_E_OK;
}

static void *
ns_new(const struct a2o_stream_opts *o)
{
    struct a2o_nstream_opts no;

    no.max_line = o->max_line;
    return a2o_nstream_new(&no);
}

static const struct srv_dialect anthropic = {
    "anthropic", "/v1/messages", 1,         native_request, native_whole,
    ns_new,      ns_feed,        ns_finish, ns_ping,        ns_fail,
    ns_started,  ns_usage,       ns_free,
};

const struct srv_dialect srv_dialect_count = {
    "anthropic", "/v1/messages/count_tokens",
    1,           native_request,
    count_whole, NULL,
    NULL,        NULL,
    NULL,        NULL,
    NULL,        NULL,
    NULL,
};

const struct srv_dialect *
srv_dialect_of(enum a2o_api api)
{
    switch (api) {
    case A2O_API_CHAT:
        return &chat;
    case A2O_API_ANTHROPIC:
        return &anthropic;
    case A2O_API_RESPONSES:
        return &responses;
    default:
        return NULL;
    }
}
