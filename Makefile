# bpffs-user — build, test, run. No autotools: plain GNU make.
#
#   make            build build/bpffs-user and the library
#   make deps       install missing Debian packages (apt-get only when needed)
#   make test       deps + build + every test suite; ends with "N passed, M failed"
#   make run        deps + build + mount at $(MNT), load the examples, wait for Ctrl-C
#   make bench      benchmarks (interpreter vs native -O2, ...)
#   make fuzz-jit   long differential run, JIT vs interpreter (FUZZ_COUNT=1000000)
#   make fuzz       every fuzz target for FUZZ_TIME seconds each (default 60)
#   make stress     longer stress runs (hooks, filesystem, 5,000 load/unload cycles)
#   make check-asan unit, conformance and bats suites under ASan+UBSan
#   make install    install the binary and the BPF header under $(PREFIX)
#   make clean

PREFIX   ?= /usr/local
MNT      ?= /tmp/bpffs
BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
SAN      ?=

DEB_PKGS := gcc make pkg-config clang llvm libfuse3-dev fuse3 libelf-dev zlib1g-dev \
	    linux-libc-dev libbpf-dev libcapstone-dev liburcu-dev bats bats-assert \
	    bats-support bpftool iproute2 tcpdump valgrind iputils-ping systemd python3

FUSE_CFLAGS := $(shell pkg-config --cflags fuse3 2>/dev/null)
FUSE_LIBS   := $(shell pkg-config --libs fuse3 2>/dev/null || echo -lfuse3)

CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -pthread -D_GNU_SOURCE \
	   -Isrc -Iinclude $(FUSE_CFLAGS) $(SAN)
LDLIBS  += $(FUSE_LIBS) -lbpf -lelf -lz -lcapstone -lpthread -lm
LDFLAGS += $(SAN)

