# balloonbench - a benchmark and stress test for VM memory ballooning.
#
#   make run     install what is missing, build, make the guest image, run bench/quick.ini
#   make check   the same set-up, then every test (unit, ASan+UBSan, TSan, real-VM integration)
#   make         build the runner and the guest agent
#   make unit    the unit tests alone, plain and ASan+UBSan (no guest: the inner loop)
#   make image   the guest image (Debian kernel + initramfs with the agent as /init)
#
# Every source is compiled once per flavour into an object file under
# $(BUILD)/<flavour>/obj, with its header dependencies (-MMD), so `make -j` is
# safe and an edit rebuilds what it touches. The pure code (host-runner/core,
# the protocol, the workloads' descriptors and statistics) is one static
# library, the reports another; unit tests link those and only the system
# libraries their objects use (--as-needed).

CC      ?= gcc
BUILD   ?= build
CFLAGS  ?= -O2 -g
PKGS    := libvirt libvirt-qemu jansson inih hwloc liburing
WARN    := -Wall -Wextra -Wformat=2 -Wformat-truncation -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes
BASE    := -std=c11 -D_GNU_SOURCE -pthread $(WARN) -I. -Ihost-runner -MMD -MP
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
TSANITIZE := -fsanitize=thread -fno-omit-frame-pointer

