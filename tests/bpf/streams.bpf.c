// SPDX-License-Identifier: MIT
/*
 * Queue, stack and ring buffer maps with BTF types, and bpf_trace_printk:
 * the typed pop/peek/push files and the streams' poll
 * (tests/bats/maps-special.bats, fs-mount.bats).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct job {
	__u32 id;
	char name[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__type(value, struct job);
	__uint(max_entries, 8);
} job_queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__type(value, __s32);
	__uint(max_entries, 8);
} delta_stack SEC(".maps");

/* the record type, declared as cilium/ebpf allows: records show typed */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__type(value, struct job);
	__uint(max_entries, 4096);
} job_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} job_perf SEC(".maps");

/*
 * A test run with a packet of N bytes pushes job N "net" and delta -N,
 * submits the job to the ring buffer and outputs it to the perf rings.
 */
SEC("socket")
int push_job(struct __sk_buff *skb)
{
	struct job j = { .id = skb->len, .name = "net" };
	__s32 d = -(__s32)skb->len;

	bpf_map_push_elem(&job_queue, &j, 0);
	bpf_map_push_elem(&delta_stack, &d, 0);
	bpf_ringbuf_output(&job_ring, &j, sizeof(j), 0);
	bpf_perf_event_output(skb, &job_perf, BPF_F_CURRENT_CPU, &j, sizeof(j));
	return 0;
}

SEC("socket")
int say_hello(struct __sk_buff *skb)
{
	bpf_printk("hello %u", skb->len);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
