#!/bin/sh
# Failures after the first event: the status is out, so they arrive as
# `event: error` and the stream ends.  A client that leaves stops the
# upstream transfer at once.
. "$(dirname "$0")/setup.sh"
start_mock

printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}' >"$OUT/req.json"
C='data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok \"},\"finish_reason\":null}]}'

# connection cut after some events (spaced, so they leave before the cut)
script_mock "{\"steps\":[{\"sse\":[\"$C\",\"$C\",\"$C\",\"$C\"],\"destroy_after\":3,\"interval_ms\":200}]}"
cgi POST /v1/messages "$OUT/req.json"
check "cut mid-stream: the status stays 200" [ "$STATUS" = 200 ]
check "cut mid-stream: the last event is error" \
    [ "$(events "$OUT/body" | tail -n 1)" = error ]
check "cut mid-stream: the text before the cut was sent" \
    [ "$(sse_json "$OUT/body" 'e.filter(x => x.event === "content_block_delta").length >= 1')" = true ]
check "cut mid-stream: error event is an Anthropic error" \
    [ "$(sse_json "$OUT/body" 'e[e.length-1].data.type + "/" + e[e.length-1].data.error.type')" = error/api_error ]
check "cut mid-stream: exit 0, sanitizer-clean" rc_ok
check "cut mid-stream: evcheck accepts the stream" "$EVCHECK" "$OUT/body"
check "cut mid-stream: logged with its error" grep -q 'status=200 .*error=' "$OUT/err"

# garbage after a good event
script_mock "{\"steps\":[{\"sse\":[\"$C\",\"data: {not json\",\"$C\"]}]}"
cgi POST /v1/messages "$OUT/req.json"
check "garbage mid-stream: ends with event: error" \
    [ "$(events "$OUT/body" | tail -n 1)" = error ]
check "garbage mid-stream: nothing after the error" \
    [ "$(events "$OUT/body" | grep -c '^error$')" = 1 ]
check "garbage mid-stream: evcheck accepts the stream" "$EVCHECK" "$OUT/body"

# silence after a good event, longer than IDLE_TIMEOUT
script_mock "{\"steps\":[{\"sse\":[\"$C\",\"$C\"],\"stall_after\":1,\"stall_ms\":4000}]}"
cgi POST /v1/messages "$OUT/req.json" IDLE_TIMEOUT=1 PING_INTERVAL=10
check "idle mid-stream: ends with event: error" \
    [ "$(events "$OUT/body" | tail -n 1)" = error ]
check "idle mid-stream: the error is timeout_error" \
    [ "$(sse_json "$OUT/body" 'e[e.length-1].data.error.type')" = timeout_error ]
check "idle mid-stream: evcheck accepts the stream" "$EVCHECK" "$OUT/body"

# garbage before any event: nothing was sent, so an HTTP error
script_mock '{"steps":[{"sse":["data: {not json"]}]}'
cgi POST /v1/messages "$OUT/req.json"
check "garbage first: an HTTP 502, not a stream" \
    [ "$STATUS" = 502 -a "$(header content-type)" = application/json ]
script_mock '{"steps":[{"sse":[]}]}'
cgi POST /v1/messages "$OUT/req.json"
check "an empty upstream stream: an HTTP 502" [ "$STATUS" = 502 ]

# the client leaves: the next write fails and the upstream call stops
reset_mock
script_mock "{\"steps\":[{\"sse\":[\"$C\",\"$C\",\"$C\",\"$C\",\"$C\",\"$C\",\"$C\",\"$C\",\"$C\",\"$C\"],\"interval_ms\":500}]}"
t0=$(date +%s)
env -i PATH="$PATH" OPENAI_BASE_URL="$UP" REQUEST_METHOD=POST \
    REQUEST_URI=/v1/messages CONTENT_LENGTH=$(wc -c <"$OUT/req.json") \
    timeout 30 "$PROG" <"$OUT/req.json" 2>"$OUT/err" | head -c 10 >/dev/null
t1=$(date +%s)
sleep 0.5
mock_requests >"$OUT/seen.json"
check "client gone: the process stops early" [ $((t1 - t0)) -le 3 ]
check "client gone: the upstream connection was closed early" \
    [ "$(jq_ "$OUT/seen.json" 'j.requests[0].closed_early')" = true ]
check "client gone: logged as such" grep -q 'client_gone' "$OUT/err"
check "client gone: sanitizer-clean" \
    sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' '$OUT/err'"

done_testing
