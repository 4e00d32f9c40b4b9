#!/bin/sh
# Errors before the first byte: the client's own (400 with the field
# path, 413) and the upstream's (status mapped, retry-after copied,
# unreachable, timeout).
. "$(dirname "$0")/setup.sh"
start_mock

printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}' >"$OUT/req.json"
printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}' >"$OUT/sreq.json"

printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text"}]}]}' >"$OUT/bad.json"
cgi POST /v1/messages "$OUT/bad.json"
check "malformed body is 400" [ "$STATUS" = 400 ]
check "400 is invalid_request_error" is_error invalid_request_error
check "400 message names the field path" \
    sh -c 'echo "$1" | grep -q "^messages\[0\]\.content\[0\]"' _ "$(jq_ "$OUT/body" j.error.message)"
mock_requests >"$OUT/seen.json"
check "400 did not reach the upstream" \
    [ "$(jq_ "$OUT/seen.json" j.requests.length)" = 0 ]
check "400 log line names the error and path" \
    grep -q 'status=400 .*BADREQ' "$OUT/err"

printf '{"model": ' >"$OUT/trunc.json"
cgi POST /v1/messages "$OUT/trunc.json"
check "truncated JSON is 400 invalid_request_error" \
    sh -c '[ "$1" = 400 ]' _ "$STATUS"
check "truncated JSON: Anthropic error body" is_error invalid_request_error
cgi POST /v1/messages -
check "empty body is 400" [ "$STATUS" = 400 ]

# 413: declared too large (nothing read), and undeclared (chunked)
head -c 5000 /dev/zero | tr '\0' ' ' >"$OUT/big.json"
cgi POST /v1/messages "$OUT/big.json" MAX_BODY_BYTES=4096
check "body over MAX_BODY_BYTES is 413" [ "$STATUS" = 413 ]
check "413 is request_too_large" is_error request_too_large
cgi POST /v1/messages "$OUT/big.json" MAX_BODY_BYTES=4096 CONTENT_LENGTH=
check "no CONTENT_LENGTH, body over the cap: 413" [ "$STATUS" = 413 ]
cgi POST /v1/messages "$OUT/big.json" MAX_BODY_BYTES=4096 CONTENT_LENGTH=10
check "a lying CONTENT_LENGTH does not lift the cap" [ "$STATUS" = 413 ]
cgi POST /v1/messages "$OUT/req.json" MAX_BODY_BYTES=4096
check "a body under the cap passes" [ "$STATUS" = 200 ]

# upstream statuses
reset_mock
script_mock '{"steps":[{"status":429,"headers":{"retry-after":"7"},"json":{"error":{"message":"slow down please","type":"rate_limit"}}}]}'
cgi POST /v1/messages "$OUT/req.json"
check "upstream 429 is 429" [ "$STATUS" = 429 ]
check "429 is rate_limit_error" is_error rate_limit_error
check "retry-after is copied" [ "$(header retry-after)" = 7 ]
check "the upstream's message is kept" \
    sh -c 'echo "$1" | grep -q "slow down please"' _ "$(jq_ "$OUT/body" j.error.message)"
check "the log line shows upstream_status=429" \
    grep -q 'status=429 upstream_status=429' "$OUT/err"

# retry-after past RETRY_MAX_WAIT (5 s): passed on, not waited out
script_mock '{"steps":[{"status":429,"headers":{"retry-after":"9"},"json":{"error":{"message":"busy"}}}]}'
cgi POST /v1/messages "$OUT/sreq.json"
check "a stream request: upstream 429 is still an HTTP 429" \
    [ "$STATUS" = 429 -a "$(header retry-after)" = 9 ]
check "a stream request's error is JSON, not SSE" \
    [ "$(header content-type)" = application/json ]

script_mock '{"steps":[{"status":503,"body":"<html><body>Service Unavailable</body></html>"}]}'
cgi POST /v1/messages "$OUT/req.json"
check "upstream 503 is 529 overloaded_error" \
    sh -c '[ "$1" = 529 ]' _ "$STATUS"
check "529 body is an Anthropic error" is_error overloaded_error
check "HTML is not copied into the message" \
    sh -c "! grep -q '<html>' '$OUT/body'"

script_mock '{"steps":[{"status":401,"json":{"error":{"message":"bad key"}}}]}'
cgi POST /v1/messages "$OUT/req.json"
check "upstream 401 is 401 authentication_error" \
    [ "$STATUS" = 401 -a "$(jq_ "$OUT/body" j.error.type)" = authentication_error ]

script_mock '{"steps":[{"status":200,"body":"this is not json"}]}'
cgi POST /v1/messages "$OUT/req.json"
check "upstream garbage with 200 is 502 api_error" \
    [ "$STATUS" = 502 -a "$(jq_ "$OUT/body" j.error.type)" = api_error ]

# upstream unreachable
cgi POST /v1/messages "$OUT/req.json" "OPENAI_BASE_URL=http://127.0.0.1:$(dead_port)/v1"
check "unreachable upstream is 502" [ "$STATUS" = 502 ]
check "502 is api_error" is_error api_error
check "unreachable: exit 0, sanitizer-clean" rc_ok
cgi POST /v1/messages "$OUT/sreq.json" "OPENAI_BASE_URL=http://127.0.0.1:$(dead_port)/v1"
check "unreachable, stream request: 502 JSON" \
    [ "$STATUS" = 502 -a "$(header content-type)" = application/json ]

# upstream slower than IDLE_TIMEOUT before its status line
reset_mock
script_mock '{"steps":[{"delay_ms":4000,"json":{}}]}'
cgi POST /v1/messages "$OUT/req.json" IDLE_TIMEOUT=1
check "upstream silent past IDLE_TIMEOUT: 504 timeout_error" \
    [ "$STATUS" = 504 -a "$(jq_ "$OUT/body" j.error.type)" = timeout_error ]
script_mock '{"steps":[{"delay_ms":4000,"json":{}}]}'
cgi POST /v1/messages "$OUT/req.json" REQUEST_TIMEOUT=1
check "upstream slower than REQUEST_TIMEOUT: 504" [ "$STATUS" = 504 ]
script_mock '{"steps":[{"delay_ms":1500}]}'
cgi POST /v1/messages "$OUT/req.json" IDLE_TIMEOUT=0
check "IDLE_TIMEOUT=0 means no limit" [ "$STATUS" = 200 ]
sleep 3 # let the mock finish its delayed answers before it is stopped

done_testing
