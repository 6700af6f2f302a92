// SPDX-License-Identifier: GPL-2.0
// Proves that BPF LSM hooks really run on this kernel. `wg-pr doctor` attaches
// this program for a moment, creates one socket, and reads the counter: a
// kernel built with CONFIG_BPF_LSM but without "bpf" in its active LSM list
// loads and attaches the program happily, yet never calls it. The program
// allows everything (returns 0) and only counts.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lsm_probe_hits SEC(".maps");

// int security_socket_create(int family, int type, int protocol, int kern);
// ctx holds the four arguments and the return value so far.
SEC("lsm/socket_create")
int lsm_probe_socket_create(unsigned long long *ctx)
{
	__u32 key = 0;
	__u64 *hits = bpf_map_lookup_elem(&lsm_probe_hits, &key);

	if (hits)
		__sync_fetch_and_add(hits, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
