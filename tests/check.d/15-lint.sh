#!/bin/sh
# Lint (`make lint` runs this suite alone), TAP: common/ stays pure (no
# I/O, no process state, as README.md "Layout" and common/README.md
# say), comments cite only files of the repository, the C layout is
# .clang-format's, the man page is mandoc-clean.
set -u
n=0
# t NAME CMD...: one TAP line from CMD's exit status, its output as "#"
t() {
    name=$1
    shift
    n=$((n + 1))
    if out=$("$@" 2>&1); then
        echo "ok $n - lint: $name"
    else
        echo "not ok $n - lint: $name"
        printf '%s\n' "$out" | head -n 30 | sed 's/^/# /'
    fi
}
pure() {
    ! grep -nE '#include *[<"](fcgiapp|fcgi_stdio|curl/curl|syslog)\.h|\b(getenv|exit|abort|fprintf|printf|puts|syslog|time|rand|srand|setlocale)\s*\(' \
        common/*.c common/*.h
}
t "common/ is pure (no libfcgi, libcurl, syslog, getenv, exit, stdio, time, rand)" pure

# Comments cite files of the repository (common/README.md, the server
# READMEs), never notes kept outside it, nor issue numbers of this
# project; other projects' reports (owner/repo#N) are fine.  The pattern
# is spelled so that it does not match this file.
cites() {
    ! grep -rnIoE \
        'PROTOCOL[.]md|WEBSERVERS[.]md|STYLE[.]md|DESIGN[.]md|\b[Ii]ssue [0-9]+' \
        --exclude-dir=.git --exclude-dir=node_modules --exclude-dir='build*' .
}
t "no citation of a file outside the repository or of an issue number" cites

if command -v clang-format >/dev/null 2>&1; then
    t "C sources match .clang-format" clang-format --dry-run --Werror \
        common/*.[ch] fcgi/*.[ch] tests/*/*.[ch]
else
    n=$((n + 1))
    echo "not ok $n - lint: clang-format is missing (sh deploy/deps.sh test)"
fi

if command -v mandoc >/dev/null 2>&1; then
    t "claude-proxy.8 is mandoc -Tlint clean" \
        mandoc -Tlint -Wwarning fcgi/claude-proxy.8
else
    n=$((n + 1))
    echo "not ok $n - lint: mandoc is missing (sh deploy/deps.sh test)"
fi
echo "1..$n"
