# Fuzzing (libFuzzer, clang) and the plain corpus replay (gcc + ASan/UBSan).
#
#   make fuzz FUZZ_SECONDS=N     fuzz every target N seconds (default 60);
#                                new inputs go to $(B)/fuzz/corpus/<target>,
#                                crashes to $(B)/fuzz/artifacts/
#   make fuzz-<target>           one target (req resp sse stream schema nstream rsp conf json tokens)
#   make fuzz-merge              minimise the work corpora into
#                                tests/fuzz/corpus/<target> (-merge=1)
#   make fuzz-replay             build the replay programs; `make check`
#                                runs them over tests/fuzz/corpus/ (20-fuzz-replay)
#
# Needs clang-14 and libclang-rt-14-dev for the fuzzers; the replay needs
# only gcc.  A target is built once its module exists in common/.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS ?=
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all \
           -fno-omit-frame-pointer
FUZZ_CFLAGS = -g -O1 -std=c99 -D_POSIX_C_SOURCE=200809L $(PKG_CFLAGS)
FZ = $(B)/fuzz

# target -> the common/ module it needs (built only when that exists)
FUZZ_NEED_req = common/req.c
FUZZ_NEED_resp = common/resp.c
FUZZ_NEED_sse = common/sse.c
FUZZ_NEED_stream = common/stream.c tests/lib/evcheck.c
FUZZ_NEED_schema = common/schema.c
FUZZ_NEED_nstream = common/nstream.c tests/lib/evcheck.c
FUZZ_ALL = req resp sse stream schema nstream
# the Responses API readers (rsp_stream.c, rsp_resp.c)
FUZZ_NEED_rsp = common/rsp_stream.c tests/lib/evcheck.c
FUZZ_EXTRA_rsp = tests/lib/evcheck.c
FUZZ_ALL += rsp
# the settings, providers and ROUTES (conf.c, rules.c)
FUZZ_NEED_conf = common/rules.c
FUZZ_ALL += conf
# the JSON parser and printer against cJSON's (json_parse.c, json_print.c)
FUZZ_NEED_json = common/json_parse.c
FUZZ_ALL += json
# the token estimate against the byte-at-a-time method (tokens.c)
FUZZ_NEED_tokens = common/tokens.c tests/lib/tokref.c
FUZZ_EXTRA_tokens = tests/lib/tokref.c
FUZZ_ALL += tokens
FUZZ_TARGETS := $(foreach t,$(FUZZ_ALL),$(if $(strip $(foreach f,$(FUZZ_NEED_$(t)),$(if $(wildcard $(f)),,missing))),,$(t)))

# Extra objects a target links besides common/ (the §4 event checker).
FUZZ_EXTRA_stream = tests/lib/evcheck.c
FUZZ_EXTRA_nstream = tests/lib/evcheck.c

FUZZ_COMMON_SRC = $(COMMON_SRC) tests/fuzz/fuzz_util.c tests/lib/harness.c
FUZZ_COMMON_OBJ = $(patsubst %.c,%.o,$(FUZZ_COMMON_SRC))
FUZZ_LIBS = $(CMOCKA_LIBS) $(CJSON_LIBS)

# libFuzzer objects: everything instrumented for coverage.
$(FZ)/lf/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	    -MMD -MP -c -o $@ $<

# Replay objects: gcc with ASan/UBSan and the project's warnings.
$(FZ)/rp/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(FUZZ_CFLAGS) $(FUZZ_SAN) -MMD -MP -c -o $@ $<

# common/ and the helpers as archives: a target pulls only what it uses.
$(FZ)/lf/libfz.a: $(addprefix $(FZ)/lf/,$(FUZZ_COMMON_OBJ))
	rm -f $@
	$(AR) rcs $@ $^
$(FZ)/rp/libfz.a: $(addprefix $(FZ)/rp/,$(FUZZ_COMMON_OBJ))
	rm -f $@
	$(AR) rcs $@ $^

define FUZZ_TARGET_RULES
$(FZ)/fuzz_$(1): $(FZ)/lf/tests/fuzz/fuzz_$(1).o \
        $(patsubst %.c,$(FZ)/lf/%.o,$(FUZZ_EXTRA_$(1))) $(FZ)/lf/libfz.a
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $$@ $$^ $(FUZZ_LIBS)

$(FZ)/replay_$(1): $(FZ)/rp/tests/fuzz/fuzz_$(1).o $(FZ)/rp/tests/fuzz/replay.o \
        $(patsubst %.c,$(FZ)/rp/%.o,$(FUZZ_EXTRA_$(1))) $(FZ)/rp/libfz.a
	$(CC) $(FUZZ_SAN) -o $$@ $$^ $(FUZZ_LIBS)

.PHONY: fuzz-$(1)
fuzz-$(1): $(FZ)/fuzz_$(1)
	@mkdir -p $(FZ)/corpus/$(1) $(FZ)/artifacts
	$(FZ)/fuzz_$(1) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -dict=tests/fuzz/json.dict -max_len=65536 -timeout=20 \
	    -rss_limit_mb=2048 -artifact_prefix=$(FZ)/artifacts/$(1)- $(FUZZ_FLAGS) \
	    $(FZ)/corpus/$(1) tests/fuzz/corpus/$(1) 2>&1 | \
	    tee $(FZ)/fuzz_$(1).log | grep -E '^(#[0-9]+.*DONE|stat::|==|SUMMARY|.*invariant)' ; \
	    ! grep -qE 'ERROR: |invariant failed|deadly signal' $(FZ)/fuzz_$(1).log

.PHONY: fuzz-merge-$(1)
fuzz-merge-$(1): $(FZ)/fuzz_$(1)
	@mkdir -p $(FZ)/corpus/$(1) tests/fuzz/corpus/$(1)
	$(FZ)/fuzz_$(1) -merge=1 -dict=tests/fuzz/json.dict -max_len=65536 \
	    tests/fuzz/corpus/$(1) $(FZ)/corpus/$(1)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_TARGET_RULES,$(t))))

FUZZ_REPLAY_BIN = $(FUZZ_TARGETS:%=$(FZ)/replay_%)

.PHONY: fuzz fuzz-merge fuzz-replay
fuzz: $(FUZZ_TARGETS:%=fuzz-%)
fuzz-merge: $(FUZZ_TARGETS:%=fuzz-merge-%)
fuzz-replay: $(FUZZ_REPLAY_BIN)

CHECK_DEPS += $(FUZZ_REPLAY_BIN)

-include $(wildcard $(FZ)/lf/*/*.d $(FZ)/lf/*/*/*.d $(FZ)/rp/*/*.d \
                    $(FZ)/rp/*/*/*.d)
