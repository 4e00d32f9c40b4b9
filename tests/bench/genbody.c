/*
 * genbody.c: writes a Claude-Code-like Anthropic request of about a given
 * size, for the benchmarks.
 *
 *   genbody SIZE [stream|nostream] [MODEL] > body.json
 *
 * The shape follows the requests Claude Code 2.1.x sends (see
 * tests/e2e/fixtures/): a billing-header system block, a
 * long instruction text with cache_control, tools with JSON-Schema inputs
 * ($schema, additionalProperties, nested descriptions), adaptive thinking,
 * context_management, and a conversation of tool_use / tool_result turns.
 * Nothing is copied from the fixtures: all text is generated from a word
 * list with a fixed seed, so the same SIZE gives the same bytes.  Big
 * requests grow the way real sessions grow: tools and system level off,
 * the conversation keeps getting longer.
 *
 * The output is compact JSON (as JSON.stringify prints it), SIZE bytes
 * exactly when SIZE >= 1200.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: deterministic, good enough for filler text. */
static unsigned
rnd(unsigned n)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (unsigned)((rng * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

static const char *const words[] = {
    "the",          "file",       "tool",       "use",       "when",
    "you",          "need",       "to",         "read",      "search",
    "code",         "function",   "return",     "value",     "path",
    "directory",    "command",    "output",     "error",     "test",
    "build",        "commit",     "change",     "never",     "always",
    "user",         "request",    "answer",     "line",      "string",
    "parameter",    "optional",   "required",   "default",   "example",
    "instead",      "IMPORTANT:", "NOTE:",      "e.g.",      "(recommended)",
    "`git status`", "`npm test`", "src/main.c", "README.md", "with",
    "without",      "before",     "after",      "and",       "or",
    "not",          "a",          "an",         "is",        "are",
    "this",         "that",       "results",    "matching",  "pattern",
    "glob",         "regex",      "absolute",   "relative",  "working",
    "tree",         "branch",     "session",    "context",   "agent"};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/* Appends about n bytes of prose to a malloc'd string, with the quotes,
 * newlines and backticks that make real prompts costly to escape. */
static char *
prose(size_t n)
{
    char *s = malloc(n + 64);
    size_t len = 0;

    if (s == NULL)
        exit(1);
    while (len < n) {
        const char *w = words[rnd(NWORDS)];
        size_t wl = strlen(w);

        memcpy(s + len, w, wl);
        len += wl;
        switch (rnd(24)) {
        case 0:
            s[len++] = '.';
            s[len++] = '\n';
            break;
        case 1:
            s[len++] = '\n';
            s[len++] = '-';
            s[len++] = ' ';
            break;
        case 2:
            memcpy(s + len, " \"x\" ", 5);
            len += 5;
            break;
        default:
            s[len++] = ' ';
            break;
        }
    }
    s[len] = '\0';
    return s;
}

static void
add_prose(cJSON *o, const char *key, size_t n)
{
    char *t = prose(n);

    cJSON_AddStringToObject(o, key, t);
    free(t);
}

static void
add_text_block(cJSON *arr, size_t n, const char *literal, int cache)
{
    cJSON *b = cJSON_CreateObject();

    cJSON_AddStringToObject(b, "type", "text");
    if (literal != NULL)
        cJSON_AddStringToObject(b, "text", literal);
    else
        add_prose(b, "text", n);
    if (cache)
        cJSON_AddItemToObject(b, "cache_control",
                              cJSON_CreateRaw("{\"type\":\"ephemeral\"}"));
    cJSON_AddItemToArray(arr, b);
}

static const char *const tool_names[] = {"Bash",
                                         "Read",
                                         "Edit",
                                         "Write",
                                         "Glob",
                                         "Grep",
                                         "Agent",
                                         "TodoWrite",
                                         "WebFetch",
                                         "WebSearch",
                                         "NotebookEdit",
                                         "Skill",
                                         "AskUserQuestion",
                                         "ExitPlanMode"};
#define NTOOLS (sizeof(tool_names) / sizeof(tool_names[0]))

/* One tool of about n bytes: description prose plus a schema with a few
 * described properties, as Claude Code's tools carry. */
static cJSON *
make_tool(unsigned i, size_t n)
{
    cJSON *t = cJSON_CreateObject();
    cJSON *s = cJSON_CreateObject();
    cJSON *props = cJSON_CreateObject();
    cJSON *req = cJSON_CreateArray();
    static const char *const pnames[] = {"command", "description",
                                         "timeout", "file_path",
                                         "pattern", "run_in_background"};
    unsigned np = 2 + i % 4, k;

    cJSON_AddStringToObject(t, "name", tool_names[i % NTOOLS]);
    add_prose(t, "description", n * 3 / 4);
    cJSON_AddStringToObject(s, "$schema",
                            "https://json-schema.org/draft/2020-12/schema");
    cJSON_AddStringToObject(s, "type", "object");
    for (k = 0; k < np; k++) {
        cJSON *p = cJSON_CreateObject();

        cJSON_AddStringToObject(p, "type", k == 2 ? "number" : "string");
        add_prose(p, "description", n / 4 / np);
        cJSON_AddItemToObject(props, pnames[k], p);
    }
    cJSON_AddItemToArray(req, cJSON_CreateString(pnames[0]));
    cJSON_AddItemToObject(s, "properties", props);
    cJSON_AddItemToObject(s, "required", req);
    cJSON_AddFalseToObject(s, "additionalProperties");
    cJSON_AddItemToObject(t, "input_schema", s);
    return t;
}

static char *
tool_id(void)
{
    static char id[40];
    static const char an[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    int k;

    memcpy(id, "toolu_01", 8);
    for (k = 8; k < 32; k++)
        id[k] = an[rnd(sizeof(an) - 1)];
    id[32] = '\0';
    return id;
}

/* One assistant tool_use turn and its user tool_result, about n bytes. */
static void
add_turn(cJSON *msgs, size_t n)
{
    cJSON *a = cJSON_CreateObject(), *ac = cJSON_CreateArray();
    cJSON *u = cJSON_CreateObject(), *uc = cJSON_CreateArray();
    cJSON *tu = cJSON_CreateObject(), *in = cJSON_CreateObject();
    cJSON *tr = cJSON_CreateObject();
    char *id = tool_id();

    cJSON_AddStringToObject(a, "role", "assistant");
    add_text_block(ac, 40 + rnd(120), NULL, 0);
    cJSON_AddStringToObject(tu, "type", "tool_use");
    cJSON_AddStringToObject(tu, "id", id);
    cJSON_AddStringToObject(tu, "name", "Bash");
    add_prose(in, "command", 20 + rnd(60));
    add_prose(in, "description", 20 + rnd(30));
    cJSON_AddItemToObject(tu, "input", in);
    cJSON_AddItemToArray(ac, tu);
    cJSON_AddItemToObject(a, "content", ac);
    cJSON_AddItemToArray(msgs, a);

    cJSON_AddStringToObject(u, "role", "user");
    cJSON_AddStringToObject(tr, "tool_use_id", id);
    cJSON_AddStringToObject(tr, "type", "tool_result");
    add_prose(tr, "content", n > 400 ? n - 400 : 16);
    cJSON_AddFalseToObject(tr, "is_error");
    cJSON_AddItemToArray(uc, tr);
    cJSON_AddItemToObject(u, "content", uc);
    cJSON_AddItemToArray(msgs, u);
}

int
main(int argc, char **argv)
{
    size_t size, tools_b, sys_b, used, k;
    int stream;
    const char *model;
    cJSON *root, *sys, *tools, *msgs, *first, *fc, *last, *lb;
    char *out;

    if (argc < 2) {
        fprintf(stderr, "usage: genbody SIZE [stream|nostream] [MODEL]\n");
        return 2;
    }
    size = strtoul(argv[1], NULL, 10);
    stream = argc > 2 && strcmp(argv[2], "stream") == 0;
    model = argc > 3 ? argv[3] : "claude-sonnet-4-6";

    /* Budgets: tools and system level off (as in real sessions), the
     * conversation takes the rest. */
    tools_b = size * 3 / 10 < 60000 ? size * 3 / 10 : 60000;
    sys_b = size / 8 < 25000 ? size / 8 : 25000;

    root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", model);
    msgs = cJSON_AddArrayToObject(root, "messages");
    sys = cJSON_AddArrayToObject(root, "system");
    add_text_block(sys, 0,
                   "x-anthropic-billing-header: cc_version=2.1.0.0; "
                   "cc_entrypoint=sdk-cli; cch=00000;",
                   0);
    add_text_block(sys, 0, "You are a coding agent.", 1);
    add_text_block(sys, sys_b > 200 ? sys_b - 200 : 60, NULL, 1);
    tools = cJSON_AddArrayToObject(root, "tools");
    for (k = 0; k < NTOOLS && (k == 0 || k * 4000 < tools_b); k++)
        cJSON_AddItemToArray(
            tools, make_tool((unsigned)k,
                             tools_b < 4000 ? tools_b
                                            : tools_b / (tools_b / 4000 < NTOOLS
                                                             ? tools_b / 4000
                                                             : NTOOLS)));
    cJSON_AddItemToObject(
        root, "metadata",
        cJSON_CreateRaw("{\"user_id\":\"{\\\"device_id\\\":"
                        "\\\"5f1c0d6e2a9b7c3d4e5f6a7b8c9d0e1f"
                        "2a3b4c5d6e7f8091a2b3c4d5e6f70819\\\",\\\"account_"
                        "uuid\\\":\\\"\\\","
                        "\\\"session_id\\\":\\\"0b7e4a52-3c1d-4f8e-9a6b-"
                        "2d5c7e9f1a3b\\\"}\"}"));
    cJSON_AddNumberToObject(root, "max_tokens", 32000);
    cJSON_AddItemToObject(root, "thinking",
                          cJSON_CreateRaw("{\"type\":\"adaptive\"}"));
    cJSON_AddItemToObject(
        root, "context_management",
        cJSON_CreateRaw("{\"edits\":[{\"type\":\"clear_thinking_20251015\","
                        "\"keep\":\"all\"}]}"));
    cJSON_AddItemToObject(root, "output_config",
                          cJSON_CreateRaw("{\"effort\":\"high\"}"));
    cJSON_AddBoolToObject(root, "stream", stream);

    first = cJSON_CreateObject();
    cJSON_AddStringToObject(first, "role", "user");
    fc = cJSON_AddArrayToObject(first, "content");
    add_text_block(fc, 0,
                   "<system-reminder>\nAs you answer the user's "
                   "questions, you can use the following context.\n"
                   "</system-reminder>",
                   0);
    add_text_block(fc, 0, "list the files here and fix the failing test", 0);
    cJSON_AddItemToArray(msgs, first);

    /* Conversation turns of ~3 KB until the budget is nearly spent. */
    for (;;) {
        out = cJSON_PrintUnformatted(root);
        used = strlen(out);
        cJSON_free(out);
        if (used + 3500 > size)
            break;
        add_turn(msgs, 2000 + rnd(2000));
    }
    /* The last user turn carries the remainder, in plain words, so the
     * total lands on SIZE exactly. */
    last = cJSON_CreateObject();
    cJSON_AddStringToObject(last, "role", "user");
    lb = cJSON_AddArrayToObject(last, "content");
    add_text_block(lb, 0, "", 1);
    cJSON_AddItemToArray(msgs, last);
    out = cJSON_PrintUnformatted(root);
    used = strlen(out);
    cJSON_free(out);
    if (used < size) {
        size_t pad = size - used;
        char *t = malloc(pad + 1);

        for (k = 0; k < pad; k++)
            t[k] = (k % 7 == 6) ? ' ' : "abcdefghij"[rnd(10)];
        t[pad] = '\0';
        cJSON_ReplaceItemInObject(cJSON_GetArrayItem(lb, 0), "text",
                                  cJSON_CreateString(t));
        free(t);
    }
    out = cJSON_PrintUnformatted(root);
    fputs(out, stdout);
    cJSON_free(out);
    cJSON_Delete(root);
    return 0;
}
