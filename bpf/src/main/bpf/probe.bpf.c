// SPDX-License-Identifier: GPL-2.0
// A program that allows everything. `wg-pr doctor` attaches it to a scratch
// cgroup to prove that cgroup sock_addr attach really works on this kernel,
// and benchmarks use it as the no-op baseline beside the enforcement programs.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("cgroup/connect4")
int probe_connect4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/connect6")
int probe_connect6(struct bpf_sock_addr *ctx)
{
	return 1;
}

// The no-op baseline beside wgpr_sock_create (bench/enforcement's modes table).
SEC("cgroup/sock_create")
int probe_sock_create(struct bpf_sock *ctx)
{
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
