/*
 * evcheck.c: the Anthropic event-sequence checker (see evcheck.h).
 */
#include "evcheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 3, 4))) static int
fail(char *msg, size_t msgsz, const char *fmt, ...)
{
    va_list ap;

    if (msg != NULL && msgsz > 0) {
        va_start(ap, fmt);
        vsnprintf(msg, msgsz, fmt, ap);
        va_end(ap);
    }
    return 1;
}

void
ev_free(struct ev_frame *v, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        free(v[i].name);
        cJSON_Delete(v[i].data);
    }
    free(v);
}

int
ev_parse(const char *p, size_t n, struct ev_frame **out, size_t *count,
         char *msg, size_t msgsz)
{
    struct ev_frame *v = NULL;
    size_t nv = 0, i = 0;

    while (i < n) {
        const char *nl, *name, *data;
        size_t namen, datan;
        struct ev_frame *nvp;

        if (n - i < 7 || memcmp(p + i, "event: ", 7) != 0) {
            ev_free(v, nv);
            return fail(msg, msgsz,
                        "frame %zu: does not start with "
                        "\"event: \" (byte %zu)",
                        nv, i);
        }
        name = p + i + 7;
        nl = memchr(name, '\n', n - (size_t)(name - p));
        if (nl == NULL || nl == name) {
            ev_free(v, nv);
            return fail(msg, msgsz, "frame %zu: bad event line", nv);
        }
        namen = (size_t)(nl - name);
        data = nl + 1;
        if ((size_t)(p + n - data) < 6 || memcmp(data, "data: ", 6) != 0) {
            ev_free(v, nv);
            return fail(msg, msgsz,
                        "frame %zu: no \"data: \" line after "
                        "the event line",
                        nv);
        }
        data += 6;
        nl = memchr(data, '\n', n - (size_t)(data - p));
        if (nl == NULL || (size_t)(p + n - nl) < 2 || nl[1] != '\n') {
            ev_free(v, nv);
            return fail(msg, msgsz,
                        "frame %zu: data line not followed by "
                        "a blank line",
                        nv);
        }
        datan = (size_t)(nl - data);
        nvp = realloc(v, (nv + 1) * sizeof(*v));
        if (nvp == NULL) {
            ev_free(v, nv);
            return fail(msg, msgsz, "out of memory");
        }
        v = nvp;
        v[nv].name = malloc(namen + 1);
        v[nv].data = cJSON_ParseWithLength(data, datan);
        if (v[nv].name == NULL || v[nv].data == NULL) {
            free(v[nv].name);
            cJSON_Delete(v[nv].data);
            ev_free(v, nv);
            return fail(msg, msgsz, "frame %zu: data is not JSON: %.*s", nv,
                        (int)(datan > 80 ? 80 : datan), data);
        }
        memcpy(v[nv].name, name, namen);
        v[nv].name[namen] = '\0';
        nv++;
        i = (size_t)(nl + 2 - p);
    }
    *out = v;
    *count = nv;
    return 0;
}

/* Checker state across events. */
struct chk {
    int phase;      /* 0 before start, 1 in message, 2 after delta, 3 end */
    int open;       /* index of the open block, -1 none */
    int next;       /* next block index */
    char type[16];  /* type of the open block */
    size_t textlen; /* text of the open text block */
    int sig;        /* the open thinking block had its signature */
    int tools;      /* tool_use blocks seen */
    char *args;     /* partial_json of the open tool block (malloc) */
    size_t argsn;
    unsigned flags;
};

static const cJSON *
get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int
is_str(const cJSON *o, const char *k)
{
    return cJSON_IsString(get(o, k));
}

