/*
 * upstream.c: POST /v1/messages.  Converts the request (common/req),
 * calls {base_url}/chat/completions with the worker's curl handle, and
 * converts the answer: whole (common/resp) or event by event
 * (common/stream), written to the client as it arrives.
 *
 * The status is decided before any byte goes out: an upstream error
 * status, an unreachable upstream or an in-band error before the first
 * event become an HTTP error; anything after the first event becomes an
 * `event: error` and the end of the stream (PROTOCOL.md §7).
 *
 * Timeouts: CONNECT_TIMEOUT (curl), REQUEST_TIMEOUT (curl, whole
 * transfer), IDLE_TIMEOUT (upstream silence, measured in the progress
 * callback, which libcurl calls about once a second).  The same callback
 * sends a ping after PING_INTERVAL seconds without a write to the client:
 * it keeps web server timeouts away (WEBSERVERS.md).  A client that left
 * while the upstream is silent is noticed there too: by the web server
 * closing the FastCGI connection (srv_respond_gone), else by the ping's
 * failing write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/req.h"
#include "../common/resp.h"
#include "../common/route.h"
#include "../common/stream.h"
#include "srv.h"

/* cap on a non-2xx upstream body kept for its message */
#define ERRBODY_MAX 65536

/* One upstream transfer. */
struct xfer {
    struct srv_x *x;
    struct a2o_reqmeta *meta;
    struct a2o_route rt;
    struct a2o_stream *st; /* stream requests only */
    struct a2o_buf body;   /* whole answer, or an error status's body */
    struct a2o_buf out;    /* converted events waiting to be written */
    long status;           /* upstream status, 0 until its line came */
    int headers_done;      /* the final header block ended */
    char retry_after[96];  /* "retry-after: v\r\n" to copy, or "" */
    double last_in;        /* last upstream byte (or start) */
    double last_out;       /* last write to the client (or 2xx headers) */
    int aborted;           /* we stopped the transfer: err says why */
    enum a2o_err err;
    struct a2o_diag d;
};

static int
ok_status(long s)
{
    return s >= 200 && s < 300;
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
    xf->last_out = srv_main_now();
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

/* Header lines: the status (again after 1xx) and retry-after. */
static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
    struct xfer *xf = arg;
    size_t len = sz * n, i;

    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        const char *sp = memchr(p, ' ', len);

        xf->status = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
        xf->headers_done = 0;
        xf->retry_after[0] = '\0';
    } else if (len <= 2 && (p[0] == '\r' || p[0] == '\n')) {
        if (xf->status >= 200) {
            xf->headers_done = 1;
            xf->last_out = srv_main_now();
        }
    } else if (len > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
        const char *v = p + 12;
        size_t vn = len - 12;

        while (vn > 0 && (*v == ' ' || *v == '\t'))
            v++, vn--;
        while (vn > 0 &&
               (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
            vn--;
        /* copied into our own headers: printable ASCII only, short */
        for (i = 0; i < vn; i++)
            if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
                break;
        if (i == vn && vn > 0 && vn < sizeof(xf->retry_after) - 20)
            snprintf(xf->retry_after, sizeof(xf->retry_after),
                     "retry-after: %.*s\r\n", (int)vn, v);
    }
    return len;
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

    xf->last_in = srv_main_now();
    if (!ok_status(xf->status)) {
        size_t room = ERRBODY_MAX - xf->body.len;

        if (a2o_buf_add(&xf->body, p, len < room ? len : room) != A2O_E_OK) {
            stop(xf, A2O_E_NOMEM, NULL);
            return 0;
        }
        return len;
    }
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
    err = a2o_stream_feed(xf->st, p, len, &xf->out, &d);
    if (send_events(xf) < 0) {
        stop(xf, A2O_E_OK, NULL);
        return 0;
    }
    if (err != A2O_E_OK) {
        /* before the first event: an HTTP error; after: the error event
         * is already out and the stream has ended */
        stop(xf, err, &d);
        return 0;
    }
    return len;
}

/* About once a second: idle timeout, pings, a client that left. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
            curl_off_t ulnow)
{
    struct xfer *xf = arg;
    const struct a2o_conf *c = xf->x->conf;
    double now = srv_main_now();
    struct a2o_diag d;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    if (srv_respond_gone(xf->x, 0))
        return 1;
    if (c->idle_timeout > 0 && now - xf->last_in >= (double)c->idle_timeout) {
        a2o_diag_set(&d, A2O_E_TIMEOUT, NULL,
                     "no data from the upstream for %ld s (IDLE_TIMEOUT)",
                     c->idle_timeout);
        stop(xf, A2O_E_TIMEOUT, &d);
        return 1;
    }
    if (xf->st != NULL && xf->headers_done && ok_status(xf->status) &&
        c->ping_interval > 0 &&
        now - xf->last_out >= (double)c->ping_interval) {
        if (a2o_stream_ping(xf->st, &xf->out) != A2O_E_OK ||
            send_events(xf) < 0) {
            stop(xf, A2O_E_OK, NULL);
            return 1;
        }
        xf->last_out = now;
        /* Apache fails the 2nd write to a client that left and closes
         * at once: a moment's wait here saves a second of the upstream */
        if (srv_respond_gone(xf->x, 50))
            return 1;
    }
    return 0;
}

