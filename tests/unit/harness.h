/* SPDX-License-Identifier: MIT */
/*
 * Minimal TAP harness for C unit tests (after Redis's testhelp.h): each
 * TEST() is one TAP line "ok N - name" or "not ok N - name"; CHECK() records
 * a failure with file:line and the failing expression, and the test goes on.
 * tests/run-all.sh counts the TAP lines of every suite.
 *
 *   TEST("adds wrap around") { CHECK_EQ(run(...), 0); }
 *   int main(void) { ... return harness_done(); }
 */
#ifndef BPFFS_TEST_HARNESS_H
#define BPFFS_TEST_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int harness_n, harness_failed_tests, harness_cur_failed;
static const char *harness_cur_name;
/* The current test's name, copied: callers may pass a buffer they reuse. */
static char harness_name_buf[256];

static inline void harness_end_test(void)
{
	if (!harness_cur_name)
		return;
	printf("%sok %d - %s\n", harness_cur_failed ? "not " : "", harness_n,
	       harness_cur_name);
	if (harness_cur_failed)
		harness_failed_tests++;
	harness_cur_name = NULL;
	fflush(stdout);
}

static inline int harness_begin_test(const char *name)
{
	harness_end_test();
	harness_n++;
	snprintf(harness_name_buf, sizeof(harness_name_buf), "%s", name);
	harness_cur_name = harness_name_buf;
	harness_cur_failed = 0;
	return 1;
}

/* Skip the current test with a reason (TAP "# SKIP"). */
#define SKIP(reason)                                                              \
	do {                                                                      \
		printf("ok %d - %s # SKIP %s\n", harness_n, harness_cur_name, reason); \
		harness_cur_name = NULL;                                          \
	} while (0)

/* A test body follows as a block: TEST("name") { ... } */
#define TEST(name) if (harness_begin_test(name))

#define CHECK(cond)                                                               \
	do {                                                                      \
		if (!(cond)) {                                                    \
			printf("# %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			harness_cur_failed = 1;                                   \
		}                                                                 \
	} while (0)

#define CHECK_EQ(a, b)                                                            \
	do {                                                                      \
		uint64_t ha_ = (uint64_t)(a), hb_ = (uint64_t)(b);                \
		if (ha_ != hb_) {                                                 \
			printf("# %s:%d: %s == %s failed: 0x%" PRIx64 " != 0x%" PRIx64 "\n", \
			       __FILE__, __LINE__, #a, #b, ha_, hb_);             \
			harness_cur_failed = 1;                                   \
		}                                                                 \
	} while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                           \
	do {                                                                      \
		const char *hh_ = (hay), *hn_ = (needle);                         \
		if (!hh_ || !strstr(hh_, hn_)) {                                  \
			printf("# %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, \
			       __LINE__, hh_ ? hh_ : "(null)", hn_);              \
			harness_cur_failed = 1;                                   \
		}                                                                 \
	} while (0)

static inline int harness_done(void)
{
	harness_end_test();
	printf("1..%d\n", harness_n);
	return harness_failed_tests ? 1 : 0;
}

#endif /* BPFFS_TEST_HARNESS_H */
