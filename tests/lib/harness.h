/*
 * harness.h: shared helpers for the cmocka unit tests of common/.
 *
 * - counting allocation hooks (cJSON_InitHooks) that every test program
 *   installs in main(); a test fails if anything is still allocated at
 *   its end (th_teardown_leaks), and allocation N can be made to fail;
 * - OOM torture: th_oom_torture() reruns a case failing allocation
 *   N = 1, 2, ... until it passes untouched;
 * - fixture files under tests/data and structural JSON comparison.
 *
 * Tests run from the repository root (tests/run-check.sh does the cd).
 */
#ifndef TH_HARNESS_H
#define TH_HARNESS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "../../common/err.h"

/* Installs the counting hooks.  Call first in main(). */
void th_alloc_init(void);

/* Live allocations made through the hooks. */
long th_alloc_live(void);

/* Makes allocation number n (1-based, counted from now) fail; 0 = never. */
void th_alloc_fail_at(long n);

/* 1 when the armed failure has fired since th_alloc_fail_at. */
int th_alloc_failed(void);

/* cmocka setup/teardown that check nothing leaks across a test. */
int th_setup_leaks(void **state);
int th_teardown_leaks(void **state);

/*
 * OOM torture.  fn runs one case and returns its result (it must free
 * everything it made, whatever happens).  For N = 1, 2, ...: arm failure
 * N, run fn; when the failure fired the result must be A2O_E_NOMEM (or
 * one of the codes in also_ok, terminated by A2O_E_OK, for paths where
 * cJSON cannot tell OOM apart, such as parsing), and nothing may be left
 * allocated.  Stops at the first N where no failure fired; that run must
 * return `want`.  Fails the cmocka test on any violation.  Returns the
 * number of allocations of the clean run.
 */
long th_oom_torture(enum a2o_err (*fn)(void *arg), void *arg, enum a2o_err want,
                    const enum a2o_err *also_ok);

/* Reads a whole file (plain malloc; free()).  Fails the test if missing. */
char *th_read_file(const char *path, size_t *n);

/* Reads and parses a JSON file with plain cJSON (caller: cJSON_Delete).
 * Parsed with the hooks, so it counts as live until deleted. */
cJSON *th_read_json(const char *path);

/*
 * Fails the test unless a and b are structurally equal (cJSON_Compare,
 * case-sensitive); prints both, formatted, when not.  what names the case.
 */
void th_assert_json_equal(const cJSON *want, const cJSON *got,
                          const char *what);

/*
 * Golden files: with A2O_REGEN=1 in the environment a test rewrites each
 * golden output that no longer matches what the code produces, then
 * compares as usual (review the diff before committing: a rewrite
 * accepts whatever the code does).  A golden that still matches is left
 * as it is, byte for byte, whatever its layout, so a run over agreeing
 * goldens changes nothing.  th_regen() says whether A2O_REGEN is set;
 * the writers do nothing without it and fail the test when they cannot
 * write.
 */
int th_regen(void);

/*
 * Writes got as the file at path, unless the file holds equal JSON
 * (cJSON_Compare, case-sensitive).  A rewrite keeps the file's layout:
 * cJSON_Print's, or Python json.dumps' with indent=N or on one line (the
 * hand-made goldens), and its final "\n"; a new file gets cJSON_Print's.
 */
void th_regen_json(const char *path, const cJSON *got);

/* Writes p[0..n), byte for byte, as the file at path, unless it holds
 * exactly those bytes. */
void th_regen_file(const char *path, const void *p, size_t n);

/* Lists files in dir whose names end in suffix, sorted; returns count.
 * *names is a malloc'd array of malloc'd strings (th_free_list). */
size_t th_list(const char *dir, const char *suffix, char ***names);
void th_free_list(char **names, size_t n);

#endif
