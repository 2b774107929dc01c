// SPDX-License-Identifier: MIT
/*
 * src/fs/render_btf.c: typed (BTF) text of map keys and values in bpftool's
 * JSON form, and the parser that takes it back. The BTF is built here with
 * libbpf's btf__add_* calls, so every kind the renderer knows is covered.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdio.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "harness.h"
#include "core/object.h"
#include "fs/render.h"

struct rec {
	int delta;
	char name[8];
	unsigned long long packets, bytes;
	unsigned int flags : 3, mode : 5;
	unsigned char raw[3];
	_Bool on;
};

static struct {
	u32 u32, td_u32, u64, s32, chr, u8, bl, stats, carr, u8arr, rec, color, sec, uni;
	u32 bad_wide, bad_bits, bad_sec, big;
} ids;

static struct btf *build(void)
{
	struct btf *b = btf__new_empty();
	int v1, v2;

	ids.u32 = btf__add_int(b, "unsigned int", 4, 0);
	ids.td_u32 = btf__add_typedef(b, "__u32", ids.u32);
	ids.u64 = btf__add_int(b, "unsigned long long", 8, 0);
	ids.s32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	ids.chr = btf__add_int(b, "char", 1, BTF_INT_CHAR | BTF_INT_SIGNED);
	ids.u8 = btf__add_int(b, "unsigned char", 1, 0);
	ids.bl = btf__add_int(b, "_Bool", 1, BTF_INT_BOOL);
	ids.stats = btf__add_struct(b, "proto_stats", 16);
	btf__add_field(b, "packets", ids.u64, 0, 0);
	btf__add_field(b, "bytes", ids.u64, 64, 0);
	ids.carr = btf__add_array(b, ids.u32, ids.chr, 8);
	ids.u8arr = btf__add_array(b, ids.u32, ids.u8, 3);
	ids.rec = btf__add_struct(b, "rec", sizeof(struct rec));
	btf__add_field(b, "delta", ids.s32, 0, 0);
	btf__add_field(b, "name", ids.carr, 32, 0);
	btf__add_field(b, "st", ids.stats, 128, 0);	/* packets, bytes as a nested struct */
	btf__add_field(b, "flags", ids.td_u32, 256, 3);
	btf__add_field(b, "mode", ids.td_u32, 259, 5);
	btf__add_field(b, "raw", ids.u8arr, offsetof(struct rec, raw) * 8, 0);
	btf__add_field(b, "on", ids.bl, offsetof(struct rec, on) * 8, 0);
	ids.color = btf__add_enum(b, "color", 4);
	btf__add_enum_value(b, "RED", 0);
	btf__add_enum_value(b, "BLUE", 5);
	v1 = btf__add_var(b, "hits", BTF_VAR_GLOBAL_ALLOCATED, ids.u64);
	v2 = btf__add_var(b, "scale", BTF_VAR_GLOBAL_ALLOCATED, ids.u32);
	ids.sec = btf__add_datasec(b, ".data", 0);	/* size 0, as clang emits it */
	btf__add_datasec_var_info(b, v1, 0, 8);
	btf__add_datasec_var_info(b, v2, 8, 4);
	ids.uni = btf__add_union(b, "u", 4);
	btf__add_field(b, "i", ids.s32, 0, 0);
	btf__add_field(b, "c", ids.color, 0, 0);
	ids.big = btf__add_enum64(b, "big", 8, false);
	btf__add_enum64_value(b, "HUGE", 1ull << 40);
	/* damaged layouts, as a hostile object file could carry them */
	ids.bad_wide = btf__add_struct(b, "bad_wide", 4);
	btf__add_field(b, "x", ids.u64, 0, 0);		/* 8 bytes in a 4-byte struct */
	ids.bad_bits = btf__add_struct(b, "bad_bits", 4);
	btf__add_field(b, "x", ids.u32, 30, 5);		/* bits 30..34 of 32 */
	ids.bad_sec = btf__add_datasec(b, ".bss", 0);
	btf__add_datasec_var_info(b, v1, 0, 8);
	btf__add_datasec_var_info(b, v2, 0, 4);		/* overlaps: offsets not fixed up */
	return b;
}

