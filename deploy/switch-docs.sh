#!/bin/sh
# switch-docs.sh PROG [--check]: the dialect switches' entries of
# fcgi/claude-proxy.8 and deploy/.env.example, made from `PROG --help`
# (whose rows come from A2O_SWITCHES in common/conf.h, the one place a
# switch is declared).  Each file holds them between two marker lines;
# this rewrites what lies between.  --check: exit 1, naming the file,
# when a file differs from what would be written (make check runs it,
# make docs writes).
set -eu
prog=$1
mode=${2:-write}
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# NAME<TAB>help for each setting whose default is "(inferred)"
"$prog" --help | awk '
    /^  [A-Z_][A-Z0-9_]* = / { name = $1; def = $3; next }
    /^      / && name != "" {
        sub(/^      /, "")
        if (def == "(inferred)") print name "\t" $0
        name = ""
    }' >"$tmp/switches"
[ -s "$tmp/switches" ] || { echo "switch-docs: no switch in $prog --help" >&2; exit 1; }

while IFS='	' read -r name help; do
    first=$(printf '%s' "$help" | cut -c1 | tr '[:lower:]' '[:upper:]')
    printf '.It Ev %s\n' "$name" >>"$tmp/man"
    printf '%s%s.\n' "$first" "$(printf '%s' "$help" | cut -c2-)" |
        fold -s -w 78 | sed 's/ $//' >>"$tmp/man"
    printf 'Default: inferred.\n' >>"$tmp/man"
    printf '%s\n' "$help" | fold -s -w 74 | sed 's/ $//; s/^/# /' >>"$tmp/env"
    printf '# %s=\n\n' "$name" >>"$tmp/env"
done <"$tmp/switches"

# splice FILE BEGIN END BLOCK: FILE with the lines between the markers
# replaced by BLOCK (markers through the environment: awk -v would read
# the backslash of the man page's comment marker as an escape)
splice() {
    B=$2 E=$3 BLK=$4 awk '
        $0 == ENVIRON["B"] { print; while ((getline l < ENVIRON["BLK"]) > 0) print l; skip = 1; next }
        $0 == ENVIRON["E"] { skip = 0 }
        !skip' "$1"
}

# one file: its marker lines and its block
one() { # file begin end block
    grep -qxF "$2" "$top/$1" && grep -qxF "$3" "$top/$1" ||
        { echo "switch-docs: $1 lacks the marker lines" >&2; exit 1; }
    splice "$top/$1" "$2" "$3" "$4" >"$tmp/out"
    if [ "$mode" = --check ]; then
        cmp -s "$tmp/out" "$top/$1" || {
            echo "switch-docs: $1 is not up to date (make docs)"
            rc=1
        }
    else
        cat "$tmp/out" >"$top/$1"
    fi
}

rc=0
one fcgi/claude-proxy.8 '.\" switches: begin (deploy/switch-docs.sh)' \
    '.\" switches: end' "$tmp/man"
one deploy/.env.example \
    '# --- switches: begin (written by deploy/switch-docs.sh) ---' \
    '# --- switches: end ---' "$tmp/env"
exit $rc
