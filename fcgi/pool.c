/*
 * pool.c: the worker pool (pool.h).
 *
 * FastCGI: threads, each in its own FCGX_Accept_r loop with its own curl
 * handle.  The pool is elastic: it starts THREADS threads and always
 * keeps one waiting on the listening socket: the thread that takes the
 * last waiting place starts another, up to MAX_THREADS serving threads
 * plus one.  That one more thread is the sentry: a request it takes
 * while MAX_THREADS others are serving gets a 529 overloaded_error with
 * retry-after at once (request.c), instead of waiting unseen in the
 * listen backlog.  A thread that waited THREAD_IDLE seconds without a
 * request ends, down to THREADS.  The waiting is on the listening socket,
 * through an epoll set per thread with EPOLLEXCLUSIVE so that a
 * connection wakes one thread (the socket is non-blocking, so a thread
 * that still loses the race for a connection just waits again), or, for
 * a connection the web server keeps open (nginx fastcgi_keep_conn), a
 * poll() on that connection.
 *
 * Plain CGI: one request from the environment and stdin.
 *
 * Stopping: libfcgi's own handler only sets a flag and leaves threads
 * blocked in accept(), so the stop signals (TERM, INT, QUIT, USR1) are
 * blocked in every thread and taken with sigtimedwait here:
 * FCGX_ShutdownPending() and shutdown(listen_fd) end the accept loops,
 * requests in flight finish, the threads are joined, the process exits
 * 0.  A second signal exits at once.  QUIT and USR1 stop the same way:
 * Debian 12's multiwatch sends QUIT when told `-s TERM` (its signal
 * names are off by one), and USR1 is its default.
 */
#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "arena.h"
#include "attempt.h"
#include "clock.h"
#include "log.h"
#include "pool.h"
#include "request.h"

#ifdef SRV_COUNT_ALLOC
/* Debug build: live cJSON-hook allocations per thread; a request must end
 * with as many as it started with. */
static __thread long live_allocs;
static __thread long total_allocs;

static void *
count_malloc(size_t n)
{
    void *p = srv_arena_malloc(n);

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
    srv_arena_free(p);
}
#endif

void
srv_pool_hooks(void)
{
    cJSON_Hooks hooks;

    memset(&hooks, 0, sizeof(hooks));
#ifdef SRV_COUNT_ALLOC
    hooks.malloc_fn = count_malloc;
    hooks.free_fn = count_free;
    srv_arena_count_frees();
#else
    hooks.malloc_fn = srv_arena_malloc;
    hooks.free_fn = srv_arena_free;
#endif
    cJSON_InitHooks(&hooks);
}

/* One request on w, with the debug build's leak check around it.  over:
 * the process is full (request.c answers 529). */
static void
serve_one(struct srv_worker *w, int over)
{
#ifdef SRV_COUNT_ALLOC
    long before = live_allocs, total = total_allocs;

    srv_arena_begin();
    srv_request_handle(w, over);
    srv_arena_end();
    if (live_allocs != before)
        srv_log_proc(A2O_LOG_ERROR, "leak: %ld allocations not freed",
                     live_allocs - before);
    srv_log_proc(A2O_LOG_DEBUG, "request made %ld allocations",
                 total_allocs - total);
#else
    srv_arena_begin();
    srv_request_handle(w, over);
    srv_arena_end();
#endif
}

/*
 * The pool's state, under lock.  Slots hold every thread that may run
 * (MAX_THREADS + 1); a thread that ended is joined by the main thread.
 */
enum { SLOT_FREE, SLOT_RUNNING, SLOT_ENDED };

struct slot {
    struct srv_worker w;
    FCGX_Request fr;
    pthread_t t;
    int state; /* SLOT_* */
};

static struct {
    pthread_mutex_t lock;
    const struct a2o_conf *conf;
    int listen_fd;
    struct slot *slots;
    int nslots;           /* MAX_THREADS + 1 */
    int alive;            /* threads running */
    int serving;          /* of those, serving a request */
    int waiting;          /* of those, waiting on the listening socket */
    int peak;             /* most threads alive since the last log line */
    int fail;             /* a worker stopped on an accept error */
    int stopping;         /* no new requests: the loops end */
    unsigned long served; /* requests begun, ever */
} pool = {PTHREAD_MUTEX_INITIALIZER, NULL, -1, NULL, 0, 0, 0, 0, 0, 0, 0, 0};

