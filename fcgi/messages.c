/*
 * messages.c: the client's messages, to whichever target answers
 * (messages.h).
 *
 * The plan (common/route.h) lists the targets of the matching ROUTES
 * rule in order.  Each target gets its own conversion (its provider may
 * speak another dialect) and one attempt (attempt.c); while no byte has
 * reached the client:
 *  - a 429, 503 or 529 whose retry-after is at most RETRY_MAX_WAIT is
 *    tried again on the same target after that wait, RETRIES times;
 *  - any other retryable failure (connection refused or reset, DNS, TLS,
 *    timeouts, no byte within IDLE_TIMEOUT, 408, 500, 502, 504) goes to
 *    the next target, and the failed one cools down for COOLDOWN seconds
 *    in this process: it is tried after the others until then;
 *  - every other status (400, 401, 403, 404, 413, 422) goes back to the
 *    client as it is.
 * When every target failed, the client gets the last failure with its
 * retry-after.  A failure after the first byte is an `event: error`
 * (attempt.c): no fallback.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../common/json.h"
#include "../common/route.h"
#include "../common/tokens.h"
#include "arena.h"
#include "attempt.h"
#include "clock.h"
#include "log.h"
#include "messages.h"
#include "respond.h"

/* Until when each target of each rule is cooling down (monotonic). */
static pthread_mutex_t cool_lock = PTHREAD_MUTEX_INITIALIZER;
static double cool_until[A2O_RULES_MAX][A2O_TARGETS_MAX];

static int
cooling(int rule, size_t k, double now)
{
    int c;

    if (rule < 0)
        return 0;
    pthread_mutex_lock(&cool_lock);
    c = cool_until[rule][k] > now;
    pthread_mutex_unlock(&cool_lock);
    return c;
}

static void
cool(const struct srv_x *x, int rule, size_t k)
{
    if (rule < 0 || x->conf->cooldown <= 0)
        return;
    pthread_mutex_lock(&cool_lock);
    cool_until[rule][k] = srv_clock_now() + (double)x->conf->cooldown;
    pthread_mutex_unlock(&cool_lock);
}

/* The order to try the plan's targets in: those not cooling down first
 * (in rule order), then the cooling ones (in rule order). */
static size_t
order(const struct a2o_plan *pl, size_t *ord)
{
    double now = srv_clock_now();
    size_t i, n = 0;
    int pass;

    for (pass = 0; pass < 2; pass++)
        for (i = 0; i < pl->n; i++)
            if (cooling(pl->rule, i, now) == pass)
                ord[n++] = i;
    return n;
}

/* s at out[at], cut to outsz - 1 bytes in all (snprintf's "%s" without
 * the format parse, a few per request); the new length. */
static size_t
put_cut(char *out, size_t outsz, size_t at, const char *s)
{
    size_t n = strlen(s);

    if (at >= outsz)
        return at;
    if (n > outsz - 1 - at)
        n = outsz - 1 - at;
    memcpy(out + at, s, n);
    out[at + n] = '\0';
    return at + n;
}

/* "a:b" into out for a header line and the log: printable ASCII, no
 * spaces; anything else becomes '?'. */
static void
header_copy(char *out, size_t outsz, const char *a, const char *b)
{
    size_t n;

    n = put_cut(out, outsz, 0, a);
    n = put_cut(out, outsz, n, ":");
    put_cut(out, outsz, n, b != NULL ? b : "");
    for (n = 0; out[n] != '\0'; n++)
        if ((unsigned char)out[n] <= 0x20 || (unsigned char)out[n] >= 0x7f)
            out[n] = '?';
}

/* Appends "provider:why" to the failover list of the log line. */
static void
note_failover(struct srv_x *x, const char *provider, const char *why)
{
    size_t n = strlen(x->failover);

    if (n + 2 < sizeof(x->failover))
        snprintf(x->failover + n, sizeof(x->failover) - n, "%s%s:%s",
                 n > 0 ? "," : "", provider, why);
}

