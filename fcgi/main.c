/*
 * main.c: start-up and the worker pool.
 *
 * The configuration is read once, here: CLAUDE_PROXY_CONFIG's .env file
 * first, then the environment on top (an empty environment value does
 * not clear a value from the file).  libfcgi's FCGX API leaves environ
 * alone, so the environment is the process's, never a request's.
 *
 * Three ways to run:
 *  - fd 0 is a listening socket (spawn-fcgi, mod_fcgid, lighttpd): THREADS
 *    threads, each in its own FCGX_Accept_r loop with its own curl handle;
 *  - systemd socket activation (LISTEN_PID/LISTEN_FDS): the same on fd 3;
 *  - anything else is plain CGI: one request from the environment and
 *    stdin, answered on stdout, then exit.
 *
 * SIGTERM/SIGINT (WEBSERVERS.md): libfcgi's own handler only sets a flag
 * and leaves threads blocked in accept(), so the stop signals are blocked
 * in every thread and taken with sigtimedwait here: FCGX_ShutdownPending()
 * and shutdown(listen_fd) end the accept loops, requests in flight
 * finish, the threads are joined, the process exits 0.  A second signal
 * exits at once.  SIGQUIT and SIGUSR1 stop the same way: Debian 12's
 * multiwatch sends QUIT when told `-s TERM` (its signal names are off by
 * one), and USR1 is its default.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "srv.h"

extern char **environ;

/* a .env file larger than this is a mistake, not a configuration */
#define CONF_FILE_MAX (1024 * 1024)

static struct a2o_conf conf;

/* Pool bookkeeping, under pool_lock. */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static int pool_alive; /* worker threads still running */
static int pool_busy;  /* of those, serving a request */
static int pool_fail;  /* a worker stopped on an accept error */
static volatile int stopping;

#ifdef SRV_COUNT_ALLOC
/* Debug build: live cJSON-hook allocations per thread; a request must end
 * with as many as it started with. */
static __thread long live_allocs;
static __thread long total_allocs;

static void *
count_malloc(size_t n)
{
    void *p = malloc(n);

    if (p != NULL) {
        live_allocs++;
        total_allocs++;
    }
    return p;
}

static void
count_free(void *p)
{
    if (p != NULL)
        live_allocs--;
    free(p);
}
#endif

double
srv_main_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* n random bytes; falls back to the clock only if getrandom fails
 * (ids must be unique, not secret). */
static void
random_bytes(unsigned char *p, size_t n)
{
    static const unsigned long long mul = 0x2545F4914F6CDD1DULL;
    unsigned long long s;
    ssize_t r;
    size_t i;

    do
        r = getrandom(p, n, 0);
    while (r < 0 && errno == EINTR);
    if (r == (ssize_t)n)
        return;
    s = (unsigned long long)(srv_main_now() * 1e9) ^ (unsigned long long)p;
    for (i = 0; i < n; i++) {
        s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
        p[i] = (unsigned char)((s * mul) >> 56);
    }
}

/* prefix + 24 random alphanumerics, e.g. "req_..." or "msg_...". */
void
srv_main_random_id(const char *prefix, char *out, size_t outsz)
{
    static const char abc[] = "0123456789"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "abcdefghijklmnopqrstuvwxyz";
    unsigned char r[24];
    size_t i, k = strlen(prefix);

    if (outsz < k + 1)
        return;
    random_bytes(r, sizeof(r));
    memcpy(out, prefix, k);
    for (i = 0; i < sizeof(r) && k + 1 < outsz; i++)
        out[k++] = abc[r[i] % 62];
    out[k] = '\0';
}

/* A non-zero seed for generated tool ids (xorshift needs one). */
unsigned long long
srv_main_random_seed(void)
{
    unsigned long long s = 0;

    while (s == 0)
        random_bytes((unsigned char *)&s, sizeof(s));
    return s;
}

/* Reads the .env file named by CLAUDE_PROXY_CONFIG into conf. */
static int
load_file(const char *path)
{
    struct a2o_diag d;
    char *text;
    size_t n;
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        srv_log_proc(A2O_LOG_ERROR, "CLAUDE_PROXY_CONFIG: cannot open %s: %s",
                     path, strerror(errno));
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
    if (a2o_conf_parse_env_file(&conf, text, n, &d) != A2O_E_OK) {
        srv_log_proc(A2O_LOG_ERROR, "CLAUDE_PROXY_CONFIG %s: %s", path,
                     d.msg[0] != '\0' ? d.msg : "invalid");
        free(text);
        return -1;
    }
    free(text);
    return 0;
}

