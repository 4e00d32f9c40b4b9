/*
 * rules.h: the ROUTES setting parsed into the conf's rules.  Called by
 * a2o_conf_finish once the providers exist; the rules are read by
 * a2o_route_plan (route.h).
 */
#ifndef A2O_RULES_H
#define A2O_RULES_H

#include "conf.h"
#include "err.h"

/*
 * Parses c->routes (NULL: no rules) into c->rules, in order.  Errors:
 * A2O_E_CONF with d->msg naming ROUTES and the rule: an empty match or
 * target, an unknown condition, an unknown provider, more than
 * A2O_RULES_MAX rules or A2O_TARGETS_MAX targets; A2O_E_NOMEM.  What was
 * parsed before an error stays for a2o_rules_free.
 */
enum a2o_err a2o_rules_parse(struct a2o_conf *c, struct a2o_diag *d);

/* Frees every rule; c->rules is then NULL. */
void a2o_rules_free(struct a2o_conf *c);

#endif