/* Sleeps s seconds unless the client leaves; 0, or -1 when it left. */
static int
wait_out(struct srv_x *x, long s)
{
    double end = srv_clock_now() + (double)s;

    while (srv_clock_now() < end) {
        if (srv_respond_gone(x, 0))
            return -1;
        srv_clock_sleep(0.1);
    }
    return 0;
}

/* When no answer counted the input (a2o_reqmeta.input_estimate stays -1
 * until needed), the log's in= is the local estimate. */
static void
late_estimate(struct srv_x *x, const cJSON *req)
{
    if (x->usage.input_tokens < 0)
        x->usage.input_tokens = a2o_tokens_request(req);
}

/* The log and header facts of the target about to be tried. */
static void
describe(struct srv_x *x, const struct a2o_route *rt,
         const struct a2o_reqmeta *meta)
{
    put_cut(x->client_model, sizeof(x->client_model), 0,
            meta->client_model != NULL ? meta->client_model : "");
    put_cut(x->upstream_model, sizeof(x->upstream_model), 0,
            rt->model != NULL ? rt->model : "");
    header_copy(x->upstream, sizeof(x->upstream), rt->provider, rt->model);
    x->stream = meta->stream;
    x->usage.input_tokens = meta->input_estimate;
    x->usage.estimated = 1;
}

/* A call and what it owns: the converted body and its meta. */
struct job {
    struct srv_call call;
    char *body;
    struct a2o_reqmeta *meta;
};

/*
 * The job for rt in dialect dl: the client's request converted.  A
 * conversion error is answered here: it is the client's request, no
 * other target would take it either.  0, or -1 when answered.
 */
static int
prepare(struct srv_x *x, const cJSON *req, const struct a2o_route *rt,
        const struct srv_dialect *dl, struct job *j)
{
    struct a2o_diag d;
    /* the converted body is about the client's size: room for that and
     * a little more, so that it is written once */
    size_t n = x->in_len + x->in_len / 8 + 1024;
    enum a2o_err err;

    memset(j, 0, sizeof(*j));
    err = dl->request(req, rt, &j->body, &n, &j->meta, &d);
    if (err != A2O_E_OK) {
        srv_respond_error(x, err, &d, NULL);
        return -1;
    }
    j->call.rt = rt;
    j->call.dl = dl;
    j->call.body = j->body;
    j->call.n = n;
    j->call.meta = j->meta;
    j->call.req = req;
    return 0;
}

/* Frees what prepare() made. */
static void
release(struct job *j)
{
    cJSON_free(j->body);
    a2o_reqmeta_free(j->meta);
}

/*
 * One target: its conversion, then attempts while the failure may be
 * waited out.  Returns 1 when the client has its answer (or an error
 * that no other target could change), 0 to go on with the next target;
 * *last holds the last failure.
 */
static int
try_target(struct srv_x *x, const cJSON *req, struct a2o_route *rt, int later,
           struct srv_attempt *last)
{
    const struct srv_dialect *dl = srv_dialect_of(rt->api);
    struct job j;
    int retries = x->conf->retries, done = 1;

    if (dl == NULL) { /* main.c refuses such a configuration */
        srv_respond_error(x, A2O_E_CONF, NULL, NULL);
        return 1;
    }
    if (prepare(x, req, rt, dl, &j) < 0)
        return 1;
    describe(x, rt, j.meta);
    j.call.hold_pings = later;
    for (;;) {
        x->attempts++;
        srv_attempt_run(x, &j.call, last);
        if (last->outcome == SRV_ANSWERED)
            break;
        if (last->outcome == SRV_FINAL) {
            srv_respond_error(x, last->err, &last->d, last->retry_after);
            break;
        }
        note_failover(x, rt->provider, last->why);
        if ((last->status == 429 || last->status == 503 ||
             last->status == 529) &&
            retries > 0 && last->retry_secs >= 0 &&
            last->retry_secs <= x->conf->retry_max_wait) {
            retries--;
            if (wait_out(x, last->retry_secs) < 0)
                break; /* the client left while we waited */
            continue;
        }
        done = 0;
        break;
    }
    release(&j);
    return done;
}

