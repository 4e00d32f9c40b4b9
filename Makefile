# claude-proxy: Anthropic Messages API in front of OpenAI-compatible
# upstreams, as a FastCGI responder.  Plain GNU make.
#
#   make            build $(B)/claude-proxy and $(B)/libcommon.a
#   make check      every test suite; ends with "N passed, N failed"
#   make run        install what is missing (as root), build, serve on $(PORT)
#   make demo       the same against the project's own mock upstream
#   make SANITIZE=1 check     ASan + UBSan build in build-san/
#   make TSAN=1 check-unit    ThreadSanitizer build in build-tsan/
#   make WERROR=1 ...         warnings are errors (CI, before commits)
#   make help       every target, one line each

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/claude-proxy
PKG_CONFIG ?= pkg-config
CC ?= cc
CFLAGS ?= -O2 -g

PKGS = libcurl libcjson fcgi
WARN = -std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 \
       -Wstrict-prototypes -Wmissing-prototypes -Wwrite-strings \
       -Wcast-qual -Wundef -Wswitch-default
ifeq ($(WERROR),1)
WARN += -Werror
endif

ifeq ($(SANITIZE),1)
B ?= build-san
SAN = -fsanitize=address,undefined -fno-sanitize-recover=all \
      -fno-omit-frame-pointer
else ifeq ($(TSAN),1)
B ?= build-tsan
SAN = -fsanitize=thread -fno-omit-frame-pointer
else
B ?= build
SAN =
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null || \
              echo -lcurl -lcjson -lfcgi)
CJSON_LIBS := $(shell $(PKG_CONFIG) --libs libcjson 2>/dev/null || echo -lcjson)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

ALL_CFLAGS = $(WARN) -D_POSIX_C_SOURCE=200809L $(CPPFLAGS) $(PKG_CFLAGS) \
             $(SAN) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = $(SAN) $(LDFLAGS)

COMMON_SRC := $(sort $(wildcard common/*.c))
COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
FCGI_SRC := $(sort $(wildcard fcgi/*.c))
FCGI_OBJ := $(FCGI_SRC:%.c=$(B)/%.o)
TESTLIB_SRC := $(sort $(wildcard tests/lib/*.c))
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(B)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

PROG = $(B)/claude-proxy

.SECONDARY:
.PHONY: all check check-unit lint clean tests help install uninstall docs
all: $(PROG) $(B)/libcommon.a

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libcommon.a: $(COMMON_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(PROG): $(FCGI_OBJ) $(B)/libcommon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(FCGI_OBJ) $(B)/libcommon.a $(PKG_LIBS) -lpthread

$(B)/tests/test_%: $(B)/tests/unit/test_%.o $(TESTLIB_OBJ) $(B)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TESTLIB_OBJ) $(B)/libcommon.a \
	    $(CMOCKA_LIBS) $(CJSON_LIBS)

tests: $(UNIT_BIN)

# Suite fragments: each area adds its own targets and check suites.
-include $(sort $(wildcard tests/*/rules.mk deploy/rules.mk))

# Every suite in tests/check.d/ runs (none stops the others); the tally
# prints "N passed, N failed" and fails the target when N failed > 0.
check: all tests $(CHECK_DEPS)
	@B=$(B) SANITIZE=$(SANITIZE) tests/run-check.sh

check-unit: tests
	@B=$(B) SANITIZE=$(SANITIZE) tests/run-check.sh unit

# tests/check.d/15-lint.sh, alone: common/ is pure, the C layout is
# .clang-format's, the man page is lint-clean (make check runs it too).
lint:
	@B=$(B) tests/run-check.sh lint

clean:
	rm -rf build build-san build-tsan

# make install [PREFIX=/usr/local] [DESTDIR=] [SBINDIR=] [MANDIR=] [DATADIR=]:
# the binary, the pool launcher, the man page, and under $(DATADIR) the
# settings example, lighttpd's error pages and the example configs with
# their paths rewritten to this PREFIX (the files say /usr/local as
# shipped).  make uninstall (same variables) removes exactly those files,
# then those of the directories under $(DATADIR) that are left empty:
# files of one's own there stay.
INST_EXAMPLES := $(wildcard apache/claude-proxy-proxy-fcgi.conf \
    apache/claude-proxy-fcgid.conf apache/htaccess apache/claude-proxy.fcgi \
    lighttpd/lighttpd.conf lighttpd/lighttpd-spawn.conf \
    lighttpd/lighttpd-small.conf deploy/nginx.conf \
    deploy/systemd/claude-proxy.service deploy/systemd/claude-proxy.socket \
    deploy/systemd/claude-proxy-pool.service \
    deploy/docker/Dockerfile deploy/docker/compose.yaml \
    deploy/docker/compose.host.yaml deploy/k8s/claude-proxy.yaml)
