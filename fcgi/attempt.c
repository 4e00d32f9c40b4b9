/*
 * attempt.c: one attempt at one provider (attempt.h).
 *
 * The status is decided before any byte goes out: an upstream error
 * status, an unreachable upstream or an in-band error before the first
 * event are handed back to messages.c; anything after the first event
 * becomes an `event: error` and the end of the stream.
 *
 * Timeouts: CONNECT_TIMEOUT (curl), REQUEST_TIMEOUT (curl, whole
 * transfer), IDLE_TIMEOUT (upstream silence, measured in the progress
 * callback, which libcurl calls about once a second).  The same callback
 * sends a ping after PING_INTERVAL seconds without a write to the
 * client, which keeps web server timeouts away, except while a later
 * target could still answer instead (call->hold_pings) and the upstream
 * has sent nothing yet: a ping commits the status.  A client that left
 * while the upstream is silent is noticed there too: by the web server
 * closing the FastCGI connection (srv_respond_gone), else by the ping's
 * failing write.
 *
 * The upstream status and Retry-After are read with curl's own API
 * (CURLINFO_RESPONSE_CODE, curl_easy_header).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "attempt.h"
#include "clock.h"
#include "log.h"
#include "respond.h"

/* cap on a non-2xx upstream body kept for its message */
#define ERRBODY_MAX 65536

/* The Anthropic version sent to a native upstream when the client sent
 * none (Claude Code always sends one). */
#define ANTHROPIC_VERSION "2023-06-01"

/* One upstream transfer. */
/* Seconds between two looks for a client that left, during a transfer. */
#define GONE_POLL 0.1

struct xfer {
    struct srv_x *x;
    const struct srv_call *call;
    CURL *curl;
    void *st;            /* stream converter: stream requests only */
    struct a2o_buf body; /* whole answer, or an error status's body */
    struct a2o_buf out;  /* converted events waiting to be written */
    long status;         /* upstream status, 0 until the headers came */
    int got_body;        /* a 2xx body byte came */
    double last_in;      /* last upstream byte (or start) */
    double last_out;     /* last write to the client (or start) */
    double next_poll;    /* when to look for a client that left */
    int aborted;         /* we stopped the transfer: err says why */
    enum a2o_err err;
    struct a2o_diag d;
};

static int
ok_status(long s)
{
    return s >= 200 && s < 300;
}

/* Statuses that another try may not repeat: timeouts, rate limits,
 * overload, the upstream's own failures. */
static int
retry_status(long s)
{
    return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 ||
           s == 504 || s == 529;
}

/* Our errors that stand for such an upstream failure (not our own OOM or
 * configuration). */
static int
retry_err(enum a2o_err e)
{
    return e == A2O_E_RATELIMIT || e == A2O_E_UPSTREAM ||
           e == A2O_E_BADGATEWAY || e == A2O_E_TIMEOUT || e == A2O_E_OVERLOADED;
}

static long
status_of(struct xfer *xf)
{
    long s = 0;

    if (xf->status == 0 &&
        curl_easy_getinfo(xf->curl, CURLINFO_RESPONSE_CODE, &s) == CURLE_OK)
        xf->status = s;
    return xf->status;
}

/* Writes xf->out to the client, the SSE headers first when nothing was
 * sent yet.  -1 when the client is gone. */
static int
send_events(struct xfer *xf)
{
    struct srv_x *x = xf->x;

    if (xf->out.len == 0)
        return 0;
    if (x->status == 0 && srv_respond_head(x, 200, "text/event-stream",
                                           "Cache-Control: no-cache\r\n"
                                           "X-Accel-Buffering: no\r\n") < 0)
        return -1;
    if (srv_respond_write(x, xf->out.p, xf->out.len) < 0 ||
        srv_respond_flush(x) < 0)
        return -1;
    xf->last_out = srv_clock_now();
    a2o_buf_reset(&xf->out);
    return 0;
}

static void
stop(struct xfer *xf, enum a2o_err err, const struct a2o_diag *d)
{
    xf->aborted = 1;
    xf->err = err;
    if (d != NULL)
        xf->d = *d;
}

/* Body bytes: collected (whole answer, error body) or converted and sent
 * at once (stream).  Returning less than given aborts the transfer. */
