# Long fault suites (outside `make check`; 70-faults.sh runs the short ones).
#
#   make check-slow     1,000 disconnects under load + 500 concurrent
#                       streams (~3 min)
#   make soak           SOAK_SECONDS (180) of mixed traffic, RSS flat
#                       within 5%
#   make valgrind       one worker under memcheck through faults and bad
#                       input: 0 errors, 0 bytes definitely lost (~2 min)

FAULTS_NODE = node --test --test-reporter=tap

.PHONY: check-slow soak valgrind
check-slow: all
	B=$(B) FAULTS_DISCONNECTS=1000 $(FAULTS_NODE) tests/faults/disconnect.test.mjs
	B=$(B) $(FAULTS_NODE) tests/faults/load.test.mjs

soak: all
	B=$(B) SOAK_SECONDS=$${SOAK_SECONDS:-180} $(FAULTS_NODE) tests/faults/soak.test.mjs

# $(B)/vg/claude-proxy execs valgrind on the real binary; the e2e stack
# is pointed at $(B)/vg, so multiwatch starts workers under memcheck.
valgrind: all
	@rm -rf $(B)/vg && mkdir -p $(B)/vg/vglogs
	printf '#!/bin/sh\nexec valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 --track-fds=no --log-file=%s/vglogs/vg.%%p.log %s "$$@"\n' \
	    "$(abspath $(B))/vg" "$(abspath $(PROG))" >$(B)/vg/claude-proxy
	chmod +x $(B)/vg/claude-proxy
	B=$(B)/vg $(FAULTS_NODE) tests/faults/valgrind.test.mjs
