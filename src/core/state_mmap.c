// SPDX-License-Identifier: MIT
/*
 * State directory, file-backed maps: a BPF_F_MMAPABLE array keeps its values
 * in a file mapped MAP_SHARED (src/maps/array.c), so every store is in the
 * page cache the moment it is made and survives a kill -9 of the daemon.
 *
 * Matching a file to the right map: the array is created on an unnamed file
 * (O_TMPFILE in DIR/tmp), so a load that fails, or a crash before the map
 * is published, leaves nothing behind. Only a published map's file is given
 * a name, DIR/maps/NAME.GEN.mmap, GEN a new number (the clock at open,
 * then counted up; linkat never replaces a file); the map's record
 * DIR/maps/NAME.map (checksummed, written after the link) names GEN. A
 * restart copies from the file its record names, checking its size against
 * the new map's, and deletes every .mmap file no record names. A reload
 * under the same name links a new GEN; the old file goes once the record
 * names the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "state_internal.h"
#include "../maps/maps.h"

int bpffs_state_backing_open(struct bpffs_state *st)
{
	char path[PATH_MAX];
	struct timespec now;

	snprintf(path, sizeof(path), "%s/tmp", st->dir);
	st->backing_dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->backing_dirfd < 0)
		return -errno;
	clock_gettime(CLOCK_REALTIME, &now);
	st->backing_gen = (u64)now.tv_sec * 1000000000ull + (u64)now.tv_nsec;
	bpffs_array_set_backing_dir(st->backing_dirfd);
	return 0;
}

void bpffs_state_backing_close(struct bpffs_state *st)
{
	if (st->backing_dirfd < 0)
		return;
	bpffs_array_set_backing_dir(-1);
	close(st->backing_dirfd);
	st->backing_dirfd = -1;
}

int bpffs_state_backing_name(const char *map_name, u64 gen, char *out, size_t size)
{
	int n = snprintf(out, size, "%s.%016" PRIx64 ".mmap", map_name, gen);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int backing_path(const struct bpffs_state *st, const char *map_name, u64 gen, char *out)
{
	char name[NAME_MAX + 1];
	int err = bpffs_state_backing_name(map_name, gen, name, sizeof(name));

	if (!err && snprintf(out, PATH_MAX, "%s/maps/%s", st->dir, name) >= PATH_MAX)
		err = -ENAMETOOLONG;
	return err;
}

bool bpffs_state_backed(const struct bpffs_map *map, int *fd)
{
	struct bpffs_array_values av;

	if (bpffs_array_values(map, &av) || av.fd < 0)
		return false;
	*fd = av.fd;
	return true;
}

int bpffs_state_backing_link(struct bpffs_state *st, const struct bpffs_map *map, u64 *gen)
{
	char proc[64], dst[PATH_MAX];
	int fd, err;
	u64 g;

	if (!bpffs_state_backed(map, &fd))
		return -EINVAL;
	g = __atomic_add_fetch(&st->backing_gen, 1, __ATOMIC_RELAXED);
	err = backing_path(st, map->name, g, dst);
	if (err)
		return err;
	if (fdatasync(fd))
		return -errno;
	/* linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; the /proc link does not */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, dst, AT_SYMLINK_FOLLOW) &&
	    linkat(fd, "", AT_FDCWD, dst, AT_EMPTY_PATH))
		return -errno;
	err = bpffs_state_sync_dir(st, "maps");
	if (err) {
		unlink(dst);
		return err;
	}
	*gen = g;
	return 0;
}

void bpffs_state_backing_unlink(struct bpffs_state *st, const char *map_name, u64 gen)
{
	char path[PATH_MAX];

	if (gen && !backing_path(st, map_name, gen, path))
		unlink(path);
}

int bpffs_state_backing_sync(const struct bpffs_map *map)
{
	int fd;

	if (!bpffs_state_backed(map, &fd))
		return 0;
	return fdatasync(fd) ? -errno : 0;
}

int bpffs_state_backing_restore(struct bpffs_state *st, struct bpffs_map *map, u64 gen)
{
	struct bpffs_array_values av;
	char path[PATH_MAX];
	struct stat sb;
	size_t got = 0;
	ssize_t n;
	int fd, err;

	err = bpffs_array_values(map, &av);
	if (err) {
		pr_warn("state: map '%s' is no longer a BPF_F_MMAPABLE array; its file is not used",
			map->name);
		return err;
	}
	err = backing_path(st, map->name, gen, path);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) || (size_t)sb.st_size != av.size) {
		err = fd < 0 ? -errno : -EBADMSG;
		pr_warn("state: map '%s': %s is %s", map->name, path,
			fd < 0 ? strerror(errno) : "not the size of the map");
		if (fd >= 0)
			close(fd);
		return err;
	}
	while (got < av.size) {
		n = pread(fd, (u8 *)av.values + got, av.size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	return err;
}
