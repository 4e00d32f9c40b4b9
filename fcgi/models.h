/*
 * models.h: GET /v1/models and GET /v1/models/{id}.
 */
#ifndef SRV_MODELS_H
#define SRV_MODELS_H

#include "exchange.h"

/* GET /v1/models: MODELS, then the Claude ids of the table in models.c,
 * then the models the ROUTES rules name; one page. */
void srv_models_list(struct srv_x *x);

/* GET /v1/models/{id}: any printable id is answered, listed or not,
 * because /v1/messages serves any model name. */
void srv_models_one(struct srv_x *x, const char *id);

#endif
