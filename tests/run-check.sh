#!/bin/sh
# Runs every suite in tests/check.d/ (or only those named), each writing
# TAP to $B/results/<suite>.tap, then prints one line "N passed, N failed"
# (", N skipped" added when some were).  A line "ok ... # SKIP reason" is
# a skip, not a pass.  A suite that dies without output counts as one
# failure.  Exit 1 when anything failed.
set -u
: "${B:=build}"
export B LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
mkdir -p "$B/results"
rm -f "$B"/results/*.tap

# tally FILE...: "P F S" (passed, failed, skipped) over TAP files
tally() {
    cat "$@" 2>/dev/null | awk '
        /^not ok / { f++; next }
        /^ok / { if (tolower($0) ~ /#[ \t]*skip/) s++; else p++ }
        END { printf "%d %d %d\n", p, f, s }'
}
# summary P F S: "P passed, F failed[, S skipped]"
summary() {
    if [ "$3" -gt 0 ]; then
        printf '%s passed, %s failed, %s skipped\n' "$1" "$2" "$3"
    else
        printf '%s passed, %s failed\n' "$1" "$2"
    fi
}

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
    grep -iE '^ok .*#[[:space:]]*skip' "$out" | sed 's/^/   /'
    # shellcheck disable=SC2046
    printf '   %s: %s\n' "$name" "$(summary $(tally "$out"))"
done

set -- $(tally "$B"/results/*.tap)
summary "$@"
[ "$2" -eq 0 ] && [ "$1" -gt 0 ]
