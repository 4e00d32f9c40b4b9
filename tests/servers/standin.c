/*
 * standin.c: a tiny FastCGI responder that stands in for claude-proxy in
 * the web server suite (tests/servers/).  It proves what the web server
 * configs do (streaming, body limits, headers, disconnects) independently
 * of the proxy: the pacing comes from the request itself, not from an
 * upstream.
 *
 *   GET  /health       {"status":"ok","standin":true}
 *   POST /v1/messages  reads the body to EOF (413 in Anthropic's format
 *                      past STANDIN_MAX_BODY, default 32 MiB); without
 *                      "stream":true answers a message whose text is a JSON
 *                      echo of the parameters; with it, streams Anthropic
 *                      events paced by the x-standin header:
 *                        n=EVENTS,interval=MS,stall_after=N,stall=MS,ping=MS
 *   anything else      404 not_found_error
 *
 * Environment (or STANDIN_* lines of the CLAUDE_PROXY_CONFIG file):
 * STANDIN_THREADS (4), STANDIN_MAX_BODY (bytes), STANDIN_LOG (file: one
 * JSON line per finished stream, with the time the client was found gone).
 * Listens on fd 0 (spawn-fcgi, mod_fcgid, lighttpd) or fd 3 under systemd's
 * LISTEN_FDS.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static size_t max_body = 32u << 20;
static int log_fd = -1;
static int listen_fd = 0;

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/*
 * Waits ms, or less when the web server closes the FastCGI connection.
 * The body was read to EOF and no server sends FCGI_ABORT_REQUEST, so any
 * readability of the socket is its end: returns 0 then, 1 otherwise.
 * Without this a silent stream learns of a gone client only when a write
 * fails, which Apache reports on the third write (apache/README.md).
 */
static int
wait_or_gone(FCGX_Request *r, long ms)
{
    struct pollfd p = {r->ipcFd, POLLIN, 0};
    long long end = now_ms() + ms;

    for (;;) {
        long left = (long)(end - now_ms());

        if (left <= 0)
            return 1;
        if (poll(&p, 1, (int)left) > 0)
            return 0;
    }
}

static const char *
param(FCGX_Request *r, const char *name)
{
    const char *v = FCGX_GetParam(name, r->envp);

    return v != NULL ? v : "";
}

/* Writes a JSON string literal of s (params are ASCII in the tests). */
static void
put_jstr(FCGX_Stream *out, const char *s)
{
    FCGX_PutChar('"', out);
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            FCGX_PutChar('\\', out);
        if ((unsigned char)*s < 0x20)
            continue;
        FCGX_PutChar(*s, out);
    }
    FCGX_PutChar('"', out);
}

static void
error_reply(FCGX_Request *r, int status, const char *type, const char *msg)
{
    FCGX_FPrintF(r->out,
                 "Status: %d\r\nContent-Type: application/json\r\n\r\n"
                 "{\"type\":\"error\",\"error\":{\"type\":\"%s\","
                 "\"message\":\"%s\"}}",
                 status, type, msg);
}

/*
 * Reads stdin to EOF whatever CONTENT_LENGTH says (chunked uploads under
 * mod_proxy_fcgi carry none).  Keeps at most max_body bytes; *total is
 * the whole length.  Returns the kept bytes (caller frees) or NULL.
 */
static char *
read_body(FCGX_Request *r, size_t *kept, size_t *total)
{
    size_t cap = 65536, len = 0, all = 0;
    char *p = malloc(cap + 1), chunk[65536];
    int n;

    if (p == NULL)
        return NULL;
    while ((n = FCGX_GetStr(chunk, sizeof chunk, r->in)) > 0) {
        all += (size_t)n;
        if (len + (size_t)n > max_body)
            continue; /* over the limit: drain, keep nothing more */
        if (len + (size_t)n > cap) {
            char *q;

            while (len + (size_t)n > cap)
                cap *= 2;
            q = realloc(p, cap + 1);
            if (q == NULL) {
                free(p);
                return NULL;
            }
            p = q;
        }
        memcpy(p + len, chunk, (size_t)n);
        len += (size_t)n;
    }
    p[len] = '\0';
    *kept = len;
    *total = all;
    return p;
}

