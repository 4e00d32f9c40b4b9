#!/bin/sh
# POST /v1/messages with "stream": true: SSE headers, the Anthropic event
# sequence, pings while the upstream is silent.
. "$(dirname "$0")/setup.sh"
start_mock

printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"Say hello"}]}' >"$OUT/req.json"

cgi POST '/v1/messages?beta=true' "$OUT/req.json" HTTP_X_API_KEY=k1
check "stream answer is 200" [ "$STATUS" = 200 ]
check "content-type text/event-stream" \
    [ "$(header content-type)" = text/event-stream ]
check "cache-control no-cache" [ "$(header cache-control)" = no-cache ]
check "x-accel-buffering no" [ "$(header x-accel-buffering)" = no ]
check "no content-length on a stream" [ -z "$(header content-length)" ]
check "exit 0, sanitizer-clean" rc_ok
check "first event message_start" \
    [ "$(events "$OUT/body" | head -n 1)" = message_start ]
check "last event message_stop" \
    [ "$(events "$OUT/body" | tail -n 1)" = message_stop ]
check "no error event" sh -c "! events '$OUT/body' | grep -q '^error$'"
check "the deltas spell the mock's text" \
    [ "$(sse_json "$OUT/body" 'e.filter(x => x.event === "content_block_delta").map(x => x.data.delta.text).join("")')" = "Hello from the mock upstream." ]
check "message_start names the client's model and a msg_ id" \
    [ "$(sse_json "$OUT/body" 'e[0].data.message.model + " " + /^msg_[A-Za-z0-9]{24}$/.test(e[0].data.message.id)')" = "claude-sonnet-4-5 true" ]
check "message_delta says end_turn" \
    [ "$(sse_json "$OUT/body" 'e.find(x => x.event === "message_delta").data.delta.stop_reason')" = end_turn ]
check "evcheck accepts the event stream" "$EVCHECK" "$OUT/body"

mock_requests >"$OUT/seen.json"
check "upstream request is a stream" \
    [ "$(jq_ "$OUT/seen.json" 'j.requests[0].body.stream')" = true ]
check "upstream Accept is text/event-stream" \
    [ "$(jq_ "$OUT/seen.json" 'j.requests[0].headers.accept')" = text/event-stream ]
check "the log line says stream=1 status=200" \
    grep -qE 'info: .*stream=1 .*status=200 .*upstream_status=200' "$OUT/err"

# upstream silent for 2.5 s after its headers: pings keep the line alive
reset_mock
script_mock '{"steps":[{"sse":[
 "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":null}]}",
 "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}",
 "data: [DONE]"], "stall_after":1, "stall_ms":3500}]}'
cgi POST /v1/messages "$OUT/req.json" PING_INTERVAL=1
check "a silent upstream: still 200" [ "$STATUS" = 200 ]
check "a silent upstream: evcheck accepts the pings" "$EVCHECK" "$OUT/body"
check "pings were sent while the upstream was silent" \
    [ "$(events "$OUT/body" | grep -c '^ping$')" -ge 3 ]
check "the stream still ends with message_stop" \
    [ "$(events "$OUT/body" | tail -n 1)" = message_stop ]
check "the text is whole" \
    [ "$(sse_json "$OUT/body" 'e.filter(x => x.event === "content_block_delta").map(x => x.data.delta.text).join("")')" = Hi ]

# upstream silent before its first event: the stream begins with a ping
reset_mock
script_mock '{"steps":[{"sse":[
 "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Late\"},\"finish_reason\":\"stop\"}]}",
 "data: [DONE]"], "stall_after":0, "stall_ms":2500}]}'
cgi POST /v1/messages "$OUT/req.json" PING_INTERVAL=1
check "silence before the first event: message_start and ping first" \
    [ "$(events "$OUT/body" | head -n 2 | tr '\n' ' ')" = "message_start ping " ]
check "then the late text" \
    [ "$(sse_json "$OUT/body" 'e.filter(x => x.event === "content_block_delta").map(x => x.data.delta.text).join("")')" = Late ]

done_testing
