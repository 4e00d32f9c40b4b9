#!/bin/sh
# Unit tests of common/: every cmocka program in $B/tests, TAP output.
# cmocka numbers each program from 1; the tally only counts ok/not ok.
set -u
rc=0
for t in "$B"/tests/test_*; do
    [ -x "$t" ] || continue
    CMOCKA_MESSAGE_OUTPUT=TAP "$t" || rc=1
done
exit $rc
