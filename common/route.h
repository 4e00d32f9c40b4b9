/*
 * route.h: which upstream serves a request (PROTOCOL.md §6).
 */
#ifndef A2O_ROUTE_H
#define A2O_ROUTE_H

#include "conf.h"

/* Where one request goes.  Pointers borrow from the conf and from the
 * client model string; nothing is allocated. */
struct a2o_route {
    const char
        *base_url; /* no trailing slash; POST base_url + "/chat/completions" */
    const char *api_key;      /* NULL: pass the client's key as Bearer */
    const char *model;        /* upstream model name */
    const char *client_model; /* what the client asked for (echoed back) */
    const char
        *session_id; /* Claude Code's x-claude-code-session-id, or NULL */
    struct a2o_profile profile;
};

/*
 * Routes client_model: "haiku" (case-insensitive substring) with
 * HAIKU_MODEL_NAME set -> the HAIKU_* upstream; else the first MODEL_MAP
 * entry whose match is a substring (case-insensitive) or "*"; else the
 * name unchanged.  Fills *out; never fails.
 */
void a2o_route(const struct a2o_conf *c, const char *client_model,
               struct a2o_route *out);

/*
 * Constant-time comparison of a client-supplied key with the proxy key
 * (time depends only on the lengths).  1 when equal.
 */
int a2o_key_equal(const char *given, size_t n, const char *want);

#endif
