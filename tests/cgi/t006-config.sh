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

# providers and routes: each bad setting stops the start, naming it
bad_start() {
    what=$1 want=$2
    shift 2
    env -i PATH="$PATH" "$@" "$PROG" --check-config >"$OUT/cc.out" 2>"$OUT/cc.err"
    rc=$?
    check "$what: exit 1 naming $want" \
        sh -c "[ $rc = 1 ] && grep -q '$want' '$OUT/cc.err' && [ ! -s '$OUT/cc.out' ]"
}
bad_start "a route naming an unknown provider" 'ROUTES: .*unknown provider "nowhere"' \
    ROUTES='haiku=nowhere:m'
bad_start "an empty target" 'ROUTES: .*empty target' ROUTES='haiku=default|'
bad_start "an unknown condition" 'ROUTES: .*unknown condition "thinkin"' \
    ROUTES='opus+thinkin=default'
bad_start "a provider with no base URL" 'PROVIDER_LOCAL_BASE_URL: required' \
    PROVIDER_LOCAL_API_KEY=sk-secret-value-2
check "... and its key is not printed" sh -c "! grep -q sk-secret-value-2 '$OUT/cc.err'"
bad_start "an unknown provider setting" 'PROVIDER_LOCAL_FOO' \
    PROVIDER_LOCAL_BASE_URL=http://127.0.0.1:9/v1 PROVIDER_LOCAL_FOO=1
bad_start "THREADS over MAX_THREADS" 'THREADS: expected at most MAX_THREADS' \
    THREADS=8 MAX_THREADS=4

# --check-config lists the providers, keys masked, and the rules in order
env -i PATH="$PATH" OPENAI_API_KEY=sk-main-secret-0001 HAIKU_MODEL_NAME=tiny \
    PROVIDER_LOCAL_BASE_URL=http://127.0.0.1:8080/v1 \
    PROVIDER_OR_BASE_URL=https://openrouter.ai/api/v1 \
    PROVIDER_OR_API_KEY=sk-or-secret-value-9999 \
    ROUTES='haiku=local:qwen3-4b;*=or:qwen/qwen3-coder|default' \
    "$PROG" --check-config >"$OUT/cc.out" 2>"$OUT/cc.err"
check "--check-config with providers: exit 0" [ $? = 0 ]
check "--check-config lists the providers" \
    sh -c "grep -q '^  default ' '$OUT/cc.out' && grep -q '^  haiku .* model tiny' '$OUT/cc.out' && grep -q '^  local ' '$OUT/cc.out' && grep -q '^  or .*openrouter.ai' '$OUT/cc.out'"
check "--check-config masks the keys" \
    sh -c "grep -q '\.\.\.9999 (23 characters)' '$OUT/cc.out' && ! grep -q 'sk-or-secret' '$OUT/cc.out' && ! grep -q sk-main-secret '$OUT/cc.out'"
check "--check-config lists the rules in order" \
    sh -c "grep -q '^  1\. haiku = local:qwen3-4b' '$OUT/cc.out' && grep -q '^  2\. \* = or:qwen/qwen3-coder | default' '$OUT/cc.out'"

done_testing
