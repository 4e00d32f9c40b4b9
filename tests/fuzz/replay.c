/*
 * replay.c: runs a fuzz target over files without libFuzzer.
 *
 *   replay_<target> DIR|FILE...
 *
 * Each argument is a corpus file or a directory of them (one level, sorted
 * for a stable order).  Linked with one fuzz_<target>.c and built with gcc
 * and ASan/UBSan for `make check`, so every corpus input (and every crash
 * reproducer kept there) is replayed on every build without clang.
 * Exit 0 after the last input; a failed invariant aborts with the file
 * name printed just before.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_util.h"

static long nrun;

static int
run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *p = NULL;
    size_t n = 0, cap = 0, got;

    if (f == NULL) {
        perror(path);
        return -1;
    }
    for (;;) {
        if (cap - n < 65536) {
            unsigned char *q = realloc(p, cap + 65536 + 1);

            if (q == NULL) {
                fclose(f);
                free(p);
                return -1;
            }
            p = q;
            cap += 65536;
        }
        got = fread(p + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    /* Announce first: an abort below then names its input. */
    fprintf(stderr, "replay %s (%zu bytes)\n", path, n);
    LLVMFuzzerTestOneInput(p, n);
    free(p);
    nrun++;
    return 0;
}

static int
cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = 0;

    if (d == NULL) {
        perror(dir);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **q = realloc(names, (cap * 2 + 16) * sizeof *names);

            if (q == NULL)
                break;
            names = q;
            cap = cap * 2 + 16;
        }
        names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
        if (names[n] == NULL)
            break;
        sprintf(names[n], "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    for (i = 0; i < n; i++) {
        struct stat st;

        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode) &&
            run_file(names[i]) != 0)
            rc = -1;
        free(names[i]);
    }
    free(names);
    return rc;
}

int
main(int argc, char **argv)
{
    int i, rc = 0;
    struct stat st;

    for (i = 1; i < argc; i++) {
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            rc = 1;
        } else if (S_ISDIR(st.st_mode) ? run_dir(argv[i]) != 0
                                       : run_file(argv[i]) != 0) {
            rc = 1;
        }
    }
    printf("%ld inputs replayed\n", nrun);
    return rc;
}
