/*
 * txtcall.c: recovering tool calls that a model wrote as text
 * (txtcall.h lists the forms).
 *
 * Strict on purpose: a call is recovered only when its whole text has
 * one of the known shapes and names an offered function, so that an
 * answer that merely talks about tool calls (documentation, a quoted
 * log) stays text.  Parameter values of the XML forms are text; a value
 * that is a JSON object, array, number or boolean is taken as that value
 * (Qwen3-Coder's own parser converts them by the schema, which the
 * response side does not have; Claude Code's tools take numbers and
 * booleans as such).
 */
#include "txtcall.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "oai.h"
#include "str.h"

static const char tc_open[] = "<tool_call>";
static const char tc_close[] = "</tool_call>";
static const char fn_open[] = "<function=";
static const char fn_close[] = "</function>";
static const char par_open[] = "<parameter=";
static const char par_close[] = "</parameter>";
static const char key_open[] = "<arg_key>";
static const char key_close[] = "</arg_key>";
static const char val_open[] = "<arg_value>";
static const char val_close[] = "</arg_value>";

#define LEN(s) (sizeof(s) - 1)

int
a2o_txtcall_open(const char *p, size_t n)
{
    int prefix = 0;

    if (n >= LEN(tc_open) && memcmp(p, tc_open, LEN(tc_open)) == 0)
        return A2O_TXT_TOOL_CALL;
    if (n >= LEN(fn_open) && memcmp(p, fn_open, LEN(fn_open)) == 0)
        return A2O_TXT_FUNCTION;
    if (n < LEN(tc_open) && memcmp(p, tc_open, n) == 0)
        prefix = 1;
    if (n < LEN(fn_open) && memcmp(p, fn_open, n) == 0)
        prefix = 1;
    return prefix ? -1 : A2O_TXT_NONE;
}

const char *
a2o_txtcall_close(int kind)
{
    return kind == A2O_TXT_TOOL_CALL ? tc_close : fn_close;
}

/* A cursor over the candidate text. */
struct cur {
    const char *p, *end;
};

static void
skip_blanks(struct cur *c)
{
    while (c->p < c->end && a2o_str_blank_char(*c->p))
        c->p++;
}

/* Consumes literal s when the text continues with it. */
static int
eat(struct cur *c, const char *s, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
        return 0;
    c->p += n;
    return 1;
}

/* Finds literal s ahead; start and len get the text before it, which is
 * consumed with s.  0 when s does not come. */
static int
until(struct cur *c, const char *s, size_t n, const char **start, size_t *len)
{
    const char *q;

    for (q = c->p; (size_t)(c->end - q) >= n; q++) {
        if (memcmp(q, s, n) == 0) {
            *start = c->p;
            *len = (size_t)(q - c->p);
            c->p = q + n;
            return 1;
        }
    }
    return 0;
}

/* Trims blanks on both sides of p[0..*n). */
static const char *
trim(const char *p, size_t *n)
{
    while (*n > 0 && a2o_str_blank_char(*p)) {
        p++;
        (*n)--;
    }
    while (*n > 0 && a2o_str_blank_char(p[*n - 1]))
        (*n)--;
    return p;
}