/*
 * Every type of @btf that can be shown: render a byte pattern, parse the text
 * and render again; the two texts must match (padding and non-0/1 bools may
 * change bytes, never the text). Returns the number of mismatches.
 */
static int fixpoint_all(const struct btf *btf, int *tried)
{
	u32 id, n = btf__type_cnt(btf), i;
	static u8 data[4096], back[4096];
	int bad = 0;

	for (id = 1; id < n; id++) {
		s64 sz = btf__resolve_size(btf, id);
		char *t1 = NULL, *t2 = NULL;
		size_t l1, l2;

		if (sz <= 0 || sz > (s64)sizeof(data) || !bpffs_btf_fits(btf, id, (u32)sz))
			continue;
		for (i = 0; i < sz; i++)
			data[i] = (u8)(i * 37 + id);
		(*tried)++;
		if (bpffs_btf_render(btf, id, data, &t1, &l1) ||
		    bpffs_btf_parse(btf, id, t1, l1, back, (u32)sz) ||
		    bpffs_btf_render(btf, id, back, &t2, &l2) || l1 != l2 || memcmp(t1, t2, l1)) {
			if (bad++ < 3)
				printf("# type %u: %s -> %s", id, t1 ? t1 : "(none)\n", t2 ? t2 : "(none)\n");
		}
		free(t1);
		free(t2);
	}
	return bad;
}

/* Objects under @dir (recursively): their BTF through fixpoint_all(). */
static void walk(const char *dir, int *objs, int *tried, int *bad)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1024];
	struct btf *btf;

	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR) {
			walk(path, objs, tried, bad);
			continue;
		}
		if (l < 3 || strcmp(e->d_name + l - 2, ".o"))
			continue;
		btf = btf__parse_elf(path, NULL);
		if (!btf)
			continue;
		(*objs)++;
		*bad += fixpoint_all(btf, tried);
		btf__free(btf);
	}
	if (d)
		closedir(d);
}

/* Render @data and compare with @want (no newline); then parse it back. */
static int roundtrip(const struct btf *b, u32 id, const void *data, u32 size, const char *want)
{
	char *text = NULL;
	size_t len;
	u8 back[64];
	int ok;

	if (bpffs_btf_render(b, id, data, &text, &len))
		return 0;
	ok = len == strlen(want) + 1 && !strncmp(text, want, len - 1) && text[len - 1] == '\n';
	if (!ok)
		printf("# rendered: %s", text);
	memset(back, 0xa5, sizeof(back));
	ok = ok && !bpffs_btf_parse(b, id, text, len, back, size) && !memcmp(back, data, size);
	free(text);
	return ok;
}

static int parse(const struct btf *b, u32 id, const char *text, void *out, u32 size)
{
	return bpffs_btf_parse(b, id, text, strlen(text), out, size);
}

/* @json without the blanks outside strings (bpftool -j prints none). */
static void squeeze(const char *json, char *out, size_t cap)
{
	bool in_str = false;
	size_t n = 0;

	for (; *json && n + 1 < cap; json++) {
		if (in_str && *json == '\\' && json[1]) {
			out[n++] = *json++;
		} else if (*json == '"') {
			in_str = !in_str;
		} else if (!in_str && (*json == ' ' || *json == '\n')) {
			continue;
		}
		out[n++] = *json;
	}
	out[n] = '\0';
}

/*
 * The kernel as the oracle: load @path with libbpf, and what `bpftool -j
 * map dump` prints as the formatted value of map @name into @out. 1 when
 * done, 0 when the kernel or bpftool is unavailable, -1 on a bad answer.
 */
