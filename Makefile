# bpffs-user — build, test, run. No autotools: plain GNU make.
#
#   make            build build/bpffs-user and the library
#   make deps       install missing Debian packages (apt-get only when needed)
#   make test       deps + build + every test suite; ends with "N passed, M failed"
#   make run        deps + build + mount at $(MNT), load the examples, wait for Ctrl-C
#   make bench      benchmarks (interpreter vs native -O2, ...)
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
	    bats-support bpftool iproute2 tcpdump valgrind

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

BPF_CFLAGS := -O2 -g -target bpf -Iinclude -Wall -Wno-unused-value
EXAMPLE_SRCS := $(wildcard examples/*.bpf.c)
EXAMPLE_OBJS := $(EXAMPLE_SRCS:examples/%.bpf.c=$(BUILD)/examples/%.bpf.o)

.PHONY: all deps test run bench install clean unit-tests bpf-objs check-deps
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

bpf-objs: $(EXAMPLE_OBJS)

test: deps
	$(MAKE) all bpf-objs
	@BUILD=$(BUILD) ./tests/run-all.sh

run: deps
	$(MAKE) all bpf-objs
	@BUILD=$(BUILD) MNT=$(MNT) ./scripts/run.sh

bench: deps
	$(MAKE) all
	@$(MAKE) -C bench BUILD=$(abspath $(BUILD)) run

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/bpffs-user
	install -D -m 0644 include/bpffs/hooks.h $(DESTDIR)$(PREFIX)/include/bpffs/hooks.h

clean:
	rm -rf $(BUILD)
	-$(MAKE) -C bench clean 2>/dev/null

-include $(LIB_OBJS:.o=.d) $(BUILD)/src/fs/main.d
