# tests/bench/rules.mk: make bench, make bench-core (included by the
# Makefile).
#
#   make bench        the proxy and a do-nothing FastCGI responder side by
#                     side behind one lighttpd, against a fast mock
#                     upstream, with two peers (ccproxy, @musistudio/llms,
#                     from npm) in the same rounds; prints the tables
#                     (about 5 minutes).  BENCH_PEERS=0 leaves them out.
#                     BENCH_DUR=5 (s per wrk row), BENCH_WORKERS=2,
#                     BENCH_THREADS=128, BENCH_PLOT=file.png
#   make bench-core   the conversion core alone: cost relative to cJSON
#                     parse+print, scaling with size, stream MB/s.
# Needs wrk, lighttpd, spawn-fcgi, multiwatch, valgrind; gnuplot for the
# plot (deploy/deps.sh all).
.PHONY: bench bench-core bench-tools

BENCH_BIN := $(B)/bench
BENCH_TOOLS := $(BENCH_BIN)/genbody $(BENCH_BIN)/baseline \
               $(BENCH_BIN)/upstream $(BENCH_BIN)/sseload \
               $(BENCH_BIN)/convbench

$(BENCH_BIN)/%.o: tests/bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BENCH_BIN)/genbody: $(BENCH_BIN)/genbody.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CJSON_LIBS)

$(BENCH_BIN)/baseline: $(BENCH_BIN)/baseline.o $(BENCH_BIN)/pace.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(BENCH_BIN)/upstream: $(BENCH_BIN)/upstream.o $(BENCH_BIN)/pace.o \
                       $(BENCH_BIN)/answers.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lpthread

$(BENCH_BIN)/sseload: $(BENCH_BIN)/sseload.o $(BENCH_BIN)/pace.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^

$(BENCH_BIN)/convbench: $(BENCH_BIN)/convbench.o $(BENCH_BIN)/pace.o \
                        $(BENCH_BIN)/answers.o \
                        $(B)/libcommon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CJSON_LIBS)

bench-tools: $(BENCH_TOOLS)

bench: $(PROG) $(BENCH_TOOLS)
	@B=$(B) sh tests/bench/run.sh

bench-core: $(BENCH_BIN)/convbench $(BENCH_BIN)/genbody
	@B=$(B) sh tests/bench/run.sh core

-include $(wildcard $(BENCH_BIN)/*.d)