# The three layers of the runner (see README, "Layout").
CORE_SRCS   := $(wildcard host-runner/core/*.c) common/proto.c $(wildcard workloads/*.c)
REPORT_SRCS := $(wildcard host-runner/report/*.c)
ENGINE_SRCS := $(wildcard host-runner/engine/*.c) host-runner/main.c
AGENT_SRCS  := $(wildcard guest-agent/*.c) common/proto.c $(wildcard workloads/*.c)
TEST_SRCS   := $(wildcard tests/*.c)

# uPlot, from the npm registry at the version reports/package-lock.json pins,
# is built into the runner (host-runner/report/assets.S) and inlined into report.html.
NPM_DIR  := $(BUILD)/npm
UPLOT    := $(NPM_DIR)/node_modules/uplot/dist/uPlot.iife.min.js
UPLOT_CSS := $(NPM_DIR)/node_modules/uplot/dist/uPlot.min.css
ASSETS   := $(UPLOT) reports/common.js reports/report.js reports/compare.js reports/report.css
ASSET_FLAGS = -DRP_UPLOT_JS='"$(UPLOT)"' -DRP_UPLOT_CSS='"$(UPLOT_CSS)"'

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CORE_LIBS  = -linih -luring -lnuma -lm
REPORT_LIBS = $(shell pkg-config --libs jansson 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lnuma -lm

BIN      := $(BUILD)/balloonbench
ASAN_BIN := $(BUILD)/asan/balloonbench
TSAN_BIN := $(BUILD)/tsan/balloonbench
AGENT    := $(BUILD)/bb-agent
IMAGE    := $(BUILD)/guest/initrd.img
UNIT     := $(patsubst tests/%.c,$(BUILD)/tests/%.t,$(TEST_SRCS))
UNIT_ASAN := $(patsubst tests/%.c,$(BUILD)/asan/tests/%.t,$(TEST_SRCS))

# objs FLAVOUR SOURCES: their object files in that flavour
objs = $(patsubst %.c,$(BUILD)/$(1)/obj/%.o,$(filter %.c,$(2))) \
       $(patsubst %.S,$(BUILD)/$(1)/obj/%.o,$(filter %.S,$(2)))

FLAVOURS := plain asan tsan agent
plain_FLAGS := $(CFLAGS)
asan_FLAGS  := -O1 -g $(SANITIZE)
tsan_FLAGS  := -O1 -g $(TSANITIZE)
agent_FLAGS := -O2

.PHONY: all deps image run check unit fast clean
all: $(BIN) $(AGENT)

deps:
	@scripts/install-deps.sh

# Object files, one rule per flavour.
define flavour
$(BUILD)/$(1)/obj/%.o: %.c
	@mkdir -p $$(@D)
	$$(CC) $$(BASE) $$($(1)_FLAGS) $$(PKG_CFLAGS) -c -o $$@ $$<
$(BUILD)/$(1)/obj/%.o: %.S $$(ASSETS)
	@mkdir -p $$(@D)
	$$(CC) $$(BASE) $$(ASSET_FLAGS) -c -o $$@ $$<
$(BUILD)/$(1)/libbbcore.a: $$(call objs,$(1),$$(CORE_SRCS))
	@rm -f $$@
	$$(AR) rcs $$@ $$^
$(BUILD)/$(1)/libbbreport.a: $$(call objs,$(1),$$(REPORT_SRCS) host-runner/report/assets.S)
	@rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach f,$(FLAVOURS),$(eval $(call flavour,$(f))))

RUNNER_LINK = $(1) $(BUILD)/$(2)/libbbreport.a $(BUILD)/$(2)/libbbcore.a $(PKG_LIBS)

$(BIN): $(call objs,plain,$(ENGINE_SRCS)) $(BUILD)/plain/libbbreport.a $(BUILD)/plain/libbbcore.a
	$(CC) $(BASE) $(CFLAGS) -o $@ $(call RUNNER_LINK,$(filter %.o,$^),plain)

$(ASAN_BIN): $(call objs,asan,$(ENGINE_SRCS)) $(BUILD)/asan/libbbreport.a $(BUILD)/asan/libbbcore.a
	$(CC) $(BASE) -O1 -g $(SANITIZE) -o $@ $(call RUNNER_LINK,$(filter %.o,$^),asan)

$(TSAN_BIN): $(call objs,tsan,$(ENGINE_SRCS)) $(BUILD)/tsan/libbbreport.a $(BUILD)/tsan/libbbcore.a
	$(CC) $(BASE) -O1 -g $(TSANITIZE) -o $@ $(call RUNNER_LINK,$(filter %.o,$^),tsan)

# npm ci installs exactly what the lock file says (its integrity hashes checked).
$(UPLOT): reports/package.json reports/package-lock.json
	@mkdir -p $(NPM_DIR)
	cp reports/package.json reports/package-lock.json $(NPM_DIR)/
	cd $(NPM_DIR) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

# The agent is /init in the guest: static, no dependencies at run time.
# (ld warns that libnuma's affinity.o references getaddrinfo: that libnuma
# function is never called, nothing resolves names in the guest.)
$(AGENT): $(call objs,agent,$(AGENT_SRCS))
	$(CC) -static -pthread -o $@ $^ -luring -lnuma -lm

# Unit tests: pure code only, no libvirt; --as-needed keeps out what they do not use.
$(BUILD)/tests/%.t: $(BUILD)/plain/obj/tests/%.o $(BUILD)/plain/libbbreport.a $(BUILD)/plain/libbbcore.a
	@mkdir -p $(@D)
	$(CC) -pthread -Wl,--as-needed -o $@ $^ $(REPORT_LIBS) $(CORE_LIBS)

$(BUILD)/asan/tests/%.t: $(BUILD)/asan/obj/tests/%.o $(BUILD)/asan/libbbreport.a $(BUILD)/asan/libbbcore.a
	@mkdir -p $(@D)
	$(CC) -pthread $(SANITIZE) -Wl,--as-needed -o $@ $^ $(REPORT_LIBS) $(CORE_LIBS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Cheap when nothing changed: the script keeps the kernel and rebuilds the
# initramfs only when the agent, the modules or the script are newer.
image: $(AGENT)
	@guest-agent/mkimage.sh $(AGENT) $(BUILD)/guest

run: deps
	@$(MAKE) --no-print-directory all image
	$(BIN) run bench/quick.ini

unit: $(UNIT) $(UNIT_ASAN)

# The inner loop: every test that needs no guest, in parallel.
fast: unit $(BIN) $(ASAN_BIN)
	prove -j2 -f $(UNIT) $(UNIT_ASAN) tests/asan.t tests/compare.t tests/dry-run.t tests/corpus.t

# Tests run in parallel (prove -j) where they do not share a guest; the few
# that time the balloon against a threshold run alone, after the rest, so a
# neighbour's guest does not move their figures. A test that hangs fails after
# 15 minutes (timeout signals its whole process group: the runner under test
# destroys its guests) instead of stalling CI.
SERIAL_TESTS := tests/vm-compare.t tests/vm-probe.t
check:
	@scripts/install-deps.sh --test
	@$(MAKE) --no-print-directory -j2 all $(ASAN_BIN) $(TSAN_BIN) unit
	@$(MAKE) --no-print-directory image
	prove -j2 -f --exec 'timeout -k 30 900' $(UNIT) $(UNIT_ASAN) \
		$(filter-out $(SERIAL_TESTS),$(wildcard tests/*.t))
	prove -f --exec 'timeout -k 30 900' $(wildcard $(SERIAL_TESTS))

clean:
	rm -rf $(BUILD)

# ---- fuzzing (libFuzzer; see README, "Hardening") ----------------------------
# make fuzz: each target (tests/fuzz/NAME.c) for FUZZ_SECONDS, from its seeds
# (tests/fuzz/seeds.sh) and what earlier runs found (build/fuzz/corpus/NAME);
# crashes are kept in build/fuzz/crashes/NAME. tests/fuzz.t (make check) runs
# each briefly. The pure code and the reports are built again with clang and
# coverage; they are the only objects of the fuzz flavour.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := scenario proto trace csv report compare
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_BASE    := $(filter-out -Wformat-truncation,$(BASE))
FUZZ_BINS    := $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_TARGETS))

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_BASE) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c -o $@ $<
$(BUILD)/fuzz/obj/%.o: %.S $(ASSETS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_BASE) $(ASSET_FLAGS) -c -o $@ $<
$(BUILD)/fuzz/libbbfuzz.a: $(call objs,fuzz,$(CORE_SRCS) $(REPORT_SRCS) host-runner/report/assets.S)
	@rm -f $@
	$(AR) rcs $@ $^
$(BUILD)/fuzz/%: $(BUILD)/fuzz/obj/tests/fuzz/%.o $(BUILD)/fuzz/libbbfuzz.a
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -pthread -o $@ $^ $(REPORT_LIBS) $(CORE_LIBS)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/fuzz/corpus/$$t $(BUILD)/fuzz/crashes/$$t; \
		tests/fuzz/seeds.sh $$t $(BUILD)/fuzz/seeds/$$t || exit 1; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		$(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
			-rss_limit_mb=4096 -artifact_prefix=$(BUILD)/fuzz/crashes/$$t/ \
			$(BUILD)/fuzz/corpus/$$t $(BUILD)/fuzz/seeds/$$t >$(BUILD)/fuzz/$$t.log 2>&1; \
		rc=$$?; tail -n 3 $(BUILD)/fuzz/$$t.log; [ $$rc -eq 0 ] || exit 1; \
	done
