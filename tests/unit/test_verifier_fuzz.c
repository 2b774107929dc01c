// SPDX-License-Identifier: MIT
/*
 * Short soundness run of the verifier for make test (the long one is
 * make fuzz-verifier): random and mutated programs; every accepted one runs
 * in the checked interpreter on random contexts and must not fault.
 */
#include "harness.h"
#include "../verifier/fuzzgen.h"

int main(void)
{
	struct vfuzz_stats st = { 0 };

	TEST("accepted random programs never fault in the checked interpreter") {
		CHECK_EQ(vfuzz_run(7000000, 1500, &st, 3), 0);
		CHECK_EQ(st.faults, 0);
		/* the generator must keep producing accepted programs to mean anything */
		CHECK(st.accepted > 50);
		CHECK(st.runs > 150);
		printf("# %llu programs + %llu mutants, %llu + %llu accepted, %llu checked runs\n",
		       (unsigned long long)st.generated, (unsigned long long)st.mutants,
		       (unsigned long long)st.accepted, (unsigned long long)st.mutants_accepted,
		       (unsigned long long)st.runs);
	}
	return harness_done();
}
