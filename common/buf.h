/*
 * buf.h: a bounded, growable byte buffer (after curl's dynbuf).
 *
 * Every peer-controlled accumulation (request body, SSE line, tool
 * arguments, streamed text) lives in an a2o_buf with a hard cap.  Adding
 * past the cap, or failing to grow, frees the buffer and returns an error:
 * a half-filled buffer never escapes.  Memory comes from cJSON_malloc /
 * cJSON_free, so the allocation hooks that tests and fcgi/main.c install
 * with cJSON_InitHooks see every allocation of common/.
 *
 * The contents are always NUL-terminated (p[len] == 0) once anything was
 * added, so text can be handed to cJSON without a copy; the NUL is not
 * counted in len.  p is NULL while the buffer is empty and unallocated.
 */
#ifndef A2O_BUF_H
#define A2O_BUF_H

#include <stddef.h>

#include "err.h"

struct a2o_buf {
    char *p;    /* contents, NUL-terminated; NULL until first growth */
    size_t len; /* bytes used, without the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* hard cap on len */
};

/* Initialises b empty with the given cap on len.  Never allocates. */
void a2o_buf_init(struct a2o_buf *b, size_t max);

/* Frees the contents; b is then empty (and may be reused). */
void a2o_buf_free(struct a2o_buf *b);

/* Sets len to 0, keeping the allocation for reuse. */
void a2o_buf_reset(struct a2o_buf *b);

/*
 * Appends n bytes.  Errors: A2O_E_TOOBIG past the cap, A2O_E_NOMEM; on
 * either the buffer is freed (empty, reusable).
 */
enum a2o_err a2o_buf_add(struct a2o_buf *b, const void *p, size_t n);

/*
 * Makes room for n more bytes and the NUL, for a caller that then writes
 * at p + len itself and moves len (keeping p[len] == 0 before it hands
 * the buffer on).  Errors as a2o_buf_add.
 */
enum a2o_err a2o_buf_reserve(struct a2o_buf *b, size_t n);

/* a2o_buf_add of a NUL-terminated string. */
enum a2o_err a2o_buf_adds(struct a2o_buf *b, const char *s);

/*
 * Appends sep (only when b is not empty) and s[0..n): the joining of
 * text blocks with a separator.  Errors as a2o_buf_add.
 */
enum a2o_err a2o_buf_join(struct a2o_buf *b, const char *sep, const char *s,
                          size_t n);

/* Appends printf-style text; errors as a2o_buf_add. */
enum a2o_err a2o_buf_addf(struct a2o_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Appends s[0..n) as the inside of a JSON string (no quotes), escaped as
 * cJSON escapes: " \ \b \f \n \r \t as two bytes, other bytes below 0x20
 * (NUL included) as \u00xx in lower case; all other bytes as they are.
 */
enum a2o_err a2o_buf_add_json_str(struct a2o_buf *b, const char *s, size_t n);

/*
 * Hands the contents to the caller (free with cJSON_free) and leaves b
 * empty.  *n gets the length when n is not NULL.  Returns an allocated
 * empty string for an empty buffer, or NULL on allocation failure (b is
 * then unchanged).
 */
char *a2o_buf_detach(struct a2o_buf *b, size_t *n);

#endif
