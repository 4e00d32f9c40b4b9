/*
 * upstream.c: the fast mock OpenAI upstream of `make bench`.
 *
 *   bench-upstream PORTFILE        listens on 127.0.0.1, port chosen by
 *                                  the kernel, written to PORTFILE
 *   bench-upstream --free-port     prints a free loopback port and exits
 *
 * Any POST gets a fixed chat.completion, or, when the body has
 * "stream":true, a fixed chat.completion.chunk SSE stream (chunked, one
 * write).  A "pace-F-I-N" marker in the body (the model name) delays the
 * status line by F ms and sends N content chunks I ms apart (pace.h).
 * GET /__count answers the number of completions served, so the driver
 * can check that every request it counted really went upstream.
 *
 * One thread per connection with blocking I/O: keep-alive connections
 * from libcurl live long and are few, and a thread that sleeps for pacing
 * costs nothing.  Per request the work is a read, a memchr scan and one
 * write, so this is never the bottleneck.  Exits on SIGTERM (default
 * action).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "answers.h"
#include "pace.h"

static const char sse_head[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
    "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n";

/* The unpaced answers, built once. */
static char *json_resp, *sse_resp;
static size_t json_len, sse_len;
static long served;
static pthread_mutex_t served_mu = PTHREAD_MUTEX_INITIALIZER;

static int
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Appends one HTTP chunk holding s to b; returns the new length. */
static size_t
put_chunk(char *b, size_t len, const char *s, size_t n)
{
    len += (size_t)sprintf(b + len, "%zx\r\n", n);
    memcpy(b + len, s, n);
    len += n;
    memcpy(b + len, "\r\n", 2);
    return len + 2;
}

static void
build_answers(void)
{
    size_t cap = 8192, k;
    char *all = malloc(cap);

    json_resp = malloc(cap);
    sse_resp = malloc(cap);
    if (all == NULL || json_resp == NULL || sse_resp == NULL)
        exit(1);
    json_len = (size_t)sprintf(json_resp,
                               "HTTP/1.1 200 OK\r\n"
                               "Content-Type: application/json\r\n"
                               "Content-Length: %zu\r\n\r\n%s",
                               strlen(bench_completion), bench_completion);
    /* Unpaced stream: role chunk, three text chunks, the end; one HTTP
     * chunk, one write. */
    k = (size_t)sprintf(all, "%s%s%s%s%s", bench_sse_role, bench_sse_text,
                        bench_sse_text, bench_sse_text, bench_sse_end);
    sse_len = sizeof(sse_head) - 1;
    memcpy(sse_resp, sse_head, sse_len);
    sse_len = put_chunk(sse_resp, sse_len, all, k);
    memcpy(sse_resp + sse_len, "0\r\n\r\n", 5);
    sse_len += 5;
    free(all);
}

static int
answer_paced(int fd, const struct bench_pace *pc)
{
    char b[4096];
    size_t n;
    int k;

    bench_sleep_ms(pc->first_ms);
    n = sizeof(sse_head) - 1;
    memcpy(b, sse_head, n);
    n = put_chunk(b, n, bench_sse_role, strlen(bench_sse_role));
    if (write_all(fd, b, n) != 0)
        return -1;
    for (k = 0; k < pc->n; k++) {
        bench_sleep_ms(pc->interval_ms);
        n = put_chunk(b, 0, bench_sse_text, strlen(bench_sse_text));
        if (write_all(fd, b, n) != 0)
            return -1;
    }
    n = put_chunk(b, 0, bench_sse_end, strlen(bench_sse_end));
    memcpy(b + n, "0\r\n\r\n", 5);
    return write_all(fd, b, n + 5);
}

/* Case-insensitive search for a header name at a line start. */
static const char *
header(const char *h, size_t n, const char *name)
{
    size_t nl = strlen(name), i;

    for (i = 0; i + nl < n; i++) {
        if ((i == 0 || h[i - 1] == '\n') && strncasecmp(h + i, name, nl) == 0)
            return h + i + nl;
    }
    return NULL;
}

/* Decodes a chunked body in place; returns its length, or -1 while
 * incomplete.  *used gets the bytes consumed. */
