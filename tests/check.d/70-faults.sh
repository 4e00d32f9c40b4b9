#!/bin/sh
# Fault suites, end to end (lighttpd -> spawn-fcgi pool -> mock upstream):
# every tests/faults/*.test.mjs but the long ones, which are those whose
# first line names their make target, "// NAME.test.mjs (check-slow): ..."
# (500 concurrent streams, soak, valgrind: `make check-slow`, `make soak`,
# `make valgrind`, in tests/faults/rules.mk, where each must be named).
# disconnect.test.mjs runs here small and under check-slow with 1,000.
# Node's TAP goes to stdout one line per test; the whole of it (with each
# failure's reason) is kept in $B/results/faults-node.log (not .tap: the runner
# writes this script's stdout to faults.tap and tallies *.tap), and a failure's
# reason is repeated here as `#` lines.  Bounded: a hung suite is killed
# after FAULTS_TIMEOUT seconds (SIGTERM to node's test runner, passed to
# the test files, whose harness stops every process it started, by PID).
set -u
: "${B:=build}"
if ! command -v node >/dev/null 2>&1; then
    echo "not ok 1 - faults: node is not installed (Debian package nodejs)"
    exit 0
fi
if [ ! -d tests/e2e/node_modules ] && [ ! -f tests/e2e/lib/stack.mjs ]; then
    echo "not ok 1 - faults: the e2e harness (tests/e2e/lib) is missing"
    exit 0
fi
mkdir -p "$B/results"
short=
for f in tests/faults/*.test.mjs; do
    if head -n 1 "$f" | grep -qE '^// [a-z0-9_-]+\.test\.mjs \('; then
        grep -qF "$f" tests/faults/rules.mk ||
            echo "not ok 997 - faults: $f is a long suite no target of tests/faults/rules.mk runs"
    else
        short="$short $f"
    fi
done
if [ -z "$short" ]; then
    echo "not ok 1 - faults: no short suite in tests/faults/"
    exit 0
fi
tap="$B/results/faults-node.log"
stamp="$B/results/faults.start"
: >"$stamp"
B=$B FAULTS_DISCONNECTS=${FAULTS_DISCONNECTS:-100} \
    timeout --foreground -s TERM "${FAULTS_TIMEOUT:-900}" \
    node --test --test-reporter=tap $short >"$tap" 2>&1
rc=$?
# TAP lines and our figures; after each `not ok`, its error text.
awk '
    /^(not )?ok / { print; failing = /^not ok/; next }
    /^# / && !/^# (Subtest|tests|suites|pass|fail|cancelled|skipped|todo|duration_ms)/ { print; next }
    failing && /^  (error|expected|actual|location):/ { show = 1 }
    failing && /^  (code|name|operator|stack|failureType|duration_ms):/ { show = 0 }
    failing && show && n < 40 { print "#   " $0; n++ }
' "$tap"
if [ "$rc" = 124 ]; then
    echo "not ok 999 - faults: killed after ${FAULTS_TIMEOUT:-900} s (see $tap)"
fi
# The workers' own reports: under make SANITIZE=1 check, ASan, LSan (at
# each worker's exit) and UBSan write to the responder logs of the stacks
# this run started.
logs=$(find "$B/e2e" -path '*/faults-*/run/logs/claude-proxy.log' \
    -newer "$stamp" 2>/dev/null)
if [ -z "$logs" ]; then
    echo "not ok 998 - faults: no responder log written under $B/e2e"
elif grep -nE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: ' \
    $logs >&2; then
    echo "not ok 998 - faults: sanitizer report in a responder log (see the suite log)"
else
    echo "ok 998 - faults: no sanitizer report in the $(echo "$logs" | wc -l) responder logs"
fi
