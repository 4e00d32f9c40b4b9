#!/bin/sh
# tests/container/run.sh: the container files and the systemd units, really
# run (make check-container; make check-systemd runs the systemd part).
#
#   B=build sh tests/container/run.sh [all|systemd]
#
# Starts a private dockerd (state, exec root, pidfile and socket under
# $B/container/docker/, no bridge, no iptables), makes debian:12-slim with
# debootstrap (tarball cached in $B/container/) and an nginx:stable
# stand-in from Debian's nginx-light, builds the image, runs the compose
# file's host-network variant with the mock upstream on 127.0.0.1, the SDK
# checks through it (tests/container/sdk.test.mjs), SIGTERM mid-stream,
# the Kubernetes schema check, then tests/container/systemd.sh.  Removes
# every container, image and volume it made and stops dockerd by PID.
# TAP lines, then "N passed, N failed".
set -u
: "${B:=build}"
what=${1:-all}
top=$(pwd)
dir=$top/$B/container
start=$(date +%s)
n=0
pass=0
fail=0
t() {   # t NAME CMD...: one TAP line from CMD's exit status
    name=$1
    shift
    n=$((n + 1))
    if out=$("$@" 2>&1); then
        pass=$((pass + 1))
        echo "ok $n - $name"
        [ -z "${SHOW:-}" ] || printf '%s\n' "$out" | sed 's/^/# /'
    else
        fail=$((fail + 1))
        echo "not ok $n - $name"
        printf '%s\n' "$out" | tail -n 25 | sed 's/^/# /'
    fi
}
note() { echo "# $*"; }

# Debian's docker client, compose and the daemon's tools
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export PATH LC_ALL=C

# what it needs, installed when missing (as root, from Debian)
need=
for c in dockerd:docker.io docker-compose:docker-compose \
    debootstrap:debootstrap cgi-fcgi:libfcgi-bin node:nodejs; do
    command -v "${c%%:*}" >/dev/null 2>&1 || need="$need ${c#*:}"
done
if [ -n "$need" ]; then
    note "installing:$need"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
        install -y -q $need >"$dir.apt.log" 2>&1 ||
        { tail -n 20 "$dir.apt.log"; echo "0 passed, 1 failed"; exit 1; }
fi

mkdir -p "$dir/docker"
D=$dir/docker
# the socket and exec root (containerd's sockets live there) under a
# short /tmp path: a Unix socket path holds at most 107 bytes, and the
# checkout may lie deep
S=$(mktemp -d /tmp/cp-docker.XXXXXX)
export DOCKER_HOST=unix://$S/docker.sock
mock_pid=
dockerd_pid=
cleanup() {
    set +e
    if [ -n "$dockerd_pid" ]; then
        docker-compose -p claude-proxy -f deploy/docker/compose.host.yaml \
            down -v >/dev/null 2>&1
        docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1
        docker system prune -af --volumes >/dev/null 2>&1
        docker images -aq | sort -u | xargs -r docker rmi -f >/dev/null 2>&1
        left=$(docker images -q | wc -l)$(docker ps -aq | wc -l)$(docker volume ls -q | wc -l)
        kill "$dockerd_pid" 2>/dev/null
        i=0
        while kill -0 "$dockerd_pid" 2>/dev/null && [ $i -lt 150 ]; do
            sleep 0.2
            i=$((i + 1))
        done
        kill -0 "$dockerd_pid" 2>/dev/null && kill -9 "$dockerd_pid"
        # dockerd leaves its netns mount behind
        awk -v d="$D/" 'index($2, d) == 1 { print $2 }' /proc/mounts |
            sort -r | xargs -r -n 1 umount 2>/dev/null
        rm -rf "$D/data"
        [ "$left" = 000 ] || echo "# left behind: images, containers, volumes = $left"
    fi
    [ -z "$mock_pid" ] || kill "$mock_pid" 2>/dev/null
    awk -v d="$S/" 'index($2, d) == 1 { print $2 }' /proc/mounts |
        sort -r | xargs -r -n 1 umount 2>/dev/null
    rm -rf "$S"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -s "$D/dockerd.pid" ] && kill -0 "$(cat "$D/dockerd.pid")" 2>/dev/null; then
    echo "not ok 1 - a dockerd of an earlier run still runs: PID $(cat "$D/dockerd.pid")"
    echo "0 passed, 1 failed"
    exit 1
fi
rm -f "$D/dockerd.pid"
# no bridge and no iptables: every container uses the host's network, the
# host's firewall and interfaces stay as they are
setsid dockerd --data-root "$D/data" --exec-root "$S/exec" \
    --pidfile "$D/dockerd.pid" -H "unix://$S/docker.sock" \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
    >"$D/dockerd.log" 2>&1 &
