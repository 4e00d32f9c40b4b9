# tests/servers/rules.mk: the web server suite and the man page lint.
# Included by the Makefile (which has install and uninstall).
#
#   make check-servers        every shipped web server config with the
#                             real server, $(B)/claude-proxy behind it
#                             (apache/htaccess too: CGI and mod_fcgid),
#                             from a copy of the tree under a mode-700
#                             directory (tests/servers/private.sh)
#   make check-servers-standin  the same with tests/servers/standin (proves
#                             the servers' streaming without the proxy)
#   make lint-man             mandoc -Tlint of claude-proxy(8)

.PHONY: check-servers check-servers-standin lint-man

SERVERS ?=

$(B)/tests/standin: tests/servers/standin.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -D_POSIX_C_SOURCE=200809L $(CPPFLAGS) $(PKG_CFLAGS) \
	    $(SAN) $(CFLAGS) $(ALL_LDFLAGS) -o $@ $< -lfcgi -lpthread

check-servers: $(PROG) $(B)/tests/evcheck
	@mkdir -p $(B)/results
	@B=$(B) sh tests/servers/private.sh -m proxy $(SERVERS) | \
	    tee $(B)/results/servers.tap; \
	    p=$$(grep -c '^ok ' $(B)/results/servers.tap); \
	    f=$$(grep -c '^not ok ' $(B)/results/servers.tap); \
	    echo "$$p passed, $$f failed"; [ "$$f" -eq 0 ] && [ "$$p" -gt 0 ]

check-servers-standin: $(B)/tests/standin
	@mkdir -p $(B)/results
	@B=$(B) sh tests/servers/private.sh -m standin $(SERVERS) | \
	    tee $(B)/results/servers-standin.tap; \
	    p=$$(grep -c '^ok ' $(B)/results/servers-standin.tap); \
	    f=$$(grep -c '^not ok ' $(B)/results/servers-standin.tap); \
	    echo "$$p passed, $$f failed"; [ "$$f" -eq 0 ] && [ "$$p" -gt 0 ]

lint-man:
	mandoc -Tlint -Wwarning fcgi/claude-proxy.8
