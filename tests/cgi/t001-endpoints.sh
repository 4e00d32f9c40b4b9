#!/bin/sh
# The endpoints answered without the upstream: health, root, models,
# count_tokens, telemetry, 404, 405, options; --version and --help.
. "$(dirname "$0")/setup.sh"

# nothing listens here: none of these may touch the upstream
UP="http://127.0.0.1:$(dead_port)/v1"

cgi GET /health -
check "GET /health is 200" [ "$STATUS" = 200 ]
check "GET /health says ok" [ "$(jq_ "$OUT/body" j.status)" = ok ]
check "GET /health is JSON" [ "$(header content-type)" = application/json ]
check "request-id is req_ + 24 alphanumerics" \
    sh -c 'echo "$1" | grep -qE "^req_[A-Za-z0-9]{24}\$"' _ "$(header request-id)"
check "GET /health exits 0, sanitizer-clean" rc_ok
check "GET /health logs one info line" \
    [ "$(grep -c 'info: .*path=/health .*status=200' "$OUT/err")" = 1 ]

cgi HEAD / -
check "HEAD / is 200" [ "$STATUS" = 200 ]
check "HEAD / has no body" [ ! -s "$OUT/body" ]
check "HEAD / logs nothing at info" [ ! -s "$OUT/err" ]

cgi GET / -
check "GET / is 200" [ "$STATUS" = 200 ]

cgi GET '/health?x=1' -
check "the query string is ignored" [ "$STATUS" = 200 ]

cgi GET /health - REQUEST_URI= SCRIPT_NAME=/health
check "SCRIPT_NAME+PATH_INFO without REQUEST_URI" [ "$STATUS" = 200 ]

# shared hosting: apache/htaccess under /claude/ rewrites to the wrapper,
# REQUEST_URI keeps the prefix, PATH_INFO carries the API path
cgi GET /claude/v1/models - PATH_INFO=/v1/models \
    SCRIPT_NAME=/claude/claude-proxy.fcgi
check "under a URL prefix PATH_INFO routes" [ "$STATUS" = 200 ]
cgi GET /claude/v1/models -
check "under a URL prefix without PATH_INFO: 404" [ "$STATUS" = 404 ]
# mod_fcgid's virtual wrapper splits /v1/messages: REQUEST_URI wins
cgi GET /v1/models - SCRIPT_NAME=/v1 PATH_INFO=/models
check "REQUEST_URI wins over a split PATH_INFO" [ "$STATUS" = 200 ]

cgi GET /v1/models -
check "GET /v1/models is 200" [ "$STATUS" = 200 ]
check "models: every id starts with claude" \
    [ "$(jq_ "$OUT/body" 'j.data.every(m => m.type === "model" && /^claude/.test(m.id) && m.display_name && m.created_at)')" = true ]
check "models: first_id, last_id, has_more" \
    [ "$(jq_ "$OUT/body" 'j.first_id === j.data[0].id && j.last_id === j.data[j.data.length-1].id && j.has_more === false')" = true ]

cgi GET /v1/models - "MODELS=claude-x, other-model" \
    "MODEL_MAP=claude-x=gpt-4o-mini"
check "MODELS first, then the claude defaults" \
    [ "$(jq_ "$OUT/body" 'j.data.map(m => m.id).join(",")')" = "claude-x,other-model,claude-opus-5-5,claude-sonnet-4-6,claude-haiku-5-5,claude-haiku-4-5-20251001,claude-opus-4-1,claude-sonnet-4-5,claude-haiku-4-5" ]
check "display_name shows the route" \
    [ "$(jq_ "$OUT/body" 'j.data[0].display_name')" = "claude-x (gpt-4o-mini)" ]

cgi GET /v1/models - "MODELS=claude-sonnet-4-5"
check "an id in MODELS and the defaults is listed once" \
    [ "$(jq_ "$OUT/body" 'j.data.filter(m => m.id === "claude-sonnet-4-5").length')" = 1 ]
cgi GET /v1/models - "MODEL_MAP=sonnet=big-model"
check "with MODEL_MAP: the claude ids show their route" \
    [ "$(jq_ "$OUT/body" 'j.data.find(m => m.id === "claude-sonnet-4-5").display_name')" = "claude-sonnet-4-5 (big-model)" ]

cgi GET /v1/models/claude-sonnet-4-5 -
check "GET /v1/models/{id} is 200" [ "$STATUS" = 200 ]
check "GET /v1/models/{id} names the id" \
    [ "$(jq_ "$OUT/body" 'j.id')" = claude-sonnet-4-5 ]
cgi GET '/v1/models/a%0Ab' -
check "GET /v1/models/{odd id} is 404" [ "$STATUS" = 404 ]

printf '%s' '{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hello, how many tokens is this?"}]}' >"$OUT/count.json"
cgi POST '/v1/messages/count_tokens?beta=true' "$OUT/count.json"
check "count_tokens is 200" [ "$STATUS" = 200 ]
check "count_tokens gives a positive input_tokens" \
    [ "$(jq_ "$OUT/body" 'Number.isInteger(j.input_tokens) && j.input_tokens > 0 && Object.keys(j).length === 1')" = true ]
printf '%s' '{"model":"claude-sonnet-4-5","messages":{}}' >"$OUT/count-bad.json"
cgi POST /v1/messages/count_tokens "$OUT/count-bad.json"
check "count_tokens with a bad body is 400" [ "$STATUS" = 400 ]
check "count_tokens 400 names the field" \
    sh -c "grep -q 'messages' '$OUT/body'"

printf '{"events":[]}' >"$OUT/ev.json"
cgi POST /api/event_logging/batch "$OUT/ev.json"
check "event logging is 204" [ "$STATUS" = 204 ]
check "event logging has no body and no Content-Length" \
    [ ! -s "$OUT/body" -a -z "$(header content-length)" ]
check "event logging logs nothing at info" [ ! -s "$OUT/err" ]
cgi POST /api/event_logging/batch "$OUT/ev.json" LOG_LEVEL=debug
check "event logging is logged at debug" grep -q 'debug: .*event_logging' "$OUT/err"

cgi GET /v1/nothing -
check "unknown path is 404" [ "$STATUS" = 404 ]
check "404 is not_found_error" is_error not_found_error

cgi GET /v1/messages -
check "GET /v1/messages is 405" [ "$STATUS" = 405 ]
check "405 carries Allow: POST" [ "$(header allow)" = POST ]
check "405 is an Anthropic error" is_error invalid_request_error
cgi DELETE /v1/models -
check "DELETE /v1/models is 405 with Allow: GET, HEAD" \
    [ "$STATUS" = 405 -a "$(header allow)" = "GET, HEAD" ]
cgi OPTIONS /v1/messages -
check "OPTIONS is 204 with Allow" [ "$STATUS" = 204 -a "$(header allow)" = POST ]

"$PROG" --version >"$OUT/version" 2>&1
check "--version prints the name" grep -q '^claude-proxy ' "$OUT/version"
"$PROG" --help >"$OUT/help" 2>&1
check "--help lists the settings" \
    sh -c "grep -q OPENAI_BASE_URL '$OUT/help' && grep -q MAX_BODY_BYTES '$OUT/help' && grep -q CLAUDE_PROXY_CONFIG '$OUT/help'"
"$PROG" --bogus >/dev/null 2>&1
check "an unknown option exits 2" [ $? = 2 ]

done_testing
