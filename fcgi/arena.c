/*
 * arena.c: the per-request arena (arena.h).
 *
 * Chunks grow from 16 KB, doubling up to 256 KB each, and a request's
 * arena holds at most ARENA_CAP bytes in chunks; blocks over ARENA_BIG,
 * and blocks past the cap, are malloc'd with a small header that links
 * them into the arena's list of big blocks (a2o_buf grows by malloc +
 * copy + free, so a large buffer in a chunk would leave its copies
 * behind).  A free looks the pointer up in the thread's few chunks
 * (inside one it is a no-op), then in its few big blocks (taken out of
 * the list and freed), else free().  srv_arena_end frees both lists, so
 * a tree made while the arena is on needs no cJSON_Delete at all
 * (srv_arena_holds).  No chunk stays cached after a request, so an idle
 * pool after a burst of 256 requests holds none.
 */
#include "../common/json.h"
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>

#define ARENA_FIRST (16u * 1024u)
#define ARENA_MAX_CHUNK (256u * 1024u)
#define ARENA_BIG (8u * 1024u)
#define ARENA_CAP (4u * 1024u * 1024u)
#define ARENA_ALIGN 16u

struct chunk {
    struct chunk *next;
    uintptr_t lo, hi; /* the chunk's usable bytes [lo, hi) */
};

/* A big block's header; the caller's bytes follow at BIG_HDR. */
struct big {
    struct big *next, *prev;
};

#define BIG_HDR                                                                \
    ((sizeof(struct big) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

struct arena {
    struct chunk *chunks; /* newest first */
    struct big *bigs;     /* newest first */
    uintptr_t p, end;     /* free room in the newest chunk */
    size_t held;          /* bytes of all chunks */
    size_t next_size;
    const struct chunk *hit; /* the chunk the last free fell in */
    int on;                  /* ARENA_* */
};

/* ARENA_NO_GROW (after srv_arena_pause): small blocks still come from
 * the room left in the newest chunk, but no chunk is added and nothing
 * is listed, so a stream's per-event blocks cannot pile up past what the
 * arena already holds; the first events of a stream are cut from the
 * chunk its request left half full, at the arena's price. */
enum { ARENA_OFF, ARENA_ON, ARENA_NO_GROW };

static __thread struct arena cur;

/* A new chunk with room for at least n bytes; 0 or -1 (no memory, or the
 * cap is reached). */
static int
grow(size_t n)
{
    size_t size = cur.next_size, hdr;
    struct chunk *c;

    hdr = (sizeof(struct chunk) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (size < n + hdr)
        size = n + hdr;
    if (cur.held + size > ARENA_CAP)
        return -1;
    c = malloc(size);
    if (c == NULL)
        return -1;
    c->lo = (uintptr_t)c + hdr;
    c->hi = (uintptr_t)c + size;
    c->next = cur.chunks;
    cur.chunks = c;
    cur.p = c->lo;
    cur.end = c->hi;
    cur.held += size;
    if (cur.next_size < ARENA_MAX_CHUNK)
        cur.next_size *= 2;
    return 0;
}

/* Allocations through the hooks that failed, in this thread: common/
 * compares the count around a parse to tell a failed allocation from
 * bad text (a2o_alloc_failures, common/json.h). */
static __thread unsigned long failures;

unsigned long
a2o_alloc_failures(void)
{
    return failures;
}

/* malloc, counting its failures. */
static void *
counted(size_t n)
{
    void *p = malloc(n);

    if (p == NULL)
        failures++;
    return p;
}

/* n bytes from malloc, linked into the arena's big blocks. */
static void *
big_malloc(size_t n)
{
    struct big *b;

    if (n > (size_t)-1 - BIG_HDR) {
        failures++; /* what malloc of that size would do */
        return NULL;
    }
    b = counted(BIG_HDR + n);
    if (b == NULL)
        return NULL;
    b->prev = NULL;
    b->next = cur.bigs;
    if (cur.bigs != NULL)
        cur.bigs->prev = b;
    cur.bigs = b;
    return (char *)b + BIG_HDR;
}

void *
srv_arena_malloc(size_t n)
{
    uintptr_t p;

    if (cur.on == ARENA_OFF || (cur.on == ARENA_NO_GROW && n > ARENA_BIG))
        return counted(n);
    if (n > ARENA_BIG)
        return big_malloc(n);
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (n == 0)
        n = ARENA_ALIGN;
    if (cur.end - cur.p < n) {
        if (cur.on == ARENA_NO_GROW)
            return counted(n); /* the room left is used up */
        if (grow(n) < 0)
            return big_malloc(n); /* past the cap: malloc's own failure */
    }
    p = cur.p;
    cur.p += n;
    return (void *)p;
}

void
srv_arena_free(void *p)
{
    uintptr_t u = (uintptr_t)p;
    const struct chunk *c;
    struct big *b;

    if (p == NULL)
        return;
    /* cJSON_Delete frees a tree in the order it was built, so the chunk
     * of the last free is nearly always the chunk of this one */
    c = cur.hit;
    if (c != NULL && u >= c->lo && u < c->hi)
        return;
    for (c = cur.chunks; c != NULL; c = c->next)
        if (u >= c->lo && u < c->hi) {
            cur.hit = c;
            return; /* given back with the whole arena */
        }
    for (b = cur.bigs; b != NULL; b = b->next)
        if ((char *)b + BIG_HDR == (char *)p) {
            if (b->prev != NULL)
                b->prev->next = b->next;
            else
                cur.bigs = b->next;
            if (b->next != NULL)
                b->next->prev = b->prev;
            free(b);
            return;
        }
    free(p);
}

void
srv_arena_begin(void)
{
    cur.next_size = ARENA_FIRST;
#ifndef __SANITIZE_ADDRESS__
    /* ASan (make SANITIZE=1) sees into malloc's blocks, not the arena's */
    cur.on = ARENA_ON;
#endif
}

void
srv_arena_pause(void)
{
    if (cur.on == ARENA_ON)
        cur.on = ARENA_NO_GROW;
}

/* Set once at start-up, before any thread (srv_arena_count_frees). */
static int every_free;

void
srv_arena_count_frees(void)
{
    every_free = 1;
}

int
srv_arena_holds(void)
{
    return cur.on == ARENA_ON && !every_free;
}

void
srv_arena_end(void)
{
    struct chunk *c = cur.chunks, *next;
    struct big *b = cur.bigs, *bnext;

    while (b != NULL) {
        bnext = b->next;
        free(b);
        b = bnext;
    }
    cur.bigs = NULL;
    while (c != NULL) {
        next = c->next;
        free(c);
        c = next;
    }
    cur.chunks = NULL;
    cur.hit = NULL;
    cur.p = cur.end = 0;
    cur.held = 0;
    cur.on = ARENA_OFF;
}
