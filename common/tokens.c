/*
 * tokens.c: a local estimate of Claude's token count (tokens.h).
 *
 * Used for POST /v1/messages/count_tokens, for message_start's
 * input_tokens (sent before the upstream reports anything) and for usage
 * when an upstream reports none.  It needs no vocabulary: text is cut
 * into runs of one character class and each run costs a per-class amount
 * calibrated against Claude's tokenizer (tests/tokens/calibrate.mjs; the
 * measured table is in the comment above the weights).
 *
 * Method, per run (a run is a maximal sequence of one class):
 *   letters  ASCII letters: a word up to WORD_CHARS letters is one token
 *            (BPE vocabularies hold whole common words), longer ones cost
 *            one more per WORD_CHARS letters; a single leading space or
 *            capital is free (BPE merges " word" into one token).
 *   digits   one token per DIGIT_CHARS digits (rounded up).
 *   space    a single space is free (it merges into the next word);
 *            longer runs (indentation) cost one per SPACE_CHARS; each
 *            newline run costs one.
 *   punct    each ASCII punctuation byte costs PUNCT_MILLI/1000: pairs
 *            such as "()", "\":" or "*\/" often merge.
 *   other    non-ASCII code points: NONASCII_MILLI/1000 each (CJK is
 *            about one token per character, accented Latin less).
 * The sum is kept in thousandths and rounded up at the end.
 */
#include "tokens.h"

#include <stdio.h>
#include <string.h>

#include "json.h"

/* Weights, in thousandths of a token unless noted. */
#define WORD_CHARS 6        /* letters per token beyond the first token */
#define DIGIT_CHARS 3       /* digits per token */
#define SPACE_CHARS 4       /* indentation blanks per token */
#define PUNCT_MILLI 800     /* one ASCII punctuation byte */
#define NEWLINE_MILLI 1000  /* one run of newlines */
#define NONASCII_MILLI 1000 /* one non-ASCII code point */

enum cls { C_LETTER, C_DIGIT, C_SPACE, C_NEWLINE, C_PUNCT, C_OTHER };

static enum cls
classify(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return C_LETTER;
    if (c >= '0' && c <= '9')
        return C_DIGIT;
    if (c == ' ' || c == '\t')
        return C_SPACE;
    if (c == '\n' || c == '\r')
        return C_NEWLINE;
    if (c >= 0x80)
        return C_OTHER;
    return C_PUNCT;
}

/* Thousandths of a token for n bytes of text. */
static unsigned long long
milli_text(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned long long m = 0;
    size_t i = 0;

    while (i < n) {
        enum cls k = classify(p[i]);
        size_t j = i + 1, cps = 0;

        while (j < n && classify(p[j]) == k)
            j++;
        switch (k) {
        case C_LETTER:
            m += 1000ULL * (1 + (j - i - 1) / WORD_CHARS);
            break;
        case C_DIGIT:
            m += 1000ULL * ((j - i + DIGIT_CHARS - 1) / DIGIT_CHARS);
            break;
        case C_SPACE:
            if (j - i > 1)
                m += 1000ULL * ((j - i + SPACE_CHARS - 1) / SPACE_CHARS);
            break;
        case C_NEWLINE:
            m += NEWLINE_MILLI;
            break;
        case C_PUNCT:
            m += (unsigned long long)PUNCT_MILLI * (j - i);
            break;
        case C_OTHER:
        default:
            /* count code points: lead bytes only */
            for (; i < j; i++)
                cps += (p[i] & 0xc0) != 0x80;
            m += (unsigned long long)NONASCII_MILLI * cps;
            break;
        }
        i = j;
    }
    return m;
}

static long
round_up(unsigned long long m)
{
    unsigned long long t = (m + 999) / 1000;

    return t > 0x7fffffffULL ? 0x7fffffffL : (long)t;
}

long
a2o_tokens_text(const char *s, size_t n)
{
    if (s == NULL)
        return 0;
    return round_up(milli_text(s, n));
}

/*
 * JSON (tool inputs, schemas, unknown blocks) is estimated from the tree,
 * not from printed text, so the estimate never allocates and never fails.
 * Structure characters are counted as the punctuation they print as.
 */
#define JSON_DEPTH 64 /* deeper parts count as one token per node */

static unsigned long long
milli_json(const cJSON *j, int depth)
{
    unsigned long long m = 0;
    const cJSON *c;
    char num[32];
    int w;

    if (j == NULL)
        return 0;
    if (depth > JSON_DEPTH)
        return 1000;
    switch (j->type & 0xff) {
    case cJSON_String:
        return milli_text(j->valuestring, strlen(j->valuestring)) +
               2 * PUNCT_MILLI; /* quotes */
    case cJSON_Number:
        w = snprintf(num, sizeof(num), "%.17g", j->valuedouble);
        return milli_text(num, w > 0 ? (size_t)w : 0);
    case cJSON_True:
    case cJSON_False:
    case cJSON_NULL:
        return 1000;
    case cJSON_Array:
    case cJSON_Object:
        m = 2 * PUNCT_MILLI; /* brackets */
        for (c = j->child; c != NULL; c = c->next) {
            if (c->string != NULL) /* "key": */
                m += milli_text(c->string, strlen(c->string)) +
                     3 * PUNCT_MILLI;
            m += milli_json(c, depth + 1) + PUNCT_MILLI; /* comma */
        }
        return m;
    default:
        return 0;
    }
}

