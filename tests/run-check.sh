#!/bin/sh
# Runs every suite in tests/check.d/ (or only those named), each writing
# TAP to $B/results/<suite>.tap, then prints one line "N passed, N failed".
# A suite that dies without output counts as one failure.  Exit 1 when
# anything failed.
set -u
: "${B:=build}"
export B LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
mkdir -p "$B/results"
rm -f "$B"/results/*.tap

for s in tests/check.d/*.sh; do
    name=$(basename "$s" .sh)
    name=${name#[0-9][0-9]-}
    if [ $# -gt 0 ]; then
        case " $* " in *" $name "*) ;; *) continue ;; esac
    fi
    printf '== %s\n' "$name"
    out="$B/results/$name.tap"
    sh "$s" >"$out" 2>"$B/results/$name.log"
    rc=$?
    grep -E '^not ok ' "$out" | sed 's/^/   /'
    if ! grep -qE '^(not )?ok ' "$out"; then
        echo "not ok 1 - $name: suite produced no results (exit $rc)" >>"$out"
        echo "   suite $name produced no results (exit $rc); see $B/results/$name.log"
        tail -n 20 "$B/results/$name.log" | sed 's/^/   | /'
    elif [ "$rc" -ne 0 ] && ! grep -qE '^not ok ' "$out"; then
        echo "not ok 999 - $name: suite exited $rc" >>"$out"
        echo "   suite $name exited $rc; see $B/results/$name.log"
        tail -n 20 "$B/results/$name.log" | sed 's/^/   | /'
    fi
    p=$(grep -cE '^ok ' "$out")
    f=$(grep -cE '^not ok ' "$out")
    printf '   %s: %s passed, %s failed\n' "$name" "$p" "$f"
done

pass=$(cat "$B"/results/*.tap 2>/dev/null | grep -cE '^ok ')
fail=$(cat "$B"/results/*.tap 2>/dev/null | grep -cE '^not ok ')
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
