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
check "one thread: the responder answers" start_app "$CUP/v1" THREADS=1 \
    MAX_THREADS=1
n=0
for f in req sreq req sreq req; do
    fcgi POST /v1/messages "$OUT/$f.json" >"$OUT/keep.raw" 2>/dev/null
    grep -q '^Status: 200' "$OUT/keep.raw" && n=$((n + 1))
done
stop_app
curl -sf -m 5 "$CUP/__count" >"$OUT/count.json"
check "five sequential requests on one worker: all 200 ($n)" [ $n = 5 ]
# MAX_THREADS=1 runs two threads (the second answers 529 when the first
# is busy); each keeps its own connection, whichever takes a request
check "the upstream saw five requests on at most two connections ($(cat "$OUT/count.json"))" \
    [ "$(jq_ "$OUT/count.json" 'j.requests === 5 && j.connections >= 1 && j.connections <= 2')" = true ]

# The pool as deploy/run.sh starts it: spawn-fcgi + multiwatch -s TERM.
# Debian's multiwatch passes that on as SIGQUIT: still a graceful stop,
# the stream in flight ends normally and every thread is joined.
# start_pool PROG VAR=VALUE...
start_pool() {
    p=$1
    shift
    rm -f "$SOCK"
    env -i PATH="$PATH" OPENAI_BASE_URL="$UP" "$@" spawn-fcgi -n -s "$SOCK" \
        -- "$(command -v multiwatch)" -f 1 -s TERM -- "$p" 2>"$OUT/pool.err" &
    APP_PID=$!
    PIDS="$PIDS $APP_PID"
    wait_sock
}
check "multiwatch pool: answers" start_pool "$PROG" THREADS=2
script_mock "{\"steps\":[{\"sse\":[\"$C\",\"$C\",\"$C\",\"$C\",\"data: [DONE]\"],\"interval_ms\":300}]}"
fcgi POST /v1/messages "$OUT/sreq.json" >"$OUT/mw.raw" 2>/dev/null &
CLIENT=$!
sleep 0.5
stop_app
wait "$CLIENT"
awk 'BEGIN{h=1} h&&/^\r?$/{h=0;next} !h{print}' "$OUT/mw.raw" >"$OUT/mw.body"
check "multiwatch -s TERM: the stream in flight ends with message_stop" \
    [ "$(events "$OUT/mw.body" | tail -n 1)" = message_stop ]
check "multiwatch -s TERM: the worker stopped gracefully" \
    grep -q 'info: stopped' "$OUT/pool.err"

# Threads joined, also one idle on a kept-alive connection (nginx's
# fastcgi_keep_conn): no thread stack left for valgrind to report.
# valgrind cannot run a sanitizer build: there these checks are skips.
vg=
command -v valgrind >/dev/null 2>&1 && ! ldd "$PROG" | grep -q libasan && vg=1
vcheck() { # check, or a skip without valgrind
    if [ -n "$vg" ]; then
        check "$@"
    else
        say_skip "$1" "valgrind is missing or this is a sanitizer build"
    fi
}
if [ -n "$vg" ]; then
    printf '#!/bin/sh\nexec valgrind --leak-check=full --log-file=%s/vg.%%p.log %s "$@"\n' \
        "$OUT" "$PROG" >"$OUT/vg-wrap"
    chmod +x "$OUT/vg-wrap"
    rm -f "$OUT"/vg.*.log
fi
vcheck "valgrind pool: answers" start_pool "$OUT/vg-wrap" THREADS=3
t0=0 t1=0
if [ -n "$vg" ]; then
    FCGI_KEEP_MS=20000 node tests/cgi/fcgi-client.mjs "$SOCK" GET /health >"$OUT/keep.json" &
    KEEPER=$!
    PIDS="$PIDS $KEEPER"
    sleep 1
    t0=$(date +%s)
    stop_app
    t1=$(date +%s)
fi
vcheck "valgrind pool: the kept-alive connection was served" \
    [ "$(jq_ "$OUT/keep.json" 'j.status + "/" + j.ended' 2>/dev/null)" = 200/true ]
vcheck "valgrind pool: stopped within 10 s with an idle kept-alive connection ($((t1 - t0)) s)" \
    [ $((t1 - t0)) -le 10 ]
vcheck "valgrind: the worker exited normally (no signal death)" \
    sh -c "! grep -q 'Process terminating with default action' '$OUT'/vg.*.log"
vcheck "valgrind: no thread stack possibly lost (threads joined)" \
    sh -c "grep -q 'ERROR SUMMARY: 0 errors' '$OUT'/vg.*.log && ! grep -q 'possibly lost: [1-9]' '$OUT'/vg.*.log && grep -q 'LEAK SUMMARY\|All heap blocks were freed' '$OUT'/vg.*.log"
[ -n "$vg" ] && kill "$KEEPER" 2>/dev/null

# plain CGI: still exactly one line per request
cgi POST /v1/messages "$OUT/req.json"
check "CGI: one log line for a message" \
    [ "$(grep -c 'path=/v1/messages' "$OUT/err")" = 1 ]
cgi POST /v1/messages "$OUT/sreq.json"
check "CGI: one log line for a stream" \
    [ "$(grep -c 'path=/v1/messages' "$OUT/err")" = 1 ]

done_testing
