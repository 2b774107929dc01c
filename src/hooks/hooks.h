/* SPDX-License-Identifier: MIT */
/*
 * The public face of src/hooks: event sources that run programs (timers,
 * inotify watches, AF_PACKET sockets), the targets ("hooks") programs attach
 * to, and links, the kernel's bpf_link: one program attached to one hook.
 * This is the only header src/fs includes from here; it knows no FUSE.
 *
 * Shape of the tree the filesystem builds on it:
 *   hooks/TYPE/                 bpffs_hook_type_name(i), i < bpffs_hook_type_cnt()
 *   hooks/TYPE/TARGET/          bpffs_hook_list(); mkdir = bpffs_hook_create(),
 *                               rmdir = bpffs_hook_destroy() (-ENOTEMPTY with links)
 *   hooks/TYPE/TARGET/NAME      ln -s = bpffs_link_attach(), rm = bpffs_link_detach();
 *                               NAME is bpffs_link_name() (the program's name)
 *   hooks/socket/IF/capture     bpffs_capture_open()/read()/poll_fd()/close()
 *   links/ID                    bpffs_link_for_each(), bpffs_link_get_by_id(),
 *                               text from bpffs_link_show()
 *
 * Every function returns 0 (or a count) or a negative errno; reasons a user
 * should read go to the struct bpffs_vlog passed in (NULL: no text).
 */
#ifndef BPFFS_HOOKS_H
#define BPFFS_HOOKS_H

#include <sys/types.h>
#include "../core/types.h"

struct bpffs_prog;
struct bpffs_vlog;
struct bpffs_hook;
struct bpffs_hook_ops;
struct bpffs_capture_reader;

/* XDP verdicts counted per link (index = XDP_* value). */
#define BPFFS_XDP_VERDICTS 5

/*
 * One program attached to one hook. Fields below `stats` are updated by the
 * hook's worker thread with relaxed atomics and read racily by show.
 */
struct bpffs_link {
	u32 id;				/* > 0, never reused while the process runs */
	int refcnt;			/* atomic: bpffs_link_get/put */
	struct bpffs_hook *hook;	/* holds a reference on the hook */
	struct bpffs_prog *prog;	/* holds a reference on the program */
	bool detached;			/* protected by hook->lock */
	struct {
		u64 run_cnt;		/* program runs */
		u64 run_time_ns;	/* wall time inside those runs */
		u64 xdp[BPFFS_XDP_VERDICTS]; /* XDP: ABORTED, DROP, PASS, TX, REDIRECT */
		u64 xdp_errors;		/* TX/REDIRECT that could not be sent, bad verdicts */
		u64 cpumap_pass;	/* XDP: frames a CPUMAP worker took (its XDP_PASS) */
		u64 cpumap_drops;	/* XDP: frames a full CPUMAP queue refused */
		u64 kept;		/* socket filter: frames with a non-zero verdict */
		u64 kept_bytes;		/* socket filter: bytes those verdicts kept */
		u64 overflows;		/* inotify: IN_Q_OVERFLOW events delivered */
		u64 expirations;	/* timer: sum of expirations seen by the runs */
		u64 faults;		/* checked runtime: runs stopped by a violation */
	} stats;
};

/* ---- hook types --------------------------------------------------------- */

/* Number of hook types ("socket", "timer", "inotify"), in hook_types.h order. */
u32 bpffs_hook_type_cnt(void);
/* Name of hook type @idx, or NULL past the end. */
const char *bpffs_hook_type_name(u32 idx);

/* ---- hooks (targets) ----------------------------------------------------- */

/* Called once per target name by bpffs_hook_list; return non-zero to stop. */
typedef int (*bpffs_hook_list_cb)(void *arg, const char *target);

/*
 * List the targets of hook type @type: for "socket" the system's network
 * interfaces (if_nameindex), for the others the targets created with mkdir.
 * Returns 0, or -ENOENT for an unknown type. Called from: FUSE thread.
 */
int bpffs_hook_list(const char *type, bpffs_hook_list_cb cb, void *arg);

/*
 * mkdir hooks/TYPE/TARGET. @target is the directory name: "10ms", "500us",
 * "1s" for timers (1us..1h); a `systemd-escape --path` name for inotify
 * (the path must exist). Returns 0 and *out with a reference (may be NULL
 * for none), -EEXIST, -ENOENT (unknown type, missing path), -EINVAL
 * (unparsable target; one log line says why), -EPERM for types whose
 * targets come from the system (socket). Called from: FUSE thread.
 */
int bpffs_hook_create(const char *type, const char *target, struct bpffs_vlog *log,
		      struct bpffs_hook **out);

