/*
 * route.h: which upstream serves a request: the providers, the ROUTES
 * rules and the seed rules (the haiku rule, then MODEL_MAP on default).
 */
#ifndef A2O_ROUTE_H
#define A2O_ROUTE_H

#include <cjson/cJSON.h>

#include "conf.h"

/* One upstream attempt's destination.  Pointers borrow from the conf and
 * from the client model string; nothing is allocated. */
struct a2o_route {
    const char *provider;     /* provider name ("default", "haiku", ...) */
    enum a2o_api api;         /* its wire format */
    const char *base_url;     /* no trailing slash */
    const char *api_key;      /* NULL: pass the client's key */
    const char *model;        /* upstream model name */
    const char *client_model; /* what the client asked for (echoed back) */
    const char
        *session_id;  /* Claude Code's x-claude-code-session-id, or NULL */
    int beta_pass;    /* API anthropic: forward anthropic-beta */
    const char *drop; /* API anthropic: fields to remove, or NULL */
    struct a2o_profile profile;
};

/*
 * The seed routing of client_model: "haiku" (case-insensitive substring)
 * with HAIKU_MODEL_NAME set -> the haiku provider; else the first
 * MODEL_MAP entry whose match is a substring (case-insensitive) or "*",
 * on the default provider; else the name unchanged there.  Fills *out;
 * never fails.  Needs a finished conf.
 */
void a2o_route(const struct a2o_conf *c, const char *client_model,
               struct a2o_route *out);

/* Where a request may go, in the order to try. */
struct a2o_plan {
    int rule; /* index into c->rules; -1: the seed routing */
    size_t n; /* targets */
    struct a2o_route t[A2O_TARGETS_MAX];
    long estimate; /* input token estimate when the long condition was
                    * evaluated, else -1 */
};

/*
 * Plans req (an Anthropic request, already parsed; only model, thinking
 * and the content blocks are read): the first ROUTES rule whose model
 * substring and conditions all hold gives its targets; no rule: one
 * target, a2o_route().  A target without a model gets the provider's
 * fixed model, else the client's after MODEL_MAP.  Each target's profile
 * is inferred for its provider (PROVIDER_<NAME>_* switches first, then
 * UPSTREAM_*, then inference).  Never fails.
 */
void a2o_route_plan(const struct a2o_conf *c, const cJSON *req,
                    struct a2o_plan *out);

/*
 * Infers the dialect switches for an upstream (base URL + upstream model;
 * the table is in common/README.md §9), then applies the global
 * UPSTREAM_* overrides of c; a provider's own PROVIDER_<NAME>_<SWITCH>
 * overrides are applied after it by the route.  Never fails, never
 * allocates.
 */
void a2o_profile_infer(const struct a2o_conf *c, const char *base_url,
                       const char *model, struct a2o_profile *out);

/*
 * Constant-time comparison of a client-supplied key with the proxy key
 * (time depends only on the lengths).  1 when equal.
 */
int a2o_key_equal(const char *given, size_t n, const char *want);

#endif
