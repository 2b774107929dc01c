// SPDX-License-Identifier: MIT
/*
 * Socket hooks (hooks/socket/IFNAME, one per network interface, listed from
 * the system): SEC("socket") filters and SEC("xdp") programs run on the
 * frames an AF_PACKET socket sees on the interface. One worker thread per
 * interface with links receives through a TPACKET_V3 memory-mapped ring and
 * processes a whole block of frames per wakeup; transmissions (XDP_TX,
 * XDP_REDIRECT) are batched with sendmmsg on a raw socket that bypasses the
 * qdisc. A raw socket sees copies: XDP_DROP stops nothing the kernel itself
 * delivers, it only stops this runtime's forwarding. Socket filters see both
 * directions (as tcpdump does); XDP programs only frames received.
 * XDP_REDIRECT through a CPUMAP copies the frame into that entry's worker
 * queue (src/maps/cpumap.c); the worker's pass is counted on the link.
 * Not here: fanout over several workers, TX rings.
 */
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "internal.h"
#include "../maps/maps.h"
#include "../maps/cpumap.h"

/*
 * Many small blocks rather than a few large ones: the 1 ms block timeout
 * closes a block after ~1 ms of traffic however large it is, so at high
 * rates the number of blocks, not their size, sets how long the worker may
 * stall before frames drop (256 blocks: ~256 ms at any rate up to ~900k/s).
 */
#define RING_BLOCK_SIZE (1u << 17)
#define RING_BLOCK_NR 256
#define RING_FRAME_SIZE 2048
#define RING_BLOCK_TOV_MS 1
#define TX_BATCH 64
#define TX_SLOT 2048
#define XDP_FRAME_MAX 65536

struct tx_batch {
	u32 cnt;
	struct mmsghdr msgs[TX_BATCH];
	struct iovec iov[TX_BATCH];
	struct sockaddr_ll addr[TX_BATCH];
	struct bpffs_link *link[TX_BATCH];
	u8 *slots;			/* TX_BATCH * TX_SLOT bytes */
};

struct sock_hook {
	struct bpffs_hook *hook;
	int ifindex;
	int fd;				/* RX: bound AF_PACKET socket with the ring */
	int txfd;			/* TX: unbound AF_PACKET socket */
	int stopfd;			/* eventfd: stop the worker */
	u8 *ring;
	size_t ring_len;
	bool ring_low;			/* mapped below 4 GiB: data/data_end are usable */
	u8 *scratch;			/* XDP frame with head/tailroom, below 4 GiB */
	pthread_t thread;
	struct bpffs_capture *cap;
	struct tx_batch tx;
	/* PACKET_STATISTICS, accumulated (reading resets the kernel's counters) */
	u64 stat_packets, stat_drops, stat_freezes;
	u64 tx_sent, tx_errors;
	int last_err;			/* last socket error reported (worker only) */
};

/* Set by the maps module's bpf_redirect_map when it exists. */
struct bpffs_redirect_info *bpffs_redirect_info(void) __attribute__((weak));

static bool socket_accepts(u32 type)
{
	return type == BPF_PROG_TYPE_SOCKET_FILTER || type == BPF_PROG_TYPE_XDP;
}

static int socket_parse(struct bpffs_hook *hook, const char *target, struct bpffs_vlog *log)
{
	struct sock_hook *sh = hook->priv;

	sh->hook = hook;
	sh->fd = sh->txfd = sh->stopfd = -1;
	sh->ifindex = (int)if_nametoindex(target);
	if (!sh->ifindex) {
		bpffs_vlog_printf(log, "hooks/socket/%s: no such network interface\n", target);
		return -ENOENT;
	}
	return bpffs_capture_create(&sh->cap);
}

static void socket_free(struct bpffs_hook *hook)
{
	struct sock_hook *sh = hook->priv;

	if (sh && sh->cap) {
		bpffs_capture_end(sh->cap);
		/* readers hold hook references: none is left when we get here */
		bpffs_capture_destroy(sh->cap);
	}
}

struct bpffs_capture *bpffs_socket_hook_capture(struct bpffs_hook *hook)
{
	if (hook->ops != &bpffs_socket_hook_ops)
		return NULL;
	return ((struct sock_hook *)hook->priv)->cap;
}

