// SPDX-License-Identifier: MIT
/*
 * fuzz_verifier: long soundness run of the verifier (make fuzz-verifier).
 *   fuzz_verifier [--count N] [--seed S]
 * Exits 1 if any accepted program faulted in the checked interpreter.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../verifier/fuzzgen.h"

int main(int argc, char **argv)
{
	struct vfuzz_stats st = { 0 };
	u64 count = 100000, seed = 1, done = 0, chunk = 1000;
	time_t t0 = time(NULL);
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--count"))
			count = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 0);
	}
	while (done < count) {
		u64 n = count - done < chunk ? count - done : chunk;

		if (vfuzz_run(seed + done, n, &st, 20)) {
			fprintf(stderr, "cannot create maps\n");
			return 2;
		}
		done += n;
		fprintf(stderr, "\r%llu programs, %llu accepted, %llu mutants (%llu accepted), %llu runs, %llu faults",
			(unsigned long long)(st.generated), (unsigned long long)st.accepted,
			(unsigned long long)st.mutants, (unsigned long long)st.mutants_accepted,
			(unsigned long long)st.runs, (unsigned long long)st.faults);
	}
	fprintf(stderr, "\n");
	printf("generated %llu programs + %llu mutants in %lds: accepted %llu + %llu; rejected EACCES %llu EINVAL %llu E2BIG %llu; checked runs %llu; faults %llu\n",
	       (unsigned long long)st.generated, (unsigned long long)st.mutants,
	       (long)(time(NULL) - t0), (unsigned long long)st.accepted,
	       (unsigned long long)st.mutants_accepted, (unsigned long long)st.rej_eacces,
	       (unsigned long long)st.rej_einval, (unsigned long long)st.rej_e2big,
	       (unsigned long long)st.runs, (unsigned long long)st.faults);
	return st.faults ? 1 : 0;
}
