/*
 * baseline.c: the do-nothing FastCGI responder that `make bench` runs
 * side by side with claude-proxy, behind the same lighttpd.
 *
 * It does what any responder must do and nothing more: threads over
 * FCGX_Accept_r (THREADS of them, like the proxy), reads the whole body,
 * looks for "stream":true and an optional pacing marker in it, and answers
 * a fixed Anthropic message or a fixed Anthropic SSE stream.  Whatever the
 * proxy costs above this is the cost of translating and of the upstream
 * hop.
 *
 * Pacing (for first-event and open-stream tests): a model name containing
 * "pace-F-I-N" delays the first event by F ms, then sends N text deltas I
 * ms apart, flushing each; the bench upstream reads the same marker, so
 * the proxy and the baseline hold their streams the same time.  Without a
 * marker the whole answer goes out in one flush, as the proxy's would for
 * an upstream that answers at once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "pace.h"

static const char answer[] =
    "{\"id\":\"msg_bench0000000000000000000\",\"type\":\"message\","
    "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-6\",\"content\":"
    "[{\"type\":\"text\",\"text\":\"Hello from the bench upstream.\"}],"
    "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":"
    "{\"input_tokens\":12,\"output_tokens\":7,"
    "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}";

static const char ev_start[] =
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":"
    "{\"id\":\"msg_bench0000000000000000000\",\"type\":\"message\","
    "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-6\",\"content\":[],"
    "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":"
    "{\"input_tokens\":12,\"output_tokens\":1,"
    "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}}\n\n"
    "event: content_block_start\ndata: {\"type\":\"content_block_start\","
    "\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: ping\ndata: {\"type\":\"ping\"}\n\n";

static const char ev_delta[] =
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
    "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello \"}}\n\n";

static const char ev_end[] =
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\","
    "\"index\":0}\n\n"
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
    "{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":"
    "{\"input_tokens\":12,\"output_tokens\":7,"
    "\"cache_read_input_tokens\":0,\"cache_creation_input_tokens\":0}}\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

/* Reads the request body to EOF into *buf (grown as needed; the caller
 * keeps it for the next request).  Returns its length. */
static size_t
read_body(FCGX_Stream *in, char **buf, size_t *cap)
{
    size_t len = 0;
    int n;

    for (;;) {
        if (*cap - len < 16384) {
            size_t ncap = *cap ? *cap * 2 : 65536;
            char *p = realloc(*buf, ncap);

            if (p == NULL)
                return len;
            *buf = p;
            *cap = ncap;
        }
        n = FCGX_GetStr(*buf + len, (int)(*cap - len - 1), in);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    (*buf)[len] = '\0';
    return len;
}

static void
answer_stream(FCGX_Request *r, const struct bench_pace *pc)
{
    int k;

    FCGX_PutS("Status: 200 OK\r\nContent-Type: text/event-stream\r\n"
              "Cache-Control: no-cache\r\n\r\n",
              r->out);
    if (!pc->on) {
        FCGX_PutStr(ev_start, sizeof(ev_start) - 1, r->out);
        for (k = 0; k < 3; k++)
            FCGX_PutStr(ev_delta, sizeof(ev_delta) - 1, r->out);
        FCGX_PutStr(ev_end, sizeof(ev_end) - 1, r->out);
        return;
    }
    bench_sleep_ms(pc->first_ms);
    FCGX_PutStr(ev_start, sizeof(ev_start) - 1, r->out);
    FCGX_FFlush(r->out);
    for (k = 0; k < pc->n; k++) {
        bench_sleep_ms(pc->interval_ms);
        FCGX_PutStr(ev_delta, sizeof(ev_delta) - 1, r->out);
        if (FCGX_FFlush(r->out) < 0 || FCGX_GetError(r->out) != 0)
            return;
    }
    FCGX_PutStr(ev_end, sizeof(ev_end) - 1, r->out);
}

static void *
worker(void *arg)
{
    FCGX_Request r;
    char *buf = NULL;
    size_t cap = 0, n;
    struct bench_pace pc;

    (void)arg;
    FCGX_InitRequest(&r, 0, 0);
    while (FCGX_Accept_r(&r) >= 0) {
        n = read_body(r.in, &buf, &cap);
        bench_pace_parse(buf, n, &pc);
        if (bench_is_stream(buf, n)) {
            answer_stream(&r, &pc);
        } else {
            FCGX_PutS("Status: 200 OK\r\nContent-Type: application/json\r\n"
                      "\r\n",
                      r.out);
            FCGX_PutStr(answer, sizeof(answer) - 1, r.out);
        }
        FCGX_Finish_r(&r);
        /* Keep a small buffer for the next request; give a big one back,
         * so the baseline's memory is the responder's own, not the
         * largest body it ever saw. */
        if (cap > 65536) {
            free(buf);
            buf = NULL;
            cap = 0;
        }
    }
    free(buf);
    return NULL;
}

int
main(void)
{
    const char *e = getenv("THREADS");
    int n = e != NULL ? atoi(e) : 4, k;
    pthread_t *t;

    if (n < 1 || n > 1024)
        n = 4;
    if (FCGX_Init() != 0)
        return 1;
    t = calloc((size_t)n, sizeof(*t));
    if (t == NULL)
        return 1;
    for (k = 1; k < n; k++)
        pthread_create(&t[k], NULL, worker, NULL);
    worker(NULL);
    return 0;
}