static int bpftool_value(const char *path, const char *name, char *out, size_t cap)
{
	struct bpf_map_info info = { 0 };
	u32 len = sizeof(info);
	struct bpf_object *o = bpf_object__open_file(path, NULL);
	struct bpf_map *m;
	char cmd[128], *text = NULL, *v, *e;
	size_t tcap = 0, tl = 0;
	int ret = 0, depth = 0;
	bool in_str = false;
	FILE *f;

	if (!o || bpf_object__load(o))
		goto out;
	m = bpf_object__find_map_by_name(o, name);
	if (!m || bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len))
		goto out;
	snprintf(cmd, sizeof(cmd), "bpftool -j map dump id %u 2>/dev/null", info.id);
	f = popen(cmd, "r");
	if (!f)
		goto out;
	while (!feof(f) && !ferror(f)) {
		if (tl + 4096 > tcap) {
			char *nt = realloc(text, tcap * 2 + 8192);

			if (!nt)
				break;
			text = nt;
			tcap = tcap * 2 + 8192;
		}
		tl += fread(text + tl, 1, tcap - tl - 1, f);
	}
	if (pclose(f) || !text)
		goto out;
	text[tl] = '\0';
	ret = -1;
	v = strstr(text, "\"formatted\":{\"value\":");
	if (!v)
		goto out;
	v += strlen("\"formatted\":{\"value\":");
	for (e = v; *e; e++) {	/* the value: up to its balancing brace */
		if (in_str && *e == '\\' && e[1])
			e++;
		else if (*e == '"')
			in_str = !in_str;
		else if (!in_str && (*e == '{' || *e == '['))
			depth++;
		else if (!in_str && (*e == '}' || *e == ']') && --depth == 0)
			break;
	}
	if (*e && (size_t)(e + 1 - v) < cap) {
		memcpy(out, v, (size_t)(e + 1 - v));
		out[e + 1 - v] = '\0';
		ret = 1;
	}
out:
	free(text);
	bpf_object__close(o);
	return ret;
}

