// SPDX-License-Identifier: MIT
/*
 * The running kernel as the oracle: random programs that the Linux verifier
 * accepts run as socket filters in the kernel (BPF_PROG_TEST_RUN) and on our
 * JIT and interpreter; the 32-bit results must be equal. Skips when the
 * kernel cannot load BPF (not root, no bpf()). The long run is
 * `make fuzz-jit` (tests/tools/jit_kernel_diff).
 */
#include "harness.h"
#include "jit_kernel.h"

int main(void)
{
	char why[512];
	u32 diffs = 0, rejected = 0, bad = 0;

	TEST("500 random programs give the same result on the kernel, our JIT and our interpreter") {
		if (!bpffs_jit_available() || !jitk_available()) {
			SKIP("kernel BPF unavailable (needs root)");
		} else {
			for (u64 s = 1; s <= 500; s++) {
				int r = jitk_diff_one(s, 1 + (u32)(s % 100), why, sizeof(why));

				if (r && r != 2 && diffs + bad < 5)
					printf("# %s\n", why);
				diffs += r == 1;
				rejected += r == 2;
				bad += r < 0;
			}
			printf("# %u rejected by the kernel's verifier\n", rejected);
			CHECK_EQ(diffs, 0);
			CHECK_EQ(bad, 0);
			CHECK(rejected < 25);
		}
	}
	return harness_done();
}
