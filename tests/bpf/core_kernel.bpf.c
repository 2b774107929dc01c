// SPDX-License-Identifier: MIT
/*
 * ELF loader test object: a CO-RE relocation against a kernel type
 * (struct task_struct), which this runtime does not have: open must fail
 * naming the type.
 */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

struct task_struct {
	int pid;
} __attribute__((preserve_access_index));

SEC("kprobe/do_exit")
int read_pid(struct task_struct *t)
{
	return t->pid;
}

char LICENSE[] SEC("license") = "GPL";
