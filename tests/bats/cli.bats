#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# The command-line subcommands (src/fs/cli.c): `run` on .data, .s and .bin
# programs with every runtime and input option, `asm`/`disasm`/`check`, and
# the error messages and exit codes for bad files (1) and bad usage (2).

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0

setup() {
	ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
	BIN="${BPFFS_BIN:-$ROOT/build/bpffs-user}"
	CONF="${BPFFS_CONFORMANCE_DIR:-$ROOT/../shared/conformance}"
	T="$BATS_TEST_TMPDIR"
	[ -x "$BIN" ] || skip "no $BIN (build first)"
}

@test "run: a conformance .data file prints its r0 and uses its -- mem" {
	run "$BIN" run "$CONF/tests/ldxdw.data"
	assert_success
	assert_output "retval: 0x8877665544332211"
}

@test "run: interp, checked and jit runtimes agree on a compiled loop" {
	for rt in interp checked jit; do
		run "$BIN" run --runtime "$rt" "$CONF/tests/prime.data"
		assert_success
		assert_line "retval: 0x1"
	done
}

@test "run: .s text gets r1 = input and r2 = its length from --mem-hex" {
	printf 'ldxb %%r0, [%%r1+2]\nadd %%r0, %%r2\nexit\n' > "$T/p.s"
	run "$BIN" run --mem-hex "10 20 30 40" "$T/p.s"
	assert_success
	assert_output "retval: 0x34"
	run "$BIN" run --mem-hex 0x10203040 "$T/p.s"
	assert_output "retval: 0x34"
}

@test "run: --mem FILE is the input, copied afresh for every --repeat run" {
	printf '\x05\x00\x00\x00' > "$T/in.bin"
	printf 'ldxw %%r0, [%%r1]\nstw [%%r1], 99\nexit\n' > "$T/p.s"
	run "$BIN" run --mem "$T/in.bin" --repeat 3 "$T/p.s"
	assert_success
	assert_line "retval: 0x5"
	assert_line --regexp '^duration_ns: [0-9]+$'
}

@test "run: without input r1 and r2 are 0" {
	printf 'mov %%r0, %%r1\nor %%r0, %%r2\nexit\n' > "$T/p.s"
	run "$BIN" run "$T/p.s"
	assert_success
	assert_output "retval: 0x0"
}

@test "asm -o writes raw bytecode that runs, disassembles and checks" {
	printf 'lddw %%r0, 0x1122334455667788\nja +0\nexit\n' > "$T/p.s"
	run "$BIN" asm -o "$T/p.bin" "$T/p.s"
	assert_success
	[ "$(stat -c %s "$T/p.bin")" -eq 32 ]
	run "$BIN" run "$T/p.bin"
	assert_output "retval: 0x1122334455667788"
	run "$BIN" disasm "$T/p.bin"
	assert_success
	assert_line --index 0 "    0: lddw %r0, 0x1122334455667788"
	assert_line --index 1 "    2: ja +0"
	assert_line --index 2 "    3: exit"
	run "$BIN" check "$T/p.bin"
	assert_success
	assert_output "OK: 4 instructions"
}

@test "asm prints one 64-bit little-endian number per slot (the -- raw layout)" {
	printf 'mov %%r0, 1\nexit\n' > "$T/p.s"
	run "$BIN" asm "$T/p.s"
	assert_success
	assert_line --index 0 "0x00000001000000b7"
	assert_line --index 1 "0x0000000000000095"
}

@test "disasm output assembles back to the same bytes" {
	"$BIN" asm -o "$T/a.bin" "$CONF/tests/subnet.data"
	"$BIN" disasm "$T/a.bin" | sed 's/^ *[0-9]*: //' > "$T/b.s"
	run "$BIN" asm -o "$T/b.bin" "$T/b.s"
	assert_success
	cmp "$T/a.bin" "$T/b.bin"
}

@test "a .bin whose size is not a multiple of 8 names the truncated instruction" {
	printf '\xb7\x00\x00\x00\x01\x00\x00\x00\x95\x00\x00\x00' > "$T/t.bin"
	run "$BIN" run "$T/t.bin"
	assert_failure 1
	assert_output --partial "t.bin: 1: truncated instruction: file size 12 is not a multiple of 8"
	run "$BIN" disasm "$T/t.bin"
	assert_failure 1
}

@test "an unknown opcode is rejected with its instruction index" {
	printf '\xb7\x00\x00\x00\x00\x00\x00\x00\xff\x00\x00\x00\x00\x00\x00\x00\x95\x00\x00\x00\x00\x00\x00\x00' > "$T/u.bin"
	run "$BIN" run "$T/u.bin"
	assert_failure 1
	assert_output --partial "u.bin: 1: invalid insn code 0xff"
	run "$BIN" check "$T/u.bin"
	assert_failure 1
	assert_output --partial "1: invalid insn code 0xff"
	run "$BIN" disasm "$T/u.bin"
	assert_failure 1
	assert_line --partial "    1: (bad) code 0xff"
	assert_line --partial "u.bin: 1: instruction cannot be disassembled"
}

