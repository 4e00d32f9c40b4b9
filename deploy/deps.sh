#!/bin/sh
# deps.sh: install the Debian packages claude-proxy needs, when missing.
#
#   sh deploy/deps.sh [run|test|all]
#
# run  (default): build tools and libraries, lighttpd, spawn-fcgi,
#                 multiwatch, node (for `make demo`'s mock upstream)
# test:           run + what `make check` and `make check-servers` need
#                 (cmocka, npm, valgrind, nginx, apache2, mod_fcgid, ...)
# all:            test + fuzzing (clang) and benchmark tools (wrk, gnuplot)
#
# As root it runs apt-get; otherwise it prints the one apt-get line to
# run.  Works on a fresh Debian 12 (no make, no compiler): plain sh only.
set -eu
want=${1:-run}

run_pkgs="make gcc libc6-dev pkg-config libfcgi-dev libfcgi-bin libcjson-dev
libcurl4-openssl-dev lighttpd spawn-fcgi multiwatch nodejs curl ca-certificates"
# make check also parses every shipped config with its own server
test_pkgs="libcmocka-dev npm valgrind procps mandoc systemd python3-yaml
nginx-light apache2 libapache2-mod-fcgid clang-format"
all_pkgs="clang libclang-rt-dev wrk gnuplot-nox"

case $want in
run) pkgs=$run_pkgs ;;
test) pkgs="$run_pkgs $test_pkgs" ;;
all) pkgs="$run_pkgs $test_pkgs $all_pkgs" ;;
*) echo "usage: $0 [run|test|all]" >&2; exit 2 ;;
esac

missing=
for p in $pkgs; do
    # a node from elsewhere (e.g. NodeSource's nodejs, which bundles npm)
    # is fine and must not be replaced by Debian's
    case $p in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
        grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "claude-proxy needs these Debian packages; as root run:" >&2
    echo "  apt-get update && apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d keeps the packaged web servers from starting on port 80
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
