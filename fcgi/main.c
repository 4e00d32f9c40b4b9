/*
 * main.c: start-up.
 *
 * The configuration is read once, here: CLAUDE_PROXY_CONFIG's .env file
 * first, then the environment on top (an empty environment value does
 * not clear a value from the file).  libfcgi's FCGX API leaves environ
 * alone, so the environment is the process's, never a request's.
 *
 * Three ways to run (pool.c):
 *  - fd 0 is a listening socket (spawn-fcgi, mod_fcgid, lighttpd): the
 *    elastic thread pool;
 *  - systemd socket activation (LISTEN_PID/LISTEN_FDS): the same on fd 3;
 *  - anything else is plain CGI: one request from the environment and
 *    stdin, answered on stdout, then exit.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "dialect.h"
#include "exchange.h"
#include "log.h"
#include "pool.h"

extern char **environ;

/* a .env file larger than this is a mistake, not a configuration */
#define CONF_FILE_MAX (1024 * 1024)

/* Reads the .env file named by CLAUDE_PROXY_CONFIG into conf. */
static int
load_file(struct a2o_conf *conf, const char *path)
{
    struct a2o_diag d;
    char msg[128];
    char *text;
    size_t n;
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        srv_log_proc(A2O_LOG_ERROR, "CLAUDE_PROXY_CONFIG: cannot open %s: %s",
                     path, srv_log_errno(errno, msg, sizeof(msg)));
        return -1;
    }
    text = malloc(CONF_FILE_MAX + 1);
    n = text != NULL ? fread(text, 1, CONF_FILE_MAX + 1, f) : 0;
    if (text == NULL || ferror(f) || n > CONF_FILE_MAX) {
        srv_log_proc(A2O_LOG_ERROR, "CLAUDE_PROXY_CONFIG: cannot read %s%s",
                     path, n > CONF_FILE_MAX ? ": larger than 1 MiB" : "");
        fclose(f);
        free(text);
        return -1;
    }
    fclose(f);
    a2o_diag_clear(&d);
    if (a2o_conf_parse_env_file(conf, text, n, &d) != A2O_E_OK) {
        srv_log_proc(A2O_LOG_ERROR, "CLAUDE_PROXY_CONFIG %s: %s", path,
                     d.msg[0] != '\0' ? d.msg : "invalid");
        free(text);
        return -1;
    }
    free(text);
    return 0;
}

/* Every provider's API is one this build speaks. */
static int
check_apis(const struct a2o_conf *conf)
{
    size_t i, k;
    char name[48];

    for (i = 0; i < conf->nproviders; i++) {
        const struct a2o_provider *p = &conf->providers[i];

        if (srv_dialect_of((enum a2o_api)p->api) != NULL)
            continue;
        snprintf(name, sizeof(name), "PROVIDER_%s_API", p->name);
        for (k = 0; name[k] != '\0'; k++)
            if (name[k] >= 'a' && name[k] <= 'z')
                name[k] = (char)(name[k] - 'a' + 'A');
        srv_log_proc(A2O_LOG_ERROR,
                     "configuration: %s: this build does not speak that API "
                     "yet",
                     name);
        return -1;
    }
    return 0;
}

/* The whole configuration, or -1 after a message naming the variable. */
static int
load_conf(struct a2o_conf *conf)
{
    const char *path = getenv("CLAUDE_PROXY_CONFIG");
    struct a2o_diag d;
    char key[128];
    char **e;

    a2o_conf_init(conf);
    if (path != NULL && path[0] != '\0' && load_file(conf, path) < 0)
        return -1;
    for (e = environ; *e != NULL; e++) {
        const char *eq = strchr(*e, '=');
        size_t k = eq != NULL ? (size_t)(eq - *e) : 0;

        if (k == 0 || k >= sizeof(key))
            continue;
        /* with a file, an empty X= in the environment (compose files
         * make those) does not unset what the file says */
        if (path != NULL && path[0] != '\0' && eq[1] == '\0')
            continue;
        memcpy(key, *e, k);
        key[k] = '\0';
        a2o_diag_clear(&d);
        if (a2o_conf_set(conf, key, eq + 1, &d) != A2O_E_OK) {
            srv_log_proc(A2O_LOG_ERROR, "configuration: %s",
                         d.msg[0] != '\0' ? d.msg : key);
            return -1;
        }
    }
    a2o_diag_clear(&d);
    if (a2o_conf_finish(conf, &d) != A2O_E_OK) {
        srv_log_proc(A2O_LOG_ERROR, "configuration: %s",
                     d.msg[0] != '\0' ? d.msg : "invalid");
        return -1;
    }
    return check_apis(conf);
}

/* A key for --check-config: its length and last four characters. */
static void
masked(const char *k, char *out, size_t outsz)
{
    size_t n;

    if (k == NULL) {
        snprintf(out, outsz, "(the client's)");
        return;
    }
    n = strlen(k);
    if (n < 12)
        snprintf(out, outsz, "(%zu characters)", n);
    else
        snprintf(out, outsz, "...%s (%zu characters)", k + n - 4, n);
}