static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
    struct xfer *xf = arg;
    size_t len = sz * n;
    struct a2o_diag d;
    enum a2o_err err;

    xf->last_in = srv_clock_now();
    if (!ok_status(status_of(xf))) {
        size_t room = ERRBODY_MAX - xf->body.len;

        if (a2o_buf_add(&xf->body, p, len < room ? len : room) != A2O_E_OK) {
            stop(xf, A2O_E_NOMEM, NULL);
            return 0;
        }
        return len;
    }
    xf->got_body = 1;
    if (xf->st == NULL) {
        err = a2o_buf_add(&xf->body, p, len);
        if (err == A2O_E_TOOBIG) {
            a2o_diag_set(&d, A2O_E_BADGATEWAY, NULL,
                         "upstream answer exceeds MAX_RESPONSE_BYTES");
            stop(xf, A2O_E_BADGATEWAY, &d);
            return 0;
        }
        if (err != A2O_E_OK) {
            stop(xf, err, NULL);
            return 0;
        }
        return len;
    }
    a2o_diag_clear(&d);
    err = xf->call->dl->feed(xf->st, p, len, &xf->out, &d);
    if (send_events(xf) < 0) {
        stop(xf, A2O_E_OK, NULL);
        return 0;
    }
    if (err != A2O_E_OK) {
        /* before the first event: handed back; after: the error event
         * is already out and the stream has ended */
        stop(xf, err, &d);
        return 0;
    }
    return len;
}

/*
 * Called by curl at least once a second, and on every read or write:
 * idle timeout, pings, a client that left.  The client is looked for at
 * most every GONE_POLL s: a poll(2) on each call cost a 2 KB request
 * a dozen system calls, and a tenth of a second is soon enough to stop
 * the upstream.
 */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
            curl_off_t ulnow)
{
    struct xfer *xf = arg;
    const struct a2o_conf *c = xf->x->conf;
    double now = srv_clock_now();
    struct a2o_diag d;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    if (now >= xf->next_poll) {
        xf->next_poll = now + GONE_POLL;
        if (srv_respond_gone(xf->x, 0))
            return 1;
    }
    if (c->idle_timeout > 0 && now - xf->last_in >= (double)c->idle_timeout) {
        a2o_diag_set(&d, A2O_E_TIMEOUT, NULL,
                     "no data from the upstream for %ld s (IDLE_TIMEOUT)",
                     c->idle_timeout);
        stop(xf, A2O_E_TIMEOUT, &d);
        return 1;
    }
    if (xf->st == NULL || !ok_status(status_of(xf)) ||
        (xf->call->hold_pings && !xf->got_body) || c->ping_interval <= 0 ||
        now - xf->last_out < (double)c->ping_interval)
        return 0;
    if (xf->call->dl->ping(xf->st, &xf->out) != A2O_E_OK ||
        send_events(xf) < 0) {
        stop(xf, A2O_E_OK, NULL);
        return 1;
    }
    xf->last_out = now;
    /* Apache fails the 2nd write to a client that left and closes at
     * once: a moment's wait here saves a second of the upstream */
    return srv_respond_gone(xf->x, 50);
}

/* A value fit for a header line: printable, no spaces, not too long. */
static int
header_safe(const char *v, size_t max)
{
    size_t i;

    for (i = 0; v[i] != '\0'; i++)
        if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
            return 0;
    return i > 0 && i <= max;
}

/* The client's key when no key is configured: x-api-key, else Bearer.
 * NULL with PROXY_API_KEY set (sending that upstream would leak it). */
static const char *
client_key(const struct srv_x *x)
{
    const char *k;

    if (x->conf->proxy_api_key != NULL)
        return NULL;
    k = x->io->ops->param(x->io, "HTTP_X_API_KEY");
    if (k != NULL && k[0] != '\0')
        return k;
    return srv_io_bearer(x->io);
}

/*
 * The header lines of one call, built without an allocation: curl reads
 * CURLOPT_HTTPHEADER as a plain linked list, so the nodes and the lines
 * live here, for the length of the call.  The User-Agent goes in this
 * list rather than CURLOPT_USERAGENT, which curl formats twice (it
 * formats every byte of a header through a byte-wise printf, the
 * largest part of its time per call).
 */
#define KEY_MAX 4096
#define BETA_MAX 1023

struct hdrs {
    struct curl_slist n[8];
    int len;
    size_t used;
    /* room for the lines below with both keys and the longest beta */
    char text[2 * KEY_MAX + BETA_MAX + 512];
};

