# tests/container/systemd.sh: deploy/systemd/ under a real systemd, sourced
# by tests/container/run.sh (its t, note, $dir, the private dockerd).
#
# A Debian 12 container boots /lib/systemd/systemd (tests/container/
# systemd.Dockerfile) with its own cgroup namespace and a writable cgroup
# mount; the units are installed as shipped.  Checked: socket activation
# (the socket listens, the first request starts the service), a
# /v1/messages request through the socket to the mock upstream on the
# host's 127.0.0.1, as the web server's group www-data; a worker killed
# with SIGSEGV comes back (multiwatch), multiwatch killed with SIGSEGV
# comes back (Restart=on-failure); systemctl stop lets an open stream
# finish; claude-proxy-pool.service binds the socket itself.

# the image the unit files' binaries come from
if ! docker image inspect claude-proxy >/dev/null 2>&1; then
    t "the image builds (for its binaries)" sh -c \
        'docker build -q --network host -f deploy/docker/Dockerfile -t claude-proxy . >/dev/null'
fi

rm -f "$dir/sd-mock.port"
node tests/e2e/mock-upstream.mjs --host 127.0.0.1 --port 0 \
    --port-file "$dir/sd-mock.port" >"$dir/sd-mock.log" 2>&1 &
mock_pid=$!
i=0
while [ ! -s "$dir/sd-mock.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sd_mock=http://127.0.0.1:$(cat "$dir/sd-mock.port" 2>/dev/null)

ctx=$dir/systemd-ctx
rm -rf "$ctx"
mkdir -p "$ctx"
cp deploy/systemd/claude-proxy.socket deploy/systemd/claude-proxy.service \
    deploy/systemd/claude-proxy-pool.service "$ctx/"
cp tests/container/systemd.Dockerfile "$ctx/Dockerfile"
printf 'OPENAI_BASE_URL=%s/v1\nOPENAI_API_KEY=sk-systemd-upstream-key\n' \
    "$sd_mock" >"$ctx/claude-proxy.env"
t "a Debian 12 image with systemd and claude-proxy as deploy/README.md says" \
    docker build -q --network host -t claude-proxy-systemd "$ctx"

sd_boot() {
    # all capabilities this host grants (it withholds CAP_SYS_RESOURCE, so
    # --privileged fails here), a cgroup namespace of its own and a tmpfs
    # on /sys/fs/cgroup where systemd mounts its hierarchies itself
    docker run -d --name claude-proxy-systemd --network host \
        --cap-add ALL --cap-drop SYS_RESOURCE \
        --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
        --cgroupns private --tmpfs /sys/fs/cgroup --tmpfs /run \
        --tmpfs /run/lock claude-proxy-systemd >/dev/null || return 1
    i=0
    # until systemd's bus is up, systemctl cannot even ask
    until st=$(docker exec claude-proxy-systemd timeout 60 \
        systemctl is-system-running --wait 2>/dev/null) || [ -n "$st" ]; do
        [ $i -lt 300 ] || break
        sleep 0.2
        i=$((i + 1))
    done
    echo "systemd: $st"
    [ "$st" = running ] || {
        docker exec claude-proxy-systemd systemctl --failed --no-pager
        docker logs claude-proxy-systemd 2>&1 | tail -n 20
        return 1
    }
}
X() { docker exec claude-proxy-systemd sh -c "$1"; }
SHOW=1 t "systemd boots in the container (is-system-running: running)" sd_boot

# a FastCGI request on the socket as the web server's user (www-data):
# fcgi METHOD PATH [BODY]
fcgi() {
    len=$(printf '%s' "${3:-}" | wc -c)
    printf '%s' "${3:-}" | docker exec -i claude-proxy-systemd \
        runuser -u www-data -- env REQUEST_METHOD="$1" REQUEST_URI="$2" \
        SCRIPT_NAME="$2" CONTENT_TYPE=application/json CONTENT_LENGTH="$len" \
        HTTP_ANTHROPIC_VERSION=2023-06-01 \
        timeout 30 cgi-fcgi -bind -connect /run/claude-proxy/fcgi.sock
}
MSG='{"model":"claude-systemd","max_tokens":32,"messages":[{"role":"user","content":"Hello"}]}'
main_pid() { X 'systemctl show -p MainPID --value claude-proxy.service'; }
workers() { X "pgrep -d ' ' -P $(main_pid)"; }

activation() {
    X 'systemctl enable --now claude-proxy.socket' || return 1
    X 'systemctl is-active claude-proxy.socket' || return 1
    s=$(X 'systemctl is-active claude-proxy.service')
    [ "$s" = inactive ] || { echo "service before the first request: $s"; return 1; }
    X 'stat -c "%A %U %G" /run/claude-proxy/fcgi.sock' | grep -qx 'srw-rw---- claude-proxy www-data' ||
        { X 'ls -l /run/claude-proxy'; return 1; }
    out=$(fcgi POST /v1/messages "$MSG") || { echo "$out"; return 1; }
    echo "$out" | grep -q 'Hello from the mock upstream' || { echo "$out"; return 1; }
    X 'systemctl is-active claude-proxy.service' &&
    X 'systemctl show -p User -p Group claude-proxy.service; ps -o user,group,args -C claude-proxy'
}
SHOW=1 t "systemctl enable --now claude-proxy.socket: the first request starts the service, /v1/messages answers" activation

wait_workers() {   # wait_workers OLD: two workers, none of them OLD
    i=0
    while :; do
        w=$(workers)
        set -- $w
        [ $# -eq 2 ] && case " $w " in *" $old "*) false ;; *) true ;; esac && return 0
        [ $i -lt 100 ] || { echo "workers: $w"; return 1; }
        sleep 0.1
        i=$((i + 1))
    done
}
worker_crash() {
    m=$(main_pid)
    old=$(workers | cut -d' ' -f1)
    [ -n "$old" ] || { echo "no worker"; return 1; }
    X "kill -SEGV $old" && wait_workers || return 1
    [ "$(main_pid)" = "$m" ] || { echo "multiwatch changed"; return 1; }
    echo "worker $old killed; workers now $(workers)"
    fcgi GET /health | grep -q '"ok"'
}
SHOW=1 t "kill -SEGV a worker: multiwatch starts another, the service stays up" worker_crash

main_crash() {
    m=$(main_pid)
    r0=$(X 'systemctl show -p NRestarts --value claude-proxy.service')
    X "kill -SEGV $m" || return 1
    i=0
    while :; do
        s=$(X 'systemctl is-active claude-proxy.service')
        m2=$(main_pid)
        [ "$s" = active ] && [ "$m2" != 0 ] && [ "$m2" != "$m" ] && break
        [ $i -lt 150 ] || { echo "service: $s, MainPID $m2"; return 1; }
        sleep 0.1
        i=$((i + 1))
    done
    r1=$(X 'systemctl show -p NRestarts --value claude-proxy.service')
    echo "multiwatch $m killed; now $m2; NRestarts $r0 -> $r1"
    [ "$r1" -gt "$r0" ] && fcgi POST /v1/messages "$MSG" | grep -q 'Hello from the mock'
}
SHOW=1 t "kill -SEGV multiwatch: systemd restarts the service (Restart=on-failure)" main_crash

mock_count() {
    curl -fsS "$sd_mock/__requests" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))'
}
slow_stream() {   # queue a stream of 12 events 300 ms apart
    ev=
    for k in 0 1 2 3 4 5 6 7 8 9 10; do
        ev="$ev\"data: {\\\"id\\\":\\\"c\\\",\\\"object\\\":\\\"chat.completion.chunk\\\",\\\"created\\\":1,\\\"model\\\":\\\"m\\\",\\\"choices\\\":[{\\\"index\\\":0,\\\"delta\\\":{\\\"content\\\":\\\"w$k \\\"},\\\"finish_reason\\\":null}]}\","
    done
    ev="$ev\"data: {\\\"id\\\":\\\"c\\\",\\\"object\\\":\\\"chat.completion.chunk\\\",\\\"created\\\":1,\\\"model\\\":\\\"m\\\",\\\"choices\\\":[{\\\"index\\\":0,\\\"delta\\\":{},\\\"finish_reason\\\":\\\"stop\\\"}]}\",\"data: [DONE]\""
    curl -fsS -X POST "$sd_mock/__reset" -H 'content-type: application/json' -d '{}' >/dev/null &&
    curl -fsS -X POST "$sd_mock/__script" -H 'content-type: application/json' \
        -d "{\"steps\":[{\"interval_ms\":300,\"sse\":[$ev]}]}" >/dev/null
}
graceful() {   # graceful UNIT: systemctl stop while a stream is open
    slow_stream || return 1
    body='{"model":"claude-systemd","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"slow"}]}'
    fcgi POST /v1/messages "$body" >"$dir/sd-stream.out" 2>&1 &
    cpid=$!
    i=0
    while [ "$(mock_count)" != 1 ]; do
        [ $i -lt 100 ] || { echo "the stream never reached the mock"; return 1; }
        sleep 0.1
        i=$((i + 1))
    done
    s0=$(date +%s)
    X "systemctl stop $1" 2>&1 | grep -v 'can still be activated'
    took=$(($(date +%s) - s0))
    wait "$cpid"
    s=$(X "systemctl is-active $1")
    res=$(X "systemctl show -p Result --value $1")
    echo "systemctl stop $1 took $took s; now $s, Result=$res"
    grep -q '^event: message_stop' "$dir/sd-stream.out" &&
        grep -q 'w10 ' "$dir/sd-stream.out" ||
        { echo "the stream did not finish:"; tail -n 5 "$dir/sd-stream.out"; return 1; }
    [ "$s" = inactive ] && [ "$res" = success ] && [ "$took" -ge 2 ]
}
SHOW=1 t "systemctl stop claude-proxy.service: the open stream finishes, then it stops" \
    graceful claude-proxy.service