static int socket_list_system(bpffs_hook_list_cb cb, void *arg)
{
	struct if_nameindex *ifs = if_nameindex(), *i;

	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index; i++)
		if (cb(arg, i->if_name))
			break;
	if_freenameindex(ifs);
	return 0;
}

static bool socket_system_has(const char *target)
{
	return strlen(target) < IF_NAMESIZE && if_nametoindex(target) != 0;
}

static void socket_read_stats(struct sock_hook *sh)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);

	if (sh->fd < 0 || getsockopt(sh->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len))
		return;
	bpffs_stat_add(&sh->stat_packets, st.tp_packets);
	bpffs_stat_add(&sh->stat_drops, st.tp_drops);
	bpffs_stat_add(&sh->stat_freezes, st.tp_freeze_q_cnt);
}

/* ---- transmit --------------------------------------------------------------- */

static void tx_flush(struct sock_hook *sh)
{
	struct tx_batch *tx = &sh->tx;
	u32 done = 0;
	int n;

	while (done < tx->cnt) {
		n = sendmmsg(sh->txfd, tx->msgs + done, tx->cnt - done, MSG_DONTWAIT);
		if (n <= 0) {
			/* ring full or device gone: these frames are dropped, counted */
			for (u32 i = done; i < tx->cnt; i++)
				bpffs_stat_add(&tx->link[i]->stats.xdp_errors, 1);
			bpffs_stat_add(&sh->tx_errors, tx->cnt - done);
			break;
		}
		done += (u32)n;
		bpffs_stat_add(&sh->tx_sent, (u64)n);
	}
	tx->cnt = 0;
}

/* Queue a copy of @data for @ifindex; flushed at the end of the block. */
static void tx_queue(struct sock_hook *sh, struct bpffs_link *link, int ifindex,
		     const u8 *data, u32 len)
{
	struct tx_batch *tx = &sh->tx;
	u32 i;

	if (len > TX_SLOT) {
		struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_ifindex = ifindex };

		if (sendto(sh->txfd, data, len, MSG_DONTWAIT, (struct sockaddr *)&a, sizeof(a)) < 0)
			bpffs_stat_add(&link->stats.xdp_errors, 1);
		return;
	}
	if (tx->cnt == TX_BATCH)
		tx_flush(sh);
	i = tx->cnt++;
	memcpy(tx->slots + (size_t)i * TX_SLOT, data, len);
	tx->iov[i].iov_base = tx->slots + (size_t)i * TX_SLOT;
	tx->iov[i].iov_len = len;
	tx->addr[i] = (struct sockaddr_ll){ .sll_family = AF_PACKET, .sll_ifindex = ifindex,
					    .sll_halen = ETH_ALEN };
	memcpy(tx->addr[i].sll_addr, data, ETH_ALEN);
	tx->msgs[i].msg_hdr = (struct msghdr){
		.msg_name = &tx->addr[i], .msg_namelen = sizeof(tx->addr[i]),
		.msg_iov = &tx->iov[i], .msg_iovlen = 1,
	};
	tx->link[i] = link;
}

/* ---- per-frame dispatch ------------------------------------------------------------ */

struct frame {
	u8 *data;
	u32 caplen, len;
	u64 ts_ns;
	u16 protocol;			/* network order */
	u8 pkttype;
	bool vlan_present;		/* the ring strips the tag: it is reported here */
	u16 vlan_tci, vlan_proto;
};

