#!/bin/sh
# PROXY_API_KEY: the client must present it (x-api-key or Bearer); it is
# never sent upstream and never logged.
. "$(dirname "$0")/setup.sh"
start_mock

PK=proxy-key-4f9a8b7c6d5e
printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}' >"$OUT/req.json"
CGI_ENV="PROXY_API_KEY=$PK LOG_LEVEL=debug"

cgi POST /v1/messages "$OUT/req.json"
check "no key: 401" [ "$STATUS" = 401 ]
check "401 is authentication_error" is_error authentication_error
cgi POST /v1/messages "$OUT/req.json" HTTP_X_API_KEY=wrong-key
check "wrong x-api-key: 401" [ "$STATUS" = 401 ]
cgi POST /v1/messages "$OUT/req.json" HTTP_X_API_KEY=${PK}x
check "the key with one byte more: 401" [ "$STATUS" = 401 ]
cgi POST /v1/messages "$OUT/req.json" "HTTP_AUTHORIZATION=Bearer nope"
check "wrong Bearer: 401" [ "$STATUS" = 401 ]
mock_requests >"$OUT/seen.json"
check "no refused request reached the upstream" \
    [ "$(jq_ "$OUT/seen.json" j.requests.length)" = 0 ]
cgi GET /v1/models -
check "models need the key too" [ "$STATUS" = 401 ]
cgi POST /v1/messages/count_tokens "$OUT/req.json"
check "count_tokens needs the key too" [ "$STATUS" = 401 ]
cgi GET /health -
check "health does not need the key" [ "$STATUS" = 200 ]

cgi POST /v1/messages "$OUT/req.json" HTTP_X_API_KEY=$PK
check "right x-api-key: 200" [ "$STATUS" = 200 ]
mock_requests >"$OUT/seen.json"
check "the proxy key is not sent upstream" \
    [ "$(jq_ "$OUT/seen.json" 'String(j.requests[0].headers.authorization)')" = undefined ]
cgi POST /v1/messages "$OUT/req.json" "HTTP_AUTHORIZATION=Bearer $PK"
check "right Bearer: 200" [ "$STATUS" = 200 ]
cgi POST /v1/messages "$OUT/req.json" HTTP_X_API_KEY=wrong "HTTP_AUTHORIZATION=Bearer $PK"
check "either header may carry it" [ "$STATUS" = 200 ]

reset_mock
cgi POST /v1/messages "$OUT/req.json" HTTP_X_API_KEY=$PK OPENAI_API_KEY=sk-up-777
mock_requests >"$OUT/seen.json"
check "with OPENAI_API_KEY: that key goes upstream" \
    [ "$(jq_ "$OUT/seen.json" 'j.requests[0].headers.authorization')" = "Bearer sk-up-777" ]

# nothing secret in any log, even at debug
cgi POST /v1/messages "$OUT/req.json" HTTP_X_API_KEY=$PK OPENAI_API_KEY=sk-up-777
cp "$OUT/err" "$OUT/err.all"
cgi POST /v1/messages "$OUT/req.json" HTTP_X_API_KEY=wrong-$PK
cat "$OUT/err" >>"$OUT/err.all"
check "stderr holds log lines" [ -s "$OUT/err.all" ]
check "no key in stderr at LOG_LEVEL=debug" \
    sh -c "! grep -qE '$PK|sk-up-777' '$OUT/err.all'"

done_testing
