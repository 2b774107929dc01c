// SPDX-License-Identifier: MIT
/*
 * Regression tests for bugs found by the sanitizer runs, the hostile input
 * corpus (tests/hostile/gen.sh, tests/bats/hostile.bats) and the fuzz
 * targets (make fuzz) of issue 9. Each test names where the bug was found.
 * (The unaligned array-map key that UBSan found under `ls maps/ARRAY` is
 * covered by tests/bats/maps-fs.bats run against the ASan daemon.)
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>

#include "harness.h"
#include "fs/render.h"

int main(void)
{
	u64 v64 = 7;
	u8 hex[4] = { 1, 2, 3, 4 };

	TEST("a value with a NUL inside is EINVAL, not cut short (hostile corpus)") {
		CHECK_EQ(bpffs_parse_value("5\0junk\n", 7, 8, BPFFS_FMT_UNSIGNED, &v64), -EINVAL);
		CHECK_EQ(v64, 7);
		CHECK_EQ(bpffs_parse_value("\0", 1, 8, BPFFS_FMT_UNSIGNED, &v64), -EINVAL);
		CHECK_EQ(bpffs_parse_value("01 02\0 03 04", 12, 4, BPFFS_FMT_HEX, hex), -EINVAL);
		CHECK_EQ(hex[0], 1);
		CHECK_EQ(bpffs_parse_value("5\n", 2, 8, BPFFS_FMT_UNSIGNED, &v64), 0);
		CHECK_EQ(v64, 5);
	}

	return harness_done();
}
