/*
 * pool.h: the workers: an elastic pool of threads over FCGX_Accept_r, or
 * one plain CGI request; the stop signals.
 */
#ifndef SRV_POOL_H
#define SRV_POOL_H

#include "../common/conf.h"

/* cJSON's allocation hooks (counting ones in the debug build). */
void srv_pool_hooks(void);

/* The FastCGI pool on listen_fd until a stop signal.  The exit status. */
int srv_pool_fcgi(const struct a2o_conf *conf, int listen_fd);

/* One plain CGI request.  The exit status. */
int srv_pool_cgi(const struct a2o_conf *conf);

#endif