static char *
dup_n(const char *p, size_t n)
{
    char *s = cJSON_malloc(n + 1);

    if (s != NULL) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* A parameter value: one line end on each side is layout; JSON objects,
 * arrays, numbers and booleans are values, anything else a string. */
static enum a2o_err
param_value(const char *p, size_t n, cJSON **out)
{
    const char *t;
    size_t tn;
    char *s;

    if (n > 0 && p[0] == '\n') {
        p++;
        n--;
    }
    if (n > 0 && p[n - 1] == '\n')
        n--;
    tn = n;
    t = trim(p, &tn);
    if (tn > 0 && (strchr("{[-0123456789", t[0]) != NULL ||
                   (tn == 4 && memcmp(t, "true", 4) == 0) ||
                   (tn == 5 && memcmp(t, "false", 5) == 0))) {
        enum a2o_err err = a2o_json_try(t, tn, out);

        if (err != A2O_E_BADJSON)
            return err; /* a value, or out of memory */
    }
    s = dup_n(p, n);
    *out = s != NULL ? cJSON_CreateString(s) : NULL;
    cJSON_free(s);
    return *out != NULL ? A2O_E_OK : A2O_E_NOMEM;
}

/* Adds key[0..kn) = value text to obj. */
static enum a2o_err
add_param(cJSON *obj, const char *k, size_t kn, const char *v, size_t vn)
{
    cJSON *val = NULL;
    char *key;
    enum a2o_err err;

    k = trim(k, &kn);
    if (kn == 0)
        return A2O_E_BADJSON;
    err = param_value(v, vn, &val);
    if (err != A2O_E_OK)
        return err;
    key = dup_n(k, kn);
    if (key == NULL || !cJSON_AddItemToObject(obj, key, val)) {
        cJSON_free(key);
        cJSON_Delete(val);
        return A2O_E_NOMEM;
    }
    cJSON_free(key);
    return A2O_E_OK;
}

/*
 * The XML forms after the name: Qwen3-Coder's <parameter=k>v</parameter>
 * (closed by </function>) or GLM's <arg_key>k</arg_key><arg_value>v
 * </arg_value> (to the end).  A2O_E_BADJSON when malformed.
 */
static enum a2o_err
xml_params(struct cur *c, int glm, cJSON *obj)
{
    const char *k, *v;
    size_t kn, vn;
    enum a2o_err err;

    for (;;) {
        skip_blanks(c);
        if (!glm && eat(c, fn_close, LEN(fn_close)))
            break;
        if (glm && c->p == c->end)
            return A2O_E_OK;
        if (!glm && eat(c, par_open, LEN(par_open))) {
            if (!until(c, ">", 1, &k, &kn) ||
                !until(c, par_close, LEN(par_close), &v, &vn))
                return A2O_E_BADJSON;
        } else if (glm && eat(c, key_open, LEN(key_open))) {
            if (!until(c, key_close, LEN(key_close), &k, &kn))
                return A2O_E_BADJSON;
            skip_blanks(c);
            if (!eat(c, val_open, LEN(val_open)) ||
                !until(c, val_close, LEN(val_close), &v, &vn))
                return A2O_E_BADJSON;
        } else {
            return A2O_E_BADJSON;
        }
        err = add_param(obj, k, kn, v, vn);
        if (err != A2O_E_OK)
            return err;
    }
    skip_blanks(c);
    return c->p == c->end ? A2O_E_OK : A2O_E_BADJSON;
}

/* 1 when name[0..n) may be a function name and was offered. */
static int
offered(const struct a2o_reqmeta *m, const char *name, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (name[i] == '<' || name[i] == '>' || a2o_str_blank_char(name[i]))
            return 0;
    return n > 0 && a2o_reqmeta_tool_offered(m, name, n);
}

/* 1 when name[0..n) (done: all of it, else its beginning so far) may
 * still be an offered function. */
static int
name_may(const struct a2o_reqmeta *m, const char *name, size_t n, int done)
{
    size_t i;

    if (done)
        return offered(m, name, n);
    for (i = 0; i < n; i++)
        if (a2o_str_blank_char(name[i]))
            return 0;
    for (i = 0; m != NULL && i < m->ntools; i++)
        if (strlen(m->tools[i]) >= n && memcmp(m->tools[i], name, n) == 0)
            return 1;
    return 0;
}

/* After "<function=": the name so far, up to '>'. */
static int
fn_may(const struct a2o_reqmeta *m, const char *p, size_t n)
{
    const char *gt = memchr(p, '>', n);
    size_t nn = gt != NULL ? (size_t)(gt - p) : n;

    if (gt != NULL)
        p = trim(p, &nn);
    return name_may(m, p, nn, gt != NULL);
}

int
a2o_txtcall_plausible(const char *p, size_t n, const struct a2o_reqmeta *m)
{
    size_t i;
    int kind = a2o_txtcall_open(p, n);

    if (kind == A2O_TXT_FUNCTION)
        return fn_may(m, p + LEN(fn_open), n - LEN(fn_open));
    if (kind != A2O_TXT_TOOL_CALL)
        return kind < 0;
    p += LEN(tc_open);
    n -= LEN(tc_open);
    while (n > 0 && a2o_str_blank_char(*p)) {
        p++;
        n--;
    }
    if (n == 0 || p[0] == '{')
        return 1;
    if (p[0] == '<') {
        if (n < LEN(fn_open))
            return memcmp(p, fn_open, n) == 0;
        return memcmp(p, fn_open, LEN(fn_open)) == 0 &&
               fn_may(m, p + LEN(fn_open), n - LEN(fn_open));
    }
    /* GLM: the name runs to a line end or a tag */
    for (i = 0; i < n && p[i] != '\n' && p[i] != '<'; i++)
        ;
    if (i < n) {
        size_t nn = i;
        const char *nm = trim(p, &nn);

        return offered(m, nm, nn);
    }
    return name_may(m, p, n, 0);
}

/* "<function=NAME>..." or GLM's "NAME<arg_key>...": the whole of c. */
static enum a2o_err
xml_call(struct cur *c, int glm, const struct a2o_reqmeta *m, char **name,
         cJSON **args)
{
    const char *nm;
    size_t nn;
    enum a2o_err err;

    if (glm) {
        nm = c->p;
        while (c->p < c->end && *c->p != '<' && *c->p != '\n')
            c->p++;
        nn = (size_t)(c->p - nm);
    } else if (!eat(c, fn_open, LEN(fn_open)) || !until(c, ">", 1, &nm, &nn)) {
        return A2O_E_BADJSON;
    }
    nm = trim(nm, &nn);
    if (!offered(m, nm, nn))
        return A2O_E_BADJSON;
    *args = cJSON_CreateObject();
    if (*args == NULL)
        return A2O_E_NOMEM;
    err = xml_params(c, glm, *args);
    if (err == A2O_E_OK) {
        *name = dup_n(nm, nn);
        err = *name != NULL ? A2O_E_OK : A2O_E_NOMEM;
    }
    if (err != A2O_E_OK) {
        cJSON_Delete(*args);
        *args = NULL;
    }
    return err;
}

/* {"name":..,"arguments":..} (or "parameters"); bare: the whole message,
 * so nothing but those members, and arguments are required. */
static enum a2o_err
json_call(const char *p, size_t n, int bare, const struct a2o_reqmeta *m,
          char **name, cJSON **args)
{
    cJSON *root = NULL, *a = NULL;
    const cJSON *it, *av = NULL;
    const char *nm;
    enum a2o_err err;

    err = a2o_json_try(p, n, &root);
    if (err != A2O_E_OK)
        return err;
    err = A2O_E_BADJSON;
    nm = a2o_json_str(root, "name");
    if (!cJSON_IsObject(root) || nm == NULL || !offered(m, nm, strlen(nm)))
        goto out;
    for (it = root->child; it != NULL; it = it->next) {
        if (strcmp(it->string, "arguments") == 0 ||
            strcmp(it->string, "parameters") == 0)
            av = it;
        else if (bare && strcmp(it->string, "name") != 0)
            goto out;
    }
    if (cJSON_IsObject(av)) {
        a = cJSON_Duplicate(av, 1);
    } else if (cJSON_IsString(av)) {
        err = a2o_json_try(av->valuestring, strlen(av->valuestring), &a);
        if (err != A2O_E_OK)
            goto out;
        err = A2O_E_BADJSON;
        if (!cJSON_IsObject(a))
            goto out;
    } else if (av == NULL && !bare) {
        a = cJSON_CreateObject(); /* a tool without parameters */
    } else {
        goto out;
    }
    *name = a != NULL ? dup_n(nm, strlen(nm)) : NULL;
    err = *name != NULL ? A2O_E_OK : A2O_E_NOMEM;
out:
    if (err == A2O_E_OK) {
        *args = a;
        a = NULL;
    }
    cJSON_Delete(a);
    cJSON_Delete(root);
    return err;
}

/* The body of <tool_call>...</tool_call>: JSON, Qwen3-Coder or GLM. */
static enum a2o_err
wrapped(const char *p, size_t n, const struct a2o_reqmeta *m, char **name,
        cJSON **args)
{
    struct cur c;

    p = trim(p, &n);
    c.p = p;
    c.end = p + n;
    if (n > 0 && p[0] == '{')
        return json_call(p, n, 0, m, name, args);
    if (n >= LEN(fn_open) && memcmp(p, fn_open, LEN(fn_open)) == 0)
        return xml_call(&c, 0, m, name, args);
    return xml_call(&c, 1, m, name, args);
}

enum a2o_err
a2o_txtcall_parse(const char *p, size_t n, int bare,
                  const struct a2o_reqmeta *m, char **name, char **args)
{
    struct cur c;
    cJSON *a = NULL;
    char *nm = NULL;
    int kind = a2o_txtcall_open(p, n);
    enum a2o_err err;

    *name = NULL;
    *args = NULL;
    c.p = p;
    c.end = p + n;
    if (bare) {
        p = trim(p, &n);
        err = n > 0 && p[0] == '{' ? json_call(p, n, 1, m, &nm, &a)
                                   : A2O_E_BADJSON;
    } else if (kind == A2O_TXT_TOOL_CALL && n >= LEN(tc_open) + LEN(tc_close) &&
               memcmp(p + n - LEN(tc_close), tc_close, LEN(tc_close)) == 0) {
        err = wrapped(p + LEN(tc_open), n - LEN(tc_open) - LEN(tc_close), m,
                      &nm, &a);
    } else if (kind == A2O_TXT_FUNCTION) {
        err = xml_call(&c, 0, m, &nm, &a);
    } else {
        err = A2O_E_BADJSON;
    }
    if (err == A2O_E_BADJSON)
        return A2O_E_OK; /* not a call: the caller keeps the text */
    if (err == A2O_E_OK) {
        *args = a2o_json_print_str(a, NULL);
        err = *args != NULL ? A2O_E_OK : A2O_E_NOMEM;
    }
    cJSON_Delete(a);
    if (err == A2O_E_OK)
        *name = nm;
    else
        cJSON_free(nm);
    return err;
}

void
a2o_txtcall_free(struct a2o_txtcall *calls, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        cJSON_free(calls[i].name);
        cJSON_free(calls[i].args);
    }
    cJSON_free(calls);
}

