# tests/servers/rules.mk: the web server suite, install/uninstall and the
# man page lint.  Included by the Makefile.
#
#   make check-servers        every shipped web server config with the
#                             real server, $(B)/claude-proxy behind it
#                             (apache/htaccess too: CGI and mod_fcgid),
#                             from a copy of the tree under a mode-700
#                             directory (tests/servers/private.sh)
#   make check-servers-standin  the same with tests/servers/standin (proves
#                             the servers' streaming without the proxy)
#   make install [PREFIX=/usr/local] [DESTDIR=] [SBINDIR=] [MANDIR=] [DATADIR=]
#   make uninstall            the same variables
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

# Example configs, installed under $(DATADIR) with their paths rewritten
# to this PREFIX (the files say /usr/local as shipped).
INST_EXAMPLES = apache/claude-proxy-proxy-fcgi.conf \
    apache/claude-proxy-fcgid.conf apache/htaccess apache/claude-proxy.fcgi \
    lighttpd/lighttpd.conf lighttpd/lighttpd-spawn.conf \
    lighttpd/lighttpd-small.conf deploy/nginx.conf \
    deploy/systemd/claude-proxy.service deploy/systemd/claude-proxy.socket \
    deploy/systemd/claude-proxy-pool.service \
    deploy/docker/Dockerfile deploy/docker/compose.yaml \
    deploy/docker/nginx.conf deploy/k8s/claude-proxy.yaml
INST_SED = -e 's|/usr/local/sbin|$(SBINDIR)|g' \
    -e 's|/usr/local/share/claude-proxy|$(DATADIR)|g'

install: $(PROG)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(DATADIR)/lighttpd/errors
	install -m 0755 $(PROG) $(DESTDIR)$(SBINDIR)/claude-proxy
	sed $(INST_SED) deploy/claude-proxy-pool \
	    >$(DESTDIR)$(SBINDIR)/claude-proxy-pool
	chmod 0755 $(DESTDIR)$(SBINDIR)/claude-proxy-pool
	install -m 0644 fcgi/claude-proxy.8 $(DESTDIR)$(MANDIR)/man8/claude-proxy.8
	install -m 0644 deploy/.env.example $(DESTDIR)$(DATADIR)/env.example
	install -m 0644 lighttpd/errors/*.html $(DESTDIR)$(DATADIR)/lighttpd/errors/
	for f in $(INST_EXAMPLES); do \
	    [ -f $$f ] || continue; \
	    install -d $(DESTDIR)$(DATADIR)/$$(dirname $$f); \
	    sed $(INST_SED) $$f >$(DESTDIR)$(DATADIR)/$$f; \
	done
	chmod 0755 $(DESTDIR)$(DATADIR)/apache/claude-proxy.fcgi 2>/dev/null || true

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/claude-proxy \
	    $(DESTDIR)$(SBINDIR)/claude-proxy-pool \
	    $(DESTDIR)$(MANDIR)/man8/claude-proxy.8
	rm -rf $(DESTDIR)$(DATADIR)