/* Adds the line name + v (both fit: see text and the callers' bounds). */
static void
hdr_put(struct hdrs *h, const char *name, const char *v)
{
    size_t a = strlen(name), b = strlen(v);
    char *line = h->text + h->used;

    memcpy(line, name, a);
    memcpy(line + a, v, b + 1);
    h->used += a + b + 1;
    h->n[h->len].data = line;
    h->n[h->len].next = NULL;
    if (h->len > 0)
        h->n[h->len - 1].next = &h->n[h->len];
    h->len++;
}

/* Content type, key, Anthropic's version and betas for a native
 * upstream.  hdr_wipe clears the keys after the call. */
static void
headers(struct xfer *xf, struct hdrs *h)
{
    const struct srv_call *call = xf->call;
    struct srv_x *x = xf->x;
    const char *k =
        call->rt->api_key != NULL ? call->rt->api_key : client_key(x);
    const char *v;

    h->len = 0;
    h->used = 0;
    hdr_put(h, "Content-Type: application/json", "");
    hdr_put(h, "Accept: ",
            call->meta->stream ? "text/event-stream" : "application/json");
    hdr_put(h, "Expect:", ""); /* no 100-continue round trip */
    hdr_put(h, "User-Agent: ", SRV_NAME "/" SRV_VERSION);
    if (k != NULL && header_safe(k, KEY_MAX)) {
        hdr_put(h, "Authorization: Bearer ", k);
        if (call->dl->anthropic)
            hdr_put(h, "x-api-key: ", k);
    }
    if (call->dl->anthropic) {
        v = x->io->ops->param(x->io, "HTTP_ANTHROPIC_VERSION");
        hdr_put(h, "anthropic-version: ",
                v != NULL && header_safe(v, 64) ? v : ANTHROPIC_VERSION);
        v = x->io->ops->param(x->io, "HTTP_ANTHROPIC_BETA");
        if (call->rt->beta_pass && v != NULL && v[0] != '\0' &&
            strlen(v) <= BETA_MAX && strpbrk(v, "\r\n") == NULL)
            hdr_put(h, "anthropic-beta: ", v);
    }
}

/* No key stays on the stack after the call. */
static void
hdr_wipe(struct hdrs *h)
{
    memset(h->text, 0, h->used);
}

/*
 * The worker's curl handle, with the options every call shares set once:
 * curl keeps options (and its connection cache) from one transfer to
 * the next, and every call sets again all that is its own (call_setup),
 * so no curl_easy_reset between calls.  NULL when curl has no memory.
 */
static CURL *
handle(struct srv_worker *w)
{
    const struct a2o_conf *conf = w->conf;
    CURL *c = w->curl;

    if (c != NULL)
        return c;
    c = curl_easy_init();
    if (c == NULL)
        return NULL;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, conf->connect_timeout);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, conf->request_timeout);
    /* 16 KiB each way (the upload buffer is 64 KiB by default): a pool
     * with 256 open streams holds 256 of each */
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 16384L);
#if LIBCURL_VERSION_NUM >= 0x073e00
    curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
#endif
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 15L);
    /* The upstream comes from the configuration only: no proxy taken from
     * the environment (in CGI mode that holds client headers, httpoxy),
     * no redirects, no other protocols. */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS,
                     (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    w->curl = c;
    return c;
}

/*
 * The URL of the call.  From CURLOPT_URL alone curl parses the text at
 * every transfer and prints the parsed URL back out through its own
 * printf, a byte at a time: about 12k instructions, a sixth of curl's
 * share of a 2 KB request.  Given the parsed form too (CURLOPT_CURLU,
 * which curl takes over the text), it copies that instead; the text
 * stays what curl reports as the URL.  The worker keeps the parsed
 * form while calls go to the same URL and parses again when one goes
 * elsewhere; what cannot be parsed here is left to curl, which then
 * fails the call as it would have.
 */
static void
set_url(struct srv_worker *w, CURL *c, const char *url)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x073f00
    if (w->url_text != NULL && strcmp(w->url_text, url) == 0)
        return; /* CURLOPT_CURLU still holds it */
    free(w->url_text);
    w->url_text = NULL;
    if (w->url == NULL)
        w->url = curl_url();
    if (w->url != NULL &&
        curl_url_set(w->url, CURLUPART_URL, url,
                     CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) ==
            CURLUE_OK)
        w->url_text = strdup(url);
    curl_easy_setopt(c, CURLOPT_CURLU, w->url_text != NULL ? w->url : NULL);
