/*
 * sseload.c: opens streaming requests and times their first event.
 *
 *   bench-sseload -p PORT -b BODYFILE -c CONC -n TOTAL [-u PATH]
 *                 [-r READYFILE] [-t SECONDS]
 *
 * Keeps CONC HTTP/1.0 POSTs in flight on 127.0.0.1:PORT until TOTAL have
 * finished (CONC == TOTAL opens them all at once).  For each it records
 * the time from connect() to the first "event:" byte of the body and to
 * the end of the body, and checks status 200 and a final message_stop.
 * With -r, once every request of the first wave has its first event, it
 * creates READYFILE (the driver then reads the pool's memory while all the
 * streams are open).  wrk cannot time a first byte, hence this tool.
 *
 * Prints one line of key=value: n ok err ttfe_p50_us ttfe_p99_us
 * ttfe_max_us total_p50_us total_p99_us.  Exit status 1 if any failed.
 * HTTP/1.0 makes the server close at the end and send no chunk framing,
 * so the body is the SSE text itself.  Single-threaded epoll: the clock
 * is read when a byte arrives, not when a thread gets scheduled.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pace.h"

struct req {
    int fd;
    size_t sent; /* bytes of the request written */
    char *resp;  /* response so far (bounded) */
    size_t len, cap;
    long long t0, tfirst, tend;
    int done, ok;
};

static char *reqbuf;
static size_t reqlen;
static int port;

static int
cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;

    return x < y ? -1 : x > y;
}

static long long
pct(long long *v, int n, int p)
{
    int i;

    if (n == 0)
        return 0;
    i = (n * p + 99) / 100 - 1;
    return v[i < 0 ? 0 : i];
}

static int
start(struct req *r, int ep)
{
    struct sockaddr_in sa;
    struct epoll_event ev;

    memset(r, 0, sizeof(*r));
    r->t0 = bench_now_ns();
    r->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (r->fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 &&
        errno != EINPROGRESS)
        return -1;
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = r;
    return epoll_ctl(ep, EPOLL_CTL_ADD, r->fd, &ev);
}

static void
finish(struct req *r)
{
    const char *eoh = bench_find(r->resp, r->len, "\r\n\r\n", 4);

    r->tend = bench_now_ns();
    r->done = 1;
    r->ok = r->len > 12 && memcmp(r->resp + 9, "200", 3) == 0 && eoh != NULL &&
            r->tfirst != 0 &&
            bench_find(r->resp, r->len, "event: message_stop", 19) != NULL;
    if (!r->ok && getenv("SSELOAD_DEBUG") != NULL)
        fprintf(stderr, "sseload: failed: %.*s\n",
                (int)(r->len < 600 ? r->len : 600), r->resp);
    close(r->fd);
    free(r->resp);
    r->resp = NULL;
}

/* Handles readiness of r; returns 1 when the request is over. */
static int
step(struct req *r, int ep)
{
    char tmp[16384];
    ssize_t n;

    while (r->sent < reqlen) {
        n = send(r->fd, reqbuf + r->sent, reqlen - r->sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN)
                return 0;
            finish(r);
            return 1;
        }
        r->sent += (size_t)n;
        if (r->sent == reqlen) {
            struct epoll_event ev;

            ev.events = EPOLLIN;
            ev.data.ptr = r;
            epoll_ctl(ep, EPOLL_CTL_MOD, r->fd, &ev);
        }
    }
    for (;;) {
        n = recv(r->fd, tmp, sizeof(tmp), 0);
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n <= 0) {
            finish(r);
            return 1;
        }
        if (r->len + (size_t)n > r->cap) {
            size_t nc = (r->len + (size_t)n) * 2;
            char *p = realloc(r->resp, nc);

            if (p == NULL) {
                finish(r);
                return 1;
            }
            r->resp = p;
            r->cap = nc;
        }
        memcpy(r->resp + r->len, tmp, (size_t)n);
        r->len += (size_t)n;
        if (r->tfirst == 0) {
            const char *eoh = bench_find(r->resp, r->len, "\r\n\r\n", 4);

            if (eoh != NULL &&
                bench_find(eoh, (size_t)(r->resp + r->len - eoh), "event:", 6))
                r->tfirst = bench_now_ns();
        }
    }
}