static int
stopping(void)
{
    int s;

    pthread_mutex_lock(&pool.lock);
    s = pool.stopping;
    pthread_mutex_unlock(&pool.lock);
    return s;
}

/* accept() errors worth waiting out rather than stopping the worker */
static int
transient(int e)
{
    return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM ||
           e == EINTR;
}

static void *worker_main(void *arg);

/* Starts a thread in a free slot; call with the lock held.  0, or -1
 * (no free slot, or pthread_create failed). */
static int
start_locked(void)
{
    int i;

    for (i = 0; i < pool.nslots; i++)
        if (pool.slots[i].state == SLOT_FREE)
            break;
    if (i == pool.nslots)
        return -1;
    memset(&pool.slots[i].w, 0, sizeof(pool.slots[i].w));
    pool.slots[i].w.conf = pool.conf;
    FCGX_InitRequest(&pool.slots[i].fr, pool.listen_fd, 0);
    srv_io_fcgi(&pool.slots[i].w.io, &pool.slots[i].fr);
    if (pthread_create(&pool.slots[i].t, NULL, worker_main, &pool.slots[i]) !=
        0)
        return -1;
    pool.slots[i].state = SLOT_RUNNING;
    pool.alive++;
    return 0;
}

/*
 * A thread stops waiting (a connection came): when it was the last one
 * waiting, one more thread starts at once, so it is already waiting by
 * the time this one has read the request.  Logs the growth at each
 * doubling and at the ceiling.
 */
static void
stop_waiting(int kept)
{
    int alive = 0, log = 0;

    pthread_mutex_lock(&pool.lock);
    pool.waiting -= !kept;
    if (!kept && pool.waiting == 0 && !pool.stopping &&
        pool.alive < pool.nslots && start_locked() == 0) {
        alive = pool.alive;
        if (alive > pool.peak &&
            ((alive & (alive - 1)) == 0 || alive == pool.nslots)) {
            pool.peak = alive;
            log = 1;
        }
    }
    pthread_mutex_unlock(&pool.lock);
    if (log)
        srv_log_proc(A2O_LOG_INFO, "pool: grew to %d threads (%d at most)",
                     alive, pool.nslots);
}

/*
 * The wait on the listening socket.  Every idle thread polling it, each
 * connection woke them all (128 per process by default) and all but one
 * lost the race for it: at 2 KB that herd cost several times the request
 * itself.  So each thread waits in an epoll set of its own holding the
 * socket with EPOLLEXCLUSIVE, and the kernel wakes one waiting thread
 * per connection.  Each thread still waits THREAD_IDLE from its own
 * start of waiting, so the pool shrinks as before.  Without an epoll set
 * (ep < 0) it polls the socket.
 */
static int
listen_set(void)
{
    struct epoll_event ev;
    int ep = epoll_create1(EPOLL_CLOEXEC);

    if (ep < 0)
        return -1;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, pool.listen_fd, &ev) < 0) {
        close(ep);
        return -1;
    }
    return ep;
}

/* Waits for a request on fd (through the epoll set ep when >= 0) for up
 * to THREAD_IDLE seconds.  1 when one may be there, 0 when the wait timed
 * out, -1 on a poll error. */
static int
wait_request(int fd, int ep)
{
    struct epoll_event ev;
    struct pollfd p;
    int old, r, ms = (int)(pool.conf->thread_idle * 1000);

    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    /* Only while waiting may the thread be cancelled: idle on a
     * kept-alive connection, it sees no shutdown (srv_pool_fcgi cancels
     * it then).  Never while serving a request. */
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
    r = ep >= 0 ? epoll_wait(ep, &ev, 1, ms) : poll(&p, 1, ms);
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    if (r < 0 && errno == EINTR)
        return 1;
    return r < 0 ? -1 : r > 0;
}

/* An idle thread may end when more than THREADS run. */
static int
retire(struct slot *sl)
{
    int alive, back;

    pthread_mutex_lock(&pool.lock);
    if (pool.stopping || pool.alive <= pool.conf->threads) {
        pthread_mutex_unlock(&pool.lock);
        return 0;
    }
    pool.alive--;
    alive = pool.alive;
    back = alive == pool.conf->threads;
    if (back)
        pool.peak = alive;
    sl->state = SLOT_ENDED;
    pthread_mutex_unlock(&pool.lock);
    srv_log_proc(back ? A2O_LOG_INFO : A2O_LOG_DEBUG,
                 "pool: shrank to %d threads (idle %ld s)", alive,
                 pool.conf->thread_idle);
    return 1;
}