/* The upstream Authorization header into hdr, or "" for none. */
static void
auth_header(const struct xfer *xf, char *hdr, size_t hdrsz)
{
    const struct srv_x *x = xf->x;
    const char *k = xf->rt.api_key;
    size_t i;

    hdr[0] = '\0';
    if (k == NULL) {
        /* No configured key: pass the client's, unless it is the proxy
         * key (sending that upstream would leak it). */
        if (x->conf->proxy_api_key != NULL)
            return;
        k = srv_request_param(x, "HTTP_X_API_KEY");
        if (k == NULL || k[0] == '\0') {
            k = srv_request_param(x, "HTTP_AUTHORIZATION");
            if (k == NULL || strncasecmp(k, "Bearer ", 7) != 0)
                return;
            for (k += 7; *k == ' ';)
                k++;
        }
    }
    /* a key goes into a header line: no spaces, no control bytes */
    for (i = 0; k[i] != '\0'; i++)
        if ((unsigned char)k[i] <= 0x20 || (unsigned char)k[i] >= 0x7f)
            return;
    if (i == 0 || i + 24 > hdrsz)
        return;
    snprintf(hdr, hdrsz, "Authorization: Bearer %s", k);
}

/* Sets up the worker's curl handle for one call.  NULL on failure. */
static struct curl_slist *
setup(CURL *c, struct xfer *xf, const char *url, const char *body, size_t n)
{
    const struct a2o_conf *conf = xf->x->conf;
    struct curl_slist *h = NULL, *t;
    char auth[4200];
    const char *lines[] = {
        "Content-Type: application/json",
        xf->meta->stream ? "Accept: text/event-stream"
                         : "Accept: application/json",
        "Expect:", /* no 100-continue round trip for large bodies */
    };
    size_t i;

    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        t = curl_slist_append(h, lines[i]);
        if (t == NULL)
            goto fail;
        h = t;
    }
    auth_header(xf, auth, sizeof(auth));
    if (auth[0] != '\0') {
        t = curl_slist_append(h, auth);
        memset(auth, 0, sizeof(auth));
        if (t == NULL)
            goto fail;
        h = t;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_USERAGENT, SRV_NAME "/" SRV_VERSION);
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
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, xf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, xf);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, xf);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    return h;
fail:
    memset(auth, 0, sizeof(auth));
    curl_slist_free_all(h);
    return NULL;
}

/* A curl failure as a client error. */
static enum a2o_err
from_curl(CURLcode rc, struct a2o_diag *d)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return a2o_diag_set(d, A2O_E_TIMEOUT, NULL, "upstream timed out");
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        return a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                            "upstream unreachable: %s", curl_easy_strerror(rc));
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        return a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                            "the upstream closed the connection early");
    case CURLE_OUT_OF_MEMORY:
        return A2O_E_NOMEM;
    default:
        return a2o_diag_set(d, A2O_E_BADGATEWAY, NULL,
                            "upstream transfer failed: %s",
                            curl_easy_strerror(rc));
    }
}