dockerd_pid=$!
dockerd_up() {
    i=0
    until docker version >/dev/null 2>&1; do
        kill -0 "$dockerd_pid" 2>/dev/null || { tail -n 20 "$D/dockerd.log"; return 1; }
        [ $i -lt 300 ] || { echo "dockerd: no answer after 60 s"; return 1; }
        sleep 0.2
        i=$((i + 1))
    done
    docker version --format 'dockerd {{.Server.Version}}'
}
SHOW=1 t "a private dockerd starts (socket, data and pidfile under $B/container/docker)" dockerd_up
[ "$fail" -eq 0 ] || {
    echo "$pass passed, $fail failed"
    exit 1
}

mb() { docker image inspect -f '{{.Size}}' "$1" | awk '{printf "%.1f", $1 / 1e6}'; }
base() {
    sh tests/container/base.sh "$dir/bookworm-minbase.tar" &&
    docker import "$dir/bookworm-minbase.tar" debian:12-slim >/dev/null &&
    echo "debian:12-slim from debootstrap: $(mb debian:12-slim) MB"
}
SHOW=1 t "debian:12-slim made with debootstrap --variant=minbase bookworm" base

if [ "$what" = all ]; then
    # the commands README.md and deploy/README.md show, run as they are
    BUILD='docker build --network host -f deploy/docker/Dockerfile -t claude-proxy .'
    UP='docker-compose -p claude-proxy -f deploy/docker/compose.host.yaml up -d'
    DOWN='docker-compose -p claude-proxy -f deploy/docker/compose.host.yaml down -v'
    UP_BRIDGE='docker-compose -p claude-proxy -f deploy/docker/compose.yaml up -d'
    # and the systemd ones, run by systemd.Dockerfile and systemd.sh
    USERADD='useradd --system --no-create-home --shell /usr/sbin/nologin claude-proxy'
    ENABLE='systemctl enable --now claude-proxy.socket'
    readme() {
        for c in "$BUILD" "$UP" "$DOWN" "$UP_BRIDGE" "$USERADD" "$ENABLE"; do
            for f in README.md deploy/README.md; do
                grep -qF -- "$c" "$f" || { echo "$f does not show: $c"; return 1; }
            done
        done
        grep -qF "RUN $USERADD" tests/container/systemd.Dockerfile &&
        grep -qF "X '$ENABLE'" tests/container/systemd.sh ||
            { echo "systemd.Dockerfile or systemd.sh runs other commands"; return 1; }
    }
    t "README.md and deploy/README.md show the commands this test runs" readme

    t "nginx:stable stand-in from Debian's nginx-light" \
        docker build -q --network host -f tests/container/nginx.Dockerfile \
        -t nginx:stable tests/container

    built() {
        s0=$(date +%s)
        sh -c "$BUILD" >"$dir/image-build.log" 2>&1 || { tail -n 20 "$dir/image-build.log"; return 1; }
        echo "built in $(($(date +%s) - s0)) s"
    }
    SHOW=1 t "the image builds: $BUILD" built
    size() {
        s=$(mb claude-proxy)
        echo "claude-proxy image: $s MB on a $(mb debian:12-slim) MB base"
        awk -v s="$s" 'BEGIN { exit !(s < 100) }'
    }
    SHOW=1 t "the image is under 100 MB" size
    nonroot() {
        u=$(docker image inspect -f '{{.Config.User}}' claude-proxy) &&
        [ "$u" = 10001:10001 ] || { echo "USER is '$u'"; return 1; }
        id=$(docker run --rm --network host --entrypoint id claude-proxy -u) &&
        [ "$id" = 10001 ] || { echo "id -u in the container: $id"; return 1; }
    }
    t "the image runs as uid 10001, not root" nonroot

    # the mock upstream on the host's loopback; the pool reaches it there
    rm -f "$dir/mock.port"
    node tests/e2e/mock-upstream.mjs --host 127.0.0.1 --port 0 \
        --port-file "$dir/mock.port" >"$dir/mock.log" 2>&1 &
    mock_pid=$!
    i=0
    while [ ! -s "$dir/mock.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    mport=$(cat "$dir/mock.port" 2>/dev/null)
    # a free port for nginx (bound, then closed)
    port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
    export OPENAI_BASE_URL=http://127.0.0.1:$mport/v1
    export CLAUDE_PROXY_LISTEN=127.0.0.1:$port
    export OPENAI_API_KEY=sk-container-upstream-key PROXY_API_KEY=

    compose_files() {
        for f in compose.yaml compose.host.yaml; do
            docker-compose -f deploy/docker/$f config -q || return 1
        done
        docker-compose -f deploy/docker/compose.yaml config >"$dir/c1.yaml" &&
        docker-compose -f deploy/docker/compose.host.yaml config >"$dir/c2.yaml" &&
        python3 - "$dir/c1.yaml" "$dir/c2.yaml" <<'PY'
import sys, yaml
a, b = (yaml.safe_load(open(p))["services"] for p in sys.argv[1:])
for s in (a, b):
    eh = s["pool"].get("extra_hosts")
    if isinstance(eh, dict):  # extends gives a mapping, a file a list
        s["pool"]["extra_hosts"] = ["%s:%s" % kv for kv in sorted(eh.items())]
    s["pool"].pop("network_mode", None)
    s["pool"]["build"].pop("network", None)
    s["web"].pop("network_mode", None)
    s["web"].pop("ports", None)
    s["web"].pop("command", None)
if a != b:
    sys.exit("compose.host.yaml differs from compose.yaml beyond the network:\n%s\n%s" % (a, b))
PY
    }
    t "compose.yaml and compose.host.yaml pass docker-compose $(docker-compose version --short) config; same services but the network" compose_files
    note "Compose v2 (docker compose): not packaged in Debian 12; not run"

    up() {
        s0=$(date +%s)
        sh -c "$UP" >"$dir/up.log" 2>&1 || { cat "$dir/up.log"; return 1; }
        echo "up (pool healthy, web started) in $(($(date +%s) - s0)) s"
    }
    SHOW=1 t "compose up: $UP" up
    pool=$(docker-compose -p claude-proxy -f deploy/docker/compose.host.yaml ps -q pool)
    healthy() {
        h=$(docker inspect -f '{{.State.Health.Status}}' "$pool") && [ "$h" = healthy ] ||
            { echo "health: $h"; docker inspect -f '{{json .State.Health}}' "$pool"; return 1; }
        docker inspect -f '{{range .State.Health.Log}}{{.ExitCode}} {{end}}' "$pool"
    }
    t "the pool's HEALTHCHECK (cgi-fcgi GET /health on the socket) is healthy" healthy
    up_ok() {
        i=0
        until curl -fsS "http://$CLAUDE_PROXY_LISTEN/health" 2>/dev/null; do
            [ $i -lt 100 ] || { docker-compose -p claude-proxy \
                -f deploy/docker/compose.host.yaml logs --tail 20; return 1; }
            sleep 0.1
            i=$((i + 1))
        done
    }
    t "nginx answers on $CLAUDE_PROXY_LISTEN" up_ok

    sdk() {
        CP_BASE=http://$CLAUDE_PROXY_LISTEN CP_MOCK=http://127.0.0.1:$mport \
        CP_STOP="docker-compose -p claude-proxy -f deploy/docker/compose.host.yaml stop -t 60 pool" \
        CP_STATE="docker inspect -f '{{.State.Running}} {{.State.ExitCode}}' $pool" \
            timeout 240 node --test --test-reporter=tap tests/container/sdk.test.mjs \
            >"$dir/sdk.tap" 2>&1
        rc=$?
        grep -E '^(not )?ok ' "$dir/sdk.tap"
        [ $rc -eq 0 ] || grep -vE '^(ok|not ok) ' "$dir/sdk.tap" | tail -n 40
        return $rc
    }
    SHOW=1 t "the SDK through nginx -> socket volume -> pool -> mock; SIGTERM mid-stream" sdk
    secrets() {
        docker-compose -p claude-proxy -f deploy/docker/compose.host.yaml logs \
            >"$dir/compose.log" 2>&1
        ! grep -n "$OPENAI_API_KEY" "$dir/compose.log" && [ -s "$dir/compose.log" ]
    }
    t "the upstream key is in no container log" secrets
    down() {
        sh -c "$DOWN" >"$dir/down.log" 2>&1 || { cat "$dir/down.log"; return 1; }
        [ -z "$(docker ps -aq)" ] && [ -z "$(docker volume ls -q)" ]
    }
    t "compose down -v leaves no container and no volume" down
    kill "$mock_pid" 2>/dev/null
    mock_pid=

    k8s() {
        [ -d tests/container/node_modules/kubernetes-models ] || (
            [ "$(npm config get cafile 2>/dev/null)" != null ] ||
            [ ! -f /etc/ssl/certs/ca-certificates.crt ] ||
            export npm_config_cafile=/etc/ssl/certs/ca-certificates.crt
            cd tests/container && npm ci --no-audit --no-fund --loglevel=error
        ) || return 1
        node tests/container/k8s.mjs deploy/k8s/claude-proxy.yaml
    }
    SHOW=1 t "deploy/k8s/claude-proxy.yaml validates against the Kubernetes schemas" k8s
fi

# systemd in a container booting /lib/systemd/systemd
. tests/container/systemd.sh

note "took $(($(date +%s) - start)) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
