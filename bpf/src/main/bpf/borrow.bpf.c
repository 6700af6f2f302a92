// SPDX-License-Identifier: GPL-2.0
// The borrow guard: a process outside an app's cgroup may not take over a process inside it.
//
// ptrace attach/seize, opening /proc/PID/mem, process_vm_readv/writev and pidfd_getfd all ask
// ptrace_may_access() with PTRACE_MODE_ATTACH, which calls the ptrace_access_check LSM hook after the
// classic checks (same uid, or CAP_SYS_PTRACE) passed. So one program refuses all four when the target
// task is in an app cgroup of this instance (below <cgroup2>/<instance>/) and the caller is not in
// that same app cgroup, unless the caller has CAP_SYS_PTRACE in the initial user namespace (root may
// still debug an app; a same-user process in a user namespace of its own has that capability only
// there). PTRACE_MODE_READ accesses (/proc/PID/environ, maps, the fd list: what ps, top and lsof read)
// stay allowed: they read about a process, they do not act as it.
//
// Kept apart from enforce.bpf.o, so the enforcement still loads where a kernel refuses LSM programs.
// The kernel's structures are read with CO-RE through the minimal definitions below (no vmlinux.h):
// libbpf relocates each field to its offset in the running kernel's BTF. cgroup->ancestors[] exists
// since Linux 6.0.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define PTRACE_MODE_ATTACH 0x02
#define CAP_SYS_PTRACE 19
#define EPERM 1

// counters
#define BORROW_C_DENIED 0     // refused: a process outside the app's cgroup
#define BORROW_C_PRIVILEGED 1 // allowed: a caller with CAP_SYS_PTRACE in the initial user namespace
#define BORROW_C_EVENTS_LOST 2 // refusals the event ring had no room for (the refusal itself stands)
#define BORROW_C_COUNT 3

struct borrow_config {
	__u64 instance_cgroup; // id of <cgroup2>/<instance>; 0 = not configured: refuse nothing
	__u32 instance_level;  // its level (the cgroup2 root is level 0)
	__u32 pad;
};

struct kernfs_node {
	__u64 id;
} __attribute__((preserve_access_index));

struct cgroup {
	struct kernfs_node *kn;
	int level;
	struct cgroup *ancestors[];
} __attribute__((preserve_access_index));

struct css_set {
	struct cgroup *dfl_cgrp;
} __attribute__((preserve_access_index));

struct user_namespace {
	int level;
} __attribute__((preserve_access_index));

// kernel_cap_t: { u32 cap[2] } before Linux 6.3, { u64 val } since; the same 8 bytes on little-endian
// machines, so it is read whole by its offset.
struct wgpr_caps {
	__u64 val;
};

struct cred {
	struct wgpr_caps cap_effective;
	struct user_namespace *user_ns;
} __attribute__((preserve_access_index));

struct task_struct {
	int tgid;
	char comm[16];
	struct css_set *cgroups;
	const struct cred *cred;
} __attribute__((preserve_access_index));

// One refusal, for the daemon's log: who tried (the current task) and whose app it tried to take over.
// A ring of its own: a flood of these cannot push the enforcement's deny events out of theirs.
struct borrow_event {
	__u64 time_ns;       // CLOCK_MONOTONIC (bpf_ktime_get_ns)
	__u64 cgroup_id;     // the caller's cgroup
	__u64 target_cgroup; // the app cgroup of the target
	__u32 pid;           // the caller's thread group id
	__u32 tid;
	__u32 uid;
	__u32 gid;
	__u32 target_pid;    // the target's thread group id
	__u32 mode;          // PTRACE_MODE_* the caller asked for
	char comm[16];
	char target_comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct borrow_config);
} borrow_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BORROW_C_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} borrow_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 32 * 1024);
} borrow_events SEC(".maps");

static __always_inline void count(__u32 counter)
{
	__u64 *value = bpf_map_lookup_elem(&borrow_counters, &counter);

	if (value)
		__sync_fetch_and_add(value, 1);
}

