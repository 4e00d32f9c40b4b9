# claude-proxy: Anthropic Messages API in front of OpenAI-compatible
# upstreams, as a FastCGI responder.  Plain GNU make.
#
#   make            build $(B)/claude-proxy and $(B)/libcommon.a
#   make check      every test suite; ends with "N passed, N failed"
#   make run        install what is missing (as root), build, serve on $(PORT)
#   make demo       the same against the project's own mock upstream
#   make SANITIZE=1 check     ASan + UBSan build in build-san/
#   make WERROR=1 ...         warnings are errors (CI, before commits)

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
.PHONY: all check check-unit lint clean tests
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
	rm -rf build build-san

-include $(COMMON_OBJ:.o=.d) $(FCGI_OBJ:.o=.d) $(TESTLIB_OBJ:.o=.d) \
         $(UNIT_BIN:$(B)/tests/%=$(B)/tests/unit/%.d)
