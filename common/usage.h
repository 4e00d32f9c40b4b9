/*
 * usage.h: token usage as Anthropic reports it, kept for logs.
 */
#ifndef A2O_USAGE_H
#define A2O_USAGE_H

struct a2o_usage {
    long input_tokens; /* prompt - cached - cache writes, >= 0 */
    long output_tokens;
    long cache_read_input_tokens;
    long cache_creation_input_tokens;
    int estimated; /* 1 when the upstream gave no usage */
};

#endif
