#!/bin/sh
# Over a real FastCGI socket (spawn-fcgi + cgi-fcgi as the web server):
# a client that leaves while the upstream is silent is noticed by the
# closed FastCGI connection, well before the next ping; sequential
# requests on one worker reuse one upstream TCP connection.
. "$(dirname "$0")/setup.sh"
start_mock

SOCK="$OUT/sock"
# start_app UPSTREAM_BASE VAR=VALUE...: the responder on $SOCK
start_app() {
    up=$1
    shift
    rm -f "$SOCK"
    env -i PATH="$PATH" OPENAI_BASE_URL="$up" "$@" \
        spawn-fcgi -n -s "$SOCK" -- "$PROG" 2>"$OUT/app.err" &
    APP_PID=$!
    PIDS="$PIDS $APP_PID"
    wait_sock
}
stop_app() {
    kill -TERM "$APP_PID" 2>/dev/null
    wait "$APP_PID" 2>/dev/null
}

printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}' >"$OUT/sreq.json"
printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}' >"$OUT/req.json"
C='data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":null}]}'

check "spawn-fcgi: the responder answers" \
    start_app "$UP" THREADS=2 PING_INTERVAL=30 IDLE_TIMEOUT=60

# the upstream goes silent for 10 s after one chunk; the web server
# (cgi-fcgi) is killed 1 s in, which closes the FastCGI connection
for kind in stream json; do
    reset_mock
    if [ $kind = stream ]; then
        script_mock "{\"steps\":[{\"sse\":[\"$C\",\"$C\",\"data: [DONE]\"],\"stall_after\":1,\"stall_ms\":10000}]}"
        f="$OUT/sreq.json"
    else
        script_mock '{"steps":[{"delay_ms":10000}]}'
        f="$OUT/req.json"
    fi
    # exec: $! is cgi-fcgi itself, so the kill closes its connection
    (exec env -i PATH="$PATH" REQUEST_METHOD=POST REQUEST_URI=/v1/messages \
        CONTENT_LENGTH="$(wc -c <"$f" | tr -d ' ')" \
        CONTENT_TYPE=application/json cgi-fcgi -bind -connect "$SOCK" \
        <"$f" >"$OUT/gone-$kind.raw" 2>"$OUT/gone-$kind.err") &
    CLIENT=$!
    sleep 1
    kill -KILL "$CLIENT" 2>/dev/null
    wait "$CLIENT" 2>/dev/null
    t0=$(date +%s%N)
    i=0
    closed=false
    while [ $i -lt 60 ]; do
        if mock_requests | grep -q '"closed_early":true'; then
            closed=true
            break
        fi
        sleep 0.05
        i=$((i + 1))
    done
    ms=$((($(date +%s%N) - t0) / 1000000))
    check "$kind: web server gone during upstream silence, upstream closed in $ms ms (< 3000, ping is 30 s)" \
        [ "$closed" = true -a "$ms" -lt 3000 ]
done
fcgi POST /v1/messages "$OUT/req.json" >"$OUT/after.raw" 2>/dev/null
check "a request after the disconnects: 200" grep -q '^Status: 200' "$OUT/after.raw"

# lighttpd closes the connection once Content-Length is satisfied: the
# log line must have arrived by then (fcgi-client.mjs does the same)
for what in "POST /v1/messages $OUT/req.json" "GET /health" "GET /nowhere"; do
    # shellcheck disable=SC2086
    node tests/cgi/fcgi-client.mjs "$SOCK" $what >"$OUT/lc.json"
    set -- $what
    check "$1 $2: the log line arrives before Content-Length is satisfied" \
        [ "$(jq_ "$OUT/lc.json" "j.status > 0 && (j.stderr.match(/path=\\S+ /g) || []).length === 1 && j.stderr.includes('path=$2 ')")" = true ]
done
stop_app

# one worker thread, five sequential requests (streamed and not): one
# upstream TCP connection, kept alive by the worker's curl handle
rm -f "$OUT/cport"
node tests/cgi/count-upstream.mjs "$OUT/cport" 2>"$OUT/count.log" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$OUT/cport" ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
CUP="http://127.0.0.1:$(cat "$OUT/cport")"
check "one thread: the responder answers" start_app "$CUP/v1" THREADS=1
n=0
for f in req sreq req sreq req; do
    fcgi POST /v1/messages "$OUT/$f.json" >"$OUT/keep.raw" 2>/dev/null
    grep -q '^Status: 200' "$OUT/keep.raw" && n=$((n + 1))
done
stop_app
curl -sf -m 5 "$CUP/__count" >"$OUT/count.json"
check "five sequential requests on one worker: all 200 ($n)" [ $n = 5 ]
check "the upstream saw five requests on one connection ($(cat "$OUT/count.json"))" \
    [ "$(jq_ "$OUT/count.json" 'j.requests + "/" + j.connections')" = 5/1 ]

# plain CGI: still exactly one line per request
cgi POST /v1/messages "$OUT/req.json"
check "CGI: one log line for a message" \
    [ "$(grep -c 'path=/v1/messages' "$OUT/err")" = 1 ]
cgi POST /v1/messages "$OUT/sreq.json"
check "CGI: one log line for a stream" \
    [ "$(grep -c 'path=/v1/messages' "$OUT/err")" = 1 ]

done_testing
