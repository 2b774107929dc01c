// SPDX-License-Identifier: MIT
/*
 * What every blocking stream file (trace_pipe, a ring buffer's stream) does
 * when it has nothing to return: decide whether the read may wait, and wait
 * in short slices so that Ctrl-C on the reader and unmounting are noticed.
 * The policy: O_NONBLOCK fails with EAGAIN; a single-threaded mount (-s)
 * returns end of file rather than blocking its only request thread; an
 * interrupted request fails with EINTR; a mount going away ends the stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>

#include "internal.h"

int bpffs_stream_may_wait(struct bpffs_file *file)
{
	int stop;

	if (file->flags & O_NONBLOCK)
		return -EAGAIN;
	if (file->node->fs->single_threaded)
		return 0;
	stop = file->interrupted ? file->interrupted(file->intr_arg) : 0;
	if (stop)
		return stop < 0 ? stop : 0;
	return 1;
}

bool bpffs_stream_wait_fd(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, BPFFS_STREAM_WAIT_MS) > 0 && (p.revents & POLLIN);
}