/* Socket filters: each keeps verdict bytes; the capture keeps the most any kept. */
static void run_filters(struct sock_hook *sh, struct bpffs_link_array *arr,
			const struct frame *f, struct bpffs_run_ctx *rc)
{
	struct bpffs_skb s;
	u32 keep = 0;

	memset(&s.skb, 0, sizeof(s.skb));
	s.data = f->data;
	s.caplen = f->caplen;
	s.skb.len = f->len;
	s.skb.protocol = f->protocol;
	s.skb.pkt_type = f->pkttype;
	s.skb.ifindex = (u32)sh->ifindex;
	s.skb.ingress_ifindex = f->pkttype == PACKET_OUTGOING ? 0 : (u32)sh->ifindex;
	s.skb.tstamp = f->ts_ns;
	s.skb.vlan_present = f->vlan_present;
	s.skb.vlan_tci = f->vlan_tci;
	s.skb.vlan_proto = f->vlan_proto;
	if (sh->ring_low) {
		s.skb.data = (u32)(uintptr_t)f->data;
		s.skb.data_end = (u32)(uintptr_t)(f->data + f->caplen);
	}
	rc->pkt_data = f->data;
	rc->pkt_len = f->caplen;
	for (u32 i = 0; i < arr->cnt; i++) {
		struct bpffs_link *l = arr->links[i];
		u32 r;

		if (l->prog->type != BPF_PROG_TYPE_SOCKET_FILTER)
			continue;
		r = (u32)bpffs_hook_run(l, &s.skb, sizeof(s.skb), rc);
		if (r > f->caplen)
			r = f->caplen;
		if (r) {
			bpffs_stat_add(&l->stats.kept, 1);
			bpffs_stat_add(&l->stats.kept_bytes, r);
		}
		if (r > keep)
			keep = r;
	}
	rc->pkt_data = NULL;
	rc->pkt_len = 0;
	if (keep)
		bpffs_capture_write(sh->cap, f->ts_ns, f->data, keep, f->len);
}

/* No redirect target left over from an earlier run on this thread. */
static void xdp_redirect_reset(void)
{
	struct bpffs_redirect_info *ri = bpffs_redirect_info ? bpffs_redirect_info() : NULL;

	bpffs_xdp_redirect_ifindex = 0;
	if (ri)
		ri->map = NULL;
}

/* Where XDP_REDIRECT sends the frame: bpf_redirect's ifindex, a devmap's or a cpumap's. */
struct xdp_target {
	int ifindex;			/* > 0: transmit there */
	struct bpffs_map *cpumap;	/* else: queue to this cpumap's entry @cpu */
	u32 cpu;
};

static struct xdp_target xdp_redirect_target(void)
{
	struct xdp_target t = { .ifindex = (int)bpffs_xdp_redirect_ifindex };
	struct bpffs_redirect_info *ri;

	bpffs_xdp_redirect_ifindex = 0;
	if (t.ifindex)
		return t;
	ri = bpffs_redirect_info ? bpffs_redirect_info() : NULL;
	if (!ri || !ri->map)
		return t;
	if (ri->map->map_type == BPF_MAP_TYPE_CPUMAP) {
		t.cpumap = ri->map;
		t.cpu = ri->target;
	} else {
		t.ifindex = (int)ri->target;
	}
	ri->map = NULL;
	return t;
}

/* A CPUMAP worker took @frames frames this link queued: their XDP_PASS. */
static void cpumap_done(void *owner, u32 frames)
{
	struct bpffs_link *l = owner;

	bpffs_stat_add(&l->stats.cpumap_pass, frames);
	/* one reference per queued frame: drop all but the last in one step */
	if (frames > 1)
		__atomic_sub_fetch(&l->refcnt, (int)frames - 1, __ATOMIC_RELEASE);
	bpffs_link_put(l);
}

/* Copy the frame into the cpumap entry's queue; a full queue drops it (counted). */
static void cpumap_queue(struct bpffs_link *l, const struct xdp_target *t,
			 const struct bpffs_xdp_buff *x)
{
	int err;

	bpffs_link_get(l);
	err = bpffs_cpumap_enqueue(t->cpumap, t->cpu, x->data, (u32)(x->data_end - x->data),
				   cpumap_done, l);
	if (!err)
		return;
	bpffs_link_put(l);	/* never the last: the hook's link array holds one */
	if (err == -ENOSPC)
		bpffs_stat_add(&l->stats.cpumap_drops, 1);
	else
		bpffs_stat_add(&l->stats.xdp_errors, 1);	/* entry deleted since the run */
}

