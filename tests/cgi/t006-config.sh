#!/bin/sh
# Configuration at start: bad values name the variable and exit 1; the
# CLAUDE_PROXY_CONFIG file; the environment over the file; --check-config.
. "$(dirname "$0")/setup.sh"
start_mock

printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}' >"$OUT/req.json"

for bad in THREADS=0 THREADS=x MAX_BODY_BYTES=-1 LOG_LEVEL=loud \
    OPENAI_BASE_URL=ftp://x/v1 PING_INTERVAL=soon; do
    var=${bad%%=*}
    cgi GET /health - "$bad"
    check "$bad: exit 1" [ "$(cat "$OUT/rc")" = 1 ]
    check "$bad: stderr names $var" grep -q "$var" "$OUT/err"
    check "$bad: nothing on stdout" [ ! -s "$OUT/raw" ]
done

cgi GET /health - OPENAI_API_KEY=sk-secret-value-1 THREADS=nope
check "a config error does not print secrets" \
    sh -c "grep -q THREADS '$OUT/err' && ! grep -q sk-secret-value-1 '$OUT/err'"

# a .env file
cat >"$OUT/proxy.env" <<EOT
# claude-proxy settings
OPENAI_BASE_URL=$UP
export MODELS="claude-from-file"
OPENAI_API_KEY='sk-from-file'
EOT
cgi POST /v1/messages "$OUT/req.json" OPENAI_BASE_URL= \
    CLAUDE_PROXY_CONFIG="$OUT/proxy.env"
check "CLAUDE_PROXY_CONFIG: the file's upstream is used" [ "$STATUS" = 200 ]
mock_requests >"$OUT/seen.json"
check "CLAUDE_PROXY_CONFIG: the file's key is used" \
    [ "$(jq_ "$OUT/seen.json" 'j.requests[0].headers.authorization')" = "Bearer sk-from-file" ]
cgi GET /v1/models - CLAUDE_PROXY_CONFIG="$OUT/proxy.env"
check "CLAUDE_PROXY_CONFIG: MODELS from the file" \
    [ "$(jq_ "$OUT/body" 'j.data[0].id')" = claude-from-file ]
cgi GET /v1/models - CLAUDE_PROXY_CONFIG="$OUT/proxy.env" MODELS=claude-env
check "the environment overrides the file" \
    [ "$(jq_ "$OUT/body" 'j.data[0].id')" = claude-env ]
cgi GET /v1/models - CLAUDE_PROXY_CONFIG="$OUT/proxy.env" MODELS=
check "an empty environment value does not clear the file's" \
    [ "$(jq_ "$OUT/body" 'j.data[0].id')" = claude-from-file ]

cgi GET /health - CLAUDE_PROXY_CONFIG="$OUT/missing.env"
check "a missing config file: exit 1 naming CLAUDE_PROXY_CONFIG" \
    sh -c "[ \"\$(cat '$OUT/rc')\" = 1 ] && grep -q CLAUDE_PROXY_CONFIG '$OUT/err'"
printf 'OPENAI_BASE_URL=%s\nTHREADS=many\n' "$UP" >"$OUT/bad.env"
cgi GET /health - CLAUDE_PROXY_CONFIG="$OUT/bad.env"
check "a bad value in the file: exit 1 naming line and variable" \
    sh -c "[ \"\$(cat '$OUT/rc')\" = 1 ] && grep -q 'line 2' '$OUT/err' && grep -q THREADS '$OUT/err'"

env -i PATH="$PATH" OPENAI_BASE_URL="$UP" "$PROG" --check-config \
    >"$OUT/cc.out" 2>"$OUT/cc.err"
check "--check-config with a good config: exit 0" [ $? = 0 ]
env -i PATH="$PATH" THREADS=0 "$PROG" --check-config >"$OUT/cc.out" 2>"$OUT/cc.err"
check "--check-config with a bad config: exit 1 naming it" \
    sh -c "[ $? = 1 ] && grep -q THREADS '$OUT/cc.err'"

done_testing
