/*
 * arena.h: a per-request, per-thread arena behind cJSON's allocation
 * hooks (installed by srv_pool_hooks).
 *
 * Between srv_arena_begin and srv_arena_end, small cJSON-hook
 * allocations of the calling thread are cut from chunks taken from
 * malloc, and freeing them does nothing; large ones and those past the
 * arena's cap are malloc'd and listed, and freeing them frees them;
 * srv_arena_end gives every chunk and every listed block back at once.
 * After srv_arena_pause only the room left in the newest chunk is used;
 * beyond it, and in a thread outside a request, allocations go to
 * malloc, and free sends them back to it.  So nothing
 * allocated in a request may outlive it (the SRV_COUNT_ALLOC build
 * checks exactly that).
 */
#ifndef SRV_ARENA_H
#define SRV_ARENA_H

#include <stddef.h>

/* The hooks. */
void *srv_arena_malloc(size_t n);
void srv_arena_free(void *p);

/* A request starts on this thread: allocations come from its arena. */
void srv_arena_begin(void);

/* A stream: its per-event allocations must not pile up in the arena.
 * Small ones still come from the room left in the arena's newest chunk
 * (no chunk is added), then, like large ones, from malloc; frees still
 * know the arena's blocks. */
void srv_arena_pause(void);

/* 1 while everything allocated through the hooks goes back with
 * srv_arena_end: a tree made now need not be cJSON_Delete'd (a request's
 * trees are thousands of nodes, and walking them to free nothing cost a
 * few percent of a small request).  0 after srv_arena_pause, outside a
 * request, after srv_arena_count_frees and under ASan (no arena). */
int srv_arena_holds(void);

/* From now on srv_arena_holds is 0: every tree is freed, node by node
 * (the SRV_COUNT_ALLOC build's leak check counts each free).  Call it
 * before any thread starts. */
void srv_arena_count_frees(void);

/* The request is over: the chunks and big blocks go back to malloc. */
void srv_arena_end(void);

#endif
