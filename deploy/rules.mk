# deploy/rules.mk: make run / make demo (included by the Makefile).
#
#   make run [PORT=8787] [HOST=127.0.0.1] [WORKERS=2]   serve in the foreground
#   make demo            the same against the mock upstream, with examples
#   make run DEMO=1      same as make demo
.PHONY: run demo

run: $(PROG)
	@B=$(B) DEMO=$(DEMO) sh deploy/run.sh

demo: $(PROG)
	@B=$(B) DEMO=1 sh deploy/run.sh

# make check-container: the Dockerfile, compose files, Kubernetes manifest
# and systemd units really run (tests/container/run.sh; needs root: it
# installs docker.io, docker-compose, debootstrap and starts its own dockerd)
# make check-systemd: only the systemd part
.PHONY: check-container check-systemd
check-container: $(E2E_STAMP)
	@mkdir -p $(B)/results
	@B=$(B) sh tests/container/run.sh all | tee $(B)/results/container.tap; \
	    tail -n 1 $(B)/results/container.tap | grep -q ' 0 failed$$'

check-systemd:
	@mkdir -p $(B)/results
	@B=$(B) sh tests/container/run.sh systemd | tee $(B)/results/systemd.tap; \
	    tail -n 1 $(B)/results/systemd.tap | grep -q ' 0 failed$$'