pool_unit() {
    X 'systemctl stop claude-proxy.socket && systemctl start claude-proxy-pool.service' || return 1
    i=0
    until X 'test -S /run/claude-proxy/fcgi.sock'; do
        [ $i -lt 100 ] || { X 'systemctl status --no-pager claude-proxy-pool.service'; return 1; }
        sleep 0.1
        i=$((i + 1))
    done
    X 'stat -c "%A %U %G" /run/claude-proxy/fcgi.sock' | grep -qx 'srw-rw---- claude-proxy www-data' ||
        { X 'ls -l /run/claude-proxy'; return 1; }
    fcgi POST /v1/messages "$MSG" | grep -q 'Hello from the mock upstream' &&
    X "ps -o user,group,args --ppid \$(systemctl show -p MainPID --value claude-proxy-pool.service)"
}
SHOW=1 t "claude-proxy-pool.service binds the socket (claude-proxy:www-data 0660) and answers" pool_unit
t "systemctl stop claude-proxy-pool.service: the open stream finishes, then it stops" \
    graceful claude-proxy-pool.service
secrets_sd() {
    X 'journalctl --no-pager' >"$dir/sd-journal.log" 2>&1
    grep -q 'claude-proxy' "$dir/sd-journal.log" &&
        ! grep -n 'sk-systemd-upstream-key' "$dir/sd-journal.log"
}
t "the journal has the request lines and not the upstream key" secrets_sd
docker rm -f claude-proxy-systemd >/dev/null 2>&1
kill "$mock_pid" 2>/dev/null
mock_pid=
