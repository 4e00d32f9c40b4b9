/*
 * envfile.c: .env text -> a2o_conf_set, one KEY=VALUE line at a time
 * (the syntax is in conf.h above a2o_conf_parse_env_file).  Kept apart
 * from conf.c, which owns what the settings mean; this file only knows
 * how a shell-style file spells them.
 */
#include "conf.h"
#include "str.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

/*
 * Copies the value that follows '=' (raw, line ends at e) into out (room
 * for e - raw + 1 bytes).  Returns NULL on success, else the error text.
 */
static const char *
env_value(const char *raw, const char *e, char *out)
{
    const char *p = raw, *q;
    size_t n = 0;

    while (p < e && a2o_str_space((unsigned char)*p))
        p++;
    if (p < e && (*p == '\'' || *p == '"')) {
        char quote = *p++;

        for (; p < e && *p != quote; p++) {
            if (quote == '"' && *p == '\\' && p + 1 < e) {
                p++;
                switch (*p) {
                case 'n':
                    out[n++] = '\n';
                    break;
                case 't':
                    out[n++] = '\t';
                    break;
                case 'r':
                    out[n++] = '\r';
                    break;
                case '"':
                case '\\':
                case '$':
                case '`':
                    out[n++] = *p;
                    break;
                default: /* unknown escape: kept as written */
                    out[n++] = '\\';
                    out[n++] = *p;
                    break;
                }
                continue;
            }
            out[n++] = *p;
        }
        if (p == e)
            return "unterminated quote";
        for (p++; p < e && a2o_str_space((unsigned char)*p); p++)
            ;
        if (p < e && *p != '#')
            return "text after the closing quote";
        out[n] = '\0';
        return NULL;
    }
    /* unquoted: a '#' after a blank starts a comment ("KEY= #x" is
     * empty, "KEY=a#b" keeps its '#'); then trailing blanks go */
    if (p > raw && p < e && *p == '#')
        q = p;
    else
        for (q = p; q < e; q++)
            if (*q == '#' && q > p && a2o_str_space((unsigned char)q[-1]))
                break;
    while (q > p && a2o_str_space((unsigned char)q[-1]))
        q--;
    memcpy(out, p, (size_t)(q - p));
    out[q - p] = '\0';
    return NULL;
}

static int
key_char(int ch, int first)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' ||
           (!first && ch >= '0' && ch <= '9');
}

/* One logical line [p, e) without its newline. */
static enum a2o_err
env_line(struct a2o_conf *c, const char *p, const char *e, size_t lineno,
         struct a2o_diag *d)
{
    const char *k, *ke, *why;
    struct a2o_diag sub;
    char *buf;
    enum a2o_err err;

    if (e > p && e[-1] == '\r') /* CRLF files from Windows editors */
        e--;
    while (p < e && a2o_str_space((unsigned char)*p))
        p++;
    if (p == e || *p == '#')
        return A2O_E_OK;
    if (e - p > 7 && memcmp(p, "export", 6) == 0 &&
        a2o_str_space((unsigned char)p[6])) {
        p += 7;
        while (p < e && a2o_str_space((unsigned char)*p))
            p++;
    }
    k = p;
    if (p == e || !key_char((unsigned char)*p, 1))
        return a2o_diag_set(d, A2O_E_CONF, NULL, "line %zu: expected KEY=VALUE",
                            lineno);
    while (p < e && key_char((unsigned char)*p, 0))
        p++;
    ke = p;
    while (p < e && a2o_str_space((unsigned char)*p))
        p++;
    if (p == e || *p != '=')
        return a2o_diag_set(d, A2O_E_CONF, NULL, "line %zu: expected KEY=VALUE",
                            lineno);
    p++;
    /* one allocation holds "KEY\0VALUE\0"; a value only shrinks */
    buf = cJSON_malloc((size_t)(ke - k) + 1 + (size_t)(e - p) + 1);
    if (buf == NULL)
        return A2O_E_NOMEM;
    memcpy(buf, k, (size_t)(ke - k));
    buf[ke - k] = '\0';
    why = env_value(p, e, buf + (ke - k) + 1);
    if (why != NULL) {
        err = a2o_diag_set(d, A2O_E_CONF, NULL, "line %zu: %s: %s", lineno, buf,
                           why);
        goto out;
    }
    a2o_diag_clear(&sub);
    err = a2o_conf_set(c, buf, buf + (ke - k) + 1, &sub);
    if (err == A2O_E_CONF)
        a2o_diag_set(d, err, NULL, "line %zu: %s", lineno, sub.msg);
out:
    cJSON_free(buf);
    return err;
}

enum a2o_err
a2o_conf_parse_env_file(struct a2o_conf *c, const char *text, size_t n,
                        struct a2o_diag *d)
{
    size_t i = 0, lineno = 1;
    enum a2o_err err;

    while (i < n) {
        const char *nl = memchr(text + i, '\n', n - i);
        size_t end = nl != NULL ? (size_t)(nl - text) : n;

        if (memchr(text + i, '\0', end - i) != NULL)
            return a2o_diag_set(d, A2O_E_CONF, NULL, "line %zu: NUL byte",
                                lineno);
        err = env_line(c, text + i, text + end, lineno, d);
        if (err != A2O_E_OK)
            return err;
        i = end + 1;
        lineno++;
    }
    return A2O_E_OK;
}