# Every module's sources; src/fs/main.c holds main() and stays out of the library.
LIB_SRCS := $(sort $(wildcard src/core/*.c src/maps/*.c src/verifier/*.c src/jit/*.c \
	     src/hooks/*.c src/fs/*.c))
LIB_SRCS := $(filter-out src/fs/main.c,$(LIB_SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libbpffs.a
BIN      := $(BUILD)/bpffs-user

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRCS  := $(wildcard tests/tools/*.c)
TOOL_BINS  := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tests/%)

BPF_CFLAGS := -O2 -g -target bpf -Iinclude -I/usr/include/$(shell $(CC) -dumpmachine) \
	      -Wall -Wno-unused-value
EXAMPLE_SRCS := $(wildcard examples/*.bpf.c)
EXAMPLE_OBJS := $(EXAMPLE_SRCS:examples/%.bpf.c=$(BUILD)/examples/%.bpf.o)
TEST_BPF_SRCS := $(wildcard tests/bpf/*.bpf.c)
TEST_BPF_OBJS := $(TEST_BPF_SRCS:tests/bpf/%.bpf.c=$(BUILD)/tests/bpf/%.bpf.o)

.PHONY: all deps test run bench install clean unit-tests bpf-objs check-deps check-tsan fuzz-jit check-asan san-build fuzz-elf fuzz-render fuzz stress unit-bins
all: $(BIN) $(UNIT_BINS) $(TOOL_BINS)

deps:
	@./scripts/deps.sh $(DEB_PKGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(BUILD)/src/fs/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB) tests/unit/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/examples/%.bpf.o: examples/%.bpf.c $(wildcard include/bpffs/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tests/bpf/%.bpf.o: tests/bpf/%.bpf.c $(wildcard include/bpffs/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

bpf-objs: $(EXAMPLE_OBJS) $(TEST_BPF_OBJS)

unit-bins: $(UNIT_BINS)

# Sanitizer builds (issue 9): everything (library, unit tests, tools, daemon,
# BPF objects) under ASan+UBSan in $(ASAN_BUILD), the concurrency tests under
# TSan in $(TSAN_BUILD). `make test` builds both and tests/run-all.sh runs the
# unit tests, conformance and bats suites against them (tests/san/suites.sh);
# any sanitizer report fails the run. check-asan / check-tsan run only those.
ASAN_BUILD ?= $(BUILD)-asan
TSAN_BUILD ?= $(BUILD)-tsan
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
san-build:
	$(MAKE) BUILD=$(ASAN_BUILD) SAN="$(ASAN_FLAGS)" all bpf-objs
	$(MAKE) BUILD=$(TSAN_BUILD) SAN=-fsanitize=thread $(TSAN_BUILD)/tests/test_maps_stress \
		$(TSAN_BUILD)/tests/test_stress $(TSAN_BUILD)/tests/test_state \
		$(TSAN_BUILD)/tests/test_hooks_cpumap bpf-objs

check-asan:
	$(MAKE) BUILD=$(ASAN_BUILD) SAN="$(ASAN_FLAGS)" all bpf-objs
	@BUILD=$(BUILD) SAN_BUILD=$(ASAN_BUILD) TSAN_BUILD=/nonexistent SUITES=san ./tests/run-all.sh

# libFuzzer target for the ELF loader (clang); run: $(BUILD)/fuzz-elf DIR -max_total_time=600
FUZZ_ELF_SRCS := tests/fuzz/fuzz_elf.c src/core/elf.c src/core/elf_maps.c src/core/elf_reloc.c \
		 src/core/btf.c src/core/object.c src/core/vlog.c src/core/log.c src/maps/cpu.c
fuzz-elf: $(BUILD)/fuzz-elf
$(BUILD)/fuzz-elf: $(FUZZ_ELF_SRCS) $(wildcard src/core/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) -O1 -g -std=gnu11 -D_GNU_SOURCE -Isrc -Iinclude -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined \
		-o $@ $(FUZZ_ELF_SRCS) -lbpf -lelf -lz -lpthread

# libFuzzer target for the map key/value/spec text parsers (src/fs/render.c).
FUZZ_RENDER_SRCS := tests/fuzz/fuzz_render.c src/fs/render.c src/core/vlog.c
fuzz-render: $(BUILD)/fuzz-render
$(BUILD)/fuzz-render: $(FUZZ_RENDER_SRCS) src/fs/render.h src/core/vlog.h
	@mkdir -p $(dir $@)
	$(CLANG) -O1 -g -std=gnu11 -D_GNU_SOURCE -Isrc -Iinclude -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -o $@ $(FUZZ_RENDER_SRCS)

# Every fuzz target for FUZZ_TIME seconds each (default 60: about 4 x 60 s in
# all, on one core): fuzz-elf and fuzz-render (libFuzzer, crashes saved in
# $(BUILD)/fuzz/), the verifier's soundness run (fuzz_verifier) and the JIT's
# differential run (jit_diff) under the same time limit. See tests/fuzz/run.sh.
FUZZ_TIME ?= 60
fuzz: $(BUILD)/fuzz-elf $(BUILD)/fuzz-render $(BUILD)/tests/fuzz_verifier \
		$(BUILD)/tests/jit_diff bpf-objs
	BUILD=$(BUILD) FUZZ_TIME=$(FUZZ_TIME) ./tests/fuzz/run.sh

test: deps
	$(MAKE) all bpf-objs
	$(MAKE) san-build
	@BUILD=$(BUILD) ./tests/run-all.sh

run: deps
	$(MAKE) all bpf-objs
	@BUILD=$(BUILD) MNT=$(MNT) ./scripts/run.sh

bench: deps
	$(MAKE) all
	@$(MAKE) -C bench BUILD=$(abspath $(BUILD)) run

# Long differential run of the JIT against the interpreter (issue 6).
FUZZ_COUNT ?= 1000000
fuzz-jit: $(BUILD)/tests/jit_diff $(BUILD)/tests/jit_kernel_diff
	$(BUILD)/tests/jit_diff --count $(FUZZ_COUNT) --size 150
	$(BUILD)/tests/jit_diff --count $$(( $(FUZZ_COUNT) / 10 )) --seed 50000000 --blind
	$(BUILD)/tests/jit_kernel_diff --count $$(( $(FUZZ_COUNT) / 20 )) --size 150

# Long soundness run of the verifier (issue 5): accepted random programs must
# never fault in the checked interpreter. VFUZZ_COUNT programs (plus mutants)
# from seed VFUZZ_SEED over VFUZZ_JOBS processes; 5,000-15,000 programs/s per
# core, so the default 10 million take 10-35 minutes on one.
VFUZZ_COUNT ?= 10000000
VFUZZ_JOBS  ?= 1
VFUZZ_SEED  ?= 1
$(BUILD)/tests/fuzz_verifier $(BUILD)/tests/test_verifier_fuzz: $(wildcard tests/verifier/fuzzgen*.h)
fuzz-verifier: $(BUILD)/tests/fuzz_verifier
	$(BUILD)/tests/fuzz_verifier --count $(VFUZZ_COUNT) --jobs $(VFUZZ_JOBS) \
		--seed $(VFUZZ_SEED) --progress 60

# Longer stress runs (issue 9): hooks firing under registry and map churn for
# 60 s, the filesystem stress for 60 s and 5,000 load/unload cycles.
stress: all bpf-objs
	BUILD=$(BUILD) STRESS_SECS=60 $(BUILD)/tests/test_stress
	BUILD=$(BUILD) BPFFS_BIN=$(abspath $(BIN)) STRESS_SECS=60 STRESS_CYCLES=5000 \
		bats --tap tests/bats/stress.bats

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/bpffs-user
	install -D -m 0644 include/bpffs/hooks.h $(DESTDIR)$(PREFIX)/include/bpffs/hooks.h

# Maps concurrency stress test under ThreadSanitizer, in its own build dir (CI runs it).
check-tsan:
	$(MAKE) BUILD=$(TSAN_BUILD) SAN=-fsanitize=thread $(TSAN_BUILD)/tests/test_maps_stress \
		$(TSAN_BUILD)/tests/test_stress $(TSAN_BUILD)/tests/test_state \
		$(TSAN_BUILD)/tests/test_hooks_cpumap bpf-objs
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" ./$(TSAN_BUILD)/tests/test_maps_stress
	BUILD=$(TSAN_BUILD) TSAN_OPTIONS="halt_on_error=1 exitcode=66" ./$(TSAN_BUILD)/tests/test_stress
	BUILD=$(TSAN_BUILD) TSAN_OPTIONS="halt_on_error=1 exitcode=66" ./$(TSAN_BUILD)/tests/test_state
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" ./$(TSAN_BUILD)/tests/test_hooks_cpumap

clean:
	rm -rf $(BUILD)
	-$(MAKE) -C bench clean 2>/dev/null

-include $(LIB_OBJS:.o=.d) $(BUILD)/src/fs/main.d