static int
id_ok(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static int
check_start(const cJSON *m, char *msg, size_t msgsz)
{
    const cJSON *u = get(m, "usage");

    if (!cJSON_IsObject(m) || !is_str(m, "id") || !is_str(m, "model") ||
        !cJSON_IsString(get(m, "type")) ||
        strcmp(get(m, "type")->valuestring, "message") != 0 ||
        !cJSON_IsString(get(m, "role")) ||
        strcmp(get(m, "role")->valuestring, "assistant") != 0)
        return fail(msg, msgsz, "message lacks id/type/role/model");
    if (!cJSON_IsArray(get(m, "content")) ||
        cJSON_GetArraySize(get(m, "content")) != 0)
        return fail(msg, msgsz, "message.content is not []");
    if (!cJSON_IsNull(get(m, "stop_reason")) ||
        !cJSON_IsNull(get(m, "stop_sequence")))
        return fail(msg, msgsz, "stop_reason/stop_sequence not null");
    if (!cJSON_IsNumber(get(u, "input_tokens")) ||
        !cJSON_IsNumber(get(u, "output_tokens")))
        return fail(msg, msgsz, "usage lacks input/output_tokens");
    return 0;
}

static int
block_start(struct chk *c, const cJSON *d, char *msg, size_t msgsz)
{
    const cJSON *ix = get(d, "index"), *b = get(d, "content_block");
    const char *t =
        cJSON_IsString(get(b, "type")) ? get(b, "type")->valuestring : "";

    if (c->phase != 1)
        return fail(msg, msgsz, "block started outside the message body");
    if (c->open >= 0)
        return fail(msg, msgsz, "block started while block %d is open",
                    c->open);
    if (!cJSON_IsNumber(ix) || ix->valuedouble != c->next)
        return fail(msg, msgsz, "index is not %d", c->next);
    if (strcmp(t, "text") == 0) {
        if (!is_str(b, "text") || get(b, "text")->valuestring[0] != '\0')
            return fail(msg, msgsz, "text block does not start with \"\"");
    } else if (strcmp(t, "thinking") == 0) {
        if (!is_str(b, "thinking") || !is_str(b, "signature"))
            return fail(msg, msgsz, "thinking block lacks fields");
    } else if (strcmp(t, "tool_use") == 0) {
        if (!is_str(b, "id") || !id_ok(get(b, "id")->valuestring))
            return fail(msg, msgsz,
                        "tool_use id missing or not "
                        "^[a-zA-Z0-9_-]+$");
        if (!is_str(b, "name") || get(b, "name")->valuestring[0] == '\0')
            return fail(msg, msgsz, "tool_use without a name");
        if (!cJSON_IsObject(get(b, "input")) || get(b, "input")->child != NULL)
            return fail(msg, msgsz, "tool_use input is not {}");
        c->tools++;
    } else {
        return fail(msg, msgsz, "unknown block type \"%s\"", t);
    }
    snprintf(c->type, sizeof(c->type), "%s", t);
    c->open = c->next++;
    c->textlen = 0;
    c->sig = 0;
    c->argsn = 0;
    return 0;
}

static int
add_args(struct chk *c, const char *s)
{
    size_t n = strlen(s);
    char *p = realloc(c->args, c->argsn + n + 1);

    if (p == NULL)
        return 1;
    c->args = p;
    memcpy(c->args + c->argsn, s, n + 1);
    c->argsn += n;
    return 0;
}

static int
block_delta(struct chk *c, const cJSON *d, char *msg, size_t msgsz)
{
    const cJSON *ix = get(d, "index"), *dl = get(d, "delta");
    const char *t =
        cJSON_IsString(get(dl, "type")) ? get(dl, "type")->valuestring : "";

    if (c->open < 0 || !cJSON_IsNumber(ix) || ix->valuedouble != c->open)
        return fail(msg, msgsz, "delta for a block that is not open");
    if (strcmp(c->type, "text") == 0) {
        if (strcmp(t, "text_delta") != 0 || !is_str(dl, "text"))
            return fail(msg, msgsz, "%s in a text block", t);
        c->textlen += strlen(get(dl, "text")->valuestring);
    } else if (strcmp(c->type, "thinking") == 0) {
        if (strcmp(t, "thinking_delta") == 0 && is_str(dl, "thinking")) {
            if (c->sig)
                return fail(msg, msgsz, "thinking after the signature");
        } else if (strcmp(t, "signature_delta") == 0 &&
                   is_str(dl, "signature") &&
                   get(dl, "signature")->valuestring[0] != '\0') {
            c->sig = 1;
        } else {
            return fail(msg, msgsz, "%s in a thinking block", t);
        }
    } else {
        if (strcmp(t, "input_json_delta") != 0 || !is_str(dl, "partial_json"))
            return fail(msg, msgsz, "%s in a tool_use block", t);
        if (add_args(c, get(dl, "partial_json")->valuestring))
            return fail(msg, msgsz, "out of memory");
    }
    return 0;
}

static int
block_stop(struct chk *c, const cJSON *d, char *msg, size_t msgsz)
{
    const cJSON *ix = get(d, "index");

    if (c->open < 0 || !cJSON_IsNumber(ix) || ix->valuedouble != c->open)
        return fail(msg, msgsz, "stop for a block that is not open");
    if (strcmp(c->type, "text") == 0 && c->textlen == 0)
        return fail(msg, msgsz, "empty text block");
    if (strcmp(c->type, "thinking") == 0 && !c->sig)
        return fail(msg, msgsz, "thinking block without signature_delta");
    if (strcmp(c->type, "tool_use") == 0 && c->argsn > 0 &&
        !(c->flags & EV_ANY_ARGS)) {
        cJSON *j = cJSON_ParseWithLength(c->args, c->argsn);
        int ok = cJSON_IsObject(j);

        cJSON_Delete(j);
        if (!ok)
            return fail(msg, msgsz, "tool input is not a JSON object: %.60s",
                        c->args);
    }
    c->open = -1;
    return 0;
}

static int
message_delta(struct chk *c, const cJSON *d, char *msg, size_t msgsz)
{
    static const char *const reasons[] = {"end_turn",      "max_tokens",
                                          "stop_sequence", "tool_use",
                                          "pause_turn",    "refusal"};
    const cJSON *dl = get(d, "delta"), *u = get(d, "usage");
    const char *r;
    size_t i;

    if (c->phase != 1)
        return fail(msg, msgsz, "second message_delta");
    if (c->open >= 0)
        return fail(msg, msgsz, "message_delta while block %d is open",
                    c->open);
    if (!is_str(dl, "stop_reason"))
        return fail(msg, msgsz, "no stop_reason");
    r = get(dl, "stop_reason")->valuestring;
    for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (strcmp(r, reasons[i]) == 0)
            break;
    if (i == sizeof(reasons) / sizeof(reasons[0]))
        return fail(msg, msgsz, "unknown stop_reason \"%s\"", r);
    if (strcmp(r, "stop_sequence") == 0
            ? !is_str(dl, "stop_sequence")
            : !cJSON_IsNull(get(dl, "stop_sequence")))
        return fail(msg, msgsz, "stop_sequence does not match stop_reason");
    if (strcmp(r, "tool_use") == 0 && c->tools == 0)
        return fail(msg, msgsz,
                    "stop_reason tool_use without a tool_use "
                    "block");
    if (!cJSON_IsNumber(get(u, "output_tokens")) ||
        (get(u, "input_tokens") != NULL &&
         !cJSON_IsNumber(get(u, "input_tokens"))))
        return fail(msg, msgsz, "bad usage");
    c->phase = 2;
    return 0;
}

static int
step(struct chk *c, const char *name, const cJSON *d, char *msg, size_t msgsz)
{
    const cJSON *t = get(d, "type");

    if (c->phase == 3)
        return fail(msg, msgsz, "event after the end of the stream");
    if (!cJSON_IsString(t) || strcmp(t->valuestring, name) != 0)
        return fail(msg, msgsz, "data.type differs from the event name");
    if (strcmp(name, "error") == 0) {
        const cJSON *e = get(d, "error");

        if (!is_str(e, "type") || !is_str(e, "message"))
            return fail(msg, msgsz, "error without type and message");
        c->phase = 3;
        return 0;
    }
    if (strcmp(name, "message_start") == 0) {
        if (c->phase != 0)
            return fail(msg, msgsz, "second message_start");
        c->phase = 1;
        return check_start(get(d, "message"), msg, msgsz);
    }
    if (c->phase == 0)
        return fail(msg, msgsz, "event before message_start");
    if (strcmp(name, "ping") == 0)
        return 0;
    if (strcmp(name, "content_block_start") == 0)
        return block_start(c, d, msg, msgsz);
    if (strcmp(name, "content_block_delta") == 0)
        return block_delta(c, d, msg, msgsz);
    if (strcmp(name, "content_block_stop") == 0)
        return block_stop(c, d, msg, msgsz);
    if (strcmp(name, "message_delta") == 0)
        return message_delta(c, d, msg, msgsz);
    if (strcmp(name, "message_stop") == 0) {
        if (c->phase != 2)
            return fail(msg, msgsz, "message_stop without message_delta");
        c->phase = 3;
        return 0;
    }
    return fail(msg, msgsz, "unknown event");
}

int
ev_check(const char *p, size_t n, unsigned flags, char *msg, size_t msgsz)
{
    struct ev_frame *v;
    struct chk c;
    size_t count, i;
    char inner[200];
    int bad = 0;

    if (ev_parse(p, n, &v, &count, msg, msgsz))
        return 1;
    memset(&c, 0, sizeof(c));
    c.open = -1;
    c.flags = flags;
    for (i = 0; i < count && !bad; i++) {
        if (step(&c, v[i].name, v[i].data, inner, sizeof(inner))) {
            fail(msg, msgsz, "event %zu (%s): %s", i, v[i].name, inner);
            bad = 1;
        }
    }
    if (!bad && c.phase != 3 && !(flags & EV_PARTIAL))
        bad = fail(msg, msgsz,
                   "the stream ends without message_stop or "
                   "error (after %zu events)",
                   count);
    free(c.args);
    ev_free(v, count);
    return bad;
}
