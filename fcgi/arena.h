/*
 * arena.h: a per-request, per-thread arena behind cJSON's allocation
 * hooks (installed by srv_pool_hooks).
 *
 * Between srv_arena_begin and srv_arena_end, small cJSON-hook
 * allocations of the calling thread are cut from chunks taken from
 * malloc, and freeing them does nothing; srv_arena_end gives every chunk
 * back at once.  Large blocks, allocations past the arena's cap, those
 * after srv_arena_pause, and those of a thread outside a request go to
 * malloc, and free sends them back to it.  So nothing allocated in a
 * request may outlive it (the SRV_COUNT_ALLOC build checks exactly that).
 */
#ifndef SRV_ARENA_H
#define SRV_ARENA_H

#include <stddef.h>

/* The hooks. */
void *srv_arena_malloc(size_t n);
void srv_arena_free(void *p);

/* A request starts on this thread: allocations come from its arena. */
void srv_arena_begin(void);

/* Allocations go to malloc again (a stream: its per-event allocations
 * would pile up in the arena); frees still know the arena's blocks. */
void srv_arena_pause(void);

/* The request is over: the chunks go back to malloc. */
void srv_arena_end(void);

#endif