static void xdp_act(struct sock_hook *sh, struct bpffs_link *l, u32 verdict,
		    const struct bpffs_xdp_buff *x)
{
	u32 len = (u32)(x->data_end - x->data);
	struct xdp_target t;

	if (verdict >= BPFFS_XDP_VERDICTS) {
		bpffs_stat_add(&l->stats.xdp_errors, 1);	/* invalid: treated as ABORTED */
		verdict = XDP_ABORTED;
	}
	bpffs_stat_add(&l->stats.xdp[verdict], 1);
	if (verdict == XDP_TX) {
		tx_queue(sh, l, sh->ifindex, x->data, len);
	} else if (verdict == XDP_REDIRECT) {
		t = xdp_redirect_target();
		if (t.ifindex)
			tx_queue(sh, l, t.ifindex, x->data, len);
		else if (t.cpumap)
			cpumap_queue(l, &t, x);
		else
			bpffs_stat_add(&l->stats.xdp_errors, 1);
	}
}

/* XDP programs in order; the first verdict other than XDP_PASS ends the chain. */
static void run_xdp(struct sock_hook *sh, struct bpffs_link_array *arr, const struct frame *f,
		    struct bpffs_run_ctx *rc)
{
	struct bpffs_xdp_buff x;
	bool copied = false;

	for (u32 i = 0; i < arr->cnt; i++) {
		struct bpffs_link *l = arr->links[i];
		u32 v;

		if (l->prog->type != BPF_PROG_TYPE_XDP)
			continue;
		if (!copied) {
			/* a private copy: the program may write and move head/tail */
			x.hard_start = sh->scratch;
			x.data = sh->scratch + BPFFS_XDP_HEADROOM;
			memcpy(x.data, f->data, f->caplen);
			x.data_end = x.data + f->caplen;
			x.frame_end = x.data + XDP_FRAME_MAX + BPFFS_XDP_TAILROOM;
			memset(&x.md, 0, sizeof(x.md));
			x.md.ingress_ifindex = (u32)sh->ifindex;
			bpffs_xdp_sync(&x);
			copied = true;
		}
		xdp_redirect_reset();
		/* the whole scratch frame is the program's packet memory (checked mode) */
		rc->pkt_data = x.hard_start;
		rc->pkt_len = (u32)(x.frame_end - x.hard_start);
		v = (u32)bpffs_hook_run(l, &x.md, sizeof(x.md), rc);
		rc->pkt_data = NULL;
		rc->pkt_len = 0;
		xdp_act(sh, l, v, &x);
		if (v != XDP_PASS)
			break;
	}
}

/* ---- the worker ----------------------------------------------------------------------- */

static void process_block(struct sock_hook *sh, struct tpacket_block_desc *bd,
			  struct bpffs_run_ctx *rc)
{
	struct tpacket3_hdr *h = (void *)((u8 *)bd + bd->hdr.bh1.offset_to_first_pkt);
	struct bpffs_link_array *arr;
	struct frame f;
	bool has_xdp = false;

	bpffs_rcu_read_lock();
	arr = bpffs_hook_links(sh->hook);
	for (u32 i = 0; i < arr->cnt; i++)
		has_xdp |= arr->links[i]->prog->type == BPF_PROG_TYPE_XDP;
	for (u32 n = 0; n < bd->hdr.bh1.num_pkts; n++) {
		const struct sockaddr_ll *sll =
			(void *)((u8 *)h + TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));

		f.data = (u8 *)h + h->tp_mac;
		f.caplen = h->tp_snaplen;
		f.len = h->tp_len;
		f.ts_ns = (u64)h->tp_sec * 1000000000ull + h->tp_nsec;
		f.protocol = sll->sll_protocol;
		f.pkttype = sll->sll_pkttype;
		f.vlan_present = h->tp_status & TP_STATUS_VLAN_VALID;
		f.vlan_tci = f.vlan_present ? (u16)h->hv1.tp_vlan_tci : 0;
		f.vlan_proto = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ?
			       htons((u16)h->hv1.tp_vlan_tpid) : 0;
		run_filters(sh, arr, &f, rc);
		if (has_xdp && f.pkttype != PACKET_OUTGOING && f.caplen <= XDP_FRAME_MAX)
			run_xdp(sh, arr, &f, rc);
		h = (void *)((u8 *)h + h->tp_next_offset);
	}
	if (has_xdp)
		bpffs_cpumap_flush();	/* entries stay valid until the unlock */
	bpffs_rcu_read_unlock();
	if (sh->tx.cnt)
		tx_flush(sh);
	bpffs_capture_flush(sh->cap);
}

/*
 * The socket reported an error (interface down or deleted: ENETDOWN). Clear
 * it and back off so the worker does not spin; frames resume if the same
 * interface comes back up. Socket worker thread.
 */
