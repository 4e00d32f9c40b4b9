/*
 * clock.h: the leaf of fcgi/: the monotonic clock and random ids.
 * Calls nothing else of fcgi/.  Thread-safe.
 */
#ifndef SRV_CLOCK_H
#define SRV_CLOCK_H

#include <stddef.h>

/* Monotonic seconds. */
double srv_clock_now(void);

/* prefix + 24 random alphanumerics ("req_...", "msg_...") into out. */
void srv_clock_id(const char *prefix, char *out, size_t outsz);

/* A non-zero seed for generated tool ids (xorshift needs one). */
unsigned long long srv_clock_seed(void);

/* Sleeps s seconds (fractions allowed); returns early on EINTR. */
void srv_clock_sleep(double s);

#endif
