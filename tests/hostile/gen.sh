#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Hostile input corpus (issue 9): writes malformed inputs under OUTDIR for
# tests/bats/hostile.bats to feed through a mounted filesystem.
#
#   tests/hostile/gen.sh OUTDIR [OBJDIR] [SEED]
#
# OBJDIR holds real BPF objects to damage (default build/examples); SEED
# (default 9) makes the random parts reproducible. Layout:
#   OUTDIR/elf/must-fail/*   malformed ELF objects and bad bytecode: every one
#                            must be refused (empty, truncated, wrong class,
#                            byte order, machine or type, corrupt section
#                            table and symbol table, absurd section sizes,
#                            broken relocations, invalid instructions, random)
#   OUTDIR/elf/may-load/*    bit-flipped real objects and damage to parts the
#                            loader may ignore (debug info, unused symbols,
#                            e_machine 0 as old LLVM wrote): refused with a
#                            clear error, or loaded
#   OUTDIR/elf/empty.o       0 bytes: must be refused
#   OUTDIR/values-u64        one value per line (escaped with printf %b) that
#                            a u32 -> u64 map must refuse
#   OUTDIR/values-hex4       same for a 4-byte value shown in hex
#   OUTDIR/keys-u32          key file names a u32-keyed map must refuse
#   OUTDIR/names             odd file names, one per line (printf %b escapes)
# Only bash, coreutils and od are needed.
set -euo pipefail

OUT=${1:?usage: gen.sh OUTDIR [OBJDIR] [SEED]}
OBJDIR=${2:-build/examples}
RANDOM=${3:-9}

MF="$OUT/elf/must-fail"
ML="$OUT/elf/may-load"
rm -rf "$OUT"
mkdir -p "$MF" "$ML"