/* One request on sl: counted, served (over: the process is full), done. */
static void
serve(struct slot *sl)
{
    int over;

    pthread_mutex_lock(&pool.lock);
    pool.serving++;
    pool.served++;
    over = pool.serving > pool.nslots - 1;
    pthread_mutex_unlock(&pool.lock);
    serve_one(&sl->w, over);
    /* libfcgi closes a connection the lingering way: shutdown, a poll
     * until the web server closes its end, a read, then close.  That
     * guards response bytes against a reset caused by request bytes
     * left unread; with the body read to its end none are left, and
     * the wait (a sleep and a wake-up on every request) buys nothing.
     * Detach is the public switch for a plain close(); Attach undoes it
     * for a request whose body was not read whole. */
    if (FCGX_HasSeenEOF(sl->fr.in) == EOF)
        FCGX_Detach(&sl->fr);
    else
        FCGX_Attach(&sl->fr);
    FCGX_Finish_r(&sl->fr);
    pthread_mutex_lock(&pool.lock);
    pool.serving--;
    pthread_mutex_unlock(&pool.lock);
}

static void *
worker_main(void *arg)
{
    struct slot *sl = arg;
    char msg[128];
    int rc, r, kept, full, ep = listen_set();

    for (;;) {
        kept = sl->fr.ipcFd >= 0; /* a connection kept open for us */
        pthread_mutex_lock(&pool.lock);
        pool.waiting += !kept;
        pthread_mutex_unlock(&pool.lock);
        r = kept ? wait_request(sl->fr.ipcFd, -1)
                 : wait_request(pool.listen_fd, ep);
        if (r == 0) {
            pthread_mutex_lock(&pool.lock);
            pool.waiting -= !kept;
            pthread_mutex_unlock(&pool.lock);
            if (retire(sl))
                break;
            continue;
        }
        stop_waiting(kept);
        pthread_mutex_lock(&pool.lock);
        full = pool.serving >= pool.nslots - 1;
        pthread_mutex_unlock(&pool.lock);
        /* A full process lets the other processes of the pool take the
         * connection first: the sentry answers 529 only if none did. */
        if (full && !kept)
            srv_clock_sleep(0.02);
        rc = FCGX_Accept_r(&sl->fr);
        /* after FCGX_ShutdownPending, Accept returns at once with a stale
         * errno, often EAGAIN: looking at stopping first keeps the loop
         * from spinning on the shut-down socket until the threads are
         * cancelled */
        if ((rc == -EAGAIN || rc == -EWOULDBLOCK) && !stopping())
            continue; /* another thread took it */
        if (rc < 0) {
            if (stopping())
                break;
            srv_log_proc(A2O_LOG_ERROR, "accept: %s",
                         srv_log_errno(-rc, msg, sizeof(msg)));
            if (!transient(-rc)) {
                pthread_mutex_lock(&pool.lock);
                pool.fail = 1;
                pthread_mutex_unlock(&pool.lock);
                break;
            }
            srv_clock_sleep(1.0);
            continue;
        }
        serve(sl);
    }
    if (ep >= 0)
        close(ep);
    srv_attempt_worker_end(&sl->w);
    pthread_mutex_lock(&pool.lock);
    if (sl->state == SLOT_RUNNING) {
        pool.alive--;
        sl->state = SLOT_ENDED;
    }
    pthread_mutex_unlock(&pool.lock);
    return NULL;
}

/*
 * After a tick with no request, the heap's free pages go back to the
 * kernel: main.c lets glibc keep up to 1 MiB blocks between requests,
 * which a busy pool reuses but an idle one need not hold.
 */
