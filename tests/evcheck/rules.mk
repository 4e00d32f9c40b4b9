# build/tests/evcheck: the Anthropic SSE checker as a command, for e2e
# tests (`$(B)/tests/evcheck out.sse` exits 1 with a reason when a stream
# breaks common/README.md §5).  Built in one step: its object would otherwise
# want a directory of the same name as the program.
$(B)/tests/evcheck: tests/evcheck/main.c tests/lib/evcheck.c \
                    tests/lib/evcheck.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ tests/evcheck/main.c \
	    tests/lib/evcheck.c $(CJSON_LIBS)

tests: $(B)/tests/evcheck