/* Appends a found call to *calls (ownership of name and args passes). */
static enum a2o_err
push(struct a2o_txtcall **calls, size_t *ncalls, char *name, char *args)
{
    struct a2o_txtcall *v = cJSON_malloc((*ncalls + 1) * sizeof(*v));

    if (v == NULL) {
        cJSON_free(name);
        cJSON_free(args);
        return A2O_E_NOMEM;
    }
    if (*ncalls > 0)
        memcpy(v, *calls, *ncalls * sizeof(*v));
    cJSON_free(*calls);
    v[*ncalls].name = name;
    v[*ncalls].args = args;
    *calls = v;
    (*ncalls)++;
    return A2O_E_OK;
}

enum a2o_err
a2o_txtcall_extract(const char *p, size_t n, const struct a2o_reqmeta *m,
                    struct a2o_buf *rest, struct a2o_txtcall **calls,
                    size_t *ncalls)
{
    const char *q = p, *end = p + n, *lt;
    char *name, *args;
    enum a2o_err err;

    *calls = NULL;
    *ncalls = 0;
    err = a2o_txtcall_parse(p, n, 1, m, &name, &args);
    if (err != A2O_E_OK || name != NULL)
        return err == A2O_E_OK ? push(calls, ncalls, name, args) : err;
    while (err == A2O_E_OK &&
           (lt = memchr(q, '<', (size_t)(end - q))) != NULL) {
        int kind = a2o_txtcall_open(lt, (size_t)(end - lt));
        struct cur c;
        const char *body, *close;
        size_t bn;

        c.p = lt;
        c.end = end;
        close = kind > 0 ? a2o_txtcall_close(kind) : NULL;
        if (close == NULL || !until(&c, close, strlen(close), &body, &bn)) {
            err = a2o_buf_add(rest, q, (size_t)(lt + 1 - q));
            q = lt + 1;
            continue;
        }
        err = a2o_txtcall_parse(lt, (size_t)(c.p - lt), 0, m, &name, &args);
        if (err == A2O_E_OK && name != NULL) {
            err = a2o_buf_add(rest, q, (size_t)(lt - q));
            if (err == A2O_E_OK)
                err = push(calls, ncalls, name, args);
            else {
                cJSON_free(name);
                cJSON_free(args);
            }
            q = c.p;
        } else if (err == A2O_E_OK) {
            err = a2o_buf_add(rest, q, (size_t)(lt + 1 - q));
            q = lt + 1;
        }
    }
    if (err == A2O_E_OK)
        err = a2o_buf_add(rest, q, (size_t)(end - q));
    return err;
}