#else
    (void)w;
#endif
}

void
srv_attempt_worker_end(struct srv_worker *w)
{
    if (w->curl != NULL)
        curl_easy_cleanup(w->curl);
#if LIBCURL_VERSION_NUM >= 0x073f00
    if (w->url != NULL)
        curl_url_cleanup(w->url);
#endif
    free(w->url_text);
    w->curl = NULL;
    w->url = NULL;
    w->url_text = NULL;
}

/* What is the call's own: all of it set for every call, and the pointers
 * into the call cleared after it (call_done). */
static void
call_setup(CURL *c, struct xfer *xf, const char *url, struct hdrs *h)
{
    set_url(xf->x->w, c, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, xf->call->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)xf->call->n);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, &h->n[0]);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, xf);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, xf);
}

static void
call_done(CURL *c)
{
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, NULL);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, NULL);
}

/* retry-after of the answer: passed on as a header line, and in seconds
 * when it is a number (an HTTP date is passed on only). */
static void
retry_after(struct xfer *xf, struct srv_attempt *a)
{
#if LIBCURL_VERSION_NUM >= 0x075300
    struct curl_header *h = NULL;
    char *end;
    long v;

    if (curl_easy_header(xf->curl, "retry-after", 0, CURLH_HEADER, -1, &h) !=
            CURLHE_OK ||
        h == NULL || h->value == NULL || strlen(h->value) > 64 ||
        !header_safe(h->value, 64))
        return;
    snprintf(a->retry_after, sizeof(a->retry_after), "retry-after: %s\r\n",
             h->value);
    v = strtol(h->value, &end, 10);
    if (*end == '\0' && v >= 0)
        a->retry_secs = v;
#else
    (void)xf;
    (void)a;
#endif
}

/* A curl failure: what to tell the client, and a word for the log. */
static enum a2o_err
from_curl(CURLcode rc, struct a2o_diag *d, char *why, size_t whysz)
{
    const char *w = "transfer";
    enum a2o_err err;

    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        w = "timeout";
        err = a2o_diag_set(d, A2O_E_TIMEOUT, NULL, "upstream timed out");
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        w = rc == CURLE_COULDNT_CONNECT ? "connect" : "dns";
        err = a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                           "upstream unreachable: %s", curl_easy_strerror(rc));
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
        w = "tls";
        err = a2o_diag_set(d, A2O_E_BADGATEWAY, NULL, "upstream TLS failed: %s",
                           curl_easy_strerror(rc));
        break;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
        w = "reset";
        err = a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                           "the upstream closed the connection early");
        break;
    case CURLE_OUT_OF_MEMORY:
        return A2O_E_NOMEM;
    default:
        err = a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                           "upstream transfer failed: %s",
                           curl_easy_strerror(rc));
        break;
    }
    snprintf(why, whysz, "%s", w);
    return err;
}

/* A whole 2xx answer to the client. */
static enum a2o_err
answer_whole(struct xfer *xf)
{
    struct srv_x *x = xf->x;
    struct a2o_resp_opts ro;
    enum a2o_err err;
    char *out = NULL, msg_id[32];
    size_t outn = 0;

    memset(&ro, 0, sizeof(ro));
    srv_clock_id("msg_", msg_id, sizeof(msg_id));
    ro.meta = xf->call->meta;
    ro.req = xf->call->req;
    ro.profile = &xf->call->rt->profile;
    ro.msg_id = msg_id;
    ro.upstream = xf->call->rt->base_url;
    ro.seed = srv_clock_seed();
    err =
        xf->call->dl->whole(xf->body.p != NULL ? xf->body.p : "", xf->body.len,
                            &ro, &out, &outn, &x->usage, &xf->d);
    if (err == A2O_E_OK && out == NULL)
        srv_respond_body(x, 200, "application/json", NULL, xf->body.p,
                         xf->body.len);
    else if (err == A2O_E_OK)
        srv_respond_body(x, 200, "application/json", NULL, out, outn);
    cJSON_free(out);
    return err;
}

