# balloonbench - a benchmark and stress test for VM memory ballooning.
#
#   make run     install what is missing, build, make the guest image, run bench/quick.ini
#   make check   the same set-up, then every test (unit, ASan+UBSan, real-VM integration)
#   make         build the runner and the guest agent
#   make image   the guest image (Debian kernel + initramfs with the agent as /init)

CC      ?= gcc
BUILD   ?= build
CFLAGS  ?= -O2 -g
PKGS    := libvirt libvirt-qemu jansson inih hwloc liburing
WARN    := -Wall -Wextra -Wformat=2 -Wno-format-truncation -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASE    := -std=c11 -D_GNU_SOURCE -pthread $(WARN)
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

WL_SRCS     := $(wildcard workloads/*.c)
RUNNER_SRCS := $(wildcard host-runner/*.c) host-runner/assets.S common/proto.c $(WL_SRCS)
AGENT_SRCS  := $(wildcard guest-agent/*.c) common/proto.c $(WL_SRCS)
# Pure parts, linked into unit tests without libvirt.
LIB_SRCS    := host-runner/scenario.c host-runner/schedule.c host-runner/summary.c host-runner/metrics.c \
	       host-runner/log.c host-runner/csv.c host-runner/downsample.c host-runner/abstat.c \
	       common/proto.c $(WL_SRCS)
TEST_SRCS   := $(wildcard tests/*.c)
HDRS        := $(wildcard host-runner/*.h common/*.h tests/*.h workloads/*.h guest-agent/*.h)

# uPlot, from the npm registry at the version reports/package-lock.json pins,
# is built into the runner (host-runner/assets.S) and inlined into report.html.
NPM_DIR  := $(BUILD)/npm
UPLOT    := $(NPM_DIR)/node_modules/uplot/dist/uPlot.iife.min.js
UPLOT_CSS := $(NPM_DIR)/node_modules/uplot/dist/uPlot.min.css
ASSETS   := $(UPLOT) reports/common.js reports/report.js reports/compare.js reports/report.css
ASSET_FLAGS = -DRP_UPLOT_JS='"$(UPLOT)"' -DRP_UPLOT_CSS='"$(UPLOT_CSS)"'

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lnuma -lm

BIN      := $(BUILD)/balloonbench
ASAN_BIN := $(BUILD)/asan/balloonbench
AGENT    := $(BUILD)/bb-agent
IMAGE    := $(BUILD)/guest/initrd.img
UNIT     := $(patsubst tests/%.c,$(BUILD)/tests/%.t,$(TEST_SRCS))
UNIT_ASAN := $(patsubst tests/%.c,$(BUILD)/asan/tests/%.t,$(TEST_SRCS))

.PHONY: all deps image run check unit clean
all: $(BIN) $(AGENT)

deps:
	@scripts/install-deps.sh

$(BIN): $(RUNNER_SRCS) $(HDRS) $(ASSETS)
	@mkdir -p $(@D)
	$(CC) $(BASE) $(CFLAGS) $(PKG_CFLAGS) $(ASSET_FLAGS) -o $@ $(RUNNER_SRCS) $(PKG_LIBS)

$(ASAN_BIN): $(RUNNER_SRCS) $(HDRS) $(ASSETS)
	@mkdir -p $(@D)
	$(CC) $(BASE) -O1 -g $(SANITIZE) $(PKG_CFLAGS) $(ASSET_FLAGS) -o $@ $(RUNNER_SRCS) $(PKG_LIBS)

# npm ci installs exactly what the lock file says (its integrity hashes checked).
$(UPLOT): reports/package.json reports/package-lock.json
	@mkdir -p $(NPM_DIR)
	cp reports/package.json reports/package-lock.json $(NPM_DIR)/
	cd $(NPM_DIR) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

# The agent is /init in the guest: static, no dependencies at run time.
# (ld warns that libnuma's affinity.o references getaddrinfo: that libnuma
# function is never called, nothing resolves names in the guest.)
$(AGENT): $(AGENT_SRCS) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE) -O2 -static -o $@ $(AGENT_SRCS) -luring -lnuma -lm

$(BUILD)/tests/%.t: tests/%.c $(LIB_SRCS) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE) $(CFLAGS) $(PKG_CFLAGS) -Ihost-runner -o $@ $< $(LIB_SRCS) $(PKG_LIBS)

$(BUILD)/asan/tests/%.t: tests/%.c $(LIB_SRCS) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE) -O1 -g $(SANITIZE) $(PKG_CFLAGS) -Ihost-runner -o $@ $< $(LIB_SRCS) $(PKG_LIBS)

# Cheap when nothing changed: the script keeps the kernel and rebuilds the
# initramfs only when the agent, the modules or the script are newer.
image: $(AGENT)
	@guest-agent/mkimage.sh $(AGENT) $(BUILD)/guest

run: deps
	@$(MAKE) --no-print-directory all image
	$(BIN) run bench/quick.ini

unit: $(UNIT) $(UNIT_ASAN)

# A test that hangs fails after 15 minutes (timeout signals its whole process
# group: the runner under test destroys its guests) instead of stalling CI.
check:
	@scripts/install-deps.sh --test
	@$(MAKE) --no-print-directory all $(ASAN_BIN) unit image
	prove -f --exec 'timeout -k 30 900' $(UNIT) $(UNIT_ASAN) tests/*.t

clean:
	rm -rf $(BUILD)
