/*
 * answers.h: the bench upstream's fixed answers (bodies only), shared by
 * the upstream (upstream.c) and the in-process conversion bench
 * (convbench.c) so both convert the same bytes.
 */
#ifndef BENCH_ANSWERS_H
#define BENCH_ANSWERS_H

/* The start of every chat.completion.chunk, up to "choices". */
#define BENCH_CHUNK_HEAD                                                       \
    "{\"id\":\"chatcmpl-bench\",\"object\":"                                   \
    "\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"bench\","

extern const char bench_completion[]; /* a chat.completion, text + usage */
extern const char bench_sse_role[];   /* "data: ..." role chunk + "\n\n" */
extern const char bench_sse_text[];   /* one content delta "Hello " */
extern const char bench_sse_end[];    /* finish, usage chunk, [DONE] */

#endif
