/*
 * rmeta.h: a struct a2o_reqmeta and profile for response/stream tests,
 * built by hand from <case>.meta.json (no dependency on a2o_req_convert):
 *
 *   {"client_model":"claude-x", "stop":["END"], "thinking":true,
 *    "names":[{"full":"...","short":"..."}], "input_estimate":120,
 *    "think_tags":true, "max_block":64, "max_line":256, "seed":7,
 *    "error":"BADGATEWAY", "any_args":true, "upstream":"https://x/v1",
 *    "tools":["Bash","Read"], "text_tool_calls":true}
 *
 * Every key is optional; a missing file gives the defaults
 * (client_model "claude-test", input_estimate 100, seed 1).
 */
#ifndef TH_RMETA_H
#define TH_RMETA_H

#include <stddef.h>

#include "../../common/conf.h"
#include "../../common/err.h"
#include "../../common/req.h"

struct th_case {
    struct a2o_reqmeta meta;
    struct a2o_profile profile;
    size_t max_block; /* 0 = default */
    size_t max_line;  /* 0 = default */
    unsigned long long seed;
    enum a2o_err want; /* expected result, A2O_E_OK by default */
    unsigned evflags;  /* ev_check flags ("any_args": EV_ANY_ARGS) */
    char *upstream;    /* opts.upstream, or NULL */
};

/* Fills c from path (may not exist).  Plain malloc: th_case_free. */
void th_case_load(const char *path, struct th_case *c);
void th_case_free(struct th_case *c);

/* "BADGATEWAY" -> A2O_E_BADGATEWAY; fails the test when unknown. */
enum a2o_err th_err_parse(const char *name);

/* "dir/x.in.json" -> "dir/x<suffix>" (malloc). */
char *th_sibling(const char *in, const char *insuffix, const char *suffix);

#endif
