/*
 * pace.h: what the bench responders read from a request body: whether it
 * asks for a stream, and the pacing marker "pace-F-I-N" in its model name
 * (first byte after F ms, then N deltas I ms apart).  Shared by the bench
 * upstream and the baseline responder so both pace alike.
 */
#ifndef BENCH_PACE_H
#define BENCH_PACE_H

#include <stddef.h>

struct bench_pace {
    int on;           /* a marker was found */
    long first_ms;    /* delay before the first byte / first event */
    long interval_ms; /* between deltas */
    int n;            /* text deltas */
};

/* First occurrence of needle (nn bytes) in p (n bytes), or NULL. */
const char *bench_find(const char *p, size_t n, const char *needle, size_t nn);

/* 1 when the body has "stream":true (compact, as cJSON and JS print). */
int bench_is_stream(const char *p, size_t n);

/* Fills *pc from a "pace-F-I-N" marker in p, which must be
 * NUL-terminated (p[n] == 0); pc->on = 0 without one. */
void bench_pace_parse(const char *p, size_t n, struct bench_pace *pc);

/* nanosleep for ms milliseconds (restarted on EINTR). */
void bench_sleep_ms(long ms);

/* CLOCK_MONOTONIC in nanoseconds. */
long long bench_now_ns(void);

#endif
