#!/bin/sh
# End-to-end: the official Anthropic SDK (and raw fetch) -> lighttpd ->
# spawn-fcgi + multiwatch pool of $B/claude-proxy -> the mock upstream,
# all on free 127.0.0.1 ports.  One stack per tests/e2e/*.test.mjs file.
#
# Each file runs as its own node process with the TAP reporter, so every
# test is a top-level line on node 18 and 20 alike; the lines are
# renumbered into one flat list, "e2e/<file>: <test>".  Full output and
# the stack's logs stay in $B/e2e/.
set -u
: "${B:=build}"
dir=tests/e2e
out=$B/e2e
mkdir -p "$out"
n=0

fail() {
    n=$((n + 1))
    echo "not ok $n - e2e: $*"
}

missing=
for c in node:nodejs lighttpd:lighttpd spawn-fcgi:spawn-fcgi multiwatch:multiwatch; do
    command -v "${c%%:*}" >/dev/null 2>&1 || missing="$missing ${c#*:}"
done
if [ -n "$missing" ]; then
    fail "missing Debian packages:$missing (sh deploy/deps.sh test)"
    exit 1
fi
if [ ! -d "$dir/node_modules/@anthropic-ai/sdk" ]; then
    fail "$dir/node_modules is missing: run (cd $dir && npm ci)"
    exit 1
fi
if [ ! -x "$B/claude-proxy" ]; then
    fail "$B/claude-proxy is missing: run make"
    exit 1
fi

rc=0
for f in "$dir"/*.test.mjs; do
    name=$(basename "$f" .test.mjs)
    start=$(date +%s)
    # Bounded: a hung stack must not hang make check.  SIGTERM first, so
    # the harness stops what it started.
    timeout -k 10 150 node --test-reporter=tap "$f" >"$out/$name.tap" 2>&1
    r=$?
    echo "e2e/$name: exit $r in $(($(date +%s) - start)) s" >&2
    before=$n
    awk -v n="$n" -v name="$name" -v cnt="$out/.count" '
        /^(not )?ok [0-9]+ - / {
            n++
            neg = ($1 == "not")
            sub(/^(not )?ok [0-9]+ - /, "")
            printf "%s %d - e2e/%s: %s\n", neg ? "not ok" : "ok", n, name, $0
        }
        END { print n > cnt }
    ' "$out/$name.tap"
    n=$(cat "$out/.count")
    if [ "$r" -ne 0 ]; then
        rc=1
        if [ "$r" -eq 124 ] || [ "$r" -eq 137 ]; then
            fail "$name: timed out after 150 s (see $out/$name.tap)"
        elif ! grep -q '^not ok ' "$out/$name.tap"; then
            fail "$name: node exited $r without a failed test (see $out/$name.tap)"
        fi
    fi
    [ "$n" -gt "$before" ] || fail "$name: no test ran (see $out/$name.tap)"

    # What the stack logged while the tests ran (it is stopped by now).
    logs=$out/$name/run/logs
    n=$((n + 1))
    if [ ! -s "$logs/claude-proxy.log" ]; then
        echo "not ok $n - e2e/$name: no responder log at $logs"
    elif grep -nE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: ' "$logs/claude-proxy.log" >&2; then
        echo "not ok $n - e2e/$name: sanitizer report in $logs/claude-proxy.log"
    else
        echo "ok $n - e2e/$name: no sanitizer report in the responder log"
    fi
    # The keys the tests use (tests/e2e/lib/stack.mjs, *.test.mjs).
    n=$((n + 1))
    if grep -rnF -e sk-upstream-e2e-secret -e proxy-key-e2e- -e sk-ant-client-key \
        -e sk-ant-replayed-client-key "$logs" >&2; then
        echo "not ok $n - e2e/$name: a key appears in $logs"
    else
        echo "ok $n - e2e/$name: no key in the responder or lighttpd logs"
    fi
    # Failure details on stderr (the suite's log), not in the TAP stream.
    grep -A 12 '^not ok ' "$out/$name.tap" >&2 || true
done
rm -f "$out/.count"
echo "1..$n"
exit $rc