static long
opt(const char *spec, const char *key, long def)
{
    size_t k = strlen(key);
    const char *s = spec;

    while (s != NULL && *s != '\0') {
        if (strncmp(s, key, k) == 0 && s[k] == '=')
            return strtol(s + k + 1, NULL, 10);
        s = strchr(s, ',');
        if (s != NULL)
            s++;
    }
    return def;
}

/* Puts one SSE frame and flushes; 0 when the client is gone. */
static int
frame(FCGX_Request *r, const char *type, const char *json)
{
    FCGX_FPrintF(r->out, "event: %s\ndata: %s\n\n", type, json);
    /* NOTE: only the first failing flush returns -1 (deploy/README.md) */
    FCGX_FFlush(r->out);
    return FCGX_GetError(r->out) == 0;
}

static void
stream(FCGX_Request *r, const char *spec)
{
    long n = opt(spec, "n", 5), interval = opt(spec, "interval", 100);
    long stall_after = opt(spec, "stall_after", -1);
    long stall = opt(spec, "stall", 0), ping = opt(spec, "ping", 15000);
    long long t0 = now_ms(), gone = 0;
    char buf[256];
    long i, sent = 0;

    FCGX_FPrintF(r->out, "Status: 200\r\nContent-Type: text/event-stream\r\n"
                         "Cache-Control: no-cache\r\n\r\n");
    if (!frame(
            r, "message_start",
            "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_standin\","
            "\"type\":\"message\",\"role\":\"assistant\",\"model\":"
            "\"standin\",\"content\":[],\"stop_reason\":null,"
            "\"stop_sequence\":null,\"usage\":{\"input_tokens\":1,"
            "\"output_tokens\":1}}}") ||
        !frame(r, "content_block_start",
               "{\"type\":\"content_block_start\",\"index\":0,"
               "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"))
        goto gone;
    for (i = 0; i < n; i++) {
        if (i > 0)
            sleep_ms(interval);
        if (i == stall_after) {
            long left = stall;

            while (left > 0) {
                long step = left < ping ? left : ping;

                if (!wait_or_gone(r, step))
                    goto gone;
                left -= step;
                if (!frame(r, "ping", "{\"type\":\"ping\"}"))
                    goto gone;
            }
        }
        snprintf(buf, sizeof buf,
                 "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                 "{\"type\":\"text_delta\",\"text\":\"e%ld@%lld \"}}",
                 i, now_ms());
        if (!frame(r, "content_block_delta", buf))
            goto gone;
        sent++;
    }
    if (!frame(r, "content_block_stop",
               "{\"type\":\"content_block_stop\",\"index\":0}") ||
        !frame(r, "message_delta",
               "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
               "\"end_turn\",\"stop_sequence\":null},\"usage\":"
               "{\"output_tokens\":1}}") ||
        !frame(r, "message_stop", "{\"type\":\"message_stop\"}"))
        goto gone;
    goto out;
gone:
    gone = now_ms();
out:
    if (log_fd >= 0) {
        int len = snprintf(buf, sizeof buf,
                           "{\"id\":\"%.60s\",\"t_start\":%lld,"
                           "\"t_end\":%lld,\"closed_early\":%s,"
                           "\"sent\":%ld}\n",
                           param(r, "HTTP_X_STANDIN_ID"), t0, now_ms(),
                           gone != 0 ? "true" : "false", sent);

        if (len > 0 && write(log_fd, buf, (size_t)len) < 0)
            perror("standin: log");
    }
}

static void
echo(FCGX_Request *r, size_t total)
{
    static const char *names[] = {"REQUEST_METHOD",
                                  "REQUEST_URI",
                                  "CONTENT_LENGTH",
                                  "CONTENT_TYPE",
                                  "HTTP_AUTHORIZATION",
                                  "HTTP_X_API_KEY",
                                  "HTTP_ANTHROPIC_VERSION",
                                  "SCRIPT_NAME",
                                  "PATH_INFO",
                                  "QUERY_STRING",
                                  NULL};
    int i;

    FCGX_FPrintF(r->out,
                 "Status: 200\r\nContent-Type: application/json"
                 "\r\n\r\n{\"type\":\"message\",\"role\":\"assistant\","
                 "\"standin\":{\"body_bytes\":%lu",
                 (unsigned long)total);
    for (i = 0; names[i] != NULL; i++) {
        const char *v = FCGX_GetParam(names[i], r->envp);

        if (v == NULL)
            continue;
        FCGX_FPrintF(r->out, ",\"%s\":", names[i]);
        put_jstr(r->out, v);
    }
    FCGX_FPrintF(r->out,
                 "},\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}");
}

static void
handle(FCGX_Request *r)
{
    char path[512];
    const char *uri = param(r, "REQUEST_URI");
    size_t plen = strcspn(uri, "?"), kept = 0, total = 0;
    char *body;

    snprintf(path, sizeof path, "%.*s", (int)plen, uri);
    if (strcmp(path, "/health") == 0) {
        FCGX_FPrintF(r->out, "Status: 200\r\nContent-Type: application/json"
                             "\r\n\r\n{\"status\":\"ok\",\"standin\":true}");
        return;
    }
    if (strcmp(path, "/v1/messages") != 0) {
        error_reply(r, 404, "not_found_error", "no such endpoint");
        return;
    }
    body = read_body(r, &kept, &total);
    if (body == NULL) {
        error_reply(r, 500, "api_error", "out of memory");
        return;
    }
    if (total > max_body)
        error_reply(r, 413, "request_too_large", "request body too large");
    else if (strstr(body, "\"stream\":true") != NULL)
        stream(r, param(r, "HTTP_X_STANDIN"));
    else
        echo(r, total);
    free(body);
}

static void *
worker(void *arg)
{
    FCGX_Request r;

    (void)arg;
    if (FCGX_InitRequest(&r, listen_fd, 0) != 0)
        return NULL;
    while (FCGX_Accept_r(&r) == 0) {
        handle(&r);
        FCGX_Finish_r(&r);
    }
    return NULL;
}

/* Settings from the CLAUDE_PROXY_CONFIG file, as claude-proxy reads them
 * (mod_fcgid and lighttpd pass only what their config names). */
static void
read_config(void)
{
    const char *path = getenv("CLAUDE_PROXY_CONFIG");
    char line[1024];
    FILE *f;

    if (path == NULL || (f = fopen(path, "r")) == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL) {
        char *eq = strchr(line, '=');

        line[strcspn(line, "\r\n")] = '\0';
        if (eq == NULL || strncmp(line, "STANDIN_", 8) != 0)
            continue;
        *eq = '\0';
        setenv(line, eq + 1, 0);
    }
    fclose(f);
}

int
main(void)
{
    const char *s;
    int threads = 4, i;
    pthread_t tid[64];

    read_config();
    if ((s = getenv("STANDIN_THREADS")) != NULL && atoi(s) > 0)
        threads = atoi(s) > 64 ? 64 : atoi(s);
    if ((s = getenv("STANDIN_MAX_BODY")) != NULL && atol(s) > 0)
        max_body = (size_t)atol(s);
    if ((s = getenv("STANDIN_LOG")) != NULL && *s != '\0')
        log_fd = open(s, O_WRONLY | O_CREAT | O_APPEND, 0644);
    /* systemd socket activation hands the socket over on fd 3 */
    if ((s = getenv("LISTEN_FDS")) != NULL && atoi(s) >= 1)
        listen_fd = 3;
    if (FCGX_Init() != 0)
        return 1;
    if (listen_fd == 0 && FCGX_IsCGI()) {
        fprintf(stderr, "standin: fd 0 is not a FastCGI socket\n");
        return 1;
    }
    for (i = 1; i < threads; i++)
        pthread_create(&tid[i], NULL, worker, NULL);
    worker(NULL);
    return 0;
}
