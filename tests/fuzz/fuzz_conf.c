/*
 * fuzz_conf.c: the settings (.env text through a2o_conf_parse_env_file
 * and a2o_conf_finish), providers and the ROUTES parser (common/rules.c),
 * then a2o_route_plan over a few requests.
 *
 * Input: an OOM byte, then .env text.  Invariants:
 * - parse + finish end in OK, CONF (with a message) or, only when an
 *   allocation failed, NOMEM; nothing stays allocated after a2o_conf_free;
 * - after OK: "default" is provider 0, every provider has a base URL and
 *   a known API, every rule has 1 to A2O_TARGETS_MAX targets whose
 *   providers exist;
 * - every plan has 1 to A2O_TARGETS_MAX targets, each with a provider,
 *   a base URL and a model.
 */
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../common/conf.h"
#include "../../common/route.h"
#include "fuzz_util.h"

static const char *const reqs[] = {
    "{\"model\":\"claude-haiku-4-5\",\"messages\":[]}",
    "{\"model\":\"claude-opus-4-1\",\"thinking\":{\"type\":\"enabled\"},"
    "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\"}]}]}",
    "{\"messages\":[{\"role\":\"user\",\"content\":\"a long one\"}]}",
};

static void
check_plans(const struct a2o_conf *c)
{
    struct a2o_plan pl;
    size_t i, k;

    for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        cJSON *r = cJSON_Parse(reqs[i]);

        FZ_CHECK(r != NULL, "request parses");
        a2o_route_plan(c, r, &pl);
        FZ_CHECK(pl.n >= 1 && pl.n <= A2O_TARGETS_MAX, "plan size");
        for (k = 0; k < pl.n; k++)
            FZ_CHECK(pl.t[k].provider != NULL && pl.t[k].base_url != NULL &&
                         pl.t[k].model != NULL,
                     "a target is complete");
        cJSON_Delete(r);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct a2o_conf c;
    struct a2o_diag d;
    enum a2o_err err;
    unsigned oom;
    long before;
    size_t i, k;

    fz_init();
    oom = fz_byte(&in);
    before = fz_live();
    a2o_conf_init(&c);
    a2o_diag_clear(&d);
    if (oom & 0x80)
        fz_fail_at((long)(oom & 0x7f) + 1);
    err = a2o_conf_parse_env_file(&c, (const char *)in.p, in.n, &d);
    if (err == A2O_E_OK)
        err = a2o_conf_finish(&c, &d);
    if (!fz_failed())
        FZ_CHECK(err != A2O_E_NOMEM, "NOMEM only when an allocation failed");
    fz_fail_at(0);
    FZ_CHECK(err == A2O_E_OK || err == A2O_E_CONF || err == A2O_E_NOMEM,
             "OK, CONF or NOMEM");
    if (err == A2O_E_CONF)
        FZ_CHECK(d.msg[0] != '\0', "a CONF error says what");
    if (err == A2O_E_OK) {
        FZ_CHECK(c.nproviders >= 1 &&
                     strcmp(c.providers[0].name, "default") == 0,
                 "default is provider 0");
        for (i = 0; i < c.nproviders; i++)
            FZ_CHECK(c.providers[i].base_url != NULL &&
                         c.providers[i].api >= 0 && c.providers[i].api <= 2,
                     "a provider is complete");
        for (i = 0; i < c.nrules; i++) {
            FZ_CHECK(c.rules[i].ntargets >= 1 &&
                         c.rules[i].ntargets <= A2O_TARGETS_MAX,
                     "rule size");
            for (k = 0; k < c.rules[i].ntargets; k++)
                FZ_CHECK(c.rules[i].targets[k].provider < c.nproviders,
                         "a target's provider exists");
        }
        check_plans(&c);
    }
    a2o_conf_free(&c);
    FZ_CHECK(fz_live() == before, "nothing left allocated");
    return 0;
}