INST_ERRORS := $(wildcard lighttpd/errors/*.html)
INST_DATA = env.example $(INST_ERRORS) $(INST_EXAMPLES)
# DATADIR's subdirectories, deepest first
INST_DIRS = $(shell printf '%s\n' $(patsubst %/,%,$(sort $(dir \
    $(INST_ERRORS) $(INST_EXAMPLES)))) lighttpd deploy | sort -ru)
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
	install -m 0644 $(INST_ERRORS) $(DESTDIR)$(DATADIR)/lighttpd/errors/
	for f in $(INST_EXAMPLES); do \
	    install -d $(DESTDIR)$(DATADIR)/$$(dirname $$f); \
	    sed $(INST_SED) $$f >$(DESTDIR)$(DATADIR)/$$f; \
	done
	chmod 0755 $(DESTDIR)$(DATADIR)/apache/claude-proxy.fcgi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/claude-proxy \
	    $(DESTDIR)$(SBINDIR)/claude-proxy-pool \
	    $(DESTDIR)$(MANDIR)/man8/claude-proxy.8 \
	    $(addprefix $(DESTDIR)$(DATADIR)/,$(INST_DATA))
	@for d in $(INST_DIRS); do \
	    rmdir $(DESTDIR)$(DATADIR)/$$d 2>/dev/null || true; done
	@rmdir $(DESTDIR)$(DATADIR) 2>/dev/null || true

# The dialect switches' entries of the man page and .env.example come
# from A2O_SWITCHES (common/conf.h) through --help; make check compares.
docs: $(PROG)
	sh deploy/switch-docs.sh $(PROG)

help:
	@echo 'make                  build $(B)/claude-proxy and $(B)/libcommon.a'
	@echo 'make check            every suite of tests/check.d/ (lint too): "N passed, N failed"'
	@echo 'make check-unit       the cmocka unit tests only'
	@echo 'make lint             common/ purity, clang-format, mandoc (tests/check.d/15-lint.sh)'
	@echo 'make e2e              the end-to-end suite only (Anthropic SDK -> lighttpd -> pool)'
	@echo 'make check-servers    every shipped nginx/Apache/lighttpd config, from a mode-700 copy'
	@echo 'make check-servers-standin  the same with tests/servers/standin as the responder'
	@echo 'make check-slow       1,000 disconnects under load, 500 concurrent streams'
	@echo 'make soak             SOAK_SECONDS of mixed traffic, RSS stays flat'
	@echo 'make valgrind         workers under memcheck: 0 errors, 0 bytes definitely lost'
	@echo 'make fuzz             every libFuzzer target FUZZ_SECONDS each (clang)'
	@echo 'make fuzz-TARGET      one fuzz target (req resp sse stream schema nstream rsp conf json tokens)'
	@echo 'make fuzz-merge       minimise the work corpora into tests/fuzz/corpus/'
	@echo 'make fuzz-merge-TARGET  the same for one target'
	@echo 'make fuzz-replay      the corpus replay programs (make check runs them)'
	@echo 'make check-container  the image, compose files, Kubernetes manifest and systemd units, run for real'
	@echo 'make check-systemd    only the systemd units, under a real systemd in a container'
	@echo 'make bench            proxy vs a do-nothing responder behind lighttpd (wrk)'
	@echo 'make bench-core       the conversion core alone'
	@echo 'make bench-tools      build the benchmark programs only'
	@echo 'make run              install what is missing (root), build, serve on $$PORT'
	@echo 'make demo             make run against the mock upstream'
	@echo 'make install          binary, pool launcher, man page, examples (PREFIX, DESTDIR)'
	@echo 'make uninstall        remove exactly what make install wrote'
	@echo 'make lint-man         mandoc -Tlint of claude-proxy(8)'
	@echo 'make docs             rewrite the switch entries of claude-proxy.8 and .env.example'
	@echo 'make tests            build the unit test programs'
	@echo 'make all              the same as make'
	@echo 'make clean            remove build/, build-san/ and build-tsan/'
	@echo 'make help             this list'
	@echo 'Variables: SANITIZE=1 (build-san/), TSAN=1 (build-tsan/), WERROR=1, B=dir, PREFIX, DESTDIR'

-include $(COMMON_OBJ:.o=.d) $(FCGI_OBJ:.o=.d) $(TESTLIB_OBJ:.o=.d) \
         $(UNIT_BIN:$(B)/tests/%=$(B)/tests/unit/%.d)
