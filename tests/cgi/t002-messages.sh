#!/bin/sh
# POST /v1/messages, non-stream: the answer, the upstream request, the
# client's key passed through, the log line.
. "$(dirname "$0")/setup.sh"
start_mock

KEY=sk-client-secret-0123456789
printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"Say hello"}]}' >"$OUT/req.json"

cgi POST '/v1/messages?beta=true' "$OUT/req.json" HTTP_X_API_KEY=$KEY
check "non-stream answer is 200" [ "$STATUS" = 200 ]
check "content-type is application/json" \
    [ "$(header content-type)" = application/json ]
check "request-id header" sh -c 'echo "$1" | grep -q "^req_"' _ "$(header request-id)"
check "exit 0, sanitizer-clean" rc_ok
check "the answer is an Anthropic message" \
    [ "$(jq_ "$OUT/body" 'j.type + "/" + j.role')" = message/assistant ]
check "message id is msg_ + random" \
    sh -c 'echo "$1" | grep -qE "^msg_[A-Za-z0-9]{24}$"' _ "$(jq_ "$OUT/body" j.id)"
check "the model is the one the client asked for" \
    [ "$(jq_ "$OUT/body" j.model)" = claude-sonnet-4-5 ]
check "the text is the mock's" \
    [ "$(jq_ "$OUT/body" 'j.content[0].text')" = "Hello from the mock upstream." ]
check "stop_reason end_turn" [ "$(jq_ "$OUT/body" j.stop_reason)" = end_turn ]
check "usage is carried" \
    [ "$(jq_ "$OUT/body" 'j.usage.output_tokens > 0')" = true ]

mock_requests >"$OUT/seen.json"
check "the mock got one valid chat request" \
    [ "$(jq_ "$OUT/seen.json" 'j.requests.length + "/" + j.requests[0].valid')" = 1/true ]
check "the client's key went upstream as Bearer" \
    [ "$(jq_ "$OUT/seen.json" 'j.requests[0].headers.authorization')" = "Bearer $KEY" ]
check "upstream content-type is JSON" \
    [ "$(jq_ "$OUT/seen.json" 'j.requests[0].headers["content-type"]')" = application/json ]
check "upstream request is not a stream" \
    [ "$(jq_ "$OUT/seen.json" '!j.requests[0].body.stream')" = true ]
check "the log line names model, status, upstream status" \
    grep -qE 'info: .*path=/v1/messages .*model=claude-sonnet-4-5 .*status=200 .*upstream_status=200' "$OUT/err"
check "the key is not in stderr" sh -c "! grep -q '$KEY' '$OUT/err'"
check "one log line" [ "$(wc -l <"$OUT/err")" = 1 ]

# Authorization: Bearer works as well as x-api-key
reset_mock
cgi POST /v1/messages "$OUT/req.json" "HTTP_AUTHORIZATION=Bearer $KEY"
mock_requests >"$OUT/seen.json"
check "Bearer from the client is passed through" \
    [ "$STATUS" = 200 -a "$(jq_ "$OUT/seen.json" 'j.requests[0].headers.authorization')" = "Bearer $KEY" ]

# a configured upstream key wins over the client's
reset_mock
cgi POST /v1/messages "$OUT/req.json" HTTP_X_API_KEY=$KEY OPENAI_API_KEY=sk-upstream-conf
mock_requests >"$OUT/seen.json"
check "OPENAI_API_KEY is sent instead of the client's key" \
    [ "$(jq_ "$OUT/seen.json" 'j.requests[0].headers.authorization')" = "Bearer sk-upstream-conf" ]
check "the configured key is not in stderr" \
    sh -c "! grep -q 'sk-upstream-conf' '$OUT/err' && ! grep -q '$KEY' '$OUT/err'"

# a key with a line break is never copied into a header
reset_mock
cgi POST /v1/messages "$OUT/req.json" "HTTP_X_API_KEY=abc
X-Evil: 1"
mock_requests >"$OUT/seen.json"
check "a key with a newline is not passed on" \
    [ "$(jq_ "$OUT/seen.json" 'String(j.requests[0].headers.authorization) + String(j.requests[0].headers["x-evil"])')" = undefinedundefined ]

# MODEL_MAP / HAIKU_MODEL_NAME routing reaches the upstream request
reset_mock
printf '%s' '{"model":"claude-haiku-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}' >"$OUT/haiku.json"
cgi POST /v1/messages "$OUT/haiku.json" HAIKU_MODEL_NAME=small-model
mock_requests >"$OUT/seen.json"
check "haiku goes to HAIKU_MODEL_NAME" \
    [ "$(jq_ "$OUT/seen.json" 'j.requests[0].body.model')" = small-model ]
check "the answer still names the client's model" \
    [ "$(jq_ "$OUT/body" j.model)" = claude-haiku-4-5 ]
check "the log shows client -> upstream model" \
    grep -q 'model=claude-haiku-4-5 upstream_model=small-model' "$OUT/err"

# a body without CONTENT_LENGTH (chunked upload through Apache) is read
reset_mock
cgi POST /v1/messages "$OUT/req.json" CONTENT_LENGTH=
check "no CONTENT_LENGTH: the body is read to EOF" [ "$STATUS" = 200 ]

done_testing