/* --check-config: the providers (keys masked) and the rules, in order. */
static void
print_conf(const struct a2o_conf *c)
{
    static const char *const apis[] = {"chat", "responses", "anthropic"};
    char key[64];
    size_t i, k;

    printf("providers:\n");
    for (i = 0; i < c->nproviders; i++) {
        const struct a2o_provider *p = &c->providers[i];

        masked(p->api_key, key, sizeof(key));
        printf("  %-10s %-9s %s key %s%s%s\n", p->name,
               apis[p->api >= 0 && p->api <= 2 ? p->api : 0], p->base_url, key,
               p->model != NULL ? " model " : "",
               p->model != NULL ? p->model : "");
    }
    printf("rules:\n");
    for (i = 0; i < c->nrules; i++) {
        const struct a2o_rule *r = &c->rules[i];

        printf("  %zu. %s =", i + 1, r->text);
        for (k = 0; k < r->ntargets; k++)
            printf("%s %s%s%s", k > 0 ? " |" : "",
                   c->providers[r->targets[k].provider].name,
                   r->targets[k].model != NULL ? ":" : "",
                   r->targets[k].model != NULL ? r->targets[k].model : "");
        printf("\n");
    }
    printf("  %zu. %s\n", c->nrules + 1,
           c->haiku >= 0 ? "*haiku* = haiku, then MODEL_MAP on default"
                         : "MODEL_MAP on default");
}

static void
usage(FILE *f)
{
    const struct a2o_conf_doc *d;

    fprintf(
        f,
        "usage: %s [--help | --version | --check-config]\n"
        "\n"
        "Anthropic Messages API (POST /v1/messages) in front of an\n"
        "OpenAI-compatible upstreams (or Anthropic-native ones), as a FastCGI\n"
        "responder (fd 0, or systemd's fd 3); run as plain CGI when\n"
        "fd 0 is not a listening socket.\n"
        "\n"
        "Settings come from the environment, or from the .env file\n"
        "named by CLAUDE_PROXY_CONFIG (the environment overrides it):\n",
        SRV_NAME);
    for (d = a2o_conf_docs(); d != NULL && d->name != NULL; d++)
        fprintf(f, "\n  %s = %s\n      %s\n", d->name,
                d->def != NULL && d->def[0] != '\0' ? d->def : "(unset)",
                d->help != NULL ? d->help : "");
}

/*
 * glibc's allocator, tuned for a pool of threads that each hold a few
 * short-lived buffers of up to a few hundred KB: by default every thread
 * gets its own arena (up to 8 per core) and the mmap threshold climbs
 * with each freed large block, so freed request bodies stay on the heap
 * of the arena that served them.  Two arenas kept a 256-stream pool
 * under 48 MB PSS in the bench instead of ~100 MB.  A 1 MiB mmap and
 * trim threshold keeps a Claude Code-sized body (200 KB, and its
 * converted copy) on the heap from one request to the next: at 128 KiB
 * each such block was mapped, faulted in page by page and unmapped again:
 * about 100 page faults per request, and page faults and munmap were a
 * seventh of the workers' CPU samples under 200 KB load.  What an idle process
 * still holds, pool.c gives back (malloc_trim).  An admin's MALLOC_ARENA_MAX or
 * GLIBC_TUNABLES wins.
 */
static void
tune_malloc(void)
{
#ifdef M_ARENA_MAX
    if (getenv("MALLOC_ARENA_MAX") != NULL || getenv("GLIBC_TUNABLES") != NULL)
        return;
    mallopt(M_ARENA_MAX, 2);
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
#endif
}

/* fd 3 when systemd passed us a socket (sd_listen_fds(3)), else 0. */
static int
listen_fd_of(void)
{
    const char *pid = getenv("LISTEN_PID");
    const char *fds = getenv("LISTEN_FDS");

    if (pid != NULL && fds != NULL && strtol(pid, NULL, 10) == getpid() &&
        strtol(fds, NULL, 10) >= 1)
        return 3;
    return 0;
}

int
main(int argc, char **argv)
{
    struct a2o_conf conf;
    int check = 0, fd, rc;

    if (argc > 1) {
        if (argc > 2)
            goto bad_usage;
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
            printf("%s %s\n", SRV_NAME, SRV_VERSION);
            return 0;
        }
        if (strcmp(argv[1], "--check-config") != 0)
            goto bad_usage;
        check = 1;
    }
    tune_malloc();
    /* a client that leaves must give EPIPE, not kill the process */
    signal(SIGPIPE, SIG_IGN);
    srv_log_open();
    srv_pool_hooks();
    if (load_conf(&conf) < 0) {
        a2o_conf_free(&conf);
        return 1;
    }
    srv_log_set_level(conf.log_level);
    if (check) {
        printf("%s: configuration OK\n", SRV_NAME);
        print_conf(&conf);
        a2o_conf_free(&conf);
        return 0;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || FCGX_Init() != 0) {
        srv_log_proc(A2O_LOG_ERROR, "cannot initialise libcurl or libfcgi");
        a2o_conf_free(&conf);
        return 1;
    }
    /* FCGX_Init installs a SIGPIPE handler of its own, over ours: with
     * it, each write to a web server that already closed (lighttpd does
     * once it has the whole body) costs a signal delivery */
    signal(SIGPIPE, SIG_IGN);
    fd = listen_fd_of();
    if (fd == 0 && FCGX_IsCGI())
        rc = srv_pool_cgi(&conf);
    else
        rc = srv_pool_fcgi(&conf, fd);
    curl_global_cleanup();
    a2o_conf_free(&conf);
    return rc;

bad_usage:
    usage(stderr);
    return 2;
}