static long
dechunk(char *p, size_t n, size_t *used)
{
    size_t r = 0, w = 0;

    for (;;) {
        char *e;
        unsigned long sz;
        const char *crlf = bench_find(p + r, n - r, "\r\n", 2);

        if (crlf == NULL)
            return -1;
        sz = strtoul(p + r, &e, 16);
        r = (size_t)(crlf - p) + 2;
        if (sz == 0) {
            if (n - r < 2)
                return -1;
            *used = r + 2; /* no trailers from libcurl */
            return (long)w;
        }
        if (n - r < sz + 2)
            return -1;
        memmove(p + w, p + r, sz);
        w += sz;
        r += sz + 2;
    }
}

static void *
conn(void *arg)
{
    int fd = (int)(long)arg, one = 1;
    size_t cap = 1 << 16, len = 0;
    char *b = malloc(cap + 1);

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    while (b != NULL) {
        const char *eoh = bench_find(b, len, "\r\n\r\n", 4), *v;
        size_t hl, need, used;
        long bl;
        ssize_t got;
        int chunked, close_after;
        struct bench_pace pc;

        if (eoh != NULL) {
            hl = (size_t)(eoh - b) + 4;
            chunked = header(b, hl, "transfer-encoding: chunked") != NULL;
            v = header(b, hl, "content-length:");
            need = v != NULL ? strtoul(v, NULL, 10) : 0;
            if (header(b, hl, "expect: 100-continue") != NULL && len == hl &&
                need > 0 &&
                write_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0)
                break;
            if (chunked) {
                bl = dechunk(b + hl, len - hl, &used);
                if (bl >= 0)
                    need = (size_t)bl;
            } else {
                bl = len - hl >= need ? (long)need : -1;
                used = need;
            }
            if (bl >= 0) {
                char save = b[hl + need];

                close_after = header(b, hl, "connection: close") != NULL;
                b[hl + need] = '\0';
                if (strncmp(b, "GET /__count", 12) == 0) {
                    char r[128];
                    long c;

                    pthread_mutex_lock(&served_mu);
                    c = served;
                    pthread_mutex_unlock(&served_mu);
                    snprintf(r, sizeof(r), "%ld", c);
                    dprintf(fd,
                            "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
                            "\r\n%s",
                            strlen(r), r);
                } else {
                    bench_pace_parse(b + hl, need, &pc);
                    pthread_mutex_lock(&served_mu);
                    served++;
                    pthread_mutex_unlock(&served_mu);
                    if (!bench_is_stream(b + hl, need)) {
                        if (write_all(fd, json_resp, json_len) != 0)
                            break;
                    } else if (pc.on) {
                        if (answer_paced(fd, &pc) != 0)
                            break;
                    } else if (write_all(fd, sse_resp, sse_len) != 0) {
                        break;
                    }
                }
                b[hl + need] = save;
                if (close_after)
                    break;
                memmove(b, b + hl + used, len - hl - used);
                len -= hl + used;
                continue;
            }
        }
        if (len == cap) {
            char *nb = realloc(b, cap * 2 + 1);

            if (nb == NULL)
                break;
            b = nb;
            cap *= 2;
        }
        got = recv(fd, b + len, cap - len, 0);
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    free(b);
    close(fd);
    return NULL;
}

int
main(int argc, char **argv)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    int ls, one = 1;
    FILE *f;
    char tmp[4096];
    pthread_attr_t at;

    if (argc != 2) {
        fprintf(stderr, "usage: bench-upstream PORTFILE | --free-port\n");
        return 2;
    }
    build_answers();
    ls = socket(AF_INET, SOCK_STREAM, 0);
    if (strcmp(argv[1], "--free-port") == 0) {
        /* A port for lighttpd: the kernel picks it, we print and free it
         * (lighttpd binds it a moment later; SO_REUSEADDR on both). */
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
            getsockname(ls, (struct sockaddr *)&sa, &sl) != 0)
            return 1;
        printf("%d\n", ntohs(sa.sin_port));
        return 0;
    }
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(ls, 4096) != 0 ||
        getsockname(ls, (struct sockaddr *)&sa, &sl) != 0) {
        perror("bench-upstream: listen");
        return 1;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
    f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 ||
        fclose(f) != 0 || rename(tmp, argv[1]) != 0) {
        perror("bench-upstream: port file");
        return 1;
    }
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 128 * 1024);
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        pthread_t t;

        if (fd < 0)
            continue;
        if (pthread_create(&t, &at, conn, (void *)(long)fd) != 0)
            close(fd);
    }
}
