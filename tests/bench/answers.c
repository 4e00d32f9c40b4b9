/*
 * answers.c: see answers.h.
 */
#include "answers.h"

const char bench_completion[] =
    "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\","
    "\"created\":1700000000,\"model\":\"bench\",\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":"
    "\"Hello from the bench upstream.\"},\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":7,"
    "\"total_tokens\":19}}";

const char bench_sse_role[] =
    "data: " BENCH_CHUNK_HEAD
    "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":\"\"},\"finish_reason\":null}]}\n\n";

const char bench_sse_text[] =
    "data: " BENCH_CHUNK_HEAD
    "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello \"},"
    "\"finish_reason\":null}]}\n\n";

const char bench_sse_end[] =
    "data: " BENCH_CHUNK_HEAD
    "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: " BENCH_CHUNK_HEAD "\"choices\":[],\"usage\":{\"prompt_tokens\":12,"
    "\"completion_tokens\":7,\"total_tokens\":19}}\n\n"
    "data: [DONE]\n\n";
