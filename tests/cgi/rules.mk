# tests/cgi: the real binary as CGI (tests/check.d/30-cgi.sh).  The
# stream checks need the SSE checker; t009 needs the debug variant with
# counting cJSON hooks (fcgi/pool.c built with -DSRV_COUNT_ALLOC), which
# logs "leak:" when a request ends with allocations it did not free.
CGI_COUNT = $(B)/tests/claude-proxy-count
CGI_COUNT_OBJ = $(B)/tests/cgi/pool-count.o \
                $(filter-out $(B)/fcgi/pool.o,$(FCGI_OBJ))

$(B)/tests/cgi/pool-count.o: fcgi/pool.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DSRV_COUNT_ALLOC -c -o $@ $<

$(CGI_COUNT): $(CGI_COUNT_OBJ) $(B)/libcommon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CGI_COUNT_OBJ) $(B)/libcommon.a \
	    $(PKG_LIBS) -lpthread

CHECK_DEPS += $(B)/tests/evcheck $(CGI_COUNT)