static void socket_error(struct sock_hook *sh, struct pollfd *pfd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(sh->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err && err != sh->last_err)
		pr_warn("hooks/socket/%s: %s", sh->hook->target, strerror(err));
	sh->last_err = err;
	poll(&pfd[1], 1, 100);	/* a stop request still ends the wait at once */
}

static void *socket_thread(void *arg)
{
	struct sock_hook *sh = arg;
	struct pollfd pfd[2] = { { .fd = sh->fd, .events = POLLIN | POLLERR },
				 { .fd = sh->stopfd, .events = POLLIN } };
	struct bpffs_run_ctx rc;
	char name[16];
	u32 cur = 0;

	snprintf(name, sizeof(name), "bpffs-%.9s", sh->hook->target);
	bpffs_hook_worker_init(&rc, name);
	for (;;) {
		struct tpacket_block_desc *bd = (void *)(sh->ring + (size_t)cur * RING_BLOCK_SIZE);

		if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER)) {
			if (poll(pfd, 2, -1) > 0 && (pfd[1].revents & POLLIN))
				break;
			if (pfd[0].revents & POLLERR)
				socket_error(sh, pfd);
			continue;
		}
		process_block(sh, bd, &rc);
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		cur = (cur + 1) % RING_BLOCK_NR;
	}
	return NULL;
}

/* Map @len bytes below 4 GiB if possible (MAP_32BIT), else anywhere. */
static void *map_low(int fd, size_t len, bool *low)
{
	int flags = fd < 0 ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_32BIT, fd, 0);

	*low = p != MAP_FAILED;
	if (p == MAP_FAILED)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int socket_open_rx(struct sock_hook *sh, struct bpffs_vlog *log)
{
	struct tpacket_req3 req = {
		.tp_block_size = RING_BLOCK_SIZE, .tp_block_nr = RING_BLOCK_NR,
		.tp_frame_size = RING_FRAME_SIZE,
		.tp_frame_nr = RING_BLOCK_SIZE / RING_FRAME_SIZE * RING_BLOCK_NR,
		.tp_retire_blk_tov = RING_BLOCK_TOV_MS,
	};
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = sh->ifindex };
	int v = TPACKET_V3;

	sh->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (sh->fd < 0)
		goto err;
	if (setsockopt(sh->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) ||
	    setsockopt(sh->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)))
		goto err;
	sh->ring_len = (size_t)RING_BLOCK_SIZE * RING_BLOCK_NR;
	sh->ring = map_low(sh->fd, sh->ring_len, &sh->ring_low);
	if (!sh->ring)
		goto err;
	if (!sh->ring_low)
		pr_warn("hooks/socket/%s: ring above 4 GiB; __sk_buff data/data_end read as 0",
			sh->hook->target);
	if (bind(sh->fd, (struct sockaddr *)&sll, sizeof(sll)))
		goto err;
	return 0;
err:
	v = -errno;
	bpffs_vlog_printf(log, "hooks/socket/%s: cannot open a packet socket: %s%s\n",
			  sh->hook->target, strerror(-v),
			  v == -EPERM ? " (needs CAP_NET_RAW)" : "");
	return v;
}

