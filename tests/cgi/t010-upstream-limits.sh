#!/bin/sh
# Caps measured on what the upstream sends are the upstream's fault: an
# SSE line over MAX_SSE_LINE or a whole answer over MAX_RESPONSE_BYTES is
# a 502 api_error (an `event: error` once the stream has begun), never
# the client's 413 request_too_large.
. "$(dirname "$0")/setup.sh"
start_mock

printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}' >"$OUT/sreq.json"
printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}' >"$OUT/req.json"
# chunk TEXT: one OpenAI stream chunk as a JSON string for the mock script
chunk() {
    printf '"data: {\\"id\\":\\"c1\\",\\"object\\":\\"chat.completion.chunk\\",\\"created\\":1,\\"model\\":\\"m\\",\\"choices\\":[{\\"index\\":0,\\"delta\\":{\\"content\\":\\"%s\\"},\\"finish_reason\\":null}]}"' "$1"
}
BIG=$(head -c 100000 /dev/zero | tr '\0' x)

# a line over the cap after a good event: the stream ends in error
script_mock "{\"steps\":[{\"sse\":[$(chunk 'ok '),$(chunk "$BIG"),\"data: [DONE]\"],\"interval_ms\":50}]}"
cgi POST /v1/messages "$OUT/sreq.json" MAX_SSE_LINE=64k
check "line over MAX_SSE_LINE mid-stream: the status stays 200" [ "$STATUS" = 200 ]
check "line over MAX_SSE_LINE mid-stream: the last event is error" \
    [ "$(events "$OUT/body" | tail -n 1)" = error ]
check "line over MAX_SSE_LINE mid-stream: the error is api_error" \
    [ "$(sse_json "$OUT/body" 'e[e.length-1].data.error.type')" = api_error ]
check "line over MAX_SSE_LINE mid-stream: the text before it was sent" \
    [ "$(sse_json "$OUT/body" 'e.filter(x => x.event === "content_block_delta").length')" = 1 ]
check "line over MAX_SSE_LINE mid-stream: evcheck accepts the stream" \
    "$EVCHECK" "$OUT/body"
check "line over MAX_SSE_LINE mid-stream: logged as bad gateway" \
    grep -q 'error=BADGATEWAY' "$OUT/err"

# the same line first: nothing was sent, so an HTTP 502
script_mock "{\"steps\":[{\"sse\":[$(chunk "$BIG"),\"data: [DONE]\"]}]}"
cgi POST /v1/messages "$OUT/sreq.json" MAX_SSE_LINE=64k
check "line over MAX_SSE_LINE first: HTTP 502 ($STATUS)" [ "$STATUS" = 502 ]
check "line over MAX_SSE_LINE first: an api_error body" is_error api_error
check "line over MAX_SSE_LINE first: the message names the cap" \
    grep -q MAX_SSE_LINE "$OUT/body"
check "line over MAX_SSE_LINE first: exit 0, sanitizer-clean" rc_ok

# a whole answer over MAX_RESPONSE_BYTES
script_mock "{\"steps\":[{\"json\":{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"$BIG\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}}]}"
cgi POST /v1/messages "$OUT/req.json" MAX_RESPONSE_BYTES=64k
check "answer over MAX_RESPONSE_BYTES: HTTP 502 ($STATUS)" [ "$STATUS" = 502 ]
check "answer over MAX_RESPONSE_BYTES: an api_error body" is_error api_error
check "answer over MAX_RESPONSE_BYTES: the message names the cap" \
    grep -q MAX_RESPONSE_BYTES "$OUT/body"
check "answer over MAX_RESPONSE_BYTES: exit 0, sanitizer-clean" rc_ok
# the same answer under the cap passes (the cap, not the body, failed)
script_mock "{\"steps\":[{\"json\":{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"$BIG\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}}]}"
cgi POST /v1/messages "$OUT/req.json" MAX_RESPONSE_BYTES=1m
check "the same answer under the cap: 200 ($STATUS)" [ "$STATUS" = 200 ]

done_testing