# ---- little-endian field access ----
rd() {	# rd WIDTH OFF FILE
	local v=0 i b
	local -a bytes
	read -r -a bytes < <(od -An -v -tu1 -j "$2" -N "$1" "$3")
	for ((i = ${#bytes[@]} - 1; i >= 0; i--)); do
		b=${bytes[i]}
		v=$(((v << 8) | b))
	done
	echo "$v"
}

wr() {	# wr WIDTH OFF VALUE FILE (VALUE may be negative: two's complement)
	local esc="" i v=$3
	for ((i = 0; i < $1; i++)); do
		esc+=$(printf '\\x%02x' $(((v >> (8 * i)) & 255)))
		done
	printf "$esc" | dd of="$4" bs=1 seek="$2" conv=notrunc status=none
}

flip() {	# flip OFF FILE: invert one random bit of byte OFF
	local b
	b=$(rd 1 "$1" "$2")
	wr 1 "$1" $((b ^ (1 << (RANDOM % 8)))) "$2"
}

# section header field offsets (ELF64)
SH_TYPE=4 SH_OFFSET=24 SH_SIZE=32 SH_LINK=40 SH_INFO=44 SH_ENTSIZE=56
shdr() {	# shdr FILE INDEX -> offset of that section header
	echo $(($(rd 8 40 "$1") + 64 * $2))
}

# first section of type $2 (2 = SYMTAB, 9 = REL) or of flags AX (type 1 + exec)
find_sec() {	# find_sec FILE TYPE [NEED_EXEC]
	local n i h
	n=$(rd 2 60 "$1")
	for ((i = 1; i < n; i++)); do
		h=$(shdr "$1" "$i")
		[ "$(rd 4 $((h + SH_TYPE)) "$1")" -eq "$2" ] || continue
		if [ -n "${3:-}" ]; then
			(($(rd 8 $((h + 8)) "$1") & 4)) || continue
			[ "$(rd 8 $((h + SH_SIZE)) "$1")" -gt 0 ] || continue
		fi
		echo "$i"
		return 0
	done
	echo 0
}

variant() {	# variant NAME: copy the base object to must-fail/NAME, echo the path
	cp "$BASE" "$MF/$1"
	echo "$MF/$1"
}

BASE="$OBJDIR/packet_counter.bpf.o"
[ -f "$BASE" ] || { echo "gen.sh: no $BASE (make bpf-objs)" >&2; exit 1; }
SIZE=$(stat -c %s "$BASE")

# ---- whole-file damage ----
: >"$OUT/elf/empty.o"
for n in 1 4 15 16 52 63 64 65 128 512 $((SIZE / 2)) $((SIZE - 64)) $((SIZE - 1)); do
	head -c "$n" "$BASE" >"$MF/truncated-$n.o"
done
head -c 4096 /dev/zero >"$MF/zeros.o"
printf '\x7fELF' >"$MF/magic-only.o"
for i in 1 2 3 4 5 6 7 8; do
	head -c $((RANDOM % 4096 + 1)) /dev/urandom >"$MF/random-$i.o"
	{ printf '\x7fELF\x02\x01\x01'; head -c $((RANDOM % 4096 + 64)) /dev/urandom; } \
		>"$MF/random-elfmagic-$i.o"
done

# ---- ELF header fields ----
wr 1 4 1 "$(variant class32.o)"
wr 1 4 0 "$(variant class-none.o)"
wr 1 4 7 "$(variant class-7.o)"
wr 1 5 2 "$(variant big-endian.o)"
wr 1 5 0 "$(variant data-none.o)"
wr 1 6 9 "$(variant version-9.o)"
wr 2 18 62 "$(variant machine-x86_64.o)"
wr 2 18 65535 "$(variant machine-ffff.o)"
wr 2 16 2 "$(variant type-exec.o)"
wr 2 16 3 "$(variant type-dyn.o)"
wr 2 16 0 "$(variant type-none.o)"
wr 8 40 $((SIZE + 4096)) "$(variant shoff-past-end.o)"
wr 8 40 -1 "$(variant shoff-max.o)"
wr 8 40 $((SIZE - 8)) "$(variant shoff-near-end.o)"
wr 8 40 3 "$(variant shoff-unaligned.o)"
wr 2 58 0 "$(variant shentsize-0.o)"
mv "$MF/shentsize-0.o" "$ML/"	# libelf sizes ELF64 section headers by their type
wr 2 58 32 "$(variant shentsize-32.o)"
wr 2 60 65535 "$(variant shnum-ffff.o)"
wr 2 60 0 "$(variant shnum-0.o)"
wr 2 62 65534 "$(variant shstrndx-big.o)"
wr 2 62 0 "$(variant shstrndx-0.o)"

# ---- section table: absurd sizes and offsets ----
nsec=$(rd 2 60 "$BASE")
for ((i = 1; i < nsec; i++)); do
	h=$(shdr "$BASE" "$i")
	wr 8 $((h + SH_SIZE)) -1 "$(variant "sec$i-size-max.o")"
	wr 8 $((h + SH_SIZE)) $((SIZE * 1000)) "$(variant "sec$i-size-huge.o")"
	wr 8 $((h + SH_OFFSET)) $((SIZE + 1)) "$(variant "sec$i-offset-past-end.o")"
done
# these must fail because the loader needs every one of them; the other
# sections' variants (debug info) may legitimately load: move them
for f in "$MF"/sec*-*.o; do
	i=${f##*/sec}; i=${i%%-*}
	h=$(shdr "$BASE" "$i")
	t=$(rd 4 $((h + SH_TYPE)) "$BASE")
	name_ok=0
	case $t in 2 | 3) name_ok=1 ;; esac	# symtab, strtab
	if [ "$t" -eq 9 ]; then	# relocations matter for code, not debug info
		ht=$(shdr "$BASE" "$(rd 4 $((h + SH_INFO)) "$BASE")")
		(($(rd 8 $((ht + 8)) "$BASE") & 4)) && name_ok=1
	fi
	# code; data sections (.maps is read through BTF) may legitimately be ignored
	if (($(rd 8 $((h + 8)) "$BASE") & 4)); then name_ok=1; fi
	# where an empty section starts does not matter
	[ "$(rd 8 $((h + SH_SIZE)) "$BASE")" -ne 0 ] || case $f in *-offset-*) name_ok=0 ;; esac
	[ "$name_ok" -eq 1 ] || mv "$f" "$ML/"
done

# ---- symbol table ----
sym=$(find_sec "$BASE" 2)
hs=$(shdr "$BASE" "$sym")
symoff=$(rd 8 $((hs + SH_OFFSET)) "$BASE")
symcnt=$(($(rd 8 $((hs + SH_SIZE)) "$BASE") / 24))
wr 8 $((hs + SH_ENTSIZE)) 7 "$(variant symtab-entsize-7.o)"
wr 8 $((hs + SH_ENTSIZE)) 0 "$(variant symtab-entsize-0.o)"
wr 8 $((hs + SH_SIZE)) 25 "$(variant symtab-size-odd.o)"
wr 4 $((hs + SH_LINK)) 60000 "$(variant symtab-link-bad.o)"
wr 4 $((hs + SH_LINK)) "$sym" "$(variant symtab-link-self.o)"
for ((s = 1; s < symcnt; s++)); do
	e=$((symoff + 24 * s))
	wr 4 "$e" -1 "$(variant "sym$s-name-max.o")"
	wr 2 $((e + 6)) 65000 "$(variant "sym$s-shndx-bad.o")"
	wr 8 $((e + 8)) -8 "$(variant "sym$s-value-max.o")"
	wr 8 $((e + 16)) -1 "$(variant "sym$s-size-max.o")"
done
# symbols nothing refers to (file names, debug sections) may be harmless
for f in "$MF"/sym[0-9]*-*.o; do
	s=${f##*/sym}; s=${s%%-*}
	e=$((symoff + 24 * s))
	shndx=$(rd 2 $((e + 6)) "$BASE")
	info=$(rd 1 $((e + 4)) "$BASE")
	# keep: the programs' symbols (maps come from BTF, the license from its section)
	keep=0
	if ((shndx > 0 && shndx < nsec)); then
		hh=$(shdr "$BASE" "$shndx")
		(($(rd 8 $((hh + 8)) "$BASE") & 6)) && keep=1
	fi
	(((info >> 4) == 1 && (info & 15) == 2)) || keep=0	# global functions: the programs
	[ "$keep" -eq 1 ] || mv "$f" "$ML/"
done

# ---- relocations of the program ----
rel=$(find_sec "$BASE" 9)
hr=$(shdr "$BASE" "$rel")
reloff=$(rd 8 $((hr + SH_OFFSET)) "$BASE")
wr 8 "$reloff" -8 "$(variant rel-offset-max.o)"
wr 8 "$reloff" 3 "$(variant rel-offset-unaligned.o)"
wr 4 $((reloff + 12)) 65535 "$(variant rel-symbol-bad.o)"
wr 4 $((reloff + 8)) 99 "$(variant rel-type-bad.o)"
wr 8 $((hr + SH_ENTSIZE)) 5 "$(variant rel-entsize-5.o)"
mv "$MF/rel-entsize-5.o" "$ML/"	# libelf sizes relocations by their type
wr 4 $((hr + SH_INFO)) 60000 "$(variant rel-target-bad.o)"

# ---- bad bytecode (the verifier or the structural check refuses it) ----
code=$(find_sec "$BASE" 1 exec)
hc=$(shdr "$BASE" "$code")
coff=$(rd 8 $((hc + SH_OFFSET)) "$BASE")
csz=$(rd 8 $((hc + SH_SIZE)) "$BASE")
last=$((coff + csz - 8))
# insn = code(1) regs(1) off(2) imm(4)
wr 1 "$coff" 255 "$(variant insn-opcode-ff.o)"
wr 1 "$coff" 0 "$(variant insn-opcode-00.o)"
wr 1 "$last" 7 "$(variant insn-no-exit.o)"		# exit -> add: falls off the end
f=$(variant insn-jump-out.o); wr 1 "$coff" 5 "$f"; wr 2 $((coff + 2)) 30000 "$f"
f=$(variant insn-jump-back.o); wr 1 "$last" 5 "$f"; wr 2 $((last + 2)) -1 "$f"
f=$(variant insn-call-bad.o); wr 1 "$coff" 0x85 "$f"; wr 1 $((coff + 1)) 0 "$f"; wr 4 $((coff + 4)) 99999 "$f"
f=$(variant insn-reg-11.o); wr 1 "$coff" 0xb7 "$f"; wr 1 $((coff + 1)) 0x0b "$f"
f=$(variant insn-uninit-r5.o); wr 1 "$coff" 0xbf "$f"; wr 1 $((coff + 1)) 0x50 "$f"
f=$(variant insn-write-r10.o); wr 1 "$coff" 0xb7 "$f"; wr 1 $((coff + 1)) 0x0a "$f"
f=$(variant insn-ldimm64-last.o); wr 1 "$last" 0x18 "$f"
f=$(variant insn-div-imm0.o); wr 1 "$coff" 0x37 "$f"; wr 1 $((coff + 1)) 0 "$f"; wr 4 $((coff + 4)) 0 "$f"
f=$(variant insn-wild-load.o); wr 1 "$coff" 0x79 "$f"; wr 1 $((coff + 1)) 0x00 "$f"	# r0 = *(u64 *)(r0)
f=$(variant code-size-odd.o); wr 8 $((hc + SH_SIZE)) $((csz - 3)) "$f"

# ---- bit flips of every real object ----
for obj in "$OBJDIR"/*.bpf.o; do
	b=$(basename "$obj" .bpf.o)
	sz=$(stat -c %s "$obj")
	for i in $(seq 12); do
		f="$ML/flip-$b-$i.o"
		cp "$obj" "$f"
		for _ in $(seq $((1 + RANDOM % 4))); do
			flip $(((RANDOM * 32768 + RANDOM) % sz)) "$f"
		done
	done
	# and flips confined to the ELF header and section table (more likely fatal)
	shoff=$(rd 8 40 "$obj")
	for i in $(seq 4); do
		f="$ML/flip-$b-hdr-$i.o"
		cp "$obj" "$f"
		flip $((RANDOM % 64)) "$f"
		flip $((shoff + RANDOM % (sz - shoff))) "$f"
	done
done

# ---- map values, keys and names ----
{
	printf '%s\n' banana '' ' ' '18446744073709551616' '0x' '0x1g' \
		'1 2' '1.5' '1e3' '+' '--1' '-' '-18446744073709551615' '0b101' '１２３' \
		'99999999999999999999999999' '0x10000000000000000' '- 1' '1-' '0x-1'
	printf '%s\n' '\x00' '\x01\x02' '5\x00junk' '\xff\xfe' '\t\t' '\e[31m'
	printf '1%.0s' $(seq 5000); echo	# 5000 digits
} >"$OUT/values-u64"
{
	printf '%s\n' zz '00 00 00' '00 00 00 00 00' '00 0' 'g0 00 00 00' '0x100000000' \
		'00,00,00,00' '-4294967296' '00 00 00 00 00 00 00 00 00 00 00 00' \
		'000 00 00 00' '0x 00 00 00 00' '00 00 00 0g'
	printf '00 %.0s' $(seq 3000); echo
} >"$OUT/values-hex4"
printf '%s\n' xyz -2147483649 4294967296 0x 1.5 ' ' '1 2' '+-3' '99999999999999999999' 'é' \
	1e2 '0x1ffffffff' >"$OUT/keys-u32"
{
	printf 'n%.0s' $(seq 255); echo	# the longest legal name
	printf 'n%.0s' $(seq 256); echo	# one too long
	printf 'x%.0s' $(seq 4000); echo	# far too long
	printf '%s\n' '..' '.' '...' '-' '-rf' ' ' ' lead' 'trail ' 'a b' \
		'caf\xc3\xa9' '\xe5\x90\x8d\xe5\x89\x8d' '\xff\xfe' '\x01ctl' 'tab\there' \
		'esc\e[0m' 'nl\nname' 'star*' 'q?' '$(id)' '`id`' "quote'" 'dq"' \
		'semi;colon' 'pipe|x' '.info' '.log' 'back\\slash' '%s%n%x' 'a:b' '~'
} >"$OUT/names"

echo "gen.sh: $(find "$MF" -type f | wc -l) must-fail objects," \
	"$(find "$ML" -type f | wc -l) may-load objects," \
	"$(wc -l <"$OUT/values-u64") + $(wc -l <"$OUT/values-hex4") values," \
	"$(wc -l <"$OUT/keys-u32") keys, $(wc -l <"$OUT/names") names"
