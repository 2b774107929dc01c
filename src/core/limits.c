// SPDX-License-Identifier: MIT
/*
 * Per-mount resource limits (see struct bpffs_limits in registry.h): one
 * user's object must not exhaust the machine. The load pipeline asks before
 * it allocates (registry_check_limits) and again under the write lock when
 * it publishes (registry_check_limits_locked), so concurrent loads cannot
 * both squeeze under a limit. Map memory is summed over the published maps
 * each time: a mount holds tens of maps, and a sum cannot drift.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "vlog.h"
#include "registry_internal.h"
#include "../maps/maps.h"

u64 registry_map_attr_charge(u32 key_size, u32 value_size, u32 max_entries)
{
	return (u64)max_entries * ((u64)key_size + value_size);
}

u64 registry_map_charge(const struct bpffs_map *map)
{
	u64 use = bpffs_map_mem_usage(map);
	u64 full = registry_map_attr_charge(map->key_size, map->value_size, map->max_entries);

	return use > full ? use : full;
}

static u64 map_mem_locked(struct bpffs_registry *reg)
{
	u64 sum = 0;
	u32 i;

	for (i = 0; i < reg->map_cnt; i++)
		sum += registry_map_charge(reg->maps[i].map);
	return sum;
}

int registry_check_limits_locked(struct bpffs_registry *reg, u32 new_progs, u32 new_maps,
				 u64 new_bytes, struct bpffs_vlog *log)
{
	const struct bpffs_limits *lim = &reg->limits;
	u64 used;

	if (lim->max_progs && new_progs && reg->prog_cnt + new_progs > lim->max_progs) {
		bpffs_vlog_printf(log, "too many programs: %u loaded + %u new, limit max_progs=%u\n",
				  reg->prog_cnt, new_progs, lim->max_progs);
		return -E2BIG;
	}
	if (lim->max_maps && new_maps && reg->map_cnt + new_maps > lim->max_maps) {
		bpffs_vlog_printf(log, "too many maps: %u exist + %u new, limit max_maps=%u\n",
				  reg->map_cnt, new_maps, lim->max_maps);
		return -E2BIG;
	}
	if (lim->map_mem && new_bytes) {
		used = map_mem_locked(reg);
		if (new_bytes > lim->map_mem || used > lim->map_mem - new_bytes) {
			bpffs_vlog_printf(log, "map memory: %llu bytes used + %llu new, limit map_mem=%llu\n",
					  (unsigned long long)used, (unsigned long long)new_bytes,
					  (unsigned long long)lim->map_mem);
			return -ENOMEM;
		}
	}
	return 0;
}

int registry_check_limits(struct bpffs_registry *reg, u32 new_progs, u32 new_maps,
			  u64 new_bytes, struct bpffs_vlog *log)
{
	int err;

	pthread_rwlock_rdlock(&reg->lock);
	err = registry_check_limits_locked(reg, new_progs, new_maps, new_bytes, log);
	pthread_rwlock_unlock(&reg->lock);
	return err;
}

void bpffs_registry_set_limits(struct bpffs_registry *reg, const struct bpffs_limits *lim)
{
	pthread_rwlock_wrlock(&reg->lock);
	reg->limits = *lim;
	pthread_rwlock_unlock(&reg->lock);
}

void bpffs_registry_get_limits(struct bpffs_registry *reg, struct bpffs_limits *lim)
{
	pthread_rwlock_rdlock(&reg->lock);
	*lim = reg->limits;
	pthread_rwlock_unlock(&reg->lock);
}

/* ---- "map_mem=64M,max_progs=100" ---- */

static const char *const limit_names[] = {
	"map_mem", "max_maps", "max_progs", "max_insns", "max_loops",
};

static int limit_index(const char *word, size_t len)
{
	size_t i;

	for (i = 0; i < BPFFS_ARRAY_SIZE(limit_names); i++)
		if (strlen(limit_names[i]) == len && !strncmp(word, limit_names[i], len))
			return (int)i;
	return -1;
}

bool bpffs_limits_is_option(const char *word)
{
	const char *eq = strchr(word, '=');

	return eq && limit_index(word, (size_t)(eq - word)) >= 0;
}

/* A number with an optional K/M/G suffix (sizes) that fits @max. */
static int parse_amount(const char *s, u64 max, u64 *out)
{
	unsigned long long v;
	char *end;
	u32 shift = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end || (shift && v > (~0ull >> shift)))
		return -EINVAL;
	v <<= shift;
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int limit_word(const char *w, struct bpffs_limits *lim, struct bpffs_vlog *log)
{
	const char *eq = strchr(w, '=');
	int i = eq ? limit_index(w, (size_t)(eq - w)) : -1;
	u64 v;

	if (i < 0) {
		bpffs_vlog_printf(log, "limits: unknown limit '%s' (map_mem, max_maps, max_progs, max_insns, max_loops)\n",
				  w);
		return -EINVAL;
	}
	if (parse_amount(eq + 1, i == 0 ? ~0ull : 0xffffffffull, &v)) {
		bpffs_vlog_printf(log, "limits: bad value in '%s'\n", w);
		return -EINVAL;
	}
	switch (i) {
	case 0: lim->map_mem = v; break;
	case 1: lim->max_maps = (u32)v; break;
	case 2: lim->max_progs = (u32)v; break;
	case 3: lim->max_insns = (u32)v; break;
	default: lim->max_loops = (u32)v; break;
	}
	return 0;
}

int bpffs_limits_parse(const char *text, struct bpffs_limits *lim, struct bpffs_vlog *log)
{
	char *copy = strdup(text), *w, *save;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (w = strtok_r(copy, ", \t\n", &save); w && !err; w = strtok_r(NULL, ", \t\n", &save))
		err = limit_word(w, lim, log);
	free(copy);
	return err;
}
