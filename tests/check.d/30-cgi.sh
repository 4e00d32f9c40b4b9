#!/bin/sh
# The real binary as plain CGI (and once over a FastCGI socket) against
# the mock upstream: every tests/cgi/tNNN-*.sh, numbered as one TAP run.
# Each script is bounded in time; one that dies without a result line
# counts as a failure.  A failed check's "# ..." diagnostics follow it.
set -u
: "${B:=build}"
export B LC_ALL=C
n=0
rc=0
for t in tests/cgi/t[0-9][0-9][0-9]-*.sh; do
    name=$(basename "$t" .sh)
    out=$(timeout 300 sh "$t" 2>"$B/cgi-$name.log")
    trc=$?
    printf '%s\n' "$out" | grep -E '^((not )?ok - |#)' >"$B/cgi-$name.tap"
    while IFS= read -r line; do
        case $line in
        "not ok - "*) n=$((n + 1)); echo "not ok $n - ${line#not ok - }"; rc=1 ;;
        "ok - "*) n=$((n + 1)); echo "ok $n - ${line#ok - }" ;;
        "#"*) printf '%s\n' "$line" ;;
        esac
    done <"$B/cgi-$name.tap"
    if ! grep -qE '^(not )?ok - ' "$B/cgi-$name.tap" ||
        { [ $trc -ne 0 ] && ! grep -q '^not ok' "$B/cgi-$name.tap"; }; then
        n=$((n + 1))
        echo "not ok $n - $name: exited $trc (see $B/cgi-$name.log)"
        rc=1
    fi
done
echo "1..$n"
exit $rc
