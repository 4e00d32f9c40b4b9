#!/bin/sh
# tests/servers/run.sh, run from a copy of this checkout whose parent
# directory is mode 700, as a clone under /root is: CI clones the project
# wherever it likes, and the web servers' workers (www-data when this runs
# as root) cannot pass such a directory.  `make check-servers` runs the
# suite this way, so every result also proves that the servers need
# nothing from where the checkout lies.  TAP on stdout.
#
#   sh tests/servers/private.sh [run.sh arguments]
#
# The copy holds the tree without .git, the build directories and
# node_modules, plus the programs the suite uses (the responder,
# tests/evcheck, tests/standin) in its build/.  Its logs end up in
# $B/servers/ as with run.sh; the copy is removed at exit.
# Env: B (build dir), SERVERS_BIN (the responder; default $B/claude-proxy),
# SERVERS_TMP (where the private directory is made; default /tmp).
set -u
umask 022
: "${B:=build}"
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
case $B in /*) ;; *) B=$top/$B ;; esac

priv=$(mktemp -d "${SERVERS_TMP:-/tmp}/claude-proxy-private.XXXXXX") || exit 1
trap 'rm -rf "$priv"' EXIT
trap 'exit 1' INT TERM
chmod 0700 "$priv"
copy=$priv/proj
mkdir -p "$copy/build/tests"
tar -C "$top" --exclude=./.git --exclude='./build*' \
    --exclude=./tests/e2e/node_modules -cf - . | tar -C "$copy" -xf - ||
    { echo "not ok - private checkout: copying the tree failed"; exit 1; }
resp=${SERVERS_BIN:-$B/claude-proxy}
for f in "$resp:claude-proxy" "$B/tests/evcheck:tests/evcheck" \
    "$B/tests/standin:tests/standin"; do
    [ -e "${f%%:*}" ] && cp "${f%%:*}" "$copy/build/${f#*:}"
done

# The premise, checked: the copy's programs are out of the servers' reach
# (as root: www-data cannot run the copy's responder).
mode=$(stat -c %a "$priv")
if [ "$(id -u)" -ne 0 ]; then
    echo "ok - private checkout: $copy (parent mode $mode; not root, so the servers run as $(id -un), who owns it)"
elif [ "$mode" != 700 ]; then
    echo "not ok - private checkout: $priv is mode $mode, not 700"
elif ! runuser -u www-data -- test -x /bin/sh; then
    echo "not ok - private checkout: cannot run a command as www-data"
elif runuser -u www-data -- test -e "$copy/build/claude-proxy"; then
    echo "not ok - private checkout: www-data can reach $copy/build/claude-proxy"
else
    echo "ok - private checkout: the suite runs from $copy, parent mode 700, which www-data cannot pass"
fi

B=build SERVERS_BIN= sh "$copy/tests/servers/run.sh" "$@"
rc=$?
rm -rf "$B/servers"
[ -d "$copy/build/servers" ] && cp -R "$copy/build/servers" "$B/servers"
exit $rc