/* The whole configuration, or -1 after a message naming the variable. */
static int
load_conf(void)
{
    const char *path = getenv("CLAUDE_PROXY_CONFIG");
    struct a2o_diag d;
    char key[128];
    char **e;

    a2o_conf_init(&conf);
    if (path != NULL && path[0] != '\0' && load_file(path) < 0)
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
        if (a2o_conf_set(&conf, key, eq + 1, &d) != A2O_E_OK) {
            srv_log_proc(A2O_LOG_ERROR, "configuration: %s",
                         d.msg[0] != '\0' ? d.msg : key);
            return -1;
        }
    }
    a2o_diag_clear(&d);
    if (a2o_conf_finish(&conf, &d) != A2O_E_OK) {
        srv_log_proc(A2O_LOG_ERROR, "configuration: %s",
                     d.msg[0] != '\0' ? d.msg : "invalid");
        return -1;
    }
    return 0;
}

static void
usage(FILE *f)
{
    const struct a2o_conf_doc *d;

    fprintf(f,
            "usage: %s [--help | --version | --check-config]\n"
            "\n"
            "Anthropic Messages API (POST /v1/messages) in front of an\n"
            "OpenAI-compatible Chat Completions upstream, as a FastCGI\n"
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
 * of the arena that served them.  Two arenas, a fixed 128 KiB mmap
 * threshold (larger blocks go back to the kernel on free) and trimming
 * above 128 KiB kept a 256-stream pool under 48 MB PSS in the bench
 * instead of ~100 MB.  An admin's MALLOC_ARENA_MAX or GLIBC_TUNABLES wins.
 */
static void
tune_malloc(void)
{
#ifdef M_ARENA_MAX
    if (getenv("MALLOC_ARENA_MAX") != NULL || getenv("GLIBC_TUNABLES") != NULL)
        return;
    mallopt(M_ARENA_MAX, 2);
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024);
#endif
}

/* One request on w, with the debug build's leak check around it. */
static void
serve_one(struct srv_worker *w)
{
#ifdef SRV_COUNT_ALLOC
    long before = live_allocs, total = total_allocs;

    srv_request_handle(w);
    if (live_allocs != before)
        srv_log_proc(A2O_LOG_ERROR, "leak: %ld allocations not freed",
                     live_allocs - before);
    srv_log_proc(A2O_LOG_DEBUG, "request made %ld allocations",
                 total_allocs - total);
#else
    srv_request_handle(w);
#endif
}

/* accept() errors worth waiting out rather than stopping the worker */
static int
transient(int e)
{
    return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM ||
           e == EINTR || e == EAGAIN;
}

static void *
worker_main(void *arg)
{
    struct srv_worker *w = arg;
    int rc, old;

    for (;;) {
        /* Only here may the thread be cancelled: idle on a kept-alive
         * connection, it blocks in read and sees no shutdown (serve_fcgi
         * cancels it then).  Never while serving a request. */
        pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
        rc = FCGX_Accept_r(w->fr);
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
        if (rc < 0) {
            if (stopping)
                break;
            srv_log_proc(A2O_LOG_ERROR, "accept: %s", strerror(-rc));
            if (!transient(-rc)) {
                pthread_mutex_lock(&pool_lock);
                pool_fail = 1;
                pthread_mutex_unlock(&pool_lock);
                break;
            }
            pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
            sleep(1);
            pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
            continue;
        }
        pthread_mutex_lock(&pool_lock);
        pool_busy++;
        pthread_mutex_unlock(&pool_lock);
        serve_one(w);
        FCGX_Finish_r(w->fr);
        pthread_mutex_lock(&pool_lock);
        pool_busy--;
        pthread_mutex_unlock(&pool_lock);
    }
    pthread_mutex_lock(&pool_lock);
    pool_alive--;
    pthread_mutex_unlock(&pool_lock);
    return NULL;
}

/*
 * The FastCGI pool on listen_fd until a signal.  Returns the exit status.
 * NOTE: a thread idle on a kept-alive FastCGI connection (nginx
 * fastcgi_keep_conn) blocks in read, not accept, and does not see the
 * shutdown; once no request is in flight for a second such threads are
 * cancelled (only possible inside FCGX_Accept_r) and joined like the rest.
 */
static int
serve_fcgi(int listen_fd)
{
    struct srv_worker *ws;
    FCGX_Request *rs;
    pthread_t *ts;
    sigset_t set;
    struct timespec tick = {0, 200 * 1000 * 1000};
    double stop_at = 0;
    int i, n = conf.threads, started = 0, alive, busy, fail = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    ws = calloc((size_t)n, sizeof(*ws));
    rs = calloc((size_t)n, sizeof(*rs));
    ts = calloc((size_t)n, sizeof(*ts));
    if (ws == NULL || rs == NULL || ts == NULL) {
        srv_log_proc(A2O_LOG_ERROR, "out of memory");
        return 1;
    }
    for (i = 0; i < n; i++) {
        ws[i].conf = &conf;
        ws[i].fr = &rs[i];
        FCGX_InitRequest(&rs[i], listen_fd, 0);
        pthread_mutex_lock(&pool_lock);
        pool_alive++;
        pthread_mutex_unlock(&pool_lock);
        if (pthread_create(&ts[i], NULL, worker_main, &ws[i]) != 0) {
            pthread_mutex_lock(&pool_lock);
            pool_alive--;
            pthread_mutex_unlock(&pool_lock);
            srv_log_proc(A2O_LOG_ERROR, "cannot start thread %d", i);
            break;
        }
        started++;
    }
    srv_log_proc(A2O_LOG_INFO, "%s %s: serving with %d threads", SRV_NAME,
                 SRV_VERSION, started);
    for (;;) {
        int sig = sigtimedwait(&set, NULL, &tick);

        if (sig > 0 && stopping) {
            srv_log_proc(A2O_LOG_WARN, "second signal: exiting now");
            exit(1);
        }
        if (sig > 0)
            srv_log_proc(A2O_LOG_INFO, "signal %d: finishing requests", sig);
        pthread_mutex_lock(&pool_lock);
        alive = pool_alive;
        busy = pool_busy;
        fail = pool_fail;
        pthread_mutex_unlock(&pool_lock);
        /* a broken socket stops the rest too: a supervisor (multiwatch,
         * systemd) starts a new process */
        if (!stopping && (sig > 0 || fail)) {
            stopping = 1;
            stop_at = srv_main_now();
            FCGX_ShutdownPending();
            shutdown(listen_fd, SHUT_RDWR);
        }
        if (alive == 0)
            break;
        if (stopping && busy == 0 && srv_main_now() - stop_at >= 1.0) {
            srv_log_proc(A2O_LOG_INFO, "closing %d idle connections", alive);
            for (i = 0; i < started; i++)
                pthread_cancel(ts[i]); /* a thread that ended: no effect */
            break;
        }
    }
    for (i = 0; i < started; i++) {
        pthread_join(ts[i], NULL);
        if (ws[i].curl != NULL)
            curl_easy_cleanup(ws[i].curl);
        FCGX_Free(&rs[i], 1);
    }
    free(ws);
    free(rs);
    free(ts);
    srv_log_proc(A2O_LOG_INFO, "stopped");
    return fail ? 1 : 0;
}

/* Plain CGI: one request from the environment and stdin. */
static int
serve_cgi(void)
{
    struct srv_worker w;

    memset(&w, 0, sizeof(w));
    w.conf = &conf;
    serve_one(&w);
    fflush(stdout);
    if (w.curl != NULL)
        curl_easy_cleanup(w.curl);
    return 0;
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
    int check = 0, fd, rc;
    cJSON_Hooks hooks;

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
    memset(&hooks, 0, sizeof(hooks));
#ifdef SRV_COUNT_ALLOC
    hooks.malloc_fn = count_malloc;
    hooks.free_fn = count_free;
#else
    hooks.malloc_fn = malloc;
    hooks.free_fn = free;
#endif
    cJSON_InitHooks(&hooks);
    if (load_conf() < 0) {
        a2o_conf_free(&conf);
        return 1;
    }
    srv_log_set_level(conf.log_level);
    if (check) {
        printf("%s: configuration OK\n", SRV_NAME);
        a2o_conf_free(&conf);
        return 0;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || FCGX_Init() != 0) {
        srv_log_proc(A2O_LOG_ERROR, "cannot initialise libcurl or libfcgi");
        a2o_conf_free(&conf);
        return 1;
    }
    fd = listen_fd_of();
    if (fd == 0 && FCGX_IsCGI())
        rc = serve_cgi();
    else
        rc = serve_fcgi(fd);
    curl_global_cleanup();
    a2o_conf_free(&conf);
    return rc;

bad_usage:
    usage(stderr);
    return 2;
}