/*
 * Find hook TYPE/TARGET and take a reference. For "socket" an existing
 * interface is found even before anything was attached to it. Returns 0,
 * or -ENOENT. Called from: FUSE thread.
 */
int bpffs_hook_get(const char *type, const char *target, struct bpffs_hook **out);
void bpffs_hook_hold(struct bpffs_hook *hook);
void bpffs_hook_put(struct bpffs_hook *hook);

/*
 * rmdir hooks/TYPE/TARGET: -ENOTEMPTY while links are attached, -EPERM for
 * socket targets, -ENOENT if absent. Called from: FUSE thread.
 */
int bpffs_hook_destroy(const char *type, const char *target, struct bpffs_vlog *log);

/* Are the targets of hook type @type the system's (socket: interfaces), not made by mkdir? */
bool bpffs_hook_type_system(const char *type);

/*
 * Call @cb(@arg) after every successful bpffs_hook_create, bpffs_hook_destroy,
 * bpffs_link_attach and bpffs_link_detach (the state directory writes the
 * hooks and links then). One subscriber; NULL unsubscribes, and returns only
 * once no call is running. Calls are serialised and run with no hook lock
 * held, in the thread that made the change; @cb must not change hooks.
 */
void bpffs_hooks_set_notify(void (*cb)(void *arg), void *arg);

const char *bpffs_hook_type_of(const struct bpffs_hook *hook);	/* "timer" */
const char *bpffs_hook_target(const struct bpffs_hook *hook);	/* "10ms" */
/* Number of links attached right now. */
u32 bpffs_hook_link_cnt(struct bpffs_hook *hook);

/* ---- links --------------------------------------------------------------- */

typedef int (*bpffs_link_cb)(void *arg, struct bpffs_link *link);

/*
 * ln -s MNT/progs/NAME MNT/hooks/TYPE/TARGET/: attach @prog after the hook's
 * other links (programs run in attach order). Takes a reference on @prog.
 * Returns 0 and *out (a reference for the caller; may be NULL), or
 * -EINVAL (program type not accepted by this hook; the log line names both;
 * or a program never prepared with bpffs_prog_prepare),
 * -EOPNOTSUPP (kernel-only program type: "cannot be attached"), -EEXIST
 * (the same program is already attached here), -ENOENT (hook removed),
 * or the hook's start error (socket: -EPERM without CAP_NET_RAW).
 * The first run may happen before this returns. Called from: FUSE thread.
 */
int bpffs_link_attach(struct bpffs_hook *hook, struct bpffs_prog *prog,
		      struct bpffs_vlog *log, struct bpffs_link **out);

/*
 * rm hooks/TYPE/TARGET/NAME or rm links/ID. Once this returns the program is
 * not running on the hook and never starts there again (waits for the runs
 * in flight: an RCU grace period). The link object lives on while referenced
 * (its stats stay readable). Returns 0, or -ENOENT if already detached.
 * Called from: FUSE thread, never from a program run.
 */
int bpffs_link_detach(struct bpffs_link *link);

void bpffs_link_get(struct bpffs_link *link);
void bpffs_link_put(struct bpffs_link *link);
/* Attached link @id with a reference, or -ENOENT. */
int bpffs_link_get_by_id(u32 id, struct bpffs_link **out);
/* Visit every attached link in id order (no references taken; the link is valid during @cb). */
int bpffs_link_for_each(bpffs_link_cb cb, void *arg);
/* Visit the links of @hook in run order. */
int bpffs_hook_for_each_link(struct bpffs_hook *hook, bpffs_link_cb cb, void *arg);
/* Find the link of @hook named @name (the program's name), with a reference. */
int bpffs_hook_find_link(struct bpffs_hook *hook, const char *name, struct bpffs_link **out);
/* Directory entry name of a link in its hook directory: the program's name. */
const char *bpffs_link_name(const struct bpffs_link *link);

/*
 * Text of `cat MNT/links/ID`: "key: value" lines (id, hook, target, prog,
 * prog_id, prog_type, run_count, run_time_ns, and the counters that apply to
 * the hook type). Returns the length (snprintf-style; may exceed @size).
 */
int bpffs_link_show(const struct bpffs_link *link, char *buf, size_t size);

/* ---- socket capture stream (hooks/socket/IF/capture) ---------------------- */

/*
 * Open a reader of the frames socket-filter programs kept on socket hook
 * @hook: a pcap stream (nanosecond timestamps, LINKTYPE_ETHERNET) starting
 * with the file header, then every record kept from now on. A slow reader
 * loses whole records (counted), never the stream's framing.
 * Returns 0 and *out, -EINVAL for a non-socket hook, -ENOMEM.
 */