/* After the transfer: the answer, or the error, to the client. */
static void
finish(struct xfer *xf, CURLcode rc)
{
    struct srv_x *x = xf->x;
    struct a2o_resp_opts ro;
    enum a2o_err err = A2O_E_OK;
    char *out = NULL, msg_id[32];
    size_t outn = 0;

    x->upstream_status = xf->status;
    if (x->write_failed) {
        snprintf(x->error, sizeof(x->error), "client_gone");
        return;
    }
    if (xf->aborted)
        err = xf->err;
    else if (rc != CURLE_OK)
        err = from_curl(rc, &xf->d);
    else if (!ok_status(xf->status)) {
        err = a2o_err_from_status(xf->status);
        if (err == A2O_E_OK)
            err = A2O_E_BADGATEWAY;
        a2o_resp_error_message(xf->body.p != NULL ? xf->body.p : "",
                               xf->body.len, xf->status, &xf->d);
    } else if (xf->st != NULL) {
        err = a2o_stream_finish(xf->st, &xf->out, &xf->d);
        if (err == A2O_E_OK || a2o_stream_started(xf->st))
            send_events(xf);
    } else {
        memset(&ro, 0, sizeof(ro));
        srv_main_random_id("msg_", msg_id, sizeof(msg_id));
        ro.meta = xf->meta;
        ro.profile = &xf->rt.profile;
        ro.msg_id = msg_id;
        ro.seed = srv_main_random_seed();
        err = a2o_resp_convert_bytes(xf->body.p != NULL ? xf->body.p : "",
                                     xf->body.len, &ro, &out, &outn, &x->usage,
                                     &xf->d);
        if (err == A2O_E_OK)
            srv_respond_body(x, 200, "application/json", NULL, out, outn);
        cJSON_free(out);
    }
    if (xf->st != NULL)
        a2o_stream_usage(xf->st, &x->usage);
    if (err == A2O_E_OK)
        return;
    if (xf->st != NULL && a2o_stream_started(xf->st)) {
        /* the status is out: the failure travels in-band */
        srv_log_set_error(x, err, &xf->d);
        a2o_buf_reset(&xf->out);
        a2o_stream_fail(xf->st, err, &xf->d, &xf->out);
        send_events(xf);
        return;
    }
    srv_respond_error(x, err, &xf->d, xf->retry_after);
}

/* POST /v1/messages with the client's body. */
void
srv_upstream_messages(struct srv_x *x, const char *body, size_t n)
{
    struct xfer xf;
    struct a2o_stream_opts so;
    struct curl_slist *hdrs = NULL;
    char *up = NULL, *url = NULL;
    size_t upn = 0, ulen;
    char msg_id[32];
    enum a2o_err err;
    CURLcode rc;

    memset(&xf, 0, sizeof(xf));
    xf.x = x;
    a2o_buf_init(&xf.body, x->conf->max_response);
    a2o_buf_init(&xf.out, x->conf->max_response);
    err = a2o_req_convert_bytes(body, n, x->conf, &up, &upn, &xf.meta, &xf.rt,
                                &xf.d);
    if (err != A2O_E_OK) {
        srv_respond_error(x, err, &xf.d, NULL);
        goto out;
    }
    snprintf(x->client_model, sizeof(x->client_model), "%s",
             xf.meta->client_model != NULL ? xf.meta->client_model : "");
    snprintf(x->upstream_model, sizeof(x->upstream_model), "%s",
             xf.rt.model != NULL ? xf.rt.model : "");
    x->stream = xf.meta->stream;
    x->usage.input_tokens = xf.meta->input_estimate;
    x->usage.estimated = 1;

    if (xf.meta->stream) {
        memset(&so, 0, sizeof(so));
        srv_main_random_id("msg_", msg_id, sizeof(msg_id));
        so.meta = xf.meta;
        so.profile = &xf.rt.profile;
        so.msg_id = msg_id;
        so.seed = srv_main_random_seed();
        so.max_line = x->conf->max_sse_line;
        so.max_block = x->conf->max_response;
        xf.st = a2o_stream_new(&so);
        if (xf.st == NULL) {
            srv_respond_error(x, A2O_E_NOMEM, NULL, NULL);
            goto out;
        }
    }
    ulen = strlen(xf.rt.base_url) + sizeof("/chat/completions");
    url = malloc(ulen);
    if (x->w->curl == NULL)
        x->w->curl = curl_easy_init();
    else
        curl_easy_reset(x->w->curl); /* keeps the connection cache */
    if (url != NULL && x->w->curl != NULL) {
        snprintf(url, ulen, "%s/chat/completions", xf.rt.base_url);
        hdrs = setup(x->w->curl, &xf, url, up, upn);
    }
    if (hdrs == NULL) {
        srv_respond_error(x, A2O_E_NOMEM, NULL, NULL);
        goto out;
    }
    xf.last_in = xf.last_out = srv_main_now();
    rc = curl_easy_perform(x->w->curl);
    finish(&xf, rc);
    /* nothing of this request may stay on the handle */
    curl_easy_setopt(x->w->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
out:
    free(url);
    cJSON_free(up);
    if (xf.st != NULL)
        a2o_stream_free(xf.st);
    if (xf.meta != NULL)
        a2o_reqmeta_free(xf.meta);
    a2o_buf_free(&xf.body);
    a2o_buf_free(&xf.out);
}
