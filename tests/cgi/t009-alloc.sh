#!/bin/sh
# The debug build (fcgi/pool.c with -DSRV_COUNT_ALLOC) counts every
# cJSON-hook allocation per thread: each request, whatever its ending,
# must free all it allocated.
. "$(dirname "$0")/setup.sh"
start_mock
PROG="$top/$B/tests/claude-proxy-count"
CGI_ENV=LOG_LEVEL=debug

printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}' >"$OUT/req.json"
printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}' >"$OUT/sreq.json"
printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":[{"type":"image"}]}]}' >"$OUT/bad.json"
C='data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok \"},\"finish_reason\":null}]}'

# no_leak TEXT: the last run freed everything and did allocate
no_leak() {
    check "$1: no leak" sh -c "! grep -q 'leak:' '$OUT/err'"
    check "$1: the hooks counted" \
        grep -qE 'request made [1-9][0-9]* allocations' "$OUT/err"
}

cgi POST /v1/messages "$OUT/req.json"
no_leak "non-stream message"
cgi POST /v1/messages "$OUT/sreq.json"
no_leak "stream message"
cgi POST /v1/messages "$OUT/bad.json"
check "bad request is 400" [ "$STATUS" = 400 ]
no_leak "400"
cgi POST /v1/messages/count_tokens "$OUT/req.json"
no_leak "count_tokens"
cgi GET /v1/models -
no_leak "models"
script_mock '{"steps":[{"status":429,"json":{"error":{"message":"x"}}}]}'
cgi POST /v1/messages "$OUT/sreq.json"
no_leak "upstream 429 on a stream"
script_mock "{\"steps\":[{\"sse\":[\"$C\",\"$C\",\"$C\"],\"destroy_after\":2,\"interval_ms\":100}]}"
cgi POST /v1/messages "$OUT/sreq.json"
no_leak "stream cut mid-way"
script_mock "{\"steps\":[{\"sse\":[\"$C\",\"data: {bad\"]}]}"
cgi POST /v1/messages "$OUT/sreq.json"
no_leak "garbage mid-stream"
script_mock '{"steps":[{"status":200,"body":"{\"choices\":[]}"}]}'
cgi POST /v1/messages "$OUT/req.json"
no_leak "unusable non-stream answer"
head -c 3000 /dev/zero | tr '\0' ' ' >"$OUT/big.json"
cgi POST /v1/messages "$OUT/big.json" MAX_BODY_BYTES=1024 CONTENT_LENGTH=
check "413 without CONTENT_LENGTH: no leak" sh -c "[ $STATUS = 413 ] && ! grep -q 'leak:' '$OUT/err'"

done_testing