static void
give_back(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/* Joins the threads that ended, freeing their slots. */
static void
reap(void)
{
    int i;

    for (i = 0; i < pool.nslots; i++) {
        int ended;

        pthread_mutex_lock(&pool.lock);
        ended = pool.slots[i].state == SLOT_ENDED;
        pthread_mutex_unlock(&pool.lock);
        if (!ended)
            continue;
        pthread_join(pool.slots[i].t, NULL);
        FCGX_Free(&pool.slots[i].fr, 1);
        pthread_mutex_lock(&pool.lock);
        pool.slots[i].state = SLOT_FREE;
        pthread_mutex_unlock(&pool.lock);
    }
}

/* Starts THREADS threads.  The number started. */
static int
start(void)
{
    int i, n = 0;

    for (i = 0; i < pool.conf->threads; i++) {
        pthread_mutex_lock(&pool.lock);
        if (start_locked() == 0)
            n++;
        pool.peak = n;
        pthread_mutex_unlock(&pool.lock);
    }
    return n;
}

/*
 * NOTE: a thread idle on a kept-alive FastCGI connection waits on that
 * connection and does not see the shutdown; once no request is in
 * flight for a second such threads are cancelled (only possible while
 * they wait) and joined like the rest.
 */
int
srv_pool_fcgi(const struct a2o_conf *conf, int listen_fd)
{
    struct timespec tick = {0, 200 * 1000 * 1000};
    sigset_t set;
    double stop_at = 0;
    unsigned long served, seen = 0, trimmed = 0;
    int i, alive, serving, fail = 0, started, fl;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pool.conf = conf;
    pool.listen_fd = listen_fd;
    pool.nslots = conf->max_threads + 1;
    pool.slots = calloc((size_t)pool.nslots, sizeof(*pool.slots));
    if (pool.slots == NULL) {
        srv_log_proc(A2O_LOG_ERROR, "out of memory");
        return 1;
    }
    /* non-blocking: a thread woken for a connection that another thread
     * (of this process or another) took gets EAGAIN, not a hang */
    fl = fcntl(listen_fd, F_GETFL);
    if (fl >= 0)
        fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK);
    started = start();
    srv_log_proc(
        A2O_LOG_INFO, "%s %s: serving with %d threads (up to %d, idle %ld s)",
        SRV_NAME, SRV_VERSION, started, conf->max_threads, conf->thread_idle);
    for (;;) {
        int sig = sigtimedwait(&set, NULL, &tick);

        if (sig > 0 && stopping()) {
            srv_log_proc(A2O_LOG_WARN, "second signal: exiting now");
            exit(1);
        }
        if (sig > 0)
            srv_log_proc(A2O_LOG_INFO, "signal %d: finishing requests", sig);
        reap();
        pthread_mutex_lock(&pool.lock);
        alive = pool.alive;
        serving = pool.serving;
        served = pool.served;
        fail = pool.fail;
        /* a broken socket stops the rest too: a supervisor (multiwatch,
         * systemd) starts a new process */
        if (!pool.stopping && (sig > 0 || fail || started == 0)) {
            pool.stopping = 1;
            stop_at = srv_clock_now();
            FCGX_ShutdownPending();
            shutdown(listen_fd, SHUT_RDWR);
        }
        pthread_mutex_unlock(&pool.lock);
        if (alive == 0)
            break;
        if (serving == 0 && served == seen && served != trimmed) {
            give_back();
            trimmed = served;
        }
        seen = served;
        if (stop_at > 0 && serving == 0 && srv_clock_now() - stop_at >= 1.0) {
            srv_log_proc(A2O_LOG_INFO, "closing %d idle connections", alive);
            pthread_mutex_lock(&pool.lock);
            for (i = 0; i < pool.nslots; i++)
                if (pool.slots[i].state == SLOT_RUNNING)
                    pthread_cancel(pool.slots[i].t);
            pthread_mutex_unlock(&pool.lock);
            break;
        }
    }
    for (i = 0; i < pool.nslots; i++) {
        if (pool.slots[i].state == SLOT_FREE)
            continue;
        pthread_join(pool.slots[i].t, NULL);
        srv_attempt_worker_end(&pool.slots[i].w); /* cancelled waiting */
        FCGX_Free(&pool.slots[i].fr, 1);
    }
    free(pool.slots);
    pool.slots = NULL;
    srv_log_proc(A2O_LOG_INFO, "stopped");
    return fail || started == 0 ? 1 : 0;
}

int
srv_pool_cgi(const struct a2o_conf *conf)
{
    struct srv_worker w;

    memset(&w, 0, sizeof(w));
    w.conf = conf;
    srv_io_cgi(&w.io);
    serve_one(&w, 0);
    fflush(stdout);
    srv_attempt_worker_end(&w);
    return 0;
}
