# tests/cgi: the real binary as CGI (tests/check.d/30-cgi.sh); the
# stream checks need the SSE checker.
CHECK_DEPS += $(B)/tests/evcheck
