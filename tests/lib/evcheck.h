/*
 * evcheck.h: validates an Anthropic Messages SSE byte string against the
 * invariants of common/README.md §5 (what Claude Code and the SDKs rely
 * on).
 *
 * The frame format is checked exactly as claude-proxy writes it:
 * "event: <type>\ndata: <one-line JSON>\n\n", the event name equal to
 * data.type.  Then the sequence: one message_start first (with id, type,
 * role, model, content [], null stop fields, usage numbers); ping only
 * inside the message; block indexes 0, 1, 2... in order, each block
 * started before its deltas and stopped before the next starts; delta
 * types that match the block (text_delta / thinking_delta +
 * signature_delta / input_json_delta); no empty text block; a thinking
 * block carries a signature_delta before its stop; tool_use ids match
 * ^[a-zA-Z0-9_-]+$ and names are non-empty; the joined partial_json of a
 * tool block is a JSON object (or empty); one message_delta after the
 * last block stop, with a valid stop_reason (stop_sequence string only
 * with stop_sequence, tool_use only with a tool_use block) and usage;
 * then message_stop, last.  `error` may end the stream at any point;
 * nothing may follow it.
 *
 * Usable from unit tests, fuzz targets and the CLI build/tests/evcheck.
 * Allocates through cJSON's hooks and frees everything before returning.
 */
#ifndef TH_EVCHECK_H
#define TH_EVCHECK_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Flags of ev_check. */
#define EV_PARTIAL 1u  /* the stream may stop before its end */
#define EV_ANY_ARGS 2u /* do not require tool input to be JSON */

/*
 * Returns 0 when p[0..n) is a valid event stream, else 1 with a message
 * naming the event ("event 7 (content_block_delta): ...") in msg.
 */
int ev_check(const char *p, size_t n, unsigned flags, char *msg, size_t msgsz);

/* One parsed frame. */
struct ev_frame {
    char *name;  /* event name (malloc) */
    cJSON *data; /* parsed data (cJSON hooks) */
};

/*
 * Splits p[0..n) into frames (strict format).  Returns 0 and a malloc'd
 * array in *v (ev_free), or 1 with msg.
 */
int ev_parse(const char *p, size_t n, struct ev_frame **v, size_t *count,
             char *msg, size_t msgsz);
void ev_free(struct ev_frame *v, size_t count);

#endif