void
srv_messages(struct srv_x *x, const char *body, size_t n)
{
    struct srv_attempt last;
    struct a2o_plan plan;
    struct a2o_diag d;
    cJSON *req = NULL;
    const char *sid;
    size_t ord[A2O_TARGETS_MAX], no, i;
    enum a2o_err err;
    int held = srv_arena_holds(); /* the tree goes with the arena */

    x->in_len = n;
    a2o_diag_clear(&d);
    err = a2o_json_parse(body, n, &req, &d);
    if (err != A2O_E_OK) {
        srv_respond_error(x, err, &d, NULL);
        cJSON_Delete(req);
        return;
    }
    a2o_route_plan(x->conf, req, &plan);
    if (plan.rule >= 0)
        snprintf(x->rule, sizeof(x->rule), "%s",
                 x->conf->rules[plan.rule].text);
    sid = x->io->ops->param(x->io, "HTTP_X_CLAUDE_CODE_SESSION_ID");
    if (sid != NULL && (sid[0] == '\0' || strlen(sid) > 128))
        sid = NULL;
    memset(&last, 0, sizeof(last));
    no = order(&plan, ord);
    for (i = 0; i < no; i++) {
        struct a2o_route *rt = &plan.t[ord[i]];

        rt->session_id = sid;
        if (try_target(x, req, rt, i + 1 < no, &last))
            break;
        cool(x, plan.rule, ord[i]);
    }
    if (i == no) /* every target failed: the last failure */
        srv_respond_error(x, last.err, &last.d, last.retry_after);
    late_estimate(x, req);
    if (!held)
        cJSON_Delete(req);
}

/* The local estimate as count_tokens' answer. */
static void
count_local(struct srv_x *x, const cJSON *req)
{
    struct a2o_diag d;
    enum a2o_err err;
    long tokens = 0;
    char out[64];
    size_t n;

    a2o_diag_clear(&d);
    err = a2o_tokens_count(req, &tokens, &d);
    if (err != A2O_E_OK) {
        srv_respond_error(x, err, &d, NULL);
        return;
    }
    x->usage.input_tokens = tokens;
    x->usage.estimated = 1;
    n = (size_t)snprintf(out, sizeof(out), "{\"input_tokens\":%ld}", tokens);
    srv_respond_body(x, 200, "application/json", NULL, out, n);
}

/*
 * count_tokens goes to the first target when that speaks Anthropic's
 * API ({base}/v1/messages/count_tokens); an upstream without it (404,
 * 405) gets the local estimate, as does every other provider.
 * Returns 1 when the client has its answer.
 */
static int
count_upstream(struct srv_x *x, const cJSON *req, struct a2o_route *rt)
{
    struct srv_attempt a;
    struct job j;

    if (prepare(x, req, rt, &srv_dialect_count, &j) < 0)
        return 1;
    j.meta->stream = 0; /* always a whole answer */
    describe(x, rt, j.meta);
    x->attempts++;
    srv_attempt_run(x, &j.call, &a);
    release(&j);
    if (a.outcome == SRV_ANSWERED)
        return 1;
    if (a.status == 404 || a.status == 405) {
        /* answered here after all: no upstream header on it */
        note_failover(x, rt->provider, a.why);
        x->upstream[0] = '\0';
        return 0;
    }
    srv_respond_error(x, a.err, &a.d, a.retry_after);
    return 1;
}

void
srv_messages_count(struct srv_x *x, const char *body, size_t n)
{
    struct a2o_plan plan;
    struct a2o_diag d;
    cJSON *req = NULL;
    enum a2o_err err;
    const char *m;

    x->in_len = n;
    a2o_diag_clear(&d);
    err = a2o_json_parse(body, n, &req, &d);
    if (err != A2O_E_OK) {
        srv_respond_error(x, err, &d, NULL);
        return;
    }
    m = a2o_json_str(req, "model");
    if (m != NULL)
        snprintf(x->client_model, sizeof(x->client_model), "%s", m);
    a2o_route_plan(x->conf, req, &plan);
    if (plan.t[0].api != A2O_API_ANTHROPIC ||
        !count_upstream(x, req, &plan.t[0]))
        count_local(x, req);
    late_estimate(x, req);
    cJSON_Delete(req);
}