@test "a lone first half of lddw at the end is rejected" {
	printf '\x18\x00\x00\x00\x01\x00\x00\x00' > "$T/l.bin"
	run "$BIN" check "$T/l.bin"
	assert_failure 1
	assert_output --partial "0: invalid bpf_ld_imm64 insn"
	run "$BIN" disasm "$T/l.bin"
	assert_failure 1
	assert_output --partial "lddw without its second slot"
}

@test "a reserved field set (negative/unused-*) is rejected by check" {
	run "$BIN" check "$CONF/negative/unused-exit-dst.data"
	assert_failure 1
	assert_output --partial "0: invalid insn code 0x95"
}

@test "check rejects all 45 negative/unused-* programs with an instruction index" {
	n=0
	for f in "$CONF"/negative/unused-*.data; do
		run "$BIN" check "$f"
		assert_failure 1
		assert_output --regexp ': 0: invalid insn code 0x[0-9a-f]{2}: '
		n=$((n + 1))
	done
	[ "$n" -eq 45 ]
}

@test "assembly errors name the line and the problem" {
	printf 'mov %%r0, 0\nor %%r0, %%r50\nexit\n' > "$T/bad.s"
	run "$BIN" run "$T/bad.s"
	assert_failure 1
	assert_output "bpffs-user: $T/bad.s: line 2: bad register '%r50'"
	run "$BIN" asm "$CONF/negative/invalid_mnemonic.data"
	assert_failure 1
	assert_output --partial "line 5: unknown mnemonic 'ldxq'"
}

@test "a wild memory access is reported with its instruction, not a crash" {
	printf 'mov %%r0, 0\nldxdw %%r0, [%%r1+0]\nexit\n' > "$T/null.s"
	for rt in interp checked; do
		run "$BIN" run --runtime "$rt" "$T/null.s"
		assert_failure 1
		assert_output --partial "1: run stopped by the checked mode: read of 8 bytes at 0x0"
	done
}

@test "a .data file whose r0 differs from its -- result fails" {
	run "$BIN" run "$CONF/negative/incorrect_return_value_high_bits.data"
	assert_failure 1
	assert_line "retval: 0x8877665544332211"
	assert_line --partial "differs from the file's result 0x8977665544332211"
}

@test "empty and missing files, bad .data files" {
	: > "$T/e.bin"
	run "$BIN" run "$T/e.bin"
	assert_failure 1
	assert_output --partial "empty program"
	run "$BIN" run "$T/missing.bin"
	assert_failure 1
	assert_output --partial "missing.bin: No such file or directory"
	run "$BIN" run "$CONF/negative/empty_instructions.data"
	assert_failure 1
	assert_output --partial "no program"
}

@test "usage errors exit 2; help exits 0" {
	run "$BIN" run --runtime fast "$CONF/tests/mov.data"
	assert_failure 2
	assert_output --partial "unknown runtime 'fast'"
	run "$BIN" run --repeat 0 "$CONF/tests/mov.data"
	assert_failure 2
	run "$BIN" run --mem-hex abc "$CONF/tests/mov.data"
	assert_failure 1
	assert_output --partial "is not a sequence of hex bytes"
	run "$BIN" run --prog main "$CONF/tests/mov.data"
	assert_failure 1
	assert_output --partial "--prog applies to object files"
	run "$BIN" run
	assert_failure 2
	run "$BIN" asm
	assert_failure 2
	run "$BIN" help
	assert_success
	assert_output --partial "bpffs-user run [--runtime interp|checked|jit]"
}

@test "run executes a program of an ELF object, verified, on its raw context" {
	obj="${BUILD:-build}/examples/sampler.bpf.o"
	[ -f "$obj" ] || skip "examples not built"
	# struct bpffs_timer_ctx { now_ns = 123, period_ns = 1000, expirations = 5 }
	run -0 "$BIN" run --prog sample \
		--mem-hex 7b00000000000000e8030000000000000500000000000000 "$obj"
	assert_output "retval: 0x0"
}

@test "run refuses a packet program of an ELF object and says where to test-run it" {
	obj="${BUILD:-build}/examples/xdp_firewall.bpf.o"
	[ -f "$obj" ] || skip "examples not built"
	run -1 "$BIN" run --mem-hex 00 "$obj"
	assert_output --partial "packet program"
	run -1 "$BIN" run --prog no_such_prog "$obj"
	assert_output --partial "no_such_prog"
}
