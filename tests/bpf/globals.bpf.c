// SPDX-License-Identifier: MIT
/*
 * Global data with several variables per section: clang emits their DATASECs
 * with size 0 and every non-static variable at offset 0; the loader fixes
 * them up from the symbol table (as libbpf does), so maps/globals.data and
 * friends print by variable (tests/unit/test_fs_btf.c, maps-btf.bats).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct point {
	__s32 x, y;
};

__u64 counter = 3;			/* .data */
char name[8] = "abc";
static __u32 hidden = 9;		/* static: clang's offset is already right */
struct point origin = { -1, 2 };
__u32 zero1, zero2;			/* .bss */
const volatile int k1 = 1;		/* .rodata */
const volatile char k2[4] = "xy";

SEC("socket")
int globals_bump(struct __sk_buff *skb)
{
	counter++;
	hidden++;
	zero2 += hidden + k1 + k2[0] + origin.x;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
