#!/bin/sh
# Cheap checks of what deploy/, apache/, lighttpd/ and the man page ship:
# man page lint, settings documented everywhere, make install/uninstall
# into a DESTDIR, systemd-analyze verify, each web server's own config
# test of the shipped configs, socket activation, container file sanity.
# The full server suite is `make check-servers` (tests/servers/).
set -u
: "${B:=build}"
n=0
t() {   # t NAME CMD...: one TAP line from CMD's exit status
    name=$1
    shift
    n=$((n + 1))
    if out=$("$@" 2>&1); then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        printf '%s\n' "$out" | tail -n 15 | sed 's/^/# /'
    fi
}
have() { command -v "$1" >/dev/null 2>&1; }
prog=$B/claude-proxy
root=$(pwd)/$B/deploy-check
rm -rf "$root"
mkdir -p "$root"

t "claude-proxy.8 is mandoc -Tlint clean" \
    mandoc -Tlint -Wwarning fcgi/claude-proxy.8

settings() { "$prog" --help | sed -n 's/^  \([A-Z_][A-Z0-9_]*\) = .*/\1/p'; }
documented() {
    miss=
    for k in $(settings); do
        grep -q "^\.It Ev $k\$" fcgi/claude-proxy.8 || miss="$miss man:$k"
        grep -q "^# $k=" deploy/.env.example || miss="$miss env:$k"
    done
    [ -z "$miss" ] || { echo "undocumented:$miss"; return 1; }
    [ -n "$(settings)" ]
}
t "every setting of --help is in claude-proxy.8 and .env.example" documented
t "the switches' entries there are what make docs writes" \
    sh deploy/switch-docs.sh "$prog" --check

dest=$root/dest
inst() {
    make -s install DESTDIR="$dest" PREFIX=/usr/local >/dev/null &&
    for f in usr/local/sbin/claude-proxy usr/local/sbin/claude-proxy-pool \
        usr/local/share/man/man8/claude-proxy.8 \
        usr/local/share/claude-proxy/env.example \
        usr/local/share/claude-proxy/deploy/nginx.conf \
        usr/local/share/claude-proxy/apache/claude-proxy-fcgid.conf \
        usr/local/share/claude-proxy/apache/htaccess \
        usr/local/share/claude-proxy/apache/claude-proxy.fcgi \
        usr/local/share/claude-proxy/lighttpd/lighttpd-spawn.conf \
        usr/local/share/claude-proxy/lighttpd/errors/413.html \
        usr/local/share/claude-proxy/deploy/systemd/claude-proxy.service; do
        [ -e "$dest/$f" ] || { echo "missing $f"; return 1; }
    done
    [ -x "$dest/usr/local/share/claude-proxy/apache/claude-proxy.fcgi" ] ||
        { echo "claude-proxy.fcgi installed without x bit"; return 1; }
    (cd "$dest" && find . -type f | sort | sed 's/^/# /') >&2
}
t "make install DESTDIR PREFIX installs binary, man page and examples" inst
inst_prefix() {
    make -s install DESTDIR="$root/dest2" PREFIX=/opt/cp >/dev/null &&
    grep -q '/opt/cp/sbin/claude-proxy' \
        "$root/dest2/opt/cp/share/claude-proxy/apache/claude-proxy-fcgid.conf" &&
    ! grep -rq '/usr/local' "$root/dest2/opt/cp/share/claude-proxy/deploy/systemd"
}
t "installed examples name the PREFIX's paths" inst_prefix
uninst() {
    make -s uninstall DESTDIR="$dest" PREFIX=/usr/local >/dev/null &&
    left=$(find "$dest" -type f) && [ -z "$left" ] || { echo "left: $left"; return 1; }
    [ ! -e "$dest/usr/local/share/claude-proxy" ] ||
        { echo "DATADIR left behind"; return 1; }
}
t "make uninstall removes every installed file and DATADIR" uninst
# only what install wrote: a file of the admin's own in DATADIR stays
uninst_own() {
    d=$root/dest3
    make -s install DESTDIR="$d" PREFIX=/usr/local >/dev/null &&
    echo 'OPENAI_BASE_URL=x' >"$d/usr/local/share/claude-proxy/site.env" &&
    mkdir -p "$d/usr/local/sbin" && echo keep >"$d/usr/local/sbin/other" &&
    make -s uninstall DESTDIR="$d" PREFIX=/usr/local >/dev/null &&
    left=$(cd "$d" && find . -type f | sort | tr '\n' ' ') &&
    [ "$left" = "./usr/local/sbin/other ./usr/local/share/claude-proxy/site.env " ] ||
        { echo "left: $left"; return 1; }
}
t "make uninstall removes only what make install wrote" uninst_own
# make help names every phony target (fuzz-<target> as fuzz-TARGET)
helps() {
    h=$(make -s help) || return 1
    miss=
    for tg in $(make -qp no-such-target 2>/dev/null |
        sed -n 's/^\.PHONY: //p' | tr ' ' '\n' | sort -u); do
        case $tg in *'$'*) continue ;; esac
        case $tg in
        fuzz-merge-*) want=fuzz-merge-TARGET ;;
        fuzz-merge | fuzz-replay) want=$tg ;;
        fuzz-*) want=fuzz-TARGET ;;
        *) want=$tg ;;
        esac
        printf '%s\n' "$h" | grep -q "^make $want " || miss="$miss $tg"
    done
    [ -z "$miss" ] || { echo "not in make help:$miss"; return 1; }
}
t "make help lists every target" helps

