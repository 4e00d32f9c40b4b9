# setup.sh: sourced by every tests/cgi/tNNN-*.sh (after cgit's
# tests/setup.sh).  Runs the real binary as plain CGI against the mock
# upstream on 127.0.0.1 and prints one TAP-ish line per check:
# "ok - text" / "not ok - text" (30-cgi.sh numbers them).
#
#   start_mock                 node mock on a free port -> $MOCK, $UP
#   script_mock JSON           queue mock steps
#   mock_requests > FILE       what the mock saw
#   cgi METHOD URI BODYFILE [VAR=VALUE...]
#                              run the binary; $OUT/{head,body,err,rc}
#   check TEXT CMD...          one check
#   jq_ FILE JS                prints the JS expression over JSON `j`
set -u
: "${B:=build}"
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# CGI_PROG: another binary to test (an installed one)
PROG=${CGI_PROG:-"$top/$B/claude-proxy"}
# the Anthropic SSE checker (tests/evcheck, built by `make tests`)
EVCHECK="$top/$B/tests/evcheck"
name=$(basename "$0" .sh)
OUT="$top/$B/cgi-tests/$name"
rm -rf "$OUT"
mkdir -p "$OUT"
FAILED=0
# Extra environment for every cgi run (VAR=value words), set by tests.
CGI_ENV=

# Background processes this test started (mock, responders): each is
# stopped by its PID at exit.
PIDS=
cleanup() {
    for p in $PIDS; do
        kill "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    PIDS=
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

say_ok() { echo "ok - $name: $1"; }
say_fail() { echo "not ok - $name: $1"; FAILED=1; }
# say_skip TEXT WHY: a check that cannot run here, reported as a skip
say_skip() { echo "ok - $name: $1 # SKIP $2"; }

# check TEXT CMD...: ok when CMD succeeds; on failure CMD's exit status
# and output (stdout and stderr, the last 20 lines) follow as TAP
# diagnostics, "# ..." lines.  CMD runs in this shell (a function may
# set variables), its output goes to $OUT/check.out.
check() {
    t=$1
    shift
    if "$@" >"$OUT/check.out" 2>&1; then
        say_ok "$t"
    else
        rc=$?
        say_fail "$t"
        echo "# exit $rc: $*" | cut -c 1-200
        tail -n 20 "$OUT/check.out" | sed 's/^/#   /'
    fi
}

# need_prog: a missing binary is one failure, not a run of checks that
# pass because nothing ran
need_prog() {
    if [ ! -x "$PROG" ]; then
        say_fail "$PROG is not built"
        exit 1
    fi
}

start_mock() {
    rm -f "$OUT/port"
    node tests/e2e/mock-upstream.mjs --port 0 --port-file "$OUT/port" \
        --host 127.0.0.1 2>"$OUT/mock.log" &
    PIDS="$PIDS $!"
    i=0
    while [ ! -s "$OUT/port" ] && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if [ ! -s "$OUT/port" ]; then
        say_fail "mock upstream did not start"
        exit 1
    fi
    MOCK="http://127.0.0.1:$(cat "$OUT/port")"
    UP="$MOCK/v1"
}

script_mock() {
    curl -sf -m 5 -X POST -H 'content-type: application/json' \
        --data-binary "$1" "$MOCK/__script" >/dev/null
}

reset_mock() {
    curl -sf -m 5 -X POST "$MOCK/__reset" >/dev/null
}

mock_requests() {
    curl -sf -m 5 "$MOCK/__requests"
}

# A port nothing listens on: bind 0, note the port, close.
dead_port() {
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",
        ()=>{console.log(s.address().port);s.close();});'
}

