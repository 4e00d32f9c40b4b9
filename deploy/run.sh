#!/bin/sh
# run.sh: serve claude-proxy in the foreground: lighttpd on HOST:PORT in
# front of a spawn-fcgi + multiwatch pool of $B/claude-proxy on a unix
# socket.  What `make run` and `make demo` execute.  Ctrl-C or SIGTERM
# stops all of it.
#
#   sh deploy/run.sh            (after `make`)
#   DEMO=1 sh deploy/run.sh     the project's mock upstream as the upstream
#
# Settings come from the environment, else from ENV_FILE (default: .env in
# the repo root, when present; ENV_FILE= disables it).  The responder
# reads the same file itself (CLAUDE_PROXY_CONFIG), the environment wins.
# Our own: PORT (8787), HOST (127.0.0.1), WORKERS (2 processes; each
# starts THREADS threads and grows up to MAX_THREADS), RUN_DIR ($B/run:
# socket, pids, logs, generated config; cleared at start), B (build dir).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
: "${B:=build}"
: "${DEMO:=}"
[ "$DEMO" = 0 ] && DEMO=
prog="$top/$B/claude-proxy"
env_file=${ENV_FILE-.env}
[ -n "$env_file" ] && [ ! -f "$env_file" ] && env_file=
[ -n "$DEMO" ] && env_file=  # the demo is self-contained

die() {
    echo "run.sh: $*" >&2
    exit 1
}

# Value of setting $1: environment first, then the env file, then $2.
# The file is read, never sourced (values may hold any character).
setting() {
    eval "v=\${$1-}"
    if [ -z "$v" ] && [ -n "$env_file" ]; then
        v=$(sed -n "s/^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}$1[[:space:]]*=[[:space:]]*//p" \
            "$env_file" | tail -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/")
    fi
    [ -n "$v" ] || v=$2
    printf '%s' "$v"
}

need() { # command, Debian package
    command -v "$1" >/dev/null 2>&1 ||
        die "$1 not found: install the Debian package $2 (sh deploy/deps.sh does)"
}
need lighttpd lighttpd
need spawn-fcgi spawn-fcgi
need multiwatch multiwatch
need curl curl
[ -n "$DEMO" ] && need node nodejs
[ -x "$prog" ] || die "$prog is missing: run make first"

port=$(setting PORT 8787)
host=$(setting HOST 127.0.0.1)
workers=$(setting WORKERS 2)
max_body=$(setting MAX_BODY_BYTES 32M)
case $port$workers in *[!0-9]*) die "PORT and WORKERS must be numbers" ;; esac
# The responder's size syntax: a number with an optional k/m/g suffix.
case ${max_body%[kKmMgG]} in
'' | *[!0-9]*) die "MAX_BODY_BYTES: expected bytes with an optional k/m/g suffix, got \"$max_body\"" ;;
esac
case $max_body in
*[kK]) max_kb=${max_body%?} ;;
*[mM]) max_kb=$((${max_body%?} * 1024)) ;;
*[gG]) max_kb=$((${max_body%?} * 1024 * 1024)) ;;
*) max_kb=$((max_body / 1024)) ;;
esac

