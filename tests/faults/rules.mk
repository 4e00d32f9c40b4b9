# Long fault suites (outside `make check`; 70-faults.sh runs the short ones).
# Durations measured on the 2-core box (build excluded):
#
#   make check-slow     1,000 disconnects under load + 500 concurrent
#                       streams through lighttpd (~70 s)
#   make soak           SOAK_SECONDS (180) of mixed traffic, RSS flat
#                       within 5% (SOAK_SECONDS + ~15 s)
#   make valgrind       one worker under memcheck through faults and bad
#                       input: 0 errors, 0 bytes definitely lost
#
# Each run is bounded by FAULTS_TIMEOUT seconds: timeout(1) sends SIGTERM
# to node's test runner, which passes it to the test file, whose harness
# stops what it started by PID (--foreground keeps Ctrl-C working).

FAULTS_TIMEOUT ?= 900
FAULTS_NODE = timeout --foreground -s TERM $(FAULTS_TIMEOUT) node --test --test-reporter=tap

.PHONY: check-slow soak valgrind
check-slow: all
	B=$(B) FAULTS_DISCONNECTS=1000 $(FAULTS_NODE) tests/faults/disconnect.test.mjs
	B=$(B) $(FAULTS_NODE) tests/faults/load.test.mjs

soak: all
	B=$(B) SOAK_SECONDS=$${SOAK_SECONDS:-180} $(FAULTS_NODE) tests/faults/soak.test.mjs

# $(B)/vg/claude-proxy execs valgrind on the real binary; with B=$(B)/vg
# the stacks start their workers under memcheck.  The e2e suite and the
# upstream-fault and bad-input suites run through them, then
# valgrind.test.mjs adds aborts and stops and reads every worker's log
# (0 errors, 0 bytes definitely lost).  ~1.5 min.
valgrind: all $(E2E_STAMP)
	@rm -rf $(B)/vg && mkdir -p $(B)/vg/vglogs
	printf '#!/bin/sh\nexec valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 --track-fds=no --log-file=%s/vglogs/vg.%%p.log %s "$$@"\n' \
	    "$(abspath $(B))/vg" "$(abspath $(PROG))" >$(B)/vg/claude-proxy
	chmod +x $(B)/vg/claude-proxy
	B=$(B)/vg $(FAULTS_NODE) tests/e2e/*.test.mjs tests/faults/upstream.test.mjs \
	    tests/faults/client.test.mjs
	B=$(B)/vg $(FAULTS_NODE) tests/faults/valgrind.test.mjs
