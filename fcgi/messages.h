/*
 * messages.h: POST /v1/messages and /v1/messages/count_tokens: routing
 * to the planned targets, retries on the same target, fallback to the
 * next, the process's cooldown of failed targets.
 */
#ifndef SRV_MESSAGES_H
#define SRV_MESSAGES_H

#include <stddef.h>

#include "exchange.h"

/* POST /v1/messages with the client's body. */
void srv_messages(struct srv_x *x, const char *body, size_t n);

/* POST /v1/messages/count_tokens: {"input_tokens": N}. */
void srv_messages_count(struct srv_x *x, const char *body, size_t n);

#endif