int bpffs_capture_open(struct bpffs_hook *hook, struct bpffs_capture_reader **out);
/*
 * Copy up to @size bytes of the stream. Blocks until data is available
 * unless @nonblock (then -EAGAIN). Returns bytes copied (> 0) or -errno;
 * 0 once the hook is destroyed. Called from: FUSE thread.
 */
ssize_t bpffs_capture_read(struct bpffs_capture_reader *r, void *buf, size_t size,
			   bool nonblock);
/* An fd that polls readable when bpffs_capture_read would not block. */
int bpffs_capture_poll_fd(struct bpffs_capture_reader *r);
/* Records this reader lost because it fell behind. */
u64 bpffs_capture_lost(const struct bpffs_capture_reader *r);
/* Wake a blocked read (it returns -EINTR), e.g. on FUSE interrupt. */
void bpffs_capture_interrupt(struct bpffs_capture_reader *r);
void bpffs_capture_close(struct bpffs_capture_reader *r);

/* ---- inotify target names -------------------------------------------------- */

/*
 * `systemd-escape --path` and back: "/var/log" <-> "var-log", "/" <-> "-",
 * bytes other than [A-Za-z0-9:_.] (and a leading '.') as \xNN. Return the
 * length written (excluding the NUL), -ENAMETOOLONG, or -EINVAL for a name
 * that is not a valid escaped path.
 */
int bpffs_path_escape(const char *path, char *out, size_t size);
int bpffs_path_unescape(const char *name, char *out, size_t size);

/*
 * Force the timer thread's policy: SCHED_FIFO priority 1 (@on) or
 * SCHED_OTHER, whatever its programs cost. Returns 0, or -EPERM without
 * CAP_SYS_NICE. Called from: any thread.
 */
int bpffs_hooks_timer_realtime(bool on);
/*
 * The default policy: SCHED_FIFO priority 1 when permitted (under CPU
 * contention that is what keeps a 1 ms timer on time), SCHED_OTHER while its
 * programs use more than 20% of a CPU (back below 5%), SCHED_OTHER for good
 * without CAP_SYS_NICE. Returns 0. Called from: any thread.
 */
int bpffs_hooks_timer_sched_auto(void);

/* ---- test runs (test_run.c; progs/NAME/run) -------------------------------- */

#define BPFFS_TEST_RUN_MAX (64u * 1024)		/* input bytes */
#define BPFFS_TEST_RUN_MAX_REPEAT 1000000u

struct bpffs_test_run_result {
	u32 retval;			/* r0 of the last run, low 32 bits (like the kernel) */
	u64 duration_ns;		/* mean wall time per run */
	u32 runs;			/* repetitions done (fewer after a fault) */
	bool has_data;			/* packet programs: data holds the bytes after the run */
	u8 *data;			/* malloc'd; free with bpffs_test_run_result_fini */
	u32 data_len;
	int fault;			/* checked runtime: -EFAULT if a run was stopped */
	char msg[192];			/* why it failed (or the fault), "" otherwise */
};

/*
 * BPF_PROG_TEST_RUN: run @prog @repeat times (0 counts as 1) on @in. Packet
 * programs (socket filter, sched_cls/act, cgroup_skb, XDP) get @in as the
 * frame (XDP data..data_end is exactly @in; skb->len = @in_len, protocol from
 * bytes 12..13, ifindex 1), rebuilt before every repetition; res->data holds
 * the frame after the last run. Timer, inotify, perf_event, kprobe and
 * tracepoint programs get @in as their context, zero-padded to its size.
 * Returns 0 (check res->fault), -EINVAL (empty packet, input longer than the
 * context, repeat above BPFFS_TEST_RUN_MAX_REPEAT), -E2BIG (above
 * BPFFS_TEST_RUN_MAX), -EOPNOTSUPP (type cannot be test-run), -ENOMEM; the
 * reason is in res->msg. Called from: any thread that is not running a program.
 */
int bpffs_prog_test_run(struct bpffs_prog *prog, const void *in, size_t in_len, u32 repeat,
			struct bpffs_test_run_result *res);
void bpffs_test_run_result_fini(struct bpffs_test_run_result *res);

/* ---- lifecycle ------------------------------------------------------------ */

/*
 * Detach every link, destroy every hook and stop the worker threads (unmount,
 * end of tests). Called from: any thread that is not a hook worker.
 */
void bpffs_hooks_shutdown(void);

#endif /* BPFFS_HOOKS_H */