run=${RUN_DIR:-$top/$B/run}
case $run in /*) ;; *) run=$top/$run ;; esac
# Only what this script made before (RUN_DIR may be any directory).
rm -rf "$run/www" "$run/logs" "$run/tmp"
rm -f "$run/fcgi.sock" "$run/lighttpd.conf" "$run"/*.pid "$run/mock.port"
mkdir -p "$run/www" "$run/logs" "$run/tmp"
sock=$run/fcgi.sock
echo '{"status":"ok"}' >"$run/www/health.json"

# The one templating step: point the var.cp_* lines of the real config
# at the run directory.  lighttpd's own limit sits 1 MiB above the
# responder's, so the responder answers "just over" with an Anthropic 413.
sed -e "s|^var.cp_host = .*|var.cp_host = \"$host\"|" \
    -e "s|^var.cp_port = .*|var.cp_port = $port|" \
    -e "s|^var.cp_socket = .*|var.cp_socket = \"$sock\"|" \
    -e "s|^var.cp_docroot = .*|var.cp_docroot = \"$run/www\"|" \
    -e "s|^var.cp_logdir = .*|var.cp_logdir = \"$run/logs\"|" \
    -e "s|^var.cp_tmpdir = .*|var.cp_tmpdir = \"$run/tmp\"|" \
    -e "s|^var.cp_max_request_kb = .*|var.cp_max_request_kb = $((max_kb + 1024))|" \
    lighttpd/lighttpd.conf >"$run/lighttpd.conf"
lighttpd -tt -f "$run/lighttpd.conf" >"$run/logs/lighttpd-check.log" 2>&1 ||
    die "lighttpd rejects $run/lighttpd.conf: $(cat "$run/logs/lighttpd-check.log")"

pids=
alive() {
    for p in $pids; do kill -0 "$p" 2>/dev/null && return 0; done
    return 1
}
stop() {
    trap - INT TERM EXIT
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    # multiwatch signals its workers (-s TERM; Debian 12's multiwatch maps
    # names off by one and sends QUIT, which claude-proxy also takes as a
    # graceful stop) and waits for them: requests in flight end first.  Bounded: after 10 s the rest
    # (and the workers of the pool, by parent PID) get SIGKILL.
    i=0
    while alive && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if alive; then
        for p in $pids; do
            pkill -KILL -P "$p" 2>/dev/null || true
            kill -KILL "$p" 2>/dev/null || true
        done
    fi
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    rm -f "$sock" "$run"/*.pid
}
trap 'stop; exit 0' INT TERM
trap 'stop' EXIT

upstream=$(setting OPENAI_BASE_URL http://localhost:8094/v1)
if [ -n "$DEMO" ]; then
    node tests/e2e/mock-upstream.mjs --demo --port 0 --port-file "$run/mock.port" \
        2>"$run/logs/mock.log" &
    echo $! >"$run/mock.pid"
    pids="$pids $!"
    i=0
    while [ ! -s "$run/mock.port" ]; do
        i=$((i + 1))
        [ $i -le 100 ] || die "the mock upstream did not start; see $run/logs/mock.log"
        sleep 0.1
    done
    upstream="http://127.0.0.1:$(cat "$run/mock.port")/v1"
    export OPENAI_BASE_URL="$upstream" OPENAI_API_KEY=demo-upstream-key
    unset PROXY_API_KEY HAIKU_MODEL_NAME MODEL_MAP 2>/dev/null || true
fi
if [ -n "$env_file" ]; then
    case $env_file in /*) CLAUDE_PROXY_CONFIG=$env_file ;; *) CLAUDE_PROXY_CONFIG=$top/$env_file ;; esac
    export CLAUDE_PROXY_CONFIG
fi

# spawn-fcgi -n binds the socket and execs multiwatch (same PID), which
# keeps WORKERS copies of the responder alive on it (a worker that dies
# is restarted).
spawn-fcgi -n -s "$sock" -M 0600 -- "$(command -v multiwatch)" -f "$workers" -s TERM -- "$prog" \
    2>"$run/logs/claude-proxy.log" &
echo $! >"$run/pool.pid"
pids="$pids $!"
lighttpd -D -f "$run/lighttpd.conf" 2>"$run/logs/lighttpd.log" &
echo $! >"$run/lighttpd.pid"
pids="$pids $!"

# Ready when a request makes it through lighttpd to a worker and back
# (HEAD / is answered by the responder without touching the upstream;
# lighttpd says 503 while the socket is not there yet).
base="http://$host:$port"
case $host in *:*) base="http://[$host]:$port" ;; esac
i=0
while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -I --max-time 2 "$base/" 2>/dev/null) || true
    case $code in [234]??) break ;; esac
    for p in $pids; do
        if ! kill -0 "$p" 2>/dev/null; then
            tail -n 5 "$run/logs/claude-proxy.log" "$run/logs/lighttpd.log" >&2
            grep -q 'Address already in use' "$run/logs/lighttpd.log" &&
                die "$host:$port is in use: stop what runs there or set PORT (make run PORT=...)"
            die "a server exited at start; see $run/logs/"
        fi
    done
    i=$((i + 1))
    [ $i -le 100 ] || die "no answer from $base/ after 10 s; see $run/logs/"
    sleep 0.1
done

proxy_key=$(setting PROXY_API_KEY '')
if [ -n "$proxy_key" ]; then
    token='<your PROXY_API_KEY>'
elif [ -n "$(setting OPENAI_API_KEY '')" ]; then
    token=any
else
    token='<your upstream API key>'
fi
cat <<EOF

claude-proxy is serving on $base
  lighttpd -> pool of $workers worker processes on $sock
  upstream: $upstream${DEMO:+ (the mock upstream, demo mode)}
  logs:     $run/logs/

Start Claude Code with:
  ANTHROPIC_BASE_URL=$base ANTHROPIC_AUTH_TOKEN=$token claude

Ctrl-C stops it.
EOF

if [ -n "$DEMO" ]; then
    echo
    echo "A plain answer:"
    echo "  curl -s $base/v1/messages -H 'content-type: application/json' -d '{\"model\":\"claude-demo\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'"
    curl -sS "$base/v1/messages" -H 'content-type: application/json' \
        -d '{"model":"claude-demo","max_tokens":100,"messages":[{"role":"user","content":"Hello"}]}' |
        sed 's/^/  /'
    echo
    echo
    echo "A streamed tool call:"
    body='{"model":"claude-demo","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"What time is it?"}],"tools":[{"name":"get_time","description":"Current time","input_schema":{"type":"object","properties":{}}}]}'
    echo "  curl -sN $base/v1/messages -H 'content-type: application/json' -d '$body'"
    curl -sSN "$base/v1/messages" -H 'content-type: application/json' -d "$body" | sed 's/^/  /'
    echo
fi

# Stay in the foreground until a signal, or until one server dies.
while :; do
    for p in $pids; do
        if ! kill -0 "$p" 2>/dev/null; then
            echo "run.sh: a server (pid $p) exited; stopping; see $run/logs/" >&2
            exit 1
        fi
    done
    # A background sleep keeps the shell in `wait`, which a trapped signal
    # interrupts at once.
    sleep 1 &
    wait $! || true
done