/* Per-item overheads (role markers, block framing), in tokens. */
#define MSG_OVERHEAD 4
#define BLOCK_OVERHEAD 1
#define TOOL_OVERHEAD 8
/* Anthropic documents a fixed tool-use system prompt when tools are
 * present (346 tokens for tool_choice auto/none on current models). */
#define TOOLS_SYSTEM 346
/* Images: Anthropic charges width*height/750, at most about 1600 for an
 * image at the 1.15 megapixel limit; dimensions are unknown without
 * decoding, so every image costs the maximum. */
#define IMAGE_TOKENS 1600
/* PDFs: about 1500-3000 tokens per page; the page count is unknown, so
 * the base64 size stands in: one page per ~60 KB of base64, at least one. */
#define PDF_PAGE_TOKENS 2000
#define PDF_B64_PER_PAGE 60000

static unsigned long long milli_blocks(const cJSON *content, int depth);

static unsigned long long
milli_str(const char *s)
{
    return s != NULL ? milli_text(s, strlen(s)) : 0;
}

static unsigned long long
milli_block(const cJSON *b, int depth)
{
    const char *type = a2o_json_str(b, "type");
    const cJSON *src;

    if (cJSON_IsString(b))
        return milli_str(b->valuestring);
    if (type == NULL)
        return milli_json(b, depth);
    if (strcmp(type, "text") == 0)
        return milli_str(a2o_json_str(b, "text"));
    if (strcmp(type, "thinking") == 0)
        return milli_str(a2o_json_str(b, "thinking"));
    if (strcmp(type, "image") == 0)
        return 1000ULL * IMAGE_TOKENS;
    if (strcmp(type, "document") == 0) {
        const char *data, *stype;

        src = a2o_json_get(b, "source");
        data = a2o_json_str(src, "data");
        stype = a2o_json_str(src, "type");
        if (data != NULL && stype != NULL && strcmp(stype, "base64") == 0) {
            size_t pages = strlen(data) / PDF_B64_PER_PAGE + 1;

            return 1000ULL * PDF_PAGE_TOKENS * pages;
        }
        if (data != NULL)
            return milli_str(data);
        /* content source: its blocks; anything else: its JSON */
        if (a2o_json_get(src, "content") != NULL)
            return milli_blocks(a2o_json_get(src, "content"), depth + 1);
        return milli_json(src, depth);
    }
    if (strcmp(type, "tool_use") == 0 || strcmp(type, "server_tool_use") == 0)
        return milli_str(a2o_json_str(b, "name")) +
               milli_str(a2o_json_str(b, "id")) +
               milli_json(a2o_json_get(b, "input"), depth);
    if (strcmp(type, "tool_result") == 0)
        return milli_str(a2o_json_str(b, "tool_use_id")) +
               milli_blocks(a2o_json_get(b, "content"), depth + 1);
    return milli_json(b, depth);
}

/* A content value: a string or an array of blocks. */
static unsigned long long
milli_blocks(const cJSON *content, int depth)
{
    unsigned long long m = 0;
    const cJSON *b;

    if (content == NULL)
        return 0;
    if (cJSON_IsString(content))
        return milli_str(content->valuestring);
    if (!cJSON_IsArray(content) || depth > JSON_DEPTH)
        return milli_json(content, depth);
    cJSON_ArrayForEach(b, content)
        m += milli_block(b, depth + 1) + 1000ULL * BLOCK_OVERHEAD;
    return m;
}

long
a2o_tokens_request(const cJSON *req)
{
    unsigned long long m = 0;
    const cJSON *it, *tools;

    if (!cJSON_IsObject(req))
        return 0;
    m += milli_blocks(a2o_json_get(req, "system"), 0);
    cJSON_ArrayForEach(it, a2o_json_get(req, "messages"))
        m += milli_blocks(a2o_json_get(it, "content"), 0) +
             1000ULL * MSG_OVERHEAD;
    tools = a2o_json_get(req, "tools");
    if (cJSON_IsArray(tools) && cJSON_GetArraySize(tools) > 0) {
        m += 1000ULL * TOOLS_SYSTEM;
        cJSON_ArrayForEach(it, tools) {
            m += milli_str(a2o_json_str(it, "name")) +
                 milli_str(a2o_json_str(it, "description")) +
                 1000ULL * TOOL_OVERHEAD;
            if (a2o_json_get(it, "input_schema") != NULL)
                m += milli_json(a2o_json_get(it, "input_schema"), 0);
            else /* server tools: their parameters as sent */
                m += milli_json(it, 0);
        }
    }
    return round_up(m);
}

enum a2o_err
a2o_tokens_count(const cJSON *req, long *n, struct a2o_diag *d)
{
    const cJSON *model = a2o_json_get(req, "model");
    const cJSON *msgs = a2o_json_get(req, "messages");

    if (!cJSON_IsObject(req))
        return a2o_diag_set(d, A2O_E_BADREQ, NULL,
                            "request body must be a JSON object");
    if (model == NULL)
        return a2o_diag_set(d, A2O_E_BADREQ, "model", "field required");
    if (!cJSON_IsString(model))
        return a2o_diag_set(d, A2O_E_BADREQ, "model",
                            "expected a string");
    if (msgs == NULL)
        return a2o_diag_set(d, A2O_E_BADREQ, "messages", "field required");
    if (!cJSON_IsArray(msgs))
        return a2o_diag_set(d, A2O_E_BADREQ, "messages",
                            "expected an array");
    *n = a2o_tokens_request(req);
    return A2O_E_OK;
}
