/*
 * fuzz_req.c: a2o_req_convert_bytes (common/README.md §1).
 *
 * Input: 4 option bytes (configuration and overrides: fz_conf; OOM mode),
 * then the request body.  Invariants:
 * - only the documented codes come back (BADJSON, BADREQ, TOOBIG; NOMEM
 *   only when an allocation failed), and every error gives a valid
 *   Anthropic error body; BADREQ on an object names a field path;
 * - on success the output is one valid JSON object with "model" (the
 *   route's model) and a "messages" array; a system message only first;
 *   every tool call has a string id, a name of at most 64 bytes and
 *   string arguments (OpenAI rejects anything else);
 * - the tree entry point gives the same tree and never mutates its input;
 * - converting twice gives the same bytes; nothing stays allocated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../common/conf.h"
#include "../../common/json.h"
#include "../../common/req.h"
#include "../../common/route.h"
#include "fuzz_util.h"

/* Output-shape checks that hold for every upstream. */
static void
check_out(const cJSON *o, const struct a2o_route *rt)
{
    const cJSON *msgs = a2o_json_get(o, "messages"), *m;
    const char *model = a2o_json_str(o, "model");
    int i = 0;

    FZ_CHECK(cJSON_IsObject(o), "output is an object");
    FZ_CHECK(model != NULL && rt->model != NULL &&
                 strcmp(model, rt->model) == 0,
             "output model is the routed model");
    FZ_CHECK(cJSON_IsArray(msgs), "output has a messages array");
    cJSON_ArrayForEach(m, msgs)
    {
        const char *role = a2o_json_str(m, "role");
        const cJSON *tc, *calls = a2o_json_get(m, "tool_calls");

        FZ_CHECK(role != NULL, "every message has a role");
        FZ_CHECK(strcmp(role, "system") != 0 || i == 0,
                 "a system message only first");
        cJSON_ArrayForEach(tc, calls)
        {
            const cJSON *fn = a2o_json_get(tc, "function");
            const char *name = a2o_json_str(fn, "name");

            FZ_CHECK(a2o_json_str(tc, "id") != NULL, "tool call id string");
            FZ_CHECK(name != NULL && strlen(name) <= 64,
                     "tool call name of at most 64 bytes");
            FZ_CHECK(a2o_json_str(fn, "arguments") != NULL,
                     "tool call arguments are a string");
        }
        i++;
    }
}

/* The tree entry point agrees with the bytes one and leaves in alone. */
static void
check_tree(const char *body, size_t n, const struct a2o_conf *c,
           const char *outb, size_t outn)
{
    cJSON *in = cJSON_ParseWithLength(body, n), *copy, *out = NULL;
    struct a2o_reqmeta *meta = NULL;
    struct a2o_route rt;
    struct a2o_diag d;
    enum a2o_err err;

    FZ_CHECK(in != NULL, "bytes that converted parse with cJSON");
    copy = cJSON_Duplicate(in, 1);
    FZ_CHECK(copy != NULL, "duplicate");
    err = a2o_req_convert(in, c, &out, &meta, &rt, &d);
    FZ_CHECK(err == A2O_E_OK, "tree conversion succeeds as bytes did");
    FZ_CHECK(fz_same_json(in, copy), "input tree not mutated");
    FZ_CHECK(fz_prints_as(out, outb, outn), "tree and bytes outputs agree");
    cJSON_Delete(out);
    cJSON_Delete(copy);
    cJSON_Delete(in);
    a2o_reqmeta_free(meta);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct a2o_conf c;
    struct a2o_route rt;
    struct a2o_diag d;
    struct a2o_reqmeta *meta, *meta2;
    char *out, *out2;
    size_t outn, outn2;
    unsigned oom;
    long before;
    enum a2o_err err, err2;
    const char *body;
    size_t n;
    cJSON *o;

    fz_init();
    fz_conf(&in, &c);
    oom = fz_byte(&in);
    body = (const char *)in.p;
    n = in.n;
    before = fz_live();

    /* OOM mode: one allocation fails; the result is NOMEM (or BADJSON:
     * cJSON cannot tell a failed allocation from a syntax error). */
    if (oom & 0x80) {
        out = (char *)1;
        meta = (struct a2o_reqmeta *)1;
        fz_fail_at((long)(oom & 0x7f) + 1);
        err = a2o_req_convert_bytes(body, n, &c, &out, &outn, &meta, &rt, &d);
        if (fz_failed()) {
            FZ_CHECK(err == A2O_E_NOMEM || err == A2O_E_BADJSON,
                     "a failed allocation gives NOMEM");
            FZ_CHECK(out == (char *)1 && meta == (struct a2o_reqmeta *)1,
                     "outputs untouched on failure");
        } else if (err == A2O_E_OK) {
            cJSON_free(out);
            a2o_reqmeta_free(meta);
        }
        fz_fail_at(0);
        FZ_CHECK(fz_live() == before, "no leak under OOM");
        return 0;
    }

    out = NULL;
    meta = NULL;
    memset(&d, 0, sizeof d);
    err = a2o_req_convert_bytes(body, n, &c, &out, &outn, &meta, &rt, &d);
    if (err != A2O_E_OK) {
        FZ_CHECK(err == A2O_E_BADJSON || err == A2O_E_BADREQ ||
                     err == A2O_E_TOOBIG,
                 "only client errors for client bytes");
        FZ_CHECK(out == NULL && meta == NULL, "outputs untouched on error");
        fz_check_err_body(err, &d);
        if (err == A2O_E_BADREQ) {
            cJSON *t = cJSON_ParseWithLength(body, n);

            /* A field of an object body is named; "" only for the root. */
            FZ_CHECK(!cJSON_IsObject(t) || d.path[0] != '\0' ||
                         d.msg[0] != '\0',
                     "BADREQ says what is wrong");
            cJSON_Delete(t);
        }
        FZ_CHECK(fz_live() == before, "no leak on error");
        return 0;
    }
    FZ_CHECK(out != NULL && meta != NULL, "outputs on success");
    FZ_CHECK(strlen(out) == outn, "output length matches");
    FZ_CHECK(fz_json_ok(out, outn), "output is strict JSON");
    FZ_CHECK(meta->client_model != NULL, "meta has the client model");
    /* The upstream URL never comes from request data. */
    FZ_CHECK(rt.base_url != NULL &&
                 (strcmp(rt.base_url, c.base_url) == 0 ||
                  (c.haiku_base_url != NULL &&
                   strcmp(rt.base_url, c.haiku_base_url) == 0)),
             "route goes to a configured base URL");
    o = cJSON_ParseWithLength(out, outn);
    check_out(o, &rt);
    FZ_CHECK(!meta->stream || cJSON_IsTrue(a2o_json_get(o, "stream")),
             "stream request stays a stream");
    cJSON_Delete(o);

    /* Deterministic: the same bytes again. */
    out2 = NULL;
    meta2 = NULL;
    err2 = a2o_req_convert_bytes(body, n, &c, &out2, &outn2, &meta2, &rt, &d);
    FZ_CHECK(err2 == A2O_E_OK && outn2 == outn && memcmp(out, out2, outn) == 0,
             "conversion is deterministic");
    cJSON_free(out2);
    a2o_reqmeta_free(meta2);

    check_tree(body, n, &c, out, outn);
    cJSON_free(out);
    a2o_reqmeta_free(meta);
    FZ_CHECK(fz_live() == before, "no leak on success");
    return 0;
}