int
main(int argc, char **argv)
{
    const char *path = "/v1/messages", *bodyf = NULL, *ready = NULL;
    int conc = 1, total = 1, secs = 60, k, started = 0, ended = 0, oks = 0;
    int ep, first_wave_ready = 0;
    struct req *rs;
    long long *tf, *tt, deadline;
    char *body;
    long blen;
    FILE *f;
    int nf = 0;

    for (k = 1; k + 1 < argc; k += 2) {
        if (strcmp(argv[k], "-p") == 0)
            port = atoi(argv[k + 1]);
        else if (strcmp(argv[k], "-b") == 0)
            bodyf = argv[k + 1];
        else if (strcmp(argv[k], "-c") == 0)
            conc = atoi(argv[k + 1]);
        else if (strcmp(argv[k], "-n") == 0)
            total = atoi(argv[k + 1]);
        else if (strcmp(argv[k], "-u") == 0)
            path = argv[k + 1];
        else if (strcmp(argv[k], "-r") == 0)
            ready = argv[k + 1];
        else if (strcmp(argv[k], "-t") == 0)
            secs = atoi(argv[k + 1]);
    }
    if (port <= 0 || bodyf == NULL || conc < 1 || total < conc) {
        fprintf(stderr, "usage: bench-sseload -p PORT -b BODY -c CONC "
                        "-n TOTAL [-u PATH] [-r READYFILE] [-t SECONDS]\n");
        return 2;
    }
    f = fopen(bodyf, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (blen = ftell(f)) < 0) {
        perror(bodyf);
        return 2;
    }
    rewind(f);
    body = malloc((size_t)blen);
    if (body == NULL || fread(body, 1, (size_t)blen, f) != (size_t)blen)
        return 2;
    fclose(f);
    reqbuf = malloc((size_t)blen + 512);
    reqlen = (size_t)sprintf(reqbuf,
                             "POST %s HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                             "Content-Type: application/json\r\n"
                             "anthropic-version: 2023-06-01\r\n"
                             "x-api-key: bench-key\r\n"
                             "Content-Length: %ld\r\n\r\n",
                             path, blen);
    memcpy(reqbuf + reqlen, body, (size_t)blen);
    reqlen += (size_t)blen;
    free(body);

    rs = calloc((size_t)total, sizeof(*rs));
    tf = calloc((size_t)total, sizeof(*tf));
    tt = calloc((size_t)total, sizeof(*tt));
    ep = epoll_create1(0);
    deadline = bench_now_ns() + (long long)secs * 1000000000LL;
    while (ended < total && bench_now_ns() < deadline) {
        struct epoll_event evs[256];
        int n;

        while (started < total && started - ended < conc) {
            if (start(&rs[started], ep) != 0) {
                rs[started].done = 1;
                ended++;
            }
            started++;
        }
        n = epoll_wait(ep, evs, 256, 100);
        for (k = 0; k < n; k++) {
            if (step(evs[k].data.ptr, ep))
                ended++;
        }
        if (ready != NULL && !first_wave_ready) {
            int all = 1;

            for (k = 0; k < conc && all; k++)
                all = rs[k].tfirst != 0;
            if (all) {
                f = fopen(ready, "w");
                if (f != NULL)
                    fclose(f);
                first_wave_ready = 1;
            }
        }
    }
    for (k = 0; k < total; k++) {
        if (rs[k].ok) {
            tf[nf] = rs[k].tfirst - rs[k].t0;
            tt[nf] = rs[k].tend - rs[k].t0;
            nf++;
            oks++;
        }
    }
    qsort(tf, (size_t)nf, sizeof(*tf), cmp_ll);
    qsort(tt, (size_t)nf, sizeof(*tt), cmp_ll);
    printf("n=%d ok=%d err=%d ttfe_p50_us=%.1f ttfe_p99_us=%.1f "
           "ttfe_max_us=%.1f total_p50_us=%.1f total_p99_us=%.1f\n",
           total, oks, total - oks, pct(tf, nf, 50) / 1e3,
           pct(tf, nf, 99) / 1e3, nf ? tf[nf - 1] / 1e3 : 0.0,
           pct(tt, nf, 50) / 1e3, pct(tt, nf, 99) / 1e3);
    return oks == total ? 0 : 1;
}
