/*
 * fuzz_resp.c: a2o_resp_convert_bytes and a2o_resp_error_message
 * (common/README.md §4, §8).
 *
 * Input: option bytes (profile: fz_profile; request shape: stream,
 * thinking, stop sequences, a shortened tool name; OOM mode; an HTTP
 * status), then the upstream body.  Invariants:
 * - an upstream body is never the client's fault: no BADJSON/BADREQ-from-
 *   parsing, no INTERNAL; NOMEM only when an allocation failed;
 * - on success one strict JSON Anthropic message: id, type, role, the
 *   client's model, content blocks of known types with no empty text,
 *   valid tool ids, an object input, a known stop_reason (tool_use when a
 *   tool_use block exists) and non-negative usage;
 * - tree and bytes entry points agree, input not mutated, deterministic;
 * - the error-message reducer always yields a valid error body;
 * - nothing stays allocated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../common/conf.h"
#include "../../common/json.h"
#include "../../common/req.h"
#include "../../common/resp.h"
#include "../../common/toolid.h"
#include "fuzz_util.h"

static char model[] = "claude-sonnet-4-5";
static char stop1[] = "\n\nHuman:";
static char stop2[] = "END";
static char longname[] =
    "mcp__some_server_with_a_long_name__and_a_tool_whose_name_is_long_too";
static char shortname[65];
static char *stops[] = {stop1, stop2};
static struct a2o_toolname names[1];
static char tool1[] = "Read";
static char tool2[] = "Bash";
static char *offered[] = {tool1, tool2, shortname};

/* A request meta as a2o_req_convert would make it, from option bits. */
static void
make_meta(unsigned b, struct a2o_reqmeta *m)
{
    if (shortname[0] == '\0') {
        a2o_toolname_short(longname, shortname);
        names[0].full = longname;
        names[0].short_name = shortname;
    }
    memset(m, 0, sizeof *m);
    m->client_model = model;
    m->stream = 0;
    m->thinking = b & 1;
    m->stop = (b & 2) ? stops : NULL;
    m->nstop = (b & 2) ? 2 : 0;
    m->names = (b & 4) ? names : NULL;
    m->nnames = (b & 4) ? 1 : 0;
    /* the functions a text tool call may name */
    m->tools = offered;
    m->ntools = (b & 4) ? 3 : 2;
    m->input_estimate = (long)(b >> 3) * 100;
}

static int
is_one_of(const char *s, const char *const *set)
{
    for (; s != NULL && *set != NULL; set++)
        if (strcmp(s, *set) == 0)
            return 1;
    return 0;
}

static void
check_usage(const cJSON *u)
{
    static const char *const keys[] = {"input_tokens", "output_tokens",
                                       "cache_read_input_tokens",
                                       "cache_creation_input_tokens", NULL};
    const char *const *k;

    FZ_CHECK(cJSON_IsObject(u), "usage object");
    for (k = keys; *k != NULL; k++) {
        const cJSON *v = a2o_json_get(u, *k);

        FZ_CHECK(cJSON_IsNumber(v) && v->valuedouble >= 0 &&
                     v->valuedouble == (double)(long long)v->valuedouble,
                 "usage counts are non-negative integers");
    }
}

