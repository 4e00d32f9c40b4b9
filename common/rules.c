/*
 * rules.c: ROUTES, "MATCH=TARGET|TARGET;..." -> struct a2o_rule (rules.h).
 *
 * MATCH is tokens joined by '+': a condition (think, long, image), '*',
 * or, first only, a case-insensitive model substring; a later token that
 * is not a condition is an error, so a typo ("opus+thinking") stops the
 * start instead of matching nothing.  TARGET is provider[:model]; the
 * model may hold colons (Ollama's "qwen3:4b"), the provider may not.
 * Every error names ROUTES and the rule (1-based, empty rules skipped).
 */
#include "rules.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "str.h"

/* The index of the provider called name[0..n) (any case), or -1.  (Not
 * a2o_conf_provider: conf.c calls this file, so this file reads the
 * conf's data and calls nothing of conf.c.) */
static long
provider_index(const struct a2o_conf *c, const char *name, size_t n)
{
    size_t i;

    for (i = 0; i < c->nproviders; i++)
        if (a2o_str_eq_ci(name, n, c->providers[i].name))
            return (long)i;
    return -1;
}

void
a2o_rules_free(struct a2o_conf *c)
{
    size_t i, k;

    for (i = 0; i < c->nrules; i++) {
        for (k = 0; k < c->rules[i].ntargets; k++)
            cJSON_free(c->rules[i].targets[k].model);
        cJSON_free(c->rules[i].match);
        cJSON_free(c->rules[i].text);
    }
    cJSON_free(c->rules);
    c->rules = NULL;
    c->nrules = 0;
}

/* [b, e) of s with blanks trimmed on both sides. */
static void
trim(const char *s, size_t *b, size_t *e)
{
    while (*b < *e && a2o_str_space((unsigned char)s[*b]))
        (*b)++;
    while (*e > *b && a2o_str_space((unsigned char)s[*e - 1]))
        (*e)--;
}

/* MATCH of rule r (1-based k for errors) from s[b, e). */
static enum a2o_err
rule_match(struct a2o_rule *r, const char *s, size_t b, size_t e, size_t k,
           struct a2o_diag *d)
{
    static const struct {
        const char *name;
        unsigned bit;
    } conds[] = {{"think", A2O_COND_THINK},
                 {"long", A2O_COND_LONG},
                 {"image", A2O_COND_IMAGE}};
    size_t tb = b, te, i, first = 1;

    r->text = a2o_str_dupn(s + b, e - b);
    if (r->text == NULL)
        return A2O_E_NOMEM;
    if (b == e)
        return a2o_diag_set(d, A2O_E_CONF, NULL,
                            "ROUTES: rule %zu has an empty match", k);
    for (; tb <= e; tb = te + 1, first = 0) {
        const char *plus = memchr(s + tb, '+', e - tb);
        size_t vb = tb, ve;

        te = plus != NULL ? (size_t)(plus - s) : e;
        ve = te;
        trim(s, &vb, &ve);
        if (vb == ve)
            return a2o_diag_set(d, A2O_E_CONF, NULL,
                                "ROUTES: rule %zu: empty part in \"%.40s\"", k,
                                r->text);
        for (i = 0; i < sizeof(conds) / sizeof(conds[0]); i++)
            if (a2o_str_eq_ci(s + vb, ve - vb, conds[i].name))
                break;
        if (i < sizeof(conds) / sizeof(conds[0])) {
            r->conds |= conds[i].bit;
        } else if (ve - vb == 1 && s[vb] == '*') {
            ; /* any model */
        } else if (first) {
            r->match = a2o_str_dupn(s + vb, ve - vb);
            if (r->match == NULL)
                return A2O_E_NOMEM;
            for (i = 0; r->match[i] != '\0'; i++)
                r->match[i] = (char)a2o_str_lower((unsigned char)r->match[i]);
        } else {
            return a2o_diag_set(d, A2O_E_CONF, NULL,
                                "ROUTES: rule %zu: unknown condition "
                                "\"%.*s\" (think, long or image)",
                                k, (int)(ve - vb > 40 ? 40 : ve - vb), s + vb);
        }
        if (plus == NULL)
            break;
    }
    return A2O_E_OK;
}

