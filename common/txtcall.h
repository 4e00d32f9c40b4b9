/*
 * txtcall.h: tool calls that a model wrote as text (profile
 * text_tool_calls).  Shared by resp.c and the stream converter so that
 * both recognise exactly the same calls.
 *
 * Models served without their tool-call parser (llama.cpp without
 * --jinja, older Ollama templates, LM Studio) leave the call in the
 * content, in one of these forms:
 *   <tool_call>{"name":"Bash","arguments":{...}}</tool_call>   Hermes, Qwen
 *   <tool_call><function=Bash><parameter=command>ls</parameter>
 *   </function></tool_call>               Qwen3-Coder (also without the
 *                                         <tool_call> wrapper)
 *   <tool_call>Bash<arg_key>command</arg_key><arg_value>ls</arg_value>
 *   </tool_call>                          GLM-4.5
 *   {"name":"Bash","arguments":{...}}     the whole message, nothing else
 * A call counts only when it is well-formed and names a function that was
 * offered (a2o_reqmeta_tool_offered); anything else stays text.
 */
#ifndef A2O_TXTCALL_H
#define A2O_TXTCALL_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "req.h"

/* Kinds of opening tag. */
enum {
    A2O_TXT_NONE,      /* not an opening tag */
    A2O_TXT_TOOL_CALL, /* "<tool_call>", closed by "</tool_call>" */
    A2O_TXT_FUNCTION   /* "<function=", closed by "</function>" */
};

/* Longest opening tag (what a stream may have to hold back). */
#define A2O_TXT_OPEN_MAX 11

/*
 * What p[0..n) (which starts with '<') opens: A2O_TXT_TOOL_CALL or
 * A2O_TXT_FUNCTION for a whole opening tag, -1 when p is shorter than a
 * tag and still a prefix of one (more bytes decide), else A2O_TXT_NONE.
 */
int a2o_txtcall_open(const char *p, size_t n);

/*
 * 0 when p[0..n), the beginning of a tagged candidate (opening tag
 * included), can no longer be a call of an offered tool: the name after
 * "<function=" or GLM's, or the start of the body, rules it out.  A
 * stream stops holding such text at once (text that merely mentions a
 * tag).  1 while it may still be one.
 */
int a2o_txtcall_plausible(const char *p, size_t n, const struct a2o_reqmeta *m);

/* The closing tag of a kind. */
const char *a2o_txtcall_close(int kind);

/*
 * Parses one candidate: a whole tagged call (opening tag to closing tag)
 * or, with bare set, a whole message that may be a bare JSON call.  On a
 * well-formed call of an offered tool, *name (the name as the upstream
 * wrote it) and *args (the arguments as JSON object text) are new
 * strings (caller: cJSON_free); otherwise both are NULL.  A2O_E_NOMEM.
 */
enum a2o_err a2o_txtcall_parse(const char *p, size_t n, int bare,
                               const struct a2o_reqmeta *m, char **name,
                               char **args);

/* A call found in a whole text. */
struct a2o_txtcall {
    char *name; /* as the upstream wrote it */
    char *args; /* JSON object text */
};

/*
 * Finds every call in text p[0..n): the calls go to *calls (*ncalls; the
 * caller frees them with a2o_txtcall_free, also when there are none), the
 * text around them to rest.  A2O_E_NOMEM, or rest's cap (A2O_E_TOOBIG).
 */
enum a2o_err a2o_txtcall_extract(const char *p, size_t n,
                                 const struct a2o_reqmeta *m,
                                 struct a2o_buf *rest,
                                 struct a2o_txtcall **calls, size_t *ncalls);

void a2o_txtcall_free(struct a2o_txtcall *calls, size_t n);

#endif