static void
check_message(const cJSON *o, const char *msg_id)
{
    static const char *const blocks[] = {"text", "thinking",
                                         "redacted_thinking", "tool_use", NULL};
    static const char *const stops_ok[] = {
        "end_turn",   "max_tokens", "stop_sequence", "tool_use", "refusal",
        "pause_turn", NULL};
    const cJSON *b, *content = a2o_json_get(o, "content");
    const char *sr = a2o_json_str(o, "stop_reason");
    int tools = 0;

    FZ_CHECK(cJSON_IsObject(o), "message is an object");
    FZ_CHECK(is_one_of(a2o_json_str(o, "type"),
                       (const char *const[]){"message", NULL}),
             "type message");
    FZ_CHECK(is_one_of(a2o_json_str(o, "role"),
                       (const char *const[]){"assistant", NULL}),
             "role assistant");
    FZ_CHECK(
        is_one_of(a2o_json_str(o, "id"), (const char *const[]){msg_id, NULL}),
        "id is the caller's");
    FZ_CHECK(
        is_one_of(a2o_json_str(o, "model"), (const char *const[]){model, NULL}),
        "model is the client's");
    FZ_CHECK(cJSON_IsArray(content), "content array");
    cJSON_ArrayForEach(b, content)
    {
        const char *t = a2o_json_str(b, "type");

        FZ_CHECK(is_one_of(t, blocks), "known block type");
        if (strcmp(t, "text") == 0) {
            const char *x = a2o_json_str(b, "text");

            FZ_CHECK(x != NULL && x[0] != '\0', "no empty text block");
        } else if (strcmp(t, "tool_use") == 0) {
            const char *id = a2o_json_str(b, "id");

            tools++;
            FZ_CHECK(id != NULL && a2o_toolid_valid(id, strlen(id)),
                     "tool_use id matches ^[a-zA-Z0-9_-]+$");
            FZ_CHECK(a2o_json_str(b, "name") != NULL, "tool_use name");
            FZ_CHECK(cJSON_IsObject(a2o_json_get(b, "input")),
                     "tool_use input is an object");
        }
    }
    FZ_CHECK(is_one_of(sr, stops_ok), "known stop_reason");
    FZ_CHECK(tools == 0 || strcmp(sr, "tool_use") == 0,
             "tool_use blocks mean stop_reason tool_use");
    check_usage(a2o_json_get(o, "usage"));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct a2o_profile prof;
    struct a2o_reqmeta meta;
    struct a2o_resp_opts o;
    struct a2o_usage u;
    struct a2o_diag d;
    unsigned mb, oom, st;
    char *out, *out2;
    size_t outn, outn2, n;
    const char *body;
    long before;
    enum a2o_err err;
    cJSON *t;

    fz_init();
    fz_profile(&in, &prof);
    mb = fz_byte(&in);
    oom = fz_byte(&in);
    st = fz_byte(&in);
    make_meta(mb, &meta);
    memset(&o, 0, sizeof o);
    o.meta = &meta;
    o.upstream = (mb & 8) ? "https://gateway.example/v1" : NULL;
    o.profile = &prof;
    o.msg_id = "msg_fuzz0123456789";
    o.seed = 0x9e3779b97f4a7c15ULL ^ mb;
    body = (const char *)in.p;
    n = in.n;
    before = fz_live();

    /* The error reducer, for an HTTP error status chosen by st. */
    a2o_diag_clear(&d);
    a2o_resp_error_message(body, n, 400 + (long)st, &d);
    fz_check_err_body(a2o_err_from_status(400 + (long)st), &d);
    FZ_CHECK(fz_live() == before, "error reducer leaks nothing");

    if (oom & 0x80) {
        out = (char *)1;
        fz_fail_at((long)(oom & 0x7f) + 1);
        err = a2o_resp_convert_bytes(body, n, &o, &out, &outn, &u, &d);
        if (fz_failed()) {
            FZ_CHECK(err != A2O_E_OK && out == (char *)1,
                     "a failed allocation is an error, out untouched");
            FZ_CHECK(err != A2O_E_INTERNAL, "OOM is not INTERNAL");
        } else if (err == A2O_E_OK) {
            cJSON_free(out);
        }
        fz_fail_at(0);
        FZ_CHECK(fz_live() == before, "no leak under OOM");
        return 0;
    }

    out = NULL;
    memset(&d, 0, sizeof d);
    err = a2o_resp_convert_bytes(body, n, &o, &out, &outn, &u, &d);
    if (err != A2O_E_OK) {
        FZ_CHECK(err != A2O_E_NOMEM && err != A2O_E_INTERNAL &&
                     err != A2O_E_BADJSON && err != A2O_E_CONF &&
                     err != A2O_E_METHOD,
                 "an upstream body gives an upstream error code");
        FZ_CHECK(out == NULL, "out untouched on error");
        fz_check_err_body(err, &d);
        FZ_CHECK(fz_live() == before, "no leak on error");
        return 0;
    }
    FZ_CHECK(out != NULL && strlen(out) == outn, "output length");
    FZ_CHECK(fz_json_ok(out, outn), "output is strict JSON");
    FZ_CHECK(u.input_tokens >= 0 && u.output_tokens >= 0 &&
                 u.cache_read_input_tokens >= 0 &&
                 u.cache_creation_input_tokens >= 0,
             "usage non-negative");
    t = cJSON_ParseWithLength(out, outn);
    check_message(t, o.msg_id);
    cJSON_Delete(t);

    out2 = NULL;
    FZ_CHECK(a2o_resp_convert_bytes(body, n, &o, &out2, &outn2, &u, &d) ==
                     A2O_E_OK &&
                 outn2 == outn && memcmp(out, out2, outn) == 0,
             "conversion is deterministic");
    cJSON_free(out2);

    /* Tree entry point: same answer, input untouched. */
    {
        cJSON *tin = cJSON_ParseWithLength(body, n), *copy, *tout = NULL;

        FZ_CHECK(tin != NULL, "converted body parses");
        copy = cJSON_Duplicate(tin, 1);
        FZ_CHECK(a2o_resp_convert(tin, &o, &tout, &u, &d) == A2O_E_OK,
                 "tree conversion succeeds");
        FZ_CHECK(fz_same_json(tin, copy), "input tree not mutated");
        FZ_CHECK(fz_prints_as(tout, out, outn), "tree and bytes agree");
        cJSON_Delete(tin);
        cJSON_Delete(copy);
        cJSON_Delete(tout);
    }
    cJSON_free(out);
    FZ_CHECK(fz_live() == before, "no leak on success");
    return 0;
}