int main(void)
{
	struct btf *b = build();
	struct rec r, r2;
	u64 v64;
	u32 v32;
	char buf[128];
	struct { u64 hits; u32 scale; } sec;
	u64 stats[2];

	TEST("a __u64 prints in decimal and reads back") {
		v64 = 18446744073709551615ull;
		CHECK(roundtrip(b, ids.u64, &v64, 8, "18446744073709551615"));
		CHECK_EQ(parse(b, ids.u64, "0x10\n", &v64, 8), 0);
		CHECK_EQ(v64, 16);
		CHECK_EQ(parse(b, ids.u64, "18446744073709551616", &v64, 8), -EINVAL);
	}

	TEST("a struct prints as an object and members read back in any order") {
		stats[0] = 5;
		stats[1] = 100;
		CHECK(roundtrip(b, ids.stats, stats, 16, "{\"packets\": 5, \"bytes\": 100}"));
		CHECK_EQ(parse(b, ids.stats, " { \"bytes\" : 7 ,\"packets\":0x2 } \n", stats, 16), 0);
		CHECK_EQ(stats[0], 2);
		CHECK_EQ(stats[1], 7);
		CHECK_EQ(parse(b, ids.stats, "{\"bytes\": 9}", stats, 16), 0);
		CHECK_EQ(stats[0], 0);	/* missing members are zero */
		CHECK_EQ(stats[1], 9);
	}

	TEST("nested struct, char array string, signed int, bitfields, byte list and bool") {
		memset(&r, 0, sizeof(r));
		r.delta = -42;
		strcpy(r.name, "eth0");
		r.packets = 3;
		r.bytes = 1500;
		r.flags = 5;
		r.mode = 31;
		r.raw[0] = 1;
		r.raw[2] = 255;
		r.on = 1;
		CHECK(roundtrip(b, ids.rec, &r, sizeof(r),
				"{\"delta\": -42, \"name\": \"eth0\", \"st\": {\"packets\": 3, "
				"\"bytes\": 1500}, \"flags\": 5, \"mode\": 31, \"raw\": [1, 0, 255], "
				"\"on\": true}"));
	}

	TEST("bitfields refuse values wider than their bits and keep their neighbours") {
		memset(&r, 0, sizeof(r));
		CHECK_EQ(parse(b, ids.rec, "{\"mode\": 17, \"flags\": 7}", &r, sizeof(r)), 0);
		CHECK_EQ(r.flags, 7);
		CHECK_EQ(r.mode, 17);
		CHECK_EQ(parse(b, ids.rec, "{\"flags\": 8}", &r, sizeof(r)), -EINVAL);
		CHECK_EQ(parse(b, ids.rec, "{\"mode\": 32}", &r, sizeof(r)), -EINVAL);
	}

	TEST("char arrays escape quotes and control bytes, and read back") {
		memset(&r, 0, sizeof(r));
		memcpy(r.name, "a\"b\\\n\x01", 6);
		CHECK(roundtrip(b, ids.carr, r.name, 8, "\"a\\\"b\\\\\\n\\u0001\""));
		memset(r.name, 0, 8);
		memcpy(r.name, "ab\0cd", 5);	/* bytes after the NUL: a list, nothing lost */
		CHECK(roundtrip(b, ids.carr, r.name, 8, "[97, 98, 0, 99, 100, 0, 0, 0]"));
		CHECK_EQ(parse(b, ids.carr, "\"123456789\"", buf, 8), -EINVAL);	/* too long */
		CHECK_EQ(parse(b, ids.carr, "\"12345678\"", buf, 8), 0);	/* fills it */
		memset(&r, 0, sizeof(r));
		CHECK_EQ(parse(b, ids.rec, "{\"name\": \"abcdef\", \"name\": \"x\"}", &r, sizeof(r)), 0);
		CHECK(!memcmp(r.name, "x\0\0\0\0\0\0\0", 8));	/* the last one, whole */
	}

	TEST("signed ints keep their sign and their range") {
		v32 = 0;
		CHECK_EQ(parse(b, ids.s32, "-2147483648", &v32, 4), 0);
		CHECK_EQ(v32, 0x80000000u);
		CHECK(roundtrip(b, ids.s32, &v32, 4, "-2147483648"));
		CHECK_EQ(parse(b, ids.s32, "2147483648", &v32, 4), -EINVAL);
		CHECK_EQ(parse(b, ids.s32, "-2147483649", &v32, 4), -EINVAL);
	}

	TEST("malformed text is -EINVAL and leaves the output untouched") {
		static const char *bad[] = {
			"", "{", "{\"packets\": }", "{\"packets\" 1}", "{\"nosuch\": 1}",
			"{\"packets\": 1,}", "[1, 2]", "{\"packets\": 1} x", "{\"packets\": 1.5}",
			"{\"packets\": \"1\"}", "{'packets': 1}", "{\"packets\": 12abc}",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			stats[0] = 11;
			stats[1] = 22;
			CHECK_EQ(parse(b, ids.stats, bad[i], stats, 16), -EINVAL);
			CHECK(stats[0] == 11 && stats[1] == 22);
		}
		CHECK_EQ(bpffs_btf_parse(b, ids.stats, "{}\0{", 4, stats, 16), -EINVAL);
	}

	TEST("arrays take fewer elements (the rest zero) but not more") {
		u8 raw[3] = { 9, 9, 9 };

		CHECK_EQ(parse(b, ids.u8arr, "[7]", raw, 3), 0);
		CHECK(raw[0] == 7 && raw[1] == 0 && raw[2] == 0);
		CHECK_EQ(parse(b, ids.u8arr, "[1, 2, 3, 4]", raw, 3), -EINVAL);
		CHECK_EQ(parse(b, ids.u8arr, "[256]", raw, 3), -EINVAL);
	}

	TEST("enums print their enumerator's name (else the number) and read either") {
		v32 = 5;
		CHECK(roundtrip(b, ids.color, &v32, 4, "\"BLUE\""));
		v32 = 7;
		CHECK(roundtrip(b, ids.color, &v32, 4, "7"));
		CHECK_EQ(parse(b, ids.color, "0", &v32, 4), 0);
		CHECK_EQ(v32, 0);
		v32 = 0;
		CHECK_EQ(parse(b, ids.color, "\"BLUE\"", &v32, 4), 0);
		CHECK_EQ(v32, 5);
		CHECK_EQ(parse(b, ids.color, "\"GREEN\"", &v32, 4), -EINVAL);
		v64 = 1ull << 40;
		CHECK(roundtrip(b, ids.big, &v64, 8, "\"HUGE\""));
		v64 = 3;
		CHECK(roundtrip(b, ids.big, &v64, 8, "3"));
	}

	TEST("a union prints every member and reads back") {
		v32 = 5;
		CHECK(roundtrip(b, ids.uni, &v32, 4, "{\"i\": 5, \"c\": \"BLUE\"}"));
	}

	TEST("a DATASEC prints as bpftool's {section: [{var: value}, ...]}") {
		memset(&sec, 0, sizeof(sec));
		sec.hits = 7;
		sec.scale = 3;
		CHECK(bpffs_btf_fits(b, ids.sec, 12));
		CHECK(roundtrip(b, ids.sec, &sec, 12,
				"{\".data\": [{\"hits\": 7}, {\"scale\": 3}]}"));
		CHECK(!bpffs_btf_fits(b, ids.sec, 10));	/* the variables do not fit */
	}

	TEST("a DATASEC also parses flat, in any order, missing variables zero") {
		memset(&sec, 0xa5, sizeof(sec));
		CHECK_EQ(parse(b, ids.sec, "{\"scale\": 4, \"hits\": 0x10}", &sec, 12), 0);
		CHECK(sec.hits == 16 && sec.scale == 4);
		CHECK_EQ(parse(b, ids.sec, "{\".data\": [{\"scale\": 9}]}", &sec, 12), 0);
		CHECK(sec.hits == 0 && sec.scale == 9);
		CHECK_EQ(parse(b, ids.sec, "{\".data\": [{\"scale\": 1, \"hits\": 2}]}", &sec, 12),
			 0);
		CHECK(sec.hits == 2 && sec.scale == 1);
		CHECK_EQ(parse(b, ids.sec, "{\".data\": []}", &sec, 12), 0);
		CHECK(sec.hits == 0 && sec.scale == 0);
		CHECK_EQ(parse(b, ids.sec, "{}", &sec, 12), 0);
	}

	TEST("malformed DATASEC text fails with EINVAL") {
		static const char *const bad[] = {
			"{\".data\": [{\"nosuch\": 1}]}", "{\".bss\": [{\"hits\": 1}]}",
			"{\".data\": [{\"hits\": 1}}", "{\".data\": [{}]}",
			"{\".data\": {\"hits\": 1}}", "{\".data\": [{\"hits\": 1}]",
			"{\"hits\": 1,}", "{\".data\": [{\"hits\": 1},]}", "[{\"hits\": 1}]",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			CHECK_EQ(parse(b, ids.sec, bad[i], &sec, 12), -EINVAL);
	}

	TEST("types are only used when their size is the map's") {
		CHECK(bpffs_btf_fits(b, ids.stats, 16));
		CHECK(!bpffs_btf_fits(b, ids.stats, 8));
		CHECK(!bpffs_btf_fits(b, 0, 4));
		CHECK(!bpffs_btf_fits(b, 9999, 4));
		CHECK(!bpffs_btf_fits(NULL, ids.u32, 4));
		CHECK_EQ(bpffs_btf_parse(b, ids.stats, "{}", 2, stats, 8), -EINVAL);
	}

	TEST("damaged layouts are not used (the map stays hex), never read out of bounds") {
		CHECK(!bpffs_btf_fits(b, ids.bad_wide, 4));
		CHECK(!bpffs_btf_fits(b, ids.bad_bits, 4));
		CHECK(!bpffs_btf_fits(b, ids.bad_sec, 12));
		CHECK_EQ(bpffs_btf_parse(b, ids.bad_wide, "{}", 2, &v32, 4), -EINVAL);
	}

	TEST("integer and enum keys are decimal, struct keys stay hex") {
		CHECK_EQ(bpffs_btf_key_fmt(b, ids.td_u32, 4, BPFFS_FMT_HEX), BPFFS_FMT_UNSIGNED);
		CHECK_EQ(bpffs_btf_key_fmt(b, ids.s32, 4, BPFFS_FMT_HEX), BPFFS_FMT_SIGNED);
		CHECK_EQ(bpffs_btf_key_fmt(b, ids.color, 4, BPFFS_FMT_HEX), BPFFS_FMT_UNSIGNED);
		CHECK_EQ(bpffs_btf_key_fmt(b, ids.stats, 16, BPFFS_FMT_HEX), BPFFS_FMT_HEX);
		CHECK_EQ(bpffs_btf_key_fmt(b, ids.u32, 8, BPFFS_FMT_HEX), BPFFS_FMT_HEX);
	}

	TEST("type names read like C") {
		CHECK(!strcmp(bpffs_btf_type_name(b, ids.td_u32, buf, sizeof(buf)), "__u32"));
		CHECK(!strcmp(bpffs_btf_type_name(b, ids.stats, buf, sizeof(buf)), "struct proto_stats"));
		CHECK(!strcmp(bpffs_btf_type_name(b, ids.carr, buf, sizeof(buf)), "char[8]"));
		CHECK(!strcmp(bpffs_btf_type_name(b, ids.sec, buf, sizeof(buf)), "datasec .data"));
		CHECK(!strcmp(bpffs_btf_type_name(b, 0, buf, sizeof(buf)), "void"));
	}

	TEST("deeply nested hostile text is refused, not recursed into") {
		char deep[4096];

		memset(deep, '[', sizeof(deep) - 1);
		deep[sizeof(deep) - 1] = '\0';
		CHECK_EQ(parse(b, ids.u8arr, deep, r2.raw, 3), -EINVAL);
	}

	TEST("every prefix and every one-byte change of a value parses or is -EINVAL") {
		static const char punct[] = "{}[]\":,-x0 \\";
		char *text = NULL, mut[256];
		size_t len = 0, i, j;
		int bad = 0, err;

		memset(&r, 0, sizeof(r));
		strcpy(r.name, "lo");
		r.delta = -1;
		r.mode = 3;
		CHECK_EQ(bpffs_btf_render(b, ids.rec, &r, &text, &len), 0);
		for (i = 0; text && i < len && len < sizeof(mut); i++) {
			err = bpffs_btf_parse(b, ids.rec, text, i, &r2, sizeof(r2));
			bad += err != 0 && err != -EINVAL;
			for (j = 0; j < sizeof(punct) - 1; j++) {
				memcpy(mut, text, len);
				mut[i] = punct[j];
				err = bpffs_btf_parse(b, ids.rec, mut, len, &r2, sizeof(r2));
				bad += err != 0 && err != -EINVAL;
			}
		}
		CHECK_EQ(bad, 0);
		free(text);
	}

	TEST("global data of a compiled object prints by variable (DATASECs fixed up at open)") {
		static const char *const want[][2] = {
			{ "globals.data", "{\".data\": [{\"counter\": 3}, {\"name\": \"abc\"}, "
					  "{\"origin\": {\"x\": -1, \"y\": 2}}, {\"hidden\": 9}]}\n" },
			{ "globals.bss", "{\".bss\": [{\"zero2\": 0}, {\"zero1\": 0}]}\n" },
			{ "globals.rodata", "{\".rodata\": [{\"k1\": 1}, {\"k2\": \"xy\"}]}\n" },
		};
		const char *build = getenv("BUILD");
		struct bpffs_object *obj = NULL;
		const struct bpffs_obj_map *m;
		u8 zero[64] = { 0 }, back[64];
		char path[512], *text;
		size_t len;

		snprintf(path, sizeof(path), "%s/tests/bpf/globals.bpf.o", build ? build : "build");
		if (access(path, R_OK))
			SKIP("no tests/bpf/globals.bpf.o (make bpf-objs)");
		else
			CHECK_EQ(bpffs_object_open_file(path, NULL, NULL, &obj), 0);
		for (size_t i = 0; obj && i < sizeof(want) / sizeof(want[0]); i++) {
			const u8 *init;
			u32 id, size;

			m = bpffs_object_find_map(obj, want[i][0]);
			CHECK(m && m->attr.value_size <= sizeof(back));
			if (!m || m->attr.value_size > sizeof(back))
				continue;
			id = m->attr.btf_value_type_id;
			size = m->attr.value_size;
			init = m->init_data ? m->init_data : zero;
			CHECK(bpffs_btf_fits(obj->btf, id, size));
			text = NULL;
			CHECK_EQ(bpffs_btf_render(obj->btf, id, init, &text, &len), 0);
			if (text && strcmp(text, want[i][1]))
				printf("# %s: %s", want[i][0], text);
			CHECK(text && !strcmp(text, want[i][1]));
			CHECK(text && !bpffs_btf_parse(obj->btf, id, text, len, back, size) &&
			      !memcmp(back, init, size));
			free(text);
		}
		bpffs_object_free(obj);
	}

	TEST("the kernel's bpftool prints the same global data (kernel oracle)") {
		static const char *const maps[] = {
			"globals.data", "globals.bss", "globals.rodata",
		};
		const char *build = getenv("BUILD");
		struct bpffs_object *obj = NULL;
		const struct bpffs_obj_map *m;
		char path[512], want[1024], ours[1024], *text = NULL;
		u8 zero[64] = { 0 };
		size_t len;
		int got;

		snprintf(path, sizeof(path), "%s/tests/bpf/globals.bpf.o", build ? build : "build");
		libbpf_set_print(NULL);
		got = access(path, R_OK) ? 0 : bpftool_value(path, maps[0], want, sizeof(want));
		if (!got)
			SKIP("kernel BPF or bpftool unavailable (needs root), or no globals.bpf.o");
		else
			CHECK_EQ(bpffs_object_open_file(path, NULL, NULL, &obj), 0);
		for (size_t i = 0; got && obj && i < sizeof(maps) / sizeof(maps[0]); i++) {
			CHECK_EQ(bpftool_value(path, maps[i], want, sizeof(want)), 1);
			m = bpffs_object_find_map(obj, maps[i]);
			CHECK(m && !bpffs_btf_render(obj->btf, m->attr.btf_value_type_id,
						     m->init_data ? m->init_data : zero,
						     &text, &len));
			squeeze(text ? text : "", ours, sizeof(ours));
			if (strcmp(ours, want))
				printf("# %s: bpftool %s, ours %s\n", maps[i], want, ours);
			CHECK(!strcmp(ours, want));
			free(text);
			text = NULL;
		}
		bpffs_object_free(obj);
	}

	TEST("every showable type of real objects' BTF reads back to the same text") {
		const char *dir = getenv("BPFFS_SAMPLES"), *build = getenv("BUILD");
		int objs = 0, tried = 0, bad = 0;
		char ex[512];

		libbpf_set_print(NULL);	/* objects without .BTF are skipped quietly */
		walk(dir ? dir : "../shared/ebpf-samples", &objs, &tried, &bad);
		snprintf(ex, sizeof(ex), "%s/examples", build ? build : "build");
		walk(ex, &objs, &tried, &bad);
		snprintf(ex, sizeof(ex), "%s/tests/bpf", build ? build : "build");
		walk(ex, &objs, &tried, &bad);
		if (!objs)
			SKIP("no objects with BTF found");
		printf("# %d objects, %d types rendered and parsed back\n", objs, tried);
		CHECK_EQ(bad, 0);
		CHECK(tried > 0);
	}

	btf__free(b);
	return harness_done();
}
