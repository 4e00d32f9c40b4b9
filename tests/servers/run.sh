#!/bin/sh
# The web server suite: each shipped config, run by the real server (from
# the repo's own files, templated only for ports and paths) in front of a
# pool, checked by tests/servers/client.mjs.  TAP on stdout.
#
#   sh tests/servers/run.sh [-m proxy|standin] [server ...]
#
# servers: lighttpd-ext lighttpd-spawn nginx apache-proxy apache-fcgid
# apache-htaccess-cgi apache-htaccess-fcgid (default: these),
# lighttpd-small, apache-htaccess-cgi1, apache-htaccess-fcgid-stock.  -m proxy (default): $B/claude-proxy behind each server,
# one mock upstream per server (tests/e2e/mock-upstream.mjs).  -m standin:
# tests/servers/standin, which proves the servers' streaming on its own.
# -t: only generate each config and run the server's own config test.
# Env: B (build dir), SERVERS_SILENCE_MS (90000), SERVERS_PING_MS (15000),
# SERVERS_CASES (comma list of client cases; default all), SERVERS_BIN
# (the responder to test in proxy mode; default $B/claude-proxy).
#
# Where the files live: a web server's workers run as www-data when this
# runs as root (the shipped configs' user), and must reach the socket, the
# binary they start, the docroot and the settings file the binary reads.
# A checkout may lie where www-data cannot go (a clone under /root, mode
# 700), so every server's state lives in a fresh directory made with
# mktemp -d under $SERVERS_TMP (/tmp) and opened to others (mode 0755), with
# its own copy of the responder; the server configs themselves are read by
# the server's master process (root) at start and stay in the checkout.  At
# exit the logs are copied to $B/servers/<name>/ (-t: $B/servers-configtest)
# and the directory is removed.  Every process started here runs in the
# foreground on 127.0.0.1 and is stopped by its PID on exit.
set -u
# files the servers' user reads must not be private whatever the caller's
# umask is
umask 022
: "${B:=build}"
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
case $B in /*) ;; *) B=$top/$B ;; esac
mode=proxy
configonly=no
while getopts m:t opt; do
    case $opt in
    m) mode=$OPTARG ;;
    t) configonly=yes ;;
    *) echo "usage: $0 [-t] [-m proxy|standin] [server ...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- lighttpd-ext lighttpd-spawn nginx apache-proxy apache-fcgid \
    apache-htaccess-cgi apache-htaccess-fcgid
silence_ms=${SERVERS_SILENCE_MS:-90000}
ping_ms=${SERVERS_PING_MS:-15000}
keep=$B/servers
# config tests (check.d/60-deploy) never touch a running suite's state
[ $configonly = yes ] && keep=$B/servers-configtest
mkdir -p "$keep" || exit 1
root=$(mktemp -d "${SERVERS_TMP:-/tmp}/claude-proxy-servers.XXXXXX") || exit 1
chmod 0755 "$root"
pids=
n=0

note() { echo "# $*"; }
bail() { n=$((n + 1)); echo "not ok $n - $*"; }

cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    for p in $pids; do
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1; i=$((i + 1))
        done
        kill -9 "$p" 2>/dev/null
    done
    pids=
}

# finish: stop everything, keep the logs in $keep, remove $root
finish() {
    cleanup
    [ -d "$root" ] || return 0
    rm -rf "$root/bin"
    find "$root" -type s -exec rm -f {} + 2>/dev/null
    rm -rf "$keep"
    cp -R "$root" "$keep" 2>/dev/null
    rm -rf "$root"
}
trap finish EXIT
trap 'exit 1' INT TERM

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_for CHECK-COMMAND...: up to 10 s
wait_for() {
    i=0
    until "$@" 2>/dev/null; do
        i=$((i + 1))
        [ $i -ge 100 ] && return 1
        sleep 0.1
    done
}
port_up() { curl -s -o /dev/null "http://127.0.0.1:$1/" ; }

if [ $configonly = yes ]; then
    resp=$B/claude-proxy
elif [ "$mode" = proxy ]; then
    resp=${SERVERS_BIN:-$B/claude-proxy}
    [ -x "$resp" ] || { bail "no $resp (run make first)"; exit 1; }
    [ -f tests/e2e/mock-upstream.mjs ] || { bail "no tests/e2e/mock-upstream.mjs"; exit 1; }
else
    resp=$B/tests/standin
    [ -x "$resp" ] || { bail "no $resp (make $resp)"; exit 1; }
fi
as_root=no
[ "$(id -u)" -eq 0 ] && as_root=yes
# the servers' user: the one the shipped configs name when we are root
wuser=$(id -un)
[ $as_root = yes ] && wuser=www-data
# the responder the servers start (or the pools run), where they reach it
if [ -e "$resp" ]; then
    mkdir -p "$root/bin"
    cp "$resp" "$root/bin/$(basename "$resp")" || exit 1
    resp=$root/bin/$(basename "$resp")
    chmod 0755 "$root/bin" "$resp"
fi
# lighttpd's error pages, read by its workers at request time
cp -R lighttpd/errors "$root/errors" && chmod -R a+rX "$root/errors"

# start_mock S: the mock upstream of server state dir S -> $S/mock.port
start_mock() {
    rm -f "$1/mock.port"
    node tests/e2e/mock-upstream.mjs --port 0 --port-file "$1/mock.port" \
        --host 127.0.0.1 2>"$1/mock.log" &
    pids="$pids $!"
    wait_for test -s "$1/mock.port"
}

# env_file S: the settings file every pool reads (CLAUDE_PROXY_CONFIG)
env_file() {
    mport=$(cat "$1/mock.port" 2>/dev/null || echo 9)
    cat >"$1/claude-proxy.env" <<EOF
OPENAI_BASE_URL=http://127.0.0.1:$mport/v1
PING_INTERVAL=$((ping_ms / 1000))
THREADS=4
LOG_LEVEL=warn
STANDIN_LOG=$1/standin.log
EOF
    : >"$1/standin.log"
    chmod 0666 "$1/standin.log"
}

# start_pool S: deploy/claude-proxy-pool on $S/claude-proxy.sock
start_pool() {
    rm -f "$1/claude-proxy.sock"
    CLAUDE_PROXY_CONFIG=$1/claude-proxy.env CLAUDE_PROXY_BIN=$resp \
        CLAUDE_PROXY_PROCS=4 CLAUDE_PROXY_SOCKET_MODE=0666 \
        deploy/claude-proxy-pool -s "$1/claude-proxy.sock" 2>"$1/pool.log" &
    pids="$pids $!"
    wait_for test -S "$1/claude-proxy.sock"
}

# sub FILE OUT 's#a#b#' ...: the shipped FILE with paths and ports replaced
sub() {
    in=$1 out=$2
    shift 2
    cp "$in" "$out"
    for e in "$@"; do sed -i "$e" "$out"; done
}

start_nginx() {
    s=$1 port=$2
    mkdir -p "$s/tmp"
    cp /etc/nginx/fastcgi_params "$s/fastcgi_params"
    sub deploy/nginx.conf "$s/server.conf" \
        "s#listen 127.0.0.1:8787;#listen 127.0.0.1:$port;#" \
        "s#unix:/run/claude-proxy/fcgi.sock#unix:$s/claude-proxy.sock#"
    user=
    [ $as_root = yes ] && user="user www-data;"
    cat >"$s/nginx.conf" <<EOF
daemon off;
$user
worker_processes 1;
pid $s/nginx.pid;
error_log $s/error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $s/access.log;
    client_body_temp_path $s/tmp/body;
    fastcgi_temp_path $s/tmp/fastcgi;
    proxy_temp_path $s/tmp/proxy;
    uwsgi_temp_path $s/tmp/uwsgi;
    scgi_temp_path $s/tmp/scgi;
    sendfile on;
    keepalive_timeout 65;
    gzip on;
    include $s/server.conf;
}
EOF
    nginx -t -p "$s" -c "$s/nginx.conf" >"$s/configtest.log" 2>&1 || return 1
    [ $configonly = yes ] && return 0
    nginx -p "$s" -c "$s/nginx.conf" 2>>"$s/error.log" &
    pids="$pids $!"
}

apache_frame() {
    s=$1 port=$2 conf=$3 modules=$4 global=$5 defines=$6
    mkdir -p "$s/htdocs"
    user=
    [ $as_root = yes ] && user="User www-data
Group www-data"
    awk -v S="$s" -v P="$port" -v C="$conf" -v U="$user" -v M="$modules" \
        -v G="$global" -v D="$defines" '{
        gsub(/@STATE@/, S); gsub(/@PORT@/, P); gsub(/@CONF@/, C);
        sub(/@USER@/, U); sub(/@MODULES@/, M); sub(/@GLOBAL@/, G);
        sub(/@DEFINES@/, D); print }' tests/servers/apache-frame.conf \
        >"$s/httpd.conf"
    apache2 -t -f "$s/httpd.conf" >"$s/configtest.log" 2>&1 || return 1
    [ $configonly = yes ] && return 0
    apache2 -f "$s/httpd.conf" -DFOREGROUND 2>>"$s/error.log" &
    pids="$pids $!"
}

start_apache_proxy() {
    apache_frame "$1" "$2" "$top/apache/claude-proxy-proxy-fcgi.conf" \
        "LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_fcgi_module /usr/lib/apache2/modules/mod_proxy_fcgi.so" \
        "" "Define CLAUDE_PROXY_SOCKET $1/claude-proxy.sock"
}

start_apache_fcgid() {
    s=$1
    mkdir -p "$s/fcgid"
    [ $as_root = yes ] && chown www-data:www-data "$s/fcgid"
    apache_frame "$s" "$2" "$top/apache/claude-proxy-fcgid.conf" \
        "LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
LoadModule fcgid_module /usr/lib/apache2/modules/mod_fcgid.so" \
        "FcgidIPCDir $s/fcgid
FcgidProcessTableFile $s/fcgid/shm" \
        "Define CLAUDE_PROXY_BIN $resp
Define CLAUDE_PROXY_CONFIG $s/claude-proxy.env"
}

# Shared hosting (apache/htaccess): what the host has at server level is
# an AllowOverride for the user's directory (FileInfo Options, not All:
# no AuthConfig) and the handler module; the user's directory holds the
# repo's apache/htaccess as .htaccess, untouched, the wrapper, the binary
# and the settings file.  The API is served under the /claude prefix.
# $1 state dir, $2 port, $3 modules, $4 server-level lines.
start_apache_htaccess() {
    s=$1
    d=$s/htdocs/claude
    mkdir -p "$d"
    cp apache/htaccess "$d/.htaccess"
    cp apache/claude-proxy.fcgi "$d/claude-proxy.fcgi"
    cp "$resp" "$d/claude-proxy"
    cp "$s/claude-proxy.env" "$d/claude-proxy.env"
    chmod 0755 "$s/htdocs" "$d" "$d/claude-proxy.fcgi" "$d/claude-proxy"
    chmod 0644 "$d/claude-proxy.env" "$d/.htaccess"
    cat >"$s/host.conf" <<EOF
$4
<Directory "$s/htdocs">
    AllowOverride FileInfo Options
    Require all granted
</Directory>
EOF
    apache_frame "$s" "$2" "$s/host.conf" "$3" "" ""
}

# plain CGI: one process per request (mod_cgid is what Debian enables
# with the event MPM; shared hosts on prefork use mod_cgi, same handler)
start_apache_htaccess_cgi() {
    start_apache_htaccess "$1" "$2" \
        "LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
LoadModule cgid_module /usr/lib/apache2/modules/mod_cgid.so" \
        "ScriptSock $1/cgid.sock"
}

# mod_fcgid with only the two settings a host must add for this (Debian's
# fcgid.conf otherwise): FcgidOutputBufferSize 0 (else the stream arrives
# in 64 KiB lumps) and FcgidMaxRequestLen (else bodies over 128 KiB: 500).
start_apache_htaccess_fcgid() {
    s=$1
    mkdir -p "$s/fcgid"
    [ $as_root = yes ] && chown www-data:www-data "$s/fcgid"
    start_apache_htaccess "$s" "$2" \
        "LoadModule fcgid_module /usr/lib/apache2/modules/mod_fcgid.so" \
        "FcgidIPCDir $s/fcgid
FcgidProcessTableFile $s/fcgid/shm
FcgidConnectTimeout 20
FcgidOutputBufferSize 0
FcgidMaxRequestLen 33619968"
}

# Not in the default list; they measure what a host that did not tune
# anything gives.  -cgi1: mod_cgi (prefork hosts) instead of mod_cgid.
# -fcgid-stock: Debian's fcgid.conf only (expect a buffered stream and 500
# for bodies over 128 KiB).
start_apache_htaccess_cgi1() {
    start_apache_htaccess "$1" "$2" \
        "LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
LoadModule cgi_module /usr/lib/apache2/modules/mod_cgi.so" ""
}
start_apache_htaccess_fcgid_stock() {
    s=$1
    mkdir -p "$s/fcgid"
    [ $as_root = yes ] && chown www-data:www-data "$s/fcgid"
    start_apache_htaccess "$s" "$2" \
        "LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
LoadModule fcgid_module /usr/lib/apache2/modules/mod_fcgid.so" \
        "FcgidIPCDir $s/fcgid
FcgidProcessTableFile $s/fcgid/shm
FcgidConnectTimeout 20"
}

# The shipped server.username (www-data) stays when we are root: lighttpd
# drops to it, then opens its logs and spawns the responder, so that user
# must write the logs, the socket's directory and the upload directory
# (as Debian's /var/log/lighttpd and /run/lighttpd are www-data's).
start_lighttpd_spawn() {
    s=$1 port=$2
    mkdir -p "$s/tmp" "$s/htdocs" "$s/run"
    touch "$s/error.log" "$s/access.log"
    if [ $as_root = yes ]; then
        chown "$wuser:$wuser" "$s/tmp" "$s/run" "$s/error.log" "$s/access.log"
        nouser=
    else
        nouser="s#^server.username = .*##; s#^server.groupname = .*##"
    fi
    sub "${spawn_conf:-lighttpd/lighttpd-spawn.conf}" "$s/lighttpd.conf" \
        "s#^server.port = 8787#server.port = $port#" \
        "s#\"/var/www/html\"#\"$s/htdocs\"#" \
        "s#/var/log/lighttpd/claude-proxy\\.#$s/#" \
        "$nouser" \
        "s#(\"/var/tmp\")#(\"$s/tmp\")#" \
        "s#/usr/local/share/claude-proxy/lighttpd/errors/#$root/errors/#" \
        "s#/run/lighttpd/claude-proxy.sock#$s/run/claude-proxy.sock#" \
        "s#/usr/local/sbin/claude-proxy#$resp#" \
        "s#/etc/claude-proxy/claude-proxy.env#$s/claude-proxy.env#"
    lighttpd -tt -f "$s/lighttpd.conf" >"$s/configtest.log" 2>&1 || return 1
    [ $configonly = yes ] && return 0
    lighttpd -D -f "$s/lighttpd.conf" 2>>"$s/error.log" &
    pids="$pids $!"
}

# the small-device variant: one process, two threads
start_lighttpd_small() {
    spawn_conf=lighttpd/lighttpd-small.conf start_lighttpd_spawn "$@"
}

# lighttpd/lighttpd.conf (external pool; also what make run uses): its
# var.cp_* lines hold every path and port, as deploy/run.sh templates them.
start_lighttpd_ext() {
    s=$1 port=$2
    mkdir -p "$s/tmp" "$s/www"
    echo '{"status":"ok"}' >"$s/www/health.json"
    sub lighttpd/lighttpd.conf "$s/lighttpd.conf" \
        "s|^var.cp_port = .*|var.cp_port = $port|" \
        "s|^var.cp_socket = .*|var.cp_socket = \"$s/claude-proxy.sock\"|" \
        "s|^var.cp_docroot = .*|var.cp_docroot = \"$s/www\"|" \
        "s|^var.cp_logdir = .*|var.cp_logdir = \"$s\"|" \
        "s|^var.cp_tmpdir = .*|var.cp_tmpdir = \"$s/tmp\"|"
    lighttpd -tt -f "$s/lighttpd.conf" >"$s/configtest.log" 2>&1 || return 1
    [ $configonly = yes ] && return 0
    lighttpd -D -f "$s/lighttpd.conf" 2>>"$s/error.log" &
    pids="$pids $!"
}

plan=$root/plan-$mode.json
evcheck=
[ -x "$B/tests/evcheck" ] && evcheck=$B/tests/evcheck
printf '{"mode":"%s","ping_ms":%s,"silence_ms":%s,"timing_file":"%s","state":"%s","evcheck":"%s","servers":[' \
    "$mode" "$ping_ms" "$silence_ms" "$root/timing-$mode.json" "$root" "$evcheck" >"$plan"
sep=
for name in "$@"; do
    s=$root/$name
    rm -rf "$s"
    mkdir -p "$s"
    chmod 0755 "$s"
    if [ $configonly = yes ]; then
        env_file "$s"
        port=$(free_port)
        fn=start_$(echo "$name" | tr - _)
        n=$((n + 1))
        if $fn "$s" "$port"; then
            echo "ok $n - $name: the server accepts the shipped config"
        else
            echo "not ok $n - $name: the server rejects the shipped config"
            sed 's/^/# /' "$s/configtest.log" 2>/dev/null
        fi
        continue
    fi
    if [ "$mode" = proxy ] && ! start_mock "$s"; then
        bail "$name: mock upstream did not start"; continue
    fi
    env_file "$s"
    case $name in
    nginx | apache-proxy | lighttpd-ext)
        start_pool "$s" || { bail "$name: pool did not start ($s/pool.log)"; continue; } ;;
    esac
    port=$(free_port)
    fn=start_$(echo "$name" | tr - _)
    if ! $fn "$s" "$port"; then
        bail "$name: server config rejected or server missing"
        sed 's/^/# /' "$s/configtest.log" 2>/dev/null
        continue
    fi
    if ! wait_for port_up "$port"; then
        bail "$name: server did not listen on $port"
        tail -n 5 "$s/error.log" 2>/dev/null | sed 's/^/# /'
        continue
    fi
    n=$((n + 1))
    echo "ok $n - $name: starts from the shipped config on 127.0.0.1:$port"
    # shared hosting serves the API under the user's directory
    base=
    case $name in apache-htaccess-*) base=/claude ;; esac
    printf '%s{"name":"%s","url":"http://127.0.0.1:%s%s","mock":"http://127.0.0.1:%s","standin_log":"%s"}' \
        "$sep" "$name" "$port" "$base" "$(cat "$s/mock.port" 2>/dev/null || echo 0)" \
        "$s/standin.log" >>"$plan"
    sep=,
done
echo ']}' >>"$plan"
[ $configonly = yes ] && exit 0

# the client numbers its own TAP lines; only ok/not ok lines are counted
node tests/servers/client.mjs "$plan" | grep -v '^1\.\.'
rc=$?
cleanup
exit $rc
