/*
 * pace.c: see pace.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pace.h"

const char *
bench_find(const char *p, size_t n, const char *needle, size_t nn)
{
    const char *end = p + n;

    if (nn == 0 || n < nn)
        return NULL;
    /* memchr for the first byte, then compare: fast on JSON text. */
    while ((size_t)(end - p) >= nn) {
        const char *q = memchr(p, needle[0], (size_t)(end - p) - nn + 1);

        if (q == NULL)
            return NULL;
        if (memcmp(q, needle, nn) == 0)
            return q;
        p = q + 1;
    }
    return NULL;
}

int
bench_is_stream(const char *p, size_t n)
{
    return bench_find(p, n, "\"stream\":true", 13) != NULL;
}

void
bench_pace_parse(const char *p, size_t n, struct bench_pace *pc)
{
    const char *q = bench_find(p, n, "pace-", 5);
    char *e;

    memset(pc, 0, sizeof(*pc));
    if (q == NULL)
        return;
    q += 5;
    pc->first_ms = strtol(q, &e, 10);
    if (*e != '-')
        return;
    pc->interval_ms = strtol(e + 1, &e, 10);
    if (*e != '-')
        return;
    pc->n = (int)strtol(e + 1, &e, 10);
    pc->on = pc->first_ms >= 0 && pc->interval_ms >= 0 && pc->n >= 0 &&
             pc->n < 100000;
}

void
bench_sleep_ms(long ms)
{
    struct timespec ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

long long
bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
