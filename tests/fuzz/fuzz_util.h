/*
 * fuzz_util.h: what every fuzz target shares.
 *
 * - the counting cJSON hooks of tests/lib/harness.c (every allocation of
 *   common/ goes through them), so each input can assert that nothing is
 *   left allocated, and an allocation can be made to fail (NOMEM paths);
 *   fz_json_ok and the checks must not run while a failure is armed;
 * - a cursor over the input whose first bytes choose options and split
 *   points, the rest being the payload;
 * - invariant checks that abort with a message, which libFuzzer and the
 *   plain replay both report as a crash with the input that caused it.
 */
#ifndef FZ_UTIL_H
#define FZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "../../common/buf.h"
#include "../../common/err.h"
#include "../lib/harness.h"

/* libFuzzer entry points, declared first (they have no header). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Installs the counting hooks of tests/lib/harness.c once. */
void fz_init(void);

/* The harness's counters under short names. */
#define fz_live th_alloc_live
#define fz_fail_at th_alloc_fail_at
#define fz_failed th_alloc_failed

/* Aborts with "invariant failed: what" when cond is 0. */
#define FZ_CHECK(cond, what) fz_check((cond) != 0, (what), __FILE__, __LINE__)
void fz_check(int ok, const char *what, const char *file, int line);

/* The option bytes at the front of an input; reads past the end give 0. */
struct fz_in {
    const uint8_t *p;
    size_t n;
};
unsigned fz_byte(struct fz_in *in);

/* 1 when p[0..n) is exactly one strictly valid JSON value (a2o_json_parse,
 * with the hooks disarmed); the tree is freed. */
int fz_json_ok(const char *p, size_t n);

/* Checks that an Anthropic error body for err/d is valid JSON with the
 * right error.type, as fcgi/ will send it. */
void fz_check_err_body(enum a2o_err err, const struct a2o_diag *d);

/* Checks that d's strings are NUL-terminated within their arrays. */
void fz_check_diag(const struct a2o_diag *d);

#endif

struct a2o_conf;
struct a2o_profile;

/*
 * One of a few fixed configurations (built once by fz_init, never freed):
 * sel picks the main upstream (local vLLM, OpenAI, OpenRouter, DeepSeek,
 * Gemini, Ollama) and whether a haiku route exists; the remaining bits of
 * the next two option bytes set UPSTREAM_* overrides on a copy in *c.
 * Strings are shared with the fixed one: never a2o_conf_free(c).
 */
void fz_conf(struct fz_in *in, struct a2o_conf *c);

/* A profile straight from option bytes (every switch, every enum). */
void fz_profile(struct fz_in *in, struct a2o_profile *p);

/*
 * 1 when a and b print to the same unformatted text.  Used instead of
 * cJSON_Compare, which looks object members up by name and so calls a
 * tree with duplicate keys different from its own copy.
 */
int fz_same_json(const cJSON *a, const cJSON *b);

/* 1 when the unformatted text of a is exactly p[0..n). */
int fz_prints_as(const cJSON *a, const char *p, size_t n);