/* TARGET|TARGET... of rule r from s[b, e). */
static enum a2o_err
rule_targets(const struct a2o_conf *c, struct a2o_rule *r, const char *s,
             size_t b, size_t e, size_t k, struct a2o_diag *d)
{
    size_t tb, te;

    for (tb = b; tb <= e; tb = te + 1) {
        const char *bar = memchr(s + tb, '|', e - tb);
        long pi;
        const char *colon;
        size_t vb = tb, ve, pe;

        te = bar != NULL ? (size_t)(bar - s) : e;
        ve = te;
        trim(s, &vb, &ve);
        if (vb == ve)
            return a2o_diag_set(d, A2O_E_CONF, NULL,
                                "ROUTES: rule %zu (%.40s) has an empty target",
                                k, r->text);
        if (r->ntargets == A2O_TARGETS_MAX)
            return a2o_diag_set(d, A2O_E_CONF, NULL,
                                "ROUTES: rule %zu (%.40s) has more than %d "
                                "targets",
                                k, r->text, A2O_TARGETS_MAX);
        colon = memchr(s + vb, ':', ve - vb);
        pe = colon != NULL ? (size_t)(colon - s) : ve;
        trim(s, &vb, &pe);
        pi = provider_index(c, s + vb, pe - vb);
        if (pi < 0)
            return a2o_diag_set(d, A2O_E_CONF, NULL,
                                "ROUTES: rule %zu (%.40s) names unknown "
                                "provider \"%.*s\" (declare it with "
                                "PROVIDER_<NAME>_BASE_URL)",
                                k, r->text, (int)(pe - vb > 32 ? 32 : pe - vb),
                                s + vb);
        r->targets[r->ntargets].provider = (size_t)pi;
        if (colon != NULL) {
            size_t mb = (size_t)(colon - s) + 1, me = ve;

            trim(s, &mb, &me);
            if (mb == me)
                return a2o_diag_set(d, A2O_E_CONF, NULL,
                                    "ROUTES: rule %zu (%.40s): empty model "
                                    "after \"%.32s:\"",
                                    k, r->text, c->providers[pi].name);
            r->targets[r->ntargets].model = a2o_str_dupn(s + mb, me - mb);
            if (r->targets[r->ntargets].model == NULL)
                return A2O_E_NOMEM;
        }
        r->ntargets++;
        if (bar == NULL)
            break;
    }
    return A2O_E_OK;
}

/* ROUTES: "MATCH=TARGET|TARGET;..." (empty rules skipped). */
enum a2o_err
a2o_rules_parse(struct a2o_conf *c, struct a2o_diag *d)
{
    const char *s = c->routes;
    size_t b = 0, e, k = 0, n = 0;
    enum a2o_err err;

    if (s == NULL)
        return A2O_E_OK;
    for (e = 0; s[e] != '\0'; e++)
        n += s[e] == ';';
    if (n + 1 > A2O_RULES_MAX)
        return a2o_diag_set(d, A2O_E_CONF, NULL, "ROUTES: more than %d rules",
                            A2O_RULES_MAX);
    c->rules = cJSON_malloc((n + 1) * sizeof(*c->rules));
    if (c->rules == NULL)
        return A2O_E_NOMEM;
    for (;;) {
        const char *semi = strchr(s + b, ';'), *eq;
        struct a2o_rule *r;
        size_t rb = b, re, me;

        e = semi != NULL ? (size_t)(semi - s) : strlen(s);
        re = e;
        trim(s, &rb, &re);
        if (rb < re) {
            k++;
            r = &c->rules[c->nrules++];
            memset(r, 0, sizeof(*r));
            eq = memchr(s + rb, '=', re - rb);
            if (eq == NULL)
                return a2o_diag_set(d, A2O_E_CONF, NULL,
                                    "ROUTES: rule %zu: expected "
                                    "MATCH=TARGET|TARGET...",
                                    k);
            me = (size_t)(eq - s);
            trim(s, &rb, &me);
            err = rule_match(r, s, rb, me, k, d);
            if (err == A2O_E_OK)
                err = rule_targets(c, r, s, (size_t)(eq - s) + 1, re, k, d);
            if (err != A2O_E_OK)
                return err;
        }
        if (semi == NULL)
            break;
        b = e + 1;
    }
    return A2O_E_OK;
}
