#!/bin/sh
# Fault suites, end to end (lighttpd -> spawn-fcgi pool -> mock upstream):
# upstream faults, bad client input, client disconnects (small), secrets.
# The long ones (1,000 disconnects, 500 concurrent streams, soak,
# valgrind) are `make check-slow`, `make soak` and `make valgrind`.
# Node's TAP goes to stdout as it is (one line per test).
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
B=$B FAULTS_DISCONNECTS=${FAULTS_DISCONNECTS:-100} \
    node --test --test-reporter=tap \
    tests/faults/upstream.test.mjs tests/faults/client.test.mjs \
    tests/faults/disconnect.test.mjs tests/faults/secrets.test.mjs \
    2>&1 | grep -E '^(not )?ok |^# ' | grep -vE '^# (Subtest|tests|suites|pass|fail|cancelled|skipped|todo|duration_ms)'
