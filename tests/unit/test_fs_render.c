// SPDX-License-Identifier: MIT
/*
 * src/fs/render.c: key and value text forms, their round trips, and the
 * one-line map spec written to maps/NAME/.info.
 */
#include <errno.h>
#include <linux/bpf.h>

#include "harness.h"
#include "fs/render.h"
#include "core/vlog.h"
#include "maps/maps.h"

int main(void)
{
	char buf[256];
	u8 key[16], val[16];
	u32 k32;
	u64 v64;

	TEST("integer keys render in decimal and parse back") {
		k32 = 4000000000u;
		CHECK_EQ(bpffs_render_key(&k32, 4, BPFFS_FMT_UNSIGNED, buf, sizeof(buf)), 10);
		CHECK(!strcmp(buf, "4000000000"));
		k32 = 0;
		CHECK_EQ(bpffs_parse_key("4000000000", 4, BPFFS_FMT_UNSIGNED, &k32), 0);
		CHECK_EQ(k32, 4000000000u);
		CHECK_EQ(bpffs_parse_key("0x10", 4, BPFFS_FMT_UNSIGNED, &k32), 0);
		CHECK_EQ(k32, 16);
	}

	TEST("integer keys out of range or with junk are EINVAL") {
		CHECK_EQ(bpffs_parse_key("4294967296", 4, BPFFS_FMT_UNSIGNED, &k32), -EINVAL);
		CHECK_EQ(bpffs_parse_key("12abc", 4, BPFFS_FMT_UNSIGNED, &k32), -EINVAL);
		CHECK_EQ(bpffs_parse_key("", 4, BPFFS_FMT_UNSIGNED, &k32), -EINVAL);
		CHECK_EQ(bpffs_parse_key("256", 1, BPFFS_FMT_UNSIGNED, key), -EINVAL);
		CHECK_EQ(bpffs_parse_key("-1", 4, BPFFS_FMT_UNSIGNED, &k32), 0);
		CHECK_EQ(k32, 0xffffffffu);
	}

	TEST("signed keys print negative numbers and accept them back") {
		k32 = (u32)-5;
		bpffs_render_key(&k32, 4, BPFFS_FMT_SIGNED, buf, sizeof(buf));
		CHECK(!strcmp(buf, "-5"));
		CHECK_EQ(bpffs_parse_key("-2147483648", 4, BPFFS_FMT_SIGNED, &k32), 0);
		CHECK_EQ(k32, 0x80000000u);
		CHECK_EQ(bpffs_parse_key("2147483648", 4, BPFFS_FMT_SIGNED, &k32), -EINVAL);
	}

	TEST("hex keys are lowercase raw bytes without separators") {
		u8 k[6] = { 0x0a, 0x00, 0x00, 0x01, 0xAB, 0xff };

		CHECK_EQ(bpffs_render_key(k, 6, BPFFS_FMT_HEX, buf, sizeof(buf)), 12);
		CHECK(!strcmp(buf, "0a000001abff"));
		memset(key, 0, sizeof(key));
		CHECK_EQ(bpffs_parse_key("0A000001ABFF", 6, BPFFS_FMT_HEX, key), 0);
		CHECK(!memcmp(key, k, 6));
		CHECK_EQ(bpffs_parse_key("0x0a000001abff", 6, BPFFS_FMT_HEX, key), 0);
		CHECK_EQ(bpffs_parse_key("0a0000", 6, BPFFS_FMT_HEX, key), -EINVAL);
		CHECK_EQ(bpffs_parse_key("0a000001abfg", 6, BPFFS_FMT_HEX, key), -EINVAL);
	}

	TEST("an integer format on an odd size falls back to hex") {
		u8 k[3] = { 1, 2, 3 };

		bpffs_render_key(k, 3, BPFFS_FMT_UNSIGNED, buf, sizeof(buf));
		CHECK(!strcmp(buf, "010203"));
	}

	TEST("hex values print space-separated bytes and read back") {
		u8 v[4] = { 1, 0, 0xff, 0x10 };
		size_t n = bpffs_render_value(v, 4, BPFFS_FMT_HEX, buf, sizeof(buf));

		CHECK_EQ(n, 12);
		CHECK(!strcmp(buf, "01 00 ff 10\n"));
		memset(val, 0, sizeof(val));
		CHECK_EQ(bpffs_parse_value(buf, n, 4, BPFFS_FMT_HEX, val), 0);
		CHECK(!memcmp(val, v, 4));
	}

	TEST("a hex-format value of integer size also takes one number") {
		CHECK_EQ(bpffs_parse_value("5\n", 2, 8, BPFFS_FMT_HEX, &v64), 0);
		CHECK_EQ(v64, 5);
		CHECK_EQ(bpffs_parse_value("0x1234", 6, 4, BPFFS_FMT_HEX, &k32), 0);
		CHECK_EQ(k32, 0x1234);
	}

	TEST("a one-byte hex value reads two digits as a byte, as cat printed it") {
		u8 b = 0x10;
		size_t n = bpffs_render_value(&b, 1, BPFFS_FMT_HEX, buf, sizeof(buf));

		b = 0;
		CHECK_EQ(bpffs_parse_value(buf, n, 1, BPFFS_FMT_HEX, &b), 0);
		CHECK_EQ(b, 0x10);
	}

	TEST("values with the wrong number of bytes or junk are EINVAL") {
		CHECK_EQ(bpffs_parse_value("01 02 03", 8, 4, BPFFS_FMT_HEX, val), -EINVAL);
		CHECK_EQ(bpffs_parse_value("01 02 03 04 05", 14, 4, BPFFS_FMT_HEX, val), -EINVAL);
		CHECK_EQ(bpffs_parse_value("zz", 2, 4, BPFFS_FMT_HEX, val), -EINVAL);
		CHECK_EQ(bpffs_parse_value("", 0, 4, BPFFS_FMT_HEX, val), -EINVAL);
		CHECK_EQ(bpffs_parse_value("1 2", 3, 8, BPFFS_FMT_UNSIGNED, val), -EINVAL);
		CHECK_EQ(bpffs_parse_value("300", 3, 1, BPFFS_FMT_UNSIGNED, val), -EINVAL);
	}

	TEST("decimal values round-trip for u64 and s32") {
		s32 s = -7;
		size_t n;

		v64 = 18446744073709551615ull;
		n = bpffs_render_value(&v64, 8, BPFFS_FMT_UNSIGNED, buf, sizeof(buf));
		CHECK(!strcmp(buf, "18446744073709551615\n"));
		v64 = 0;
		CHECK_EQ(bpffs_parse_value(buf, n, 8, BPFFS_FMT_UNSIGNED, &v64), 0);
		CHECK_EQ(v64, 18446744073709551615ull);
		n = bpffs_render_value(&s, 4, BPFFS_FMT_SIGNED, buf, sizeof(buf));
		CHECK(!strcmp(buf, "-7\n"));
		s = 0;
		CHECK_EQ(bpffs_parse_value(buf, n, 4, BPFFS_FMT_SIGNED, &s), 0);
		CHECK_EQ(s, -7);
	}

	TEST("a map spec sets type, sizes, entries, flags and formats") {
		struct bpffs_map_attr a = { 0 };
		struct bpffs_map_fmt f;
		const char *s = "type=lru_hash key=u32 value=16, max_entries=1024 flags=0x0\n";

		CHECK_EQ(bpffs_parse_map_spec(s, strlen(s), &a, &f, NULL), 0);
		CHECK_EQ(a.map_type, BPF_MAP_TYPE_LRU_HASH);
		CHECK_EQ(a.key_size, 4);
		CHECK_EQ(a.value_size, 16);
		CHECK_EQ(a.max_entries, 1024);
		CHECK_EQ(f.key, BPFFS_FMT_UNSIGNED);
		CHECK_EQ(f.value, BPFFS_FMT_HEX);
	}

	TEST("an array spec with a byte-size key gets decimal keys") {
		struct bpffs_map_attr a = { 0 };
		struct bpffs_map_fmt f;
		const char *s = "type=BPF_MAP_TYPE_ARRAY key=4 value=s64 entries=8";

		CHECK_EQ(bpffs_parse_map_spec(s, strlen(s), &a, &f, NULL), 0);
		CHECK_EQ(a.map_type, BPF_MAP_TYPE_ARRAY);
		CHECK_EQ(f.key, BPFFS_FMT_UNSIGNED);
		CHECK_EQ(f.value, BPFFS_FMT_SIGNED);
		CHECK_EQ(a.value_size, 8);
	}

	TEST("bad specs are EINVAL with a log line naming the problem") {
		struct bpffs_map_attr a = { 0 };
		struct bpffs_map_fmt f;
		struct bpffs_vlog log;

		bpffs_vlog_alloc(&log, BPFFS_LOG_ERRORS, 256);
		CHECK_EQ(bpffs_parse_map_spec("type=nope key=4", 15, &a, &f, &log), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), "unknown map type 'nope'");
		bpffs_vlog_reset(&log);
		CHECK_EQ(bpffs_parse_map_spec("key=4 value=4", 13, &a, &f, &log), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), "missing type=");
		bpffs_vlog_reset(&log);
		CHECK_EQ(bpffs_parse_map_spec("type=hash colour=red", 20, &a, &f, &log), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), "unknown attribute 'colour'");
		bpffs_vlog_reset(&log);
		CHECK_EQ(bpffs_parse_map_spec("type=hash key=u12", 17, &a, &f, &log), -EINVAL);
		CHECK_STR_CONTAINS(bpffs_vlog_text(&log), "bad key size 'u12'");
		bpffs_vlog_free(&log);
	}

	return harness_done();
}
