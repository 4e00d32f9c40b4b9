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