# cgi METHOD URI BODYFILE [VAR=VALUE...]: one plain-CGI run with a clean
# environment: OPENAI_BASE_URL=$UP, then $CGI_ENV (words), then the
# arguments (values may hold spaces).  BODYFILE - for none.  Leaves
# $OUT/head (headers, CR stripped), $OUT/body, $OUT/err, $OUT/rc, $STATUS.
cgi() {
    need_prog
    m=$1 u=$2 f=$3
    shift 3
    [ "$f" = - ] && f=/dev/null
    if [ "$f" = /dev/null ]; then len=; else len=$(wc -c <"$f" | tr -d ' '); fi
    # shellcheck disable=SC2086
    env -i PATH="$PATH" LC_ALL=C OPENAI_BASE_URL="${UP:-http://127.0.0.1:9/v1}" \
        GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
        REQUEST_METHOD="$m" REQUEST_URI="$u" CONTENT_LENGTH="$len" \
        CONTENT_TYPE=application/json $CGI_ENV "$@" \
        timeout 60 "$PROG" <"$f" >"$OUT/raw" 2>"$OUT/err"
    echo $? >"$OUT/rc"
    # split at the first empty line
    awk 'BEGIN{h=1} h&&/^\r?$/{h=0;next} h{sub(/\r$/,"");print}' \
        "$OUT/raw" >"$OUT/head"
    awk 'BEGIN{h=1} h&&/^\r?$/{h=0;next} !h{print}' "$OUT/raw" >"$OUT/body"
    STATUS=$(sed -n 's/^Status: \([0-9]*\).*/\1/p' "$OUT/head")
}

# fcgi METHOD URI BODYFILE [VAR=VALUE...]: one request through cgi-fcgi
# (playing the web server) to the responder on $SOCK; the raw answer on
# stdout.
fcgi() {
    m=$1 u=$2 f=$3
    shift 3
    [ "$f" = - ] && f=/dev/null
    if [ "$f" = /dev/null ]; then len=; else len=$(wc -c <"$f" | tr -d ' '); fi
    env -i PATH="$PATH" REQUEST_METHOD="$m" REQUEST_URI="$u" \
        CONTENT_LENGTH="$len" CONTENT_TYPE=application/json "$@" \
        timeout 30 cgi-fcgi -bind -connect "$SOCK" <"$f"
}

# wait_sock: until the responder on $SOCK answers /health (bounded)
wait_sock() {
    i=0
    while [ $i -lt 50 ]; do
        if [ -S "$SOCK" ] && fcgi GET /health - 2>/dev/null | grep -q '"ok"'
        then
            return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# header NAME: the value of a response header (case-insensitive).
header() {
    awk -v n="$1" 'BEGIN{n=tolower(n)} {k=tolower($0); sub(/:.*/,"",k)}
        k==n {sub(/^[^:]*: */,""); print; exit}' "$OUT/head"
}

# jq_ FILE JS: evaluates JS with j = the parsed JSON file; prints it.
jq_() {
    node -e 'let v; try { const j = JSON.parse(require("fs").readFileSync(
        process.argv[1], "utf8")); v = (0, eval)("(j)=>(" + process.argv[2] +
        ")")(j); } catch (e) { v = "<" + e.name + ">"; }
        console.log(typeof v === "string" ? v : JSON.stringify(v));' "$1" "$2"
}

# events FILE: the SSE event names of a body, one per line.
events() {
    sed -n 's/^event: *//p' "$1" | tr -d '\r'
}

# sse_json FILE JS: evaluates JS with e = the array of {event, data}
# (data parsed) of an SSE body.
sse_json() {
    node -e 'let v; try { const t = require("fs").readFileSync(process.argv[1],
        "utf8"); const e = t.split(/\n\n/).filter(b => b.trim()).map(b => {
        const ev = (b.match(/^event: *(.*)$/m) || [])[1];
        const d = (b.match(/^data: *(.*)$/m) || [])[1];
        return { event: ev, data: d === undefined ? undefined : JSON.parse(d) };
        }); v = (0, eval)("(e)=>(" + process.argv[2] + ")")(e); }
        catch (x) { v = "<" + x.name + ">"; }
        console.log(typeof v === "string" ? v : JSON.stringify(v));' "$1" "$2"
}

# is_error TYPE: the body is an Anthropic error of that type.
is_error() {
    [ "$(jq_ "$OUT/body" 'j.type + "/" + j.error.type')" = "error/$1" ]
}

# rc_ok: exit 0 and nothing from the sanitizers on stderr.
rc_ok() {
    [ "$(cat "$OUT/rc")" = 0 ] &&
        ! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$OUT/err"
}

done_testing() {
    exit $FAILED
}
