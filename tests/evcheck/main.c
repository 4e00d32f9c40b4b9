/*
 * evcheck: checks Anthropic SSE output against the event invariants of
 * common/README.md §5.
 *
 *   evcheck [--partial] [--any-args] [FILE...]     (stdin without FILE)
 *
 * Prints "ok" per input, or "evcheck: FILE: <what is wrong>"; exits 0
 * when every input is valid, 1 otherwise, 2 on usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/evcheck.h"

static char *
slurp(FILE *f, size_t *n)
{
    size_t len = 0, cap = 65536, got;
    char *p = malloc(cap), *q;

    if (p == NULL)
        return NULL;
    while ((got = fread(p + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            q = realloc(p, cap *= 2);
            if (q == NULL) {
                free(p);
                return NULL;
            }
            p = q;
        }
    }
    *n = len;
    return p;
}

static int
one(const char *name, FILE *f, unsigned flags)
{
    char msg[512];
    size_t n;
    char *p = slurp(f, &n);
    int bad;

    if (p == NULL) {
        fprintf(stderr, "evcheck: %s: cannot read\n", name);
        return 1;
    }
    bad = ev_check(p, n, flags, msg, sizeof(msg));
    free(p);
    if (bad)
        printf("evcheck: %s: %s\n", name, msg);
    else
        printf("ok\n");
    return bad;
}

int
main(int argc, char **argv)
{
    unsigned flags = 0;
    int i, rc = 0, files = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--partial") == 0) {
            flags |= EV_PARTIAL;
        } else if (strcmp(argv[i], "--any-args") == 0) {
            flags |= EV_ANY_ARGS;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "usage: evcheck [--partial] [--any-args] "
                            "[FILE...]\n");
            return 2;
        }
    }
    for (i = 1; i < argc; i++) {
        FILE *f;

        if (argv[i][0] == '-' && argv[i][1] != '\0')
            continue;
        files++;
        f = strcmp(argv[i], "-") == 0 ? stdin : fopen(argv[i], "rb");
        if (f == NULL) {
            fprintf(stderr, "evcheck: cannot open %s\n", argv[i]);
            rc = 1;
            continue;
        }
        rc |= one(argv[i], f, flags);
        if (f != stdin)
            fclose(f);
    }
    if (files == 0)
        rc = one("stdin", stdin, flags);
    return rc;
}
