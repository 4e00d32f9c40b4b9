#!/bin/sh
# Replays every fuzz corpus (tests/fuzz/corpus/<target>/, which also keeps
# each crash reproducer ever found) through the gcc + ASan/UBSan replay
# programs: the fuzz targets' invariants, without libFuzzer.  One TAP line
# per target; a target whose common/ module does not exist yet is a TAP
# skip (the tally counts it as skipped), one whose module exists but whose
# replay program was not built is a failure.
set -u
: "${B:=build}"
n=0
# the targets are the corpora; each one's module is its first FUZZ_NEED_
# file in tests/fuzz/rules.mk
for dir in tests/fuzz/corpus/*/; do
    dir=${dir%/}
    t=${dir##*/}
    n=$((n + 1))
    bin="$B/fuzz/replay_$t"
    need=$(sed -n "s/^FUZZ_NEED_$t = \([^ ]*\).*/\1/p" tests/fuzz/rules.mk)
    if [ -z "$need" ]; then
        echo "not ok $n - fuzz replay $t: no FUZZ_NEED_$t in tests/fuzz/rules.mk"
        continue
    fi
    if [ ! -f "$need" ]; then
        echo "ok $n - fuzz replay $t # SKIP $need does not exist yet"
        continue
    fi
    if [ ! -x "$bin" ]; then
        echo "not ok $n - fuzz replay $t: $bin not built (make fuzz-replay)"
        continue
    fi
    if [ ! -d "$dir" ]; then
        echo "not ok $n - fuzz replay $t: no corpus $dir"
        continue
    fi
    log="$B/results/fuzz-replay-$t.log"
    if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
       UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
       "$bin" "$dir" >"$log.out" 2>"$log"; then
        echo "ok $n - fuzz replay $t: $(cat "$log.out")"
    else
        echo "not ok $n - fuzz replay $t (see $log)"
        tail -n 15 "$log" | sed 's/^/# /'
    fi
done