static __always_inline __u64 ancestor_id(struct cgroup *cgrp, __u32 level)
{
	struct cgroup *ancestor = 0;
	unsigned long slot = (unsigned long)cgrp + bpf_core_field_offset(struct cgroup, ancestors)
			     + (unsigned long)level * sizeof(ancestor);

	if (bpf_probe_read_kernel(&ancestor, sizeof(ancestor), (void *)slot) || !ancestor)
		return 0;
	return BPF_CORE_READ(ancestor, kn, id);
}

// The id of the app cgroup (the level below the instance cgroup) task is in, or 0 when it is in none.
static __always_inline __u64 app_cgroup(struct task_struct *task, const struct borrow_config *cfg)
{
	struct cgroup *cgrp = BPF_CORE_READ(task, cgroups, dfl_cgrp);

	if (!cgrp || BPF_CORE_READ(cgrp, level) <= (int)cfg->instance_level)
		return 0;
	if (ancestor_id(cgrp, cfg->instance_level) != cfg->instance_cgroup)
		return 0;
	return ancestor_id(cgrp, cfg->instance_level + 1);
}

static __always_inline int privileged(struct task_struct *task)
{
	const struct cred *cred = BPF_CORE_READ(task, cred);
	struct wgpr_caps caps = {};

	if (!cred)
		return 0;
	if (bpf_probe_read_kernel(&caps, sizeof(caps), __builtin_preserve_access_index(&cred->cap_effective)))
		return 0;
	return (caps.val & (1ull << CAP_SYS_PTRACE)) && BPF_CORE_READ(cred, user_ns, level) == 0;
}

static __always_inline void emit(struct task_struct *target, __u64 target_cgroup, unsigned int mode)
{
	struct borrow_event *event = bpf_ringbuf_reserve(&borrow_events, sizeof(*event), 0);

	if (!event) {
		count(BORROW_C_EVENTS_LOST);
		return;
	}
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();
	event->time_ns = bpf_ktime_get_ns();
	event->cgroup_id = bpf_get_current_cgroup_id();
	event->target_cgroup = target_cgroup;
	event->pid = pid_tgid >> 32;
	event->tid = (__u32)pid_tgid;
	event->uid = (__u32)uid_gid;
	event->gid = uid_gid >> 32;
	event->target_pid = BPF_CORE_READ(target, tgid);
	event->mode = mode;
	bpf_get_current_comm(event->comm, sizeof(event->comm));
	if (bpf_probe_read_kernel_str(event->target_comm, sizeof(event->target_comm),
				      __builtin_preserve_access_index(&target->comm)) < 0)
		event->target_comm[0] = 0;
	bpf_ringbuf_submit(event, 0);
}

// int security_ptrace_access_check(struct task_struct *child, unsigned int mode);
// ctx holds the two arguments and the return value so far.
SEC("lsm/ptrace_access_check")
int wgpr_borrow_ptrace_access_check(unsigned long long *ctx)
{
	struct task_struct *child = (struct task_struct *)ctx[0];
	unsigned int mode = (unsigned int)ctx[1];
	int ret = (int)ctx[2];
	__u32 key = 0;
	const struct borrow_config *cfg;
	__u64 target;

	if (ret || !(mode & PTRACE_MODE_ATTACH))
		return ret;
	cfg = bpf_map_lookup_elem(&borrow_config, &key);
	if (!cfg || !cfg->instance_cgroup)
		return 0;
	target = app_cgroup(child, cfg);
	if (!target)
		return 0;
	struct task_struct *current = (struct task_struct *)bpf_get_current_task();
	if (app_cgroup(current, cfg) == target)
		return 0;
	if (privileged(current)) {
		count(BORROW_C_PRIVILEGED);
		return 0;
	}
	count(BORROW_C_DENIED);
	emit(child, target, mode);
	return -EPERM;
}

char LICENSE[] SEC("license") = "GPL";