if have systemd-analyze; then
    units() {
        mkdir -p "$root/units"
        for u in deploy/systemd/*.service deploy/systemd/*.socket; do
            # the only change: binaries point at a real file here
            sed -e "s|/usr/local/sbin/claude-proxy-pool|$(pwd)/deploy/claude-proxy-pool|" \
                -e "s|/usr/local/sbin/claude-proxy|$(pwd)/$prog|" \
                "$u" >"$root/units/$(basename "$u")"
        done
        out=$(cd "$root/units" && systemd-analyze verify --man=no \
            ./claude-proxy.socket ./claude-proxy.service \
            ./claude-proxy-pool.service 2>&1)
        printf '%s\n' "$out"
        [ -z "$out" ]
    }
    t "systemd units pass systemd-analyze verify" units
else
    n=$((n + 1)); echo "not ok $n - systemd-analyze missing (apt-get install systemd)"
fi

if have systemd-socket-activate && have cgi-fcgi; then
    activate() {
        sock=$root/act.sock
        rm -f "$sock"
        systemd-socket-activate -l "$sock" env OPENAI_BASE_URL=http://127.0.0.1:9/v1 \
            "$(pwd)/$prog" >"$root/act.log" 2>&1 &
        pid=$!
        i=0
        while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        body=$(REQUEST_METHOD=GET REQUEST_URI=/health SCRIPT_NAME=/health \
            timeout 10 cgi-fcgi -bind -connect "$sock" 2>&1)
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        printf '%s\n' "$body"
        printf '%s' "$body" | grep -q '"status" *: *"ok"'
    }
    t "socket activation: claude-proxy answers /health on systemd's fd 3" activate
else
    n=$((n + 1))
    echo "ok $n - socket activation: claude-proxy answers /health on systemd's fd 3 # SKIP systemd-socket-activate or cgi-fcgi missing"
fi

# each server's own config test of the shipped files (templated for
# ports and paths as in the full suite): one line per server, renumbered;
# a server that gave no line is a failure
cfg_servers="lighttpd-ext lighttpd-spawn lighttpd-small nginx apache-proxy
apache-fcgid"
# shellcheck disable=SC2086
B=$B sh tests/servers/run.sh -t $cfg_servers >"$root/configtest.tap" 2>&1
for srv in $cfg_servers; do
    n=$((n + 1))
    line=$(grep -E "^(not )?ok [0-9]+ - $srv: " "$root/configtest.tap")
    if [ -z "$line" ]; then
        echo "not ok $n - $srv: no config test result"
        sed 's/^/# /' "$root/configtest.tap"
        continue
    fi
    echo "$line" | sed -E "s/^(ok|not ok) [0-9]+/\1 $n/"
    # its diagnostics: the "#" lines after its result line
    awk -v s="$srv" '/^(not )?ok / { on = /^not ok/ && index($0, "- " s ": ") }
        on && /^#/' "$root/configtest.tap"
done

yamls() {
    python3 - <<'PY'
import yaml, sys
c = yaml.safe_load(open("deploy/docker/compose.yaml"))
assert set(c["services"]) == {"pool", "web"}, c["services"].keys()
for s in c["services"].values():
    assert "sock:/run/claude-proxy" in s["volumes"]
docs = list(yaml.safe_load_all(open("deploy/k8s/claude-proxy.yaml")))
kinds = sorted(d["kind"] for d in docs)
assert kinds == ["ConfigMap", "ConfigMap", "Deployment", "Secret", "Service"], kinds
dep = [d for d in docs if d["kind"] == "Deployment"][0]
spec = dep["spec"]["template"]["spec"]
assert dep["spec"]["replicas"] >= 2
for ct in spec["containers"]:
    assert "resources" in ct and "livenessProbe" in ct, ct["name"]
    assert any(m["mountPath"] == "/run/claude-proxy" for m in ct["volumeMounts"])
ng = [d for d in docs if d["kind"] == "ConfigMap" and "default.conf" in d["data"]][0]
want = open("deploy/nginx.conf").read().replace("listen 127.0.0.1:8787;", "listen 8787;")
if ng["data"]["default.conf"].strip() != want.strip():
    sys.exit("k8s nginx ConfigMap differs from deploy/nginx.conf")
PY
}
t "compose and Kubernetes YAML parse; k8s nginx block = deploy/nginx.conf" yamls

dockerfile() {
    for p in $(sed -n 's/^COPY \(--from=[^ ]* \)\{0,1\}\([^ ]*\) .*/\2/p' deploy/docker/Dockerfile); do
        case $p in /src/*) continue ;; esac
        [ -e "$p" ] || { echo "COPY source $p does not exist"; return 1; }
    done
    grep -q '^USER 10001' deploy/docker/Dockerfile &&
    grep -q '^HEALTHCHECK' deploy/docker/Dockerfile &&
    [ "$(grep -c '^FROM' deploy/docker/Dockerfile)" -ge 2 ]
}
t "Dockerfile: multi-stage, non-root, health check, COPY sources exist" dockerfile
pool_sh() { sh -n deploy/claude-proxy-pool && sh -n tests/servers/run.sh &&
    sh -n tests/servers/private.sh &&
    sh -n apache/claude-proxy.fcgi; }
t "shell scripts parse" pool_sh