static int socket_open_tx(struct sock_hook *sh)
{
	int one = 1;
	bool low;

	sh->txfd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (sh->txfd < 0)
		return -errno;
	setsockopt(sh->txfd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	sh->scratch = map_low(-1, BPFFS_XDP_HEADROOM + XDP_FRAME_MAX + BPFFS_XDP_TAILROOM, &low);
	sh->tx.slots = malloc((size_t)TX_BATCH * TX_SLOT);
	if (!sh->scratch || !sh->tx.slots)
		return -ENOMEM;
	sh->stopfd = eventfd(0, EFD_CLOEXEC);
	return sh->stopfd < 0 ? -errno : 0;
}

static void socket_close(struct sock_hook *sh)
{
	socket_read_stats(sh);
	if (sh->ring)
		munmap(sh->ring, sh->ring_len);
	if (sh->scratch)
		munmap(sh->scratch, BPFFS_XDP_HEADROOM + XDP_FRAME_MAX + BPFFS_XDP_TAILROOM);
	free(sh->tx.slots);
	if (sh->fd >= 0)
		close(sh->fd);
	if (sh->txfd >= 0)
		close(sh->txfd);
	if (sh->stopfd >= 0)
		close(sh->stopfd);
	sh->ring = sh->scratch = sh->tx.slots = NULL;
	sh->fd = sh->txfd = sh->stopfd = -1;
	sh->tx.cnt = 0;
}

static int socket_start(struct bpffs_hook *hook, struct bpffs_vlog *log)
{
	struct sock_hook *sh = hook->priv;
	int err;

	/* by name again: the interface may have been recreated since the lookup */
	sh->ifindex = (int)if_nametoindex(hook->target);
	if (!sh->ifindex) {
		bpffs_vlog_printf(log, "hooks/socket/%s: no such network interface\n",
				  hook->target);
		return -ENOENT;
	}
	err = socket_open_rx(sh, log);
	if (!err)
		err = socket_open_tx(sh);
	if (!err)
		err = -pthread_create(&sh->thread, NULL, socket_thread, sh);
	if (err) {
		if (err != -EPERM && err != -EACCES)
			bpffs_vlog_printf(log, "hooks/socket/%s: cannot start: %s\n",
					  hook->target, strerror(-err));
		socket_close(sh);
	}
	return err;
}

static void socket_stop(struct bpffs_hook *hook)
{
	struct sock_hook *sh = hook->priv;
	u64 one = 1;

	if (write(sh->stopfd, &one, sizeof(one)) != sizeof(one))
		pr_warn("hooks/socket/%s: cannot wake the worker", hook->target);
	pthread_join(sh->thread, NULL);
	socket_close(sh);
}

static int socket_show_link(const struct bpffs_link *link, char *buf, size_t size)
{
	struct sock_hook *sh = link->hook->priv;
	const u64 *x = link->stats.xdp;

	struct timespec cpu = { 0, 0 };
	clockid_t clk;
	int n;

	pthread_mutex_lock(&link->hook->lock);	/* the socket may be closing */
	socket_read_stats(sh);
	if (sh->fd >= 0 && !pthread_getcpuclockid(sh->thread, &clk))
		clock_gettime(clk, &cpu);
	pthread_mutex_unlock(&link->hook->lock);
#define L(v) (unsigned long long)__atomic_load_n(&(v), __ATOMIC_RELAXED)
	n = snprintf(buf, size, "worker_cpu_ns: %llu\n",
		     (unsigned long long)cpu.tv_sec * 1000000000ull + (u64)cpu.tv_nsec);
	if ((size_t)n < size) {
		buf += n;
		size -= (size_t)n;
	} else {
		buf = NULL;
		size = 0;
	}
	if (link->prog->type == BPF_PROG_TYPE_XDP)
		return n + snprintf(buf, size,
				"xdp_aborted: %llu\nxdp_drop: %llu\nxdp_pass: %llu\nxdp_tx: %llu\n"
				"xdp_redirect: %llu\nxdp_errors: %llu\ncpumap_pass: %llu\n"
				"cpumap_drops: %llu\nring_frames: %llu\nring_drops: %llu\n",
				L(x[XDP_ABORTED]), L(x[XDP_DROP]), L(x[XDP_PASS]), L(x[XDP_TX]),
				L(x[XDP_REDIRECT]), L(link->stats.xdp_errors),
				L(link->stats.cpumap_pass), L(link->stats.cpumap_drops),
				L(sh->stat_packets), L(sh->stat_drops));
	return n + snprintf(buf, size, "kept: %llu\nkept_bytes: %llu\nring_frames: %llu\n"
			"ring_drops: %llu\n", L(link->stats.kept), L(link->stats.kept_bytes),
			L(sh->stat_packets), L(sh->stat_drops));
#undef L
}

const struct bpffs_hook_ops bpffs_socket_hook_ops = {
	.name = "socket",
	.priv_size = sizeof(struct sock_hook),
	.system_targets = true,
	.accepts = socket_accepts,
	.parse = socket_parse,
	.start = socket_start,
	.stop = socket_stop,
	.free = socket_free,
	.list_system = socket_list_system,
	.system_has = socket_system_has,
	.show_link = socket_show_link,
};
