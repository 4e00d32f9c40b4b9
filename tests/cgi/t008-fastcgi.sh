#!/bin/sh
# Smoke test over a real FastCGI socket: spawn-fcgi starts the binary on
# a Unix socket, cgi-fcgi plays the web server.  Threads serve requests
# in parallel; SIGTERM lets a stream in flight finish, then exit 0.
# systemd socket activation (fd 3) with systemd-socket-activate.
. "$(dirname "$0")/setup.sh"
start_mock

SOCK="$OUT/sock"

split() {
    awk 'BEGIN{h=1} h&&/^\r?$/{h=0;next} !h{print}' "$1"
}

rm -f "$SOCK"
env -i PATH="$PATH" OPENAI_BASE_URL="$UP" THREADS=4 \
    spawn-fcgi -n -s "$SOCK" -- "$PROG" 2>"$OUT/app.err" &
APP_PID=$!
PIDS="$PIDS $APP_PID"
check "spawn-fcgi: the responder answers on its socket" wait_sock

fcgi GET /health - >"$OUT/h.raw" 2>"$OUT/h.err"
check "health over FastCGI: 200" grep -q '^Status: 200' "$OUT/h.raw"
check "the request log line goes to the FastCGI stderr stream" \
    grep -q 'info: .*path=/health' "$OUT/h.err"

printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}' >"$OUT/req.json"
printf '%s' '{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}' >"$OUT/sreq.json"
fcgi POST '/v1/messages?beta=true' "$OUT/req.json" HTTP_X_API_KEY=k >"$OUT/m.raw" 2>/dev/null
split "$OUT/m.raw" >"$OUT/m.body"
check "message over FastCGI: 200" grep -q '^Status: 200' "$OUT/m.raw"
check "message over FastCGI: the mock's text" \
    [ "$(jq_ "$OUT/m.body" 'j.content[0].text')" = "Hello from the mock upstream." ]

fcgi POST /v1/messages "$OUT/sreq.json" >"$OUT/s.raw" 2>/dev/null
split "$OUT/s.raw" >"$OUT/s.body"
check "stream over FastCGI ends with message_stop" \
    [ "$(events "$OUT/s.body" | tail -n 1)" = message_stop ]

# four slow streams at once on four threads
C='data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":null}]}'
STEP="{\"sse\":[\"$C\",\"$C\",\"$C\",\"$C\",\"data: [DONE]\"],\"interval_ms\":400}"
script_mock "{\"steps\":[$STEP,$STEP,$STEP,$STEP]}"
t0=$(date +%s%N)
pids=
for i in 1 2 3 4; do
    fcgi POST /v1/messages "$OUT/sreq.json" >"$OUT/p$i.raw" 2>/dev/null &
    pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
n=0
for i in 1 2 3 4; do
    split "$OUT/p$i.raw" >"$OUT/p$i.body"
    [ "$(events "$OUT/p$i.body" | tail -n 1)" = message_stop ] && n=$((n + 1))
done
check "four parallel streams all complete" [ $n = 4 ]
check "four parallel 1.6 s streams take well under 4 x 1.6 s ($ms ms)" \
    [ "$ms" -lt 4500 ]

# SIGTERM while a stream is in flight: it finishes, then exit 0
# quick requests at once first, so every thread has served or lost a
# race: once the shutdown is pending FCGX_Accept_r hands back whatever
# errno a thread kept, and EAGAIN from one made the loop spin
quick=
for i in 1 2 3 4 5 6 7 8; do
    fcgi POST /v1/messages "$OUT/req.json" >/dev/null 2>&1 &
    quick="$quick $!"
done
# shellcheck disable=SC2086
wait $quick
script_mock "{\"steps\":[{\"sse\":[\"$C\",\"$C\",\"$C\",\"$C\",\"$C\",\"data: [DONE]\"],\"interval_ms\":300}]}"
fcgi POST /v1/messages "$OUT/sreq.json" >"$OUT/t.raw" 2>/dev/null &
CLIENT=$!
sleep 0.6
# CPU ticks of the process (utime + stime, /proc/PID/stat fields 14, 15)
ticks() { awk '{ print $14 + $15 }' "/proc/$APP_PID/stat" 2>/dev/null || echo 0; }
t0=$(ticks)
kill -TERM "$APP_PID"
wait "$CLIENT"
t1=$(ticks)
split "$OUT/t.raw" >"$OUT/t.body"
check "SIGTERM: the stream in flight still ends with message_stop" \
    [ "$(events "$OUT/t.body" | tail -n 1)" = message_stop ]
# the idle threads wait for the end, not spin on the closed socket (a
# spin takes both cores for the whole second the stream still runs)
check "SIGTERM: idle threads do not spin while the stream ends ($((t1 - t0)) ticks)" \
    [ $((t1 - t0)) -lt 30 ]
i=0
while kill -0 "$APP_PID" 2>/dev/null && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
check "SIGTERM: the process exits" sh -c "! kill -0 $APP_PID 2>/dev/null"
wait "$APP_PID"
rc=$?
check "SIGTERM: exit status 0 ($rc)" [ "$rc" = 0 ]
check "SIGTERM: sanitizer-clean" \
    sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' '$OUT/app.err'"
check "process messages on stderr: start and stop" \
    sh -c "grep -q 'serving with 4 threads' '$OUT/app.err' && grep -q 'stopped' '$OUT/app.err'"
check "no request log lines on the process stderr" \
    sh -c "! grep -q 'path=/' '$OUT/app.err'"

# systemd socket activation: the socket arrives as fd 3
rm -f "$SOCK"
systemd-socket-activate -l "$SOCK" -E OPENAI_BASE_URL="$UP" -E THREADS=2 \
    "$PROG" 2>"$OUT/sd.err" &
APP_PID=$!
PIDS="$PIDS $APP_PID"
check "LISTEN_FDS: the responder answers on fd 3" wait_sock
fcgi POST /v1/messages "$OUT/req.json" >"$OUT/sd.raw" 2>/dev/null
check "LISTEN_FDS: a message request works" grep -q '^Status: 200' "$OUT/sd.raw"
kill -TERM "$APP_PID"
wait "$APP_PID"
rc=$?
check "LISTEN_FDS: SIGTERM exits 0 ($rc)" [ "$rc" = 0 ]
check "LISTEN_FDS: THREADS from its environment" \
    grep -q 'serving with 2 threads' "$OUT/sd.err"

done_testing
