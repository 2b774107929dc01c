// SPDX-License-Identifier: MIT
/*
 * libFuzzer entry point for the text parsers of src/fs/render.c: map keys
 * (file names), values (what `echo` writes into an entry) and map specs
 * (what is written to maps/NAME/.info). The first input byte picks the
 * parser, the size and the format; the rest is the text. Every value that
 * parses must render and parse back to the same bytes. Built by
 * `make fuzz-render` (part of `make fuzz`); crashes become tests in
 * tests/unit/test_hostile.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>

#include "fs/render.h"
#include "core/vlog.h"
#include "maps/maps.h"

/* The map registry (src/maps/map.c) stays out of this target: names only. */
const char *bpffs_map_type_name(u32 map_type)
{
	static const char *const names[] = {
		[BPF_MAP_TYPE_HASH] = "hash", [BPF_MAP_TYPE_ARRAY] = "array",
		[BPF_MAP_TYPE_PERCPU_HASH] = "percpu_hash", [BPF_MAP_TYPE_LRU_HASH] = "lru_hash",
		[BPF_MAP_TYPE_RINGBUF] = "ringbuf",
	};

	return map_type < sizeof(names) / sizeof(names[0]) ? names[map_type] : NULL;
}

static const u32 sizes[8] = { 1, 2, 4, 8, 3, 16, 6, 64 };

static void check_roundtrip(const u8 *val, u32 size, enum bpffs_fmt fmt)
{
	char text[64 * 4 + 64];
	u8 back[64];
	size_t n = bpffs_render_value(val, size, fmt, text, sizeof(text));

	if (bpffs_parse_value(text, n, size, fmt, back) || memcmp(val, back, size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpffs_map_attr attr;
	struct bpffs_map_fmt fmt;
	struct bpffs_vlog log;
	u8 out[64];
	char *s;
	u32 sz;
	enum bpffs_fmt f;

	if (size < 1)
		return 0;
	sz = sizes[data[0] & 7];
	f = (enum bpffs_fmt)((data[0] >> 3) % 3);
	data++;
	size--;
	switch (data[-1] >> 6) {
	case 0:		/* key: a NUL-terminated file name */
		s = strndup((const char *)data, size);
		if (s && !bpffs_parse_key(s, sz, f, out)) {
			char name[256];

			if (bpffs_render_key(out, sz, f, name, sizeof(name)) < 0)
				abort();
		}
		free(s);
		break;
	case 1:		/* value: raw bytes as written */
	case 2:
		if (!bpffs_parse_value((const char *)data, size, sz, f, out))
			check_roundtrip(out, sz, f);
		break;
	default:	/* map spec */
		if (bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 4096))
			return 0;
		memset(&attr, 0, sizeof(attr));
		bpffs_parse_map_spec((const char *)data, size, &attr, &fmt, &log);
		bpffs_vlog_free(&log);
		break;
	}
	return 0;
}
