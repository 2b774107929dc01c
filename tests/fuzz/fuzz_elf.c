// SPDX-License-Identifier: MIT
/*
 * libFuzzer entry point for the ELF loader: every input is opened as a BPF
 * object (with a log, so the message paths run too) and freed. Built by
 * `make fuzz-elf`; run it with a corpus directory seeded from tests/bpf
 * objects and ../shared/ebpf-samples. Crashes become regression inputs in
 * tests/corpus/bad-elf/, which test_elf opens on every `make test`.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/object.h"
#include "core/vlog.h"
#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[1024];
	struct bpffs_vlog log = { .level = BPFFS_LOG_ERRORS, .buf = buf, .size = sizeof(buf) };
	struct bpffs_object *obj = NULL;

	bpffs_log_set_level(BPFFS_PR_WARN);
	buf[0] = '\0';
	log.used = 0;
	if (bpffs_object_open(data, size, "fuzz.o", NULL, &log, &obj) == 0)
		bpffs_object_free(obj);
	return 0;
}
