/*
 * clock.c: the monotonic clock and random ids (clock.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "clock.h"

double
srv_clock_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
srv_clock_sleep(double s)
{
    struct timespec ts;

    if (s <= 0)
        return;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

/* Random bytes drawn ahead, per thread: a request takes three ids, and
 * one getrandom(2) per id was three system calls per request. */
#define POOL 512
static __thread unsigned char pool[POOL];
static __thread size_t pool_left;

/* n random bytes; falls back to the clock only if getrandom fails
 * (ids must be unique, not secret). */
static void
random_bytes(unsigned char *p, size_t n)
{
    static const unsigned long long mul = 0x2545F4914F6CDD1DULL;
    unsigned long long s;
    ssize_t r;
    size_t i;

    if (n <= POOL) {
        if (pool_left < n) {
            do
                r = getrandom(pool, POOL, 0);
            while (r < 0 && errno == EINTR);
            pool_left = r == POOL ? POOL : 0;
        }
        if (pool_left >= n) {
            memcpy(p, pool + POOL - pool_left, n);
            pool_left -= n;
            return;
        }
    }
    do
        r = getrandom(p, n, 0);
    while (r < 0 && errno == EINTR);
    if (r == (ssize_t)n)
        return;
    s = (unsigned long long)(srv_clock_now() * 1e9) ^ (unsigned long long)p;
    for (i = 0; i < n; i++) {
        s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
        p[i] = (unsigned char)((s * mul) >> 56);
    }
}

void
srv_clock_id(const char *prefix, char *out, size_t outsz)
{
    static const char abc[] = "0123456789"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "abcdefghijklmnopqrstuvwxyz";
    unsigned char r[24];
    size_t i, k = strlen(prefix);

    if (outsz < k + 1)
        return;
    random_bytes(r, sizeof(r));
    memcpy(out, prefix, k);
    for (i = 0; i < sizeof(r) && k + 1 < outsz; i++)
        out[k++] = abc[r[i] % 62];
    out[k] = '\0';
}

unsigned long long
srv_clock_seed(void)
{
    unsigned long long s = 0;

    while (s == 0)
        random_bytes((unsigned char *)&s, sizeof(s));
    return s;
}