/* After the transfer: the answer, or the failure, classified. */
static void
finish(struct xfer *xf, CURLcode rc, struct srv_attempt *a)
{
    struct srv_x *x = xf->x;
    const struct srv_dialect *dl = xf->call->dl;
    enum a2o_err err = A2O_E_OK;
    long status = status_of(xf);

    x->upstream_status = status;
    a->status = status;
    a->outcome = SRV_ANSWERED;
    if (x->write_failed) {
        snprintf(x->error, sizeof(x->error), "client_gone");
        return;
    }
    if (xf->aborted) {
        err = xf->err;
        if (err == A2O_E_TIMEOUT)
            snprintf(a->why, sizeof(a->why), "idle");
    } else if (rc != CURLE_OK) {
        err = from_curl(rc, &xf->d, a->why, sizeof(a->why));
    } else if (!ok_status(status)) {
        err = a2o_err_from_status(status);
        if (err == A2O_E_OK)
            err = A2O_E_BADGATEWAY;
        a2o_resp_error_message(xf->body.p != NULL ? xf->body.p : "",
                               xf->body.len, status, &xf->d);
        snprintf(a->why, sizeof(a->why), "%ld", status);
        retry_after(xf, a);
    } else if (xf->st != NULL) {
        err = dl->finish(xf->st, &xf->out, &xf->d);
        if (err == A2O_E_OK || dl->started(xf->st))
            send_events(xf);
    } else {
        err = answer_whole(xf);
    }
    if (xf->st != NULL)
        dl->usage(xf->st, &x->usage);
    if (err == A2O_E_OK)
        return;
    if (x->status != 0) {
        /* the status is out: the failure travels in-band */
        srv_log_set_error(x, err, &xf->d);
        if (xf->st != NULL) {
            a2o_buf_reset(&xf->out);
            dl->fail(xf->st, err, &xf->d, &xf->out);
            send_events(xf);
        }
        return;
    }
    a->err = err;
    a->d = xf->d;
    if (a->why[0] == '\0')
        snprintf(a->why, sizeof(a->why), "%s", a2o_err_name(err));
    if (ok_status(status) || status == 0)
        a->outcome = retry_err(err) ? SRV_RETRYABLE : SRV_FINAL;
    else
        a->outcome = retry_status(status) ? SRV_RETRYABLE : SRV_FINAL;
}

void
srv_attempt_run(struct srv_x *x, const struct srv_call *call,
                struct srv_attempt *a)
{
    struct xfer xf;
    struct a2o_stream_opts so;
    struct hdrs hdrs;
    char *url = NULL, msg_id[32];
    size_t ulen;
    CURLcode rc;

    memset(a, 0, sizeof(*a));
    a->retry_secs = -1;
    a->outcome = SRV_FINAL;
    a->err = A2O_E_NOMEM;
    memset(&xf, 0, sizeof(xf));
    xf.x = x;
    xf.call = call;
    a2o_buf_init(&xf.body, x->conf->max_response);
    a2o_buf_init(&xf.out, x->conf->max_response);
    if (call->meta->stream) {
        /* per-event allocations of a long stream must not pile up */
        srv_arena_pause();
        memset(&so, 0, sizeof(so));
        srv_clock_id("msg_", msg_id, sizeof(msg_id));
        so.meta = call->meta;
        so.profile = &call->rt->profile;
        so.msg_id = msg_id;
        so.upstream = call->rt->base_url;
        so.seed = srv_clock_seed();
        so.max_line = x->conf->max_sse_line;
        so.max_block = x->conf->max_response;
        xf.st = call->dl->stream_new(&so);
        if (xf.st == NULL)
            goto out;
    }
    ulen = strlen(call->rt->base_url) + strlen(call->dl->path) + 1;
    url = malloc(ulen);
    xf.curl = handle(x->w);
    if (url == NULL || xf.curl == NULL)
        goto out;
    snprintf(url, ulen, "%s%s", call->rt->base_url, call->dl->path);
    headers(&xf, &hdrs);
    call_setup(xf.curl, &xf, url, &hdrs);
    xf.last_in = xf.last_out = srv_clock_now();
    xf.next_poll = xf.last_in + GONE_POLL;
    rc = curl_easy_perform(xf.curl);
    finish(&xf, rc, a);
    /* nothing of this request may stay on the handle */
    call_done(xf.curl);
    hdr_wipe(&hdrs);
out:
    free(url);
    if (xf.st != NULL)
        call->dl->free(xf.st);
    a2o_buf_free(&xf.body);
    a2o_buf_free(&xf.out);
}
