// SPDX-License-Identifier: GPL-2.0
// wg-pr enforcement: only the apps a peer names may reach its internal prefixes.
// The decision (enforcement/DESIGN.md, "The decision"; dev.wgpr.enforcement.ReferenceModel is the
// specification):
//
//   netns cookie != the tunnel's          -> ALLOW (not our namespace)
//   e = lpm(0, dst); none or !internal    -> ALLOW (external)
//   caller is no app                      -> DENY
//   g = lpm(app, dst) covers (proto, port) -> ALLOW, else DENY
//
// The sock_addr programs ask in a cheaper order with the same answers (see decide()).
//
// Fail closed: once configured, a missing generation denies; a missing apps entry is "no app".
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "enforce.bpf.h"

// <asm/socket.h>'s values on x86 and arm64 (the targets we build for); not included because it
// drags userspace headers into the BPF build.
#define WGPR_SOL_SOCKET 1
#define WGPR_SO_MARK 36

// The few kernel fields the executable check reads, relocated by libbpf against the running kernel's
// BTF (CO-RE), so no vmlinux.h is needed and field moves between kernels do not matter.
struct super_block {
	__u32 s_dev;
} __attribute__((preserve_access_index));

struct inode {
	unsigned long i_ino;
	struct super_block *i_sb;
} __attribute__((preserve_access_index));

struct file {
	struct inode *f_inode;
} __attribute__((preserve_access_index));

struct mm_struct {
	struct file *exe_file;
} __attribute__((preserve_access_index));

struct task_struct {
	struct mm_struct *mm;
} __attribute__((preserve_access_index));

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

// Sizes rather than BTF types: clang 14 emits the pointee types of a struct reachable first through
// the outer map's __array as forward declarations, whose size libbpf cannot determine; whether it
// does depends on the order it visits globals in. key_size/value_size do not depend on BTF.
struct trie {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1); // the template; generations are created by the loader with their own size
	__uint(key_size, sizeof(struct wgpr_key));
	__uint(value_size, sizeof(struct wgpr_value));
	__uint(map_flags, BPF_F_NO_PREALLOC);
};

// An instance of the inner map type, never published (its sizes are what the layout test checks).
struct trie generation_template SEC(".maps");

// Slot 0 holds the current generation's trie; publishing swaps it with one update.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct trie);
} generations SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wgpr_config);
} config SEC(".maps");

// cgroup id of <cgroup2>/<instance>/<app> -> app id
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} apps SEC(".maps");

// The internal hints, WGPR_HINT_WORDS words (enforce.bpf.h). An array: its lookups are inlined loads.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WGPR_HINT_WORDS);
	__type(key, __u32);
	__type(value, __u32);
} internal_hint SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WGPR_APP_SLOTS);
	__type(key, __u32);
	__type(value, struct wgpr_app_slot);
} app_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WGPR_C_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WGPR_TUNNEL_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} tunnels SEC(".maps");

// The executables of each app whose grants are bound to them ({app, dev, ino} -> 1). Not part of a
// generation: the loader adds an app's files before the generation that binds its grants is published,
// and the launcher adds what it starts before the process runs.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct wgpr_exec_key);
	__type(value, __u8);
} app_execs SEC(".maps");

// Deny events for the daemon's log: 256 KiB hold some 2,700 (96 bytes each with the ring's header), far
// more than come between two reads of the daemon's reader; a flood beyond that is counted as lost, never
// blocks a hook. The reader maps the data pages twice (the ring wraps), so each KiB here is 2 KiB of its RSS.
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} events SEC(".maps");

static __always_inline void count(__u32 index)
{
	__u64 *counter = bpf_map_lookup_elem(&counters, &index);
	if (counter)
		*counter += 1;
}

// Which sources had events lately; LRU, so a flood over many sources forgets the oldest, never fails.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct wgpr_event_source);
	__type(value, struct wgpr_event_window);
} event_sources SEC(".maps");

// 1 = emit the deny event of this source now; 0 = it had its share of this second (counted). Racy
// between CPUs by design: at worst a few more than the share get through.
static __always_inline int event_due(__u64 cgroup_id, const __u32 *addr, __u16 port, __u8 protocol, __u8 hook)
{
	struct wgpr_event_source source = {
		.cgroup_id = cgroup_id,
		.addr = {addr[0], addr[1], addr[2], addr[3]},
		.port = port,
		.protocol = protocol,
		.hook = hook,
	};
	__u64 now = bpf_ktime_get_ns();
	struct wgpr_event_window *window = bpf_map_lookup_elem(&event_sources, &source);
	if (!window || now - window->start_ns >= WGPR_EVENT_WINDOW_NS) {
		struct wgpr_event_window fresh = {.start_ns = now, .emitted = 1};
		bpf_map_update_elem(&event_sources, &source, &fresh, BPF_ANY);
		return 1;
	}
	if (window->emitted >= WGPR_EVENTS_PER_SOURCE) {
		count(WGPR_C_EVENTS_SUPPRESSED);
		return 0;
	}
	window->emitted += 1;
	return 1;
}

// Who wrote to a UDP port through a tunnel, where the incoming setting let it in: (remote address,
// remote port, local port) -> the time of its last datagram. A UDP socket's send that only the incoming
// setting opens (no grant covers it) must answer one of these: without it, "all" would let every process
// send UDP to every internal host, and an app's listen port reach any port of its grant prefixes. Keyed
// by the local port, not the socket, so that a server's per-client socket connected on its port answers
// too. LRU: a flood of writers forgets the oldest, whose answers are refused, never others' data.
struct wgpr_asker {
	__u32 addr[4];
	__u16 remote_port;
	__u16 local_port;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct wgpr_asker);
	__type(value, __u64);
} askers SEC(".maps");

// As long as the kernel's conntrack keeps an assured UDP flow: an answer later than this is a new send.
#define WGPR_ASKER_TTL_NS (180ULL * 1000000000ULL)

// The askers key of the remote (addr, remote_port) writing to local_port.
static __always_inline struct wgpr_asker asker_of(const __u32 *addr, __u16 remote_port, __u16 local_port)
{
	struct wgpr_asker asker = {
		.addr = {addr[0], addr[1], addr[2], addr[3]},
		.remote_port = remote_port,
		.local_port = local_port,
	};
	return asker;
}

static __always_inline void remember_asker(const __u32 *addr, __u16 remote_port, __u16 local_port)
{
	struct wgpr_asker asker = asker_of(addr, remote_port, local_port);
	__u64 now = bpf_ktime_get_ns();
	bpf_map_update_elem(&askers, &asker, &now, BPF_ANY);
}

// 1 = the remote (addr, remote_port) wrote to local_port within WGPR_ASKER_TTL_NS.
static __always_inline int asked_by(const __u32 *addr, __u16 remote_port, __u16 local_port)
{
	struct wgpr_asker asker = asker_of(addr, remote_port, local_port);
	__u64 *seen = bpf_map_lookup_elem(&askers, &asker);
	return seen && bpf_ktime_get_ns() - *seen < WGPR_ASKER_TTL_NS;
}

static __always_inline int range_covers(const struct wgpr_range *ranges, __u8 n, __u16 port)
{
	// Sorted and disjoint: stop at the first range that starts above the port.
	for (int i = 0; i < WGPR_MAX_RANGES; i++) {
		if (i >= n)
			return 0;
		if (port < ranges[i].first)
			return 0;
		if (port <= ranges[i].last)
			return 1;
	}
	return 0;
}

static __always_inline int grant_covers(const struct wgpr_value *grant, __u8 proto, __u16 port)
{
	if (proto == WGPR_PROTO_TCP)
		return range_covers(grant->tcp, grant->n_tcp, port);
	if (proto == WGPR_PROTO_UDP)
		return range_covers(grant->udp, grant->n_udp, port);
	return (grant->flags & WGPR_PORTLESS) != 0;
}

// 1 = the tunnel's incoming setting opens the socket of `app` (0: no app) on `local_port` to the remote
// address in `remote` (enforcement/DESIGN.md, "Incoming"): the remote's app-0 entry names its tunnel's
// setting (WireGuard delivers only sources in the sending peer's allowedIPs); "all" opens every socket;
// "apps" an app's listen port, to the remotes some grant prefix of the app holds (whatever its ports);
// "none", or a remote no internal entry holds, nothing. Asked for what arrives at a listener, and for its
// answers on their way out (the backstop, a UDP listener's sendto).
static __always_inline int incoming_opens(void *trie, const struct wgpr_key *remote, __u32 app, __u8 proto,
					  __u16 local_port)
{
	struct wgpr_key key = *remote;
	key.prefixlen = 32 + 128;
	key.app = 0;
	struct wgpr_value *from = bpf_map_lookup_elem(trie, &key);
	if (!from || !(from->flags & WGPR_INTERNAL) || (from->flags & WGPR_INCOMING_NONE))
		return 0;
	if (from->flags & WGPR_INCOMING_ALL)
		return 1;
	if (app == 0 || proto == WGPR_PROTO_OTHER)
		return 0;
	key.app = app | WGPR_LISTEN_KEY;
	struct wgpr_value *listen = bpf_map_lookup_elem(trie, &key);
	if (!listen)
		return 0;
	if (!grant_covers(listen, proto, local_port))
		return 0;
	key.app = app;
	return bpf_map_lookup_elem(trie, &key) != NULL;
}

static __always_inline __u8 classify(__u32 protocol)
{
	switch (protocol) {
	case IPPROTO_TCP:
	case IPPROTO_MPTCP:
		return WGPR_PROTO_TCP;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		return WGPR_PROTO_UDP;
	default:
		return WGPR_PROTO_OTHER;
	}
}

static __always_inline void emit(struct wgpr_key *key, __u32 app, __u16 peer, __u16 port, __u8 proto,
				 __u32 ip_protocol, __u8 hook, __u8 reason, __u8 family)
{
	if (!event_due(bpf_get_current_cgroup_id(), key->addr, port, proto, hook))
		return;
	struct wgpr_event *event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
	if (!event) {
		count(WGPR_C_EVENTS_LOST);
		return;
	}
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();
	event->time_ns = bpf_ktime_get_ns();
	event->cgroup_id = bpf_get_current_cgroup_id();
	event->pid = pid_tgid >> 32;
	event->tid = (__u32)pid_tgid;
	event->uid = (__u32)uid_gid;
	event->gid = uid_gid >> 32;
	event->app = app;
	event->peer = peer;
	event->port = port;
	event->protocol = proto;
	event->hook = hook;
	event->reason = reason;
	event->family = family;
	event->ip_protocol = ip_protocol;
	event->addr[0] = key->addr[0];
	event->addr[1] = key->addr[1];
	event->addr[2] = key->addr[2];
	event->addr[3] = key->addr[3];
	bpf_get_current_comm(event->comm, sizeof(event->comm));
	bpf_ringbuf_submit(event, 0);
}

// The app of cgroup id `id`, 0 when it is no app cgroup.
static __always_inline __u32 app_of(const struct wgpr_config *cfg, __u64 id)
{
	__u32 slot = (__u32)id & WGPR_APP_SLOT_MASK;
	struct wgpr_app_slot *s = bpf_map_lookup_elem(&app_slots, &slot);
	if (s && s->cgroup_id == id)
		return s->app;
	slot = (__u32)(id >> WGPR_APP_SLOT_SHIFT) & WGPR_APP_SLOT_MASK;
	s = bpf_map_lookup_elem(&app_slots, &slot);
	if (s && s->cgroup_id == id)
		return s->app;
	if (cfg->flags & WGPR_CFG_APPS_OVERFLOW) {
		__u32 *app = bpf_map_lookup_elem(&apps, &id);
		return app ? *app : 0;
	}
	return 0;
}

// The app of the calling process's cgroup `own` when that is below an app cgroup (descendants of an
// app's cgroup count as the app), else 0. Most callers are nowhere near the instance: one helper tells
// them apart before any app_slots line is touched. Only <instance>/<app> ids are registered, and cgroup
// ids are unique, so a hit proves the subtree.
static __always_inline __u32 app_above(const struct wgpr_config *cfg, __u64 own)
{
	if (bpf_get_current_ancestor_cgroup_id((int)cfg->instance_level) != cfg->instance_cgroup)
		return 0;
	__u64 ancestor = bpf_get_current_ancestor_cgroup_id((int)cfg->instance_level + 1);
	if (ancestor == 0 || ancestor == own)
		return 0;
	return app_of(cfg, ancestor);
}

// 1 = the calling process runs one of `app`'s executables: its mm's exe_file, the file the kernel
// executed (through a script's interpreter: the interpreter), is one the loader or launcher listed. A
// shell, a helper or a memfd that an app's process executes is none of them, whatever cgroup it is in.
static __always_inline int runs_executable_of(__u32 app)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mm_struct *mm = task->mm;
	if (!mm)
		return 0;
	struct file *exe = mm->exe_file;
	if (!exe)
		return 0;
	struct inode *inode = exe->f_inode;
	struct wgpr_exec_key key = {.app = app, .dev = inode->i_sb->s_dev, .ino = inode->i_ino};
	return bpf_map_lookup_elem(&app_execs, &key) != NULL;
}

// 0 = no entry of hint `layer` (WGPR_HINT_*) covers the destination in `addr` (IPv4 as ::ffff:a.b.c.d)
// in any generation a program may be using; 1 = one may: ask the trie.
static __always_inline int hinted(__u32 layer, const __u32 *addr)
{
	__u32 index;
	if (addr[0] == 0 && addr[1] == 0 && addr[2] == bpf_htonl(0x0000ffff))
		index = bpf_ntohl(addr[3]) >> 16;
	else
		index = (bpf_ntohl(addr[0]) >> 16) + WGPR_HINT_WORDS_PER_FAMILY * 32;
	__u32 word = layer * WGPR_HINT_WORDS_PER_LAYER + (index >> 5);
	__u32 *bits = bpf_map_lookup_elem(&internal_hint, &word);
	return !bits || (*bits & (1u << (index & 31))) != 0;
}

#define GRANT_NONE 0
#define GRANT_ALLOWED 1
#define GRANT_FOREIGN_EXEC 2 // covered, but the grant is bound to executables the caller does not run

// Whether the grant of `app` covers the destination in `key` for (proto, port), for this process.
static __always_inline int granted(void *trie, struct wgpr_key *key, __u32 app, __u8 proto, __u16 port)
{
	key->app = app;
	struct wgpr_value *grant = bpf_map_lookup_elem(trie, key);
	if (!grant || !grant_covers(grant, proto, port))
		return GRANT_NONE;
	if ((grant->flags & WGPR_EXEC_BOUND) && !runs_executable_of(app))
		return GRANT_FOREIGN_EXEC;
	return GRANT_ALLOWED;
}

// An app's socket never carries the steering's mark: wgpr_sock_create marks only excluded apps' and
// non-apps' sockets. One that does was handed to such a process, which went around the tunnel with it
// and so had it marked (the around path of decide): left so, the app's granted traffic would leave by
// the underlay, in clear. An allowed attempt of an app clears the mark. A connect routes after this
// hook, so clearing is enough; an unconnected send has read the socket's mark before the hook ran, so
// that one datagram is refused (DENY_APP_MARKED) and the app's next goes through the tunnel. Returns 1
// when the attempt must be refused.
static __always_inline int app_socket_marked(struct bpf_sock_addr *ctx, struct wgpr_config *cfg, __u8 hook)
{
	if (cfg->bypass_mark == 0)
		return 0;
	struct bpf_sock *sk = ctx->sk;
	if (!sk || sk->mark != cfg->bypass_mark)
		return 0;
	int unmarked = 0;
	bpf_setsockopt(ctx, WGPR_SOL_SOCKET, WGPR_SO_MARK, &unmarked, sizeof(unmarked));
	return hook == WGPR_HOOK_SENDMSG4 || hook == WGPR_HOOK_SENDMSG6;
}

// An app's granted attempt: allowed, unless its socket carried the steering's mark (above).
static __always_inline int allow_granted(struct bpf_sock_addr *ctx, struct wgpr_config *cfg, struct wgpr_key *key,
					 __u32 app, __u16 port, __u8 proto, __u32 ip_protocol, __u8 hook, __u8 family)
{
	if (app_socket_marked(ctx, cfg, hook)) {
		count(WGPR_C_DENY_APP_MARKED);
		emit(key, app, 0, port, proto, ip_protocol, hook, WGPR_C_DENY_APP_MARKED, family);
		return 0;
	}
	count(WGPR_C_ALLOW_INTERNAL);
	return 1;
}

// 1 = allow, 0 = deny. The key holds the destination (prefixlen and app are set here).
//
// Order of work, chosen by measurement (bench/enforcement; enforcement/DESIGN.md, "Cost"). A run's cost
// is mostly the cache lines it touches (TCP connects between runs evict them), so each path touches as
// few as it can, and every answer that holds in any namespace comes before the namespace check:
//
// - The internal hint first (one inlined load): a destination it proves external is ALLOWED, for any
//   caller in any namespace, which is what the model answers there. Most connects of a machine end here.
// - The caller's own cgroup (one helper, then one or two inlined app_slots loads): the launcher puts
//   app processes directly in their app cgroup. An app whose grant covers the destination is ALLOWED
//   after one trie lookup: the model allows it in any namespace (ours: granted, or external; another:
//   not judged).
// - The internal set decides external (ALLOW; the hint only proves it for most destinations).
// - Only for an internal destination and a caller that is not directly in an app cgroup: the app
//   cgroup above it, if any (app_above).
// - Going around (a non-app to a bypass prefix, an excluded app to a prefix it goes around) is ALLOWED
//   in any namespace: a socket that carries the mark already needs nothing more. When the hint proves
//   that no prefix the caller would be denied covers the destination (a bypass full tunnel: all of
//   them), that answer comes before the trie.
// - Everything that may still change a socket or end in a deny is for the tunnel's namespace only.
//
// The same answers as the specification's order (the differential test holds it to the model); the
// counters differ in that the answers given before the namespace check count as in the tunnel's
// namespace (external, a granted app, going around on a marked socket) where the model says "another".
static __always_inline int decide(struct bpf_sock_addr *ctx, struct wgpr_key *key, __u8 hook, __u8 family)
{
	__u32 zero = 0;
	struct wgpr_config *cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg || cfg->netns_cookie == 0) {
		count(WGPR_C_UNCONFIGURED);
		return 1;
	}
	// Without a generation nothing is proven external: fail closed below.
	void *trie = bpf_map_lookup_elem(&generations, &zero);
	if (trie && !hinted(WGPR_HINT_ANY, key->addr)) {
		count(WGPR_C_EXTERNAL);
		return 1;
	}

	__u32 ip_protocol = ctx->protocol;
	__u8 proto = classify(ip_protocol);
	__u16 port = proto == WGPR_PROTO_OTHER ? 0 : bpf_ntohs((__u16)ctx->user_port);
	key->prefixlen = 32 + 128;

	__u64 own = bpf_get_current_cgroup_id();
	__u32 app = own ? app_of(cfg, own) : 0;
	int grant = GRANT_NONE;
	// An excluded app has no grants (it never uses a tunnel): no lookup for it.
	if (app != 0 && !(app & WGPR_APP_EXCLUDED) && trie) {
		grant = granted(trie, key, app, proto, port);
		if (grant == GRANT_ALLOWED)
			return allow_granted(ctx, cfg, key, app, port, proto, ip_protocol, hook, family);
	}

	// Going around on a socket that carries the mark already (marked at birth): ALLOWED in any
	// namespace, with nothing to change, when no prefix it would be denied covers the destination.
	__u32 above = 0; // the app above the caller's own cgroup (app_above), once asked
	int above_known = 0;
	if (trie && cfg->bypass_mark != 0) {
		struct bpf_sock *sk = ctx->sk;
		if (sk && sk->mark == cfg->bypass_mark) {
			if (app == 0 && own != 0) {
				above = app_above(cfg, own);
				above_known = 1;
			}
			__u32 caller = app != 0 ? app : above;
			if ((caller == 0 && (cfg->flags & WGPR_CFG_MARK_OTHERS) && !hinted(WGPR_HINT_OTHERS, key->addr)) ||
			    ((caller & WGPR_APP_EXCLUDED) && !hinted(WGPR_HINT_EXCLUDED, key->addr))) {
				count(WGPR_C_BYPASSED);
				return 1;
			}
		}
	}

	if (!trie) {
		if (bpf_get_netns_cookie(ctx) != cfg->netns_cookie) {
			count(WGPR_C_OTHER_NETNS);
			return 1;
		}
		count(WGPR_C_DENY_NO_POLICY);
		emit(key, 0, 0, port, proto, ip_protocol, hook, WGPR_C_DENY_NO_POLICY, family);
		return 0;
	}

	key->app = 0;
	struct wgpr_value *internal = bpf_map_lookup_elem(trie, key);
	if (!internal || !(internal->flags & WGPR_INTERNAL)) {
		count(WGPR_C_EXTERNAL);
		return 1;
	}

	if (app == 0 && own != 0) {
		app = above_known ? above : app_above(cfg, own);
		if (app != 0) {
			grant = granted(trie, key, app, proto, port);
			if (grant == GRANT_ALLOWED)
				return allow_granted(ctx, cfg, key, app, port, proto, ip_protocol, hook, family);
		}
		key->app = 0;
	}
	int around = 0;
	if (app == 0)
		around = (internal->flags & WGPR_BYPASS) && (cfg->flags & WGPR_CFG_MARK_OTHERS);
	else if (app & WGPR_APP_EXCLUDED)
		around = (internal->flags & WGPR_AROUND_EXCLUDED) != 0;
	if (around && cfg->bypass_mark != 0) {
		// A non-app's traffic to a bypass tunnel's prefix, or an excluded app's to a prefix it goes
		// around, takes the underlay. Its socket is normally marked since sock_create (reading the
		// mark is a load, and the answer is ALLOW in any namespace). One made before the mark was
		// configured is marked here, in the tunnel's namespace only, before routing runs (probed on
		// 6.18: the very connect/sendmsg takes the marked route; bpf_setsockopt takes the socket's
		// option path, about 60 ns). Without the mark's rule in force (bypass_mark 0) it would route
		// into the tunnel: denied below.
		struct bpf_sock *sk = ctx->sk;
		__u32 socket_mark = sk ? sk->mark : 0;
		if (socket_mark == cfg->bypass_mark) {
			count(WGPR_C_BYPASSED);
			return 1;
		}
		if (bpf_get_netns_cookie(ctx) != cfg->netns_cookie) {
			count(WGPR_C_OTHER_NETNS);
			return 1;
		}
		if (socket_mark == (cfg->bypass_mark | WGPR_APP_SOCKET_MARK)) {
			// An app's socket, handed over: marked for the underlay it would carry the app's own
			// traffic there in clear afterwards (a connected UDP socket's sends pass no hook).
			count(WGPR_C_DENY_APP_SOCKET);
			emit(key, app, internal->peer, port, proto, ip_protocol, hook, WGPR_C_DENY_APP_SOCKET, family);
			return 0;
		}
		int mark = (int)cfg->bypass_mark;
		bpf_setsockopt(ctx, WGPR_SOL_SOCKET, WGPR_SO_MARK, &mark, sizeof(mark));
		count(WGPR_C_BYPASSED);
		return 1;
	}
	if (bpf_get_netns_cookie(ctx) != cfg->netns_cookie) {
		count(WGPR_C_OTHER_NETNS);
		return 1;
	}
	// A UDP listener's answer (sendto the peer that wrote to it; a connect of a per-client socket on the
	// listen port): where the tunnel's incoming setting opens the socket, to a remote whose datagram
	// wgpr_inbound let in (asked_by). Not TCP: an accepted connection passes no hook, and a connect from a listen port
	// would reach ports no grant covers.
	struct bpf_sock *own_sk = ctx->sk;
	if (proto == WGPR_PROTO_UDP && own_sk && incoming_opens(trie, key, app, proto, (__u16)own_sk->src_port) &&
	    asked_by(key->addr, port, (__u16)own_sk->src_port)) {
		count(WGPR_C_ALLOW_INTERNAL);
		return 1;
	}
	__u8 reason = WGPR_C_DENY_NO_GRANT;
	if (app == 0)
		reason = WGPR_C_DENY_NO_APP;
	else if (grant == GRANT_FOREIGN_EXEC)
		reason = WGPR_C_DENY_FOREIGN_EXEC;
	count(reason);
	emit(key, app, internal->peer, port, proto, ip_protocol, hook, reason, family);
	return 0;
}

static __always_inline int decide4(struct bpf_sock_addr *ctx, __u8 hook)
{
	struct wgpr_key key = {};
	key.addr[2] = bpf_htonl(0x0000ffff);
	key.addr[3] = ctx->user_ip4;
	return decide(ctx, &key, hook, 4);
}

static __always_inline int decide6(struct bpf_sock_addr *ctx, __u8 hook)
{
	struct wgpr_key key = {};
	key.addr[0] = ctx->user_ip6[0];
	key.addr[1] = ctx->user_ip6[1];
	key.addr[2] = ctx->user_ip6[2];
	key.addr[3] = ctx->user_ip6[3];
	return decide(ctx, &key, hook, 6);
}

// Marks at birth every inet socket (TCP, UDP, raw, ICMP) of an excluded app while the steering is in
// force, and of a process that is no app while some tunnel's others bypass it, so that its traffic to a bypass tunnel's prefixes takes the underlay table
// (enforcement/DESIGN.md, "Modes"). Marking every non-app socket, not only those bound for a bypass
// prefix, is what routing needs: the destination is not known yet, and the mark only matters to the
// instance's fwmark rule, whose table routes as if no tunnel were up (deny tunnels' prefixes are
// denied by the sock_addr hooks first). An app's socket gets the app-socket mark (WGPR_APP_SOCKET_MARK),
// which no rule routes, so that one handed to a process that goes around is told apart from a socket made
// before the steering began. Never refuses a socket.
SEC("cgroup/sock_create")
int wgpr_sock_create(struct bpf_sock *ctx)
{
	__u32 zero = 0;
	struct wgpr_config *cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg || cfg->bypass_mark == 0 || cfg->netns_cookie == 0)
		return 1;
	if (bpf_get_netns_cookie(ctx) != cfg->netns_cookie)
		return 1;
	__u64 own = bpf_get_current_cgroup_id();
	if (own == 0)
		return 1;
	__u32 app = app_of(cfg, own);
	if (app == 0)
		app = app_above(cfg, own);
	if ((app & WGPR_APP_EXCLUDED) || (app == 0 && (cfg->flags & WGPR_CFG_MARK_OTHERS)))
		ctx->mark = cfg->bypass_mark;
	else if (app != 0)
		ctx->mark = cfg->bypass_mark | WGPR_APP_SOCKET_MARK;
	return 1;
}

SEC("cgroup/connect4")
int wgpr_connect4(struct bpf_sock_addr *ctx)
{
	return decide4(ctx, WGPR_HOOK_CONNECT4);
}

SEC("cgroup/connect6")
int wgpr_connect6(struct bpf_sock_addr *ctx)
{
	return decide6(ctx, WGPR_HOOK_CONNECT6);
}

SEC("cgroup/sendmsg4")
int wgpr_sendmsg4(struct bpf_sock_addr *ctx)
{
	return decide4(ctx, WGPR_HOOK_SENDMSG4);
}

SEC("cgroup/sendmsg6")
int wgpr_sendmsg6(struct bpf_sock_addr *ctx)
{
	return decide6(ctx, WGPR_HOOK_SENDMSG6);
}

// ---- Layer 2: the tc-egress backstop on the tunnel device ----------------------------------------
//
// Every packet about to enter the tunnel is judged by the cgroup of the socket that sent it
// (bpf_skb_ancestor_cgroup_id: the socket's cgroup, set when the socket was created), against the
// same current generation. On the tunnel every destination is "internal" by definition (the model:
// internal = what leaves through the tunnel), so the exclusion entries do not apply here: a packet
// that reached the tunnel through SO_BINDTODEVICE or IP_PKTINFO toward an excluded address is still
// judged by the sender's grants. Packets without a socket (forwarded) pass only when the generation
// allows forwarding. Protocols without ports (ICMP, ICMPv6, anything but TCP/UDP) and non-first
// fragments are judged as "protocol without ports". Anything unreadable is dropped (fail closed).

#define WGPR_IPV6_MAX_EXT 6
#define WGPR_ICMP_ECHO 8
#define WGPR_ICMPV6_ECHO_REQUEST 128

struct packet {
	struct wgpr_key key; // the remote address: destination out, source in; ::ffff:a.b.c.d for IPv4
	__u32 ip_protocol;
	__u16 port;       // the remote port (what a grant covers)
	__u16 local_port; // the socket's own port: where it arrives in, where it leaves from out
	__u8 proto;
	__u8 family;
	__u8 echo_request; // an ICMP or ICMPv6 echo request: a question, never an answer
};

// 0 = parsed, -1 = unreadable. `inbound`: the remote end is the source (else the destination).
static __always_inline int parse(struct __sk_buff *skb, struct packet *pkt, int inbound)
{
	__u32 l4 = 0;
	int first_fragment = 1;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;
		if (bpf_skb_load_bytes_relative(skb, 0, &ip, sizeof(ip), BPF_HDR_START_NET))
			return -1;
		pkt->family = 4;
		pkt->key.addr[2] = bpf_htonl(0x0000ffff);
		pkt->key.addr[3] = inbound ? ip.saddr : ip.daddr;
		pkt->ip_protocol = ip.protocol;
		l4 = (__u32)ip.ihl * 4;
		if (l4 < sizeof(ip))
			return -1;
		if (ip.frag_off & bpf_htons(0x1fff))
			first_fragment = 0;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;
		if (bpf_skb_load_bytes_relative(skb, 0, &ip6, sizeof(ip6), BPF_HDR_START_NET))
			return -1;
		pkt->family = 6;
		if (inbound)
			__builtin_memcpy(pkt->key.addr, &ip6.saddr, 16);
		else
			__builtin_memcpy(pkt->key.addr, &ip6.daddr, 16);
		__u8 next = ip6.nexthdr;
		l4 = sizeof(ip6);
		for (int i = 0; i < WGPR_IPV6_MAX_EXT; i++) {
			if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING && next != IPPROTO_DSTOPTS &&
			    next != IPPROTO_FRAGMENT)
				break;
			__u8 ext[4];
			if (bpf_skb_load_bytes_relative(skb, l4, ext, sizeof(ext), BPF_HDR_START_NET))
				return -1;
			if (next == IPPROTO_FRAGMENT) {
				// offset: the high 13 bits of bytes 2..3
				if (((ext[2] << 8) | ext[3]) & 0xfff8)
					first_fragment = 0;
				l4 += 8;
			} else {
				l4 += ((__u32)ext[1] + 1) * 8;
			}
			next = ext[0];
		}
		if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS ||
		    next == IPPROTO_FRAGMENT)
			return -1; // more extension headers than we read: judge nothing we cannot see
		pkt->ip_protocol = next;
	} else {
		return -1;
	}
	pkt->proto = classify(pkt->ip_protocol);
	pkt->port = 0;
	if (first_fragment && (pkt->ip_protocol == IPPROTO_ICMP || pkt->ip_protocol == IPPROTO_ICMPV6)) {
		__u8 type;
		if (bpf_skb_load_bytes_relative(skb, l4, &type, sizeof(type), BPF_HDR_START_NET))
			return -1;
		pkt->echo_request = pkt->ip_protocol == IPPROTO_ICMP ? type == WGPR_ICMP_ECHO : type == WGPR_ICMPV6_ECHO_REQUEST;
	}
	if (pkt->proto != WGPR_PROTO_OTHER) {
		if (!first_fragment) {
			pkt->proto = WGPR_PROTO_OTHER; // no ports to judge: only a portless grant covers it
			return 0;
		}
		__be16 ports[2];
		if (bpf_skb_load_bytes_relative(skb, l4, ports, sizeof(ports), BPF_HDR_START_NET))
			return -1;
		pkt->port = bpf_ntohs(ports[inbound ? 0 : 1]);
		pkt->local_port = bpf_ntohs(ports[inbound ? 1 : 0]);
	}
	return 0;
}

// The deny event of a packet the backstop or the inbound judgement dropped. The remote address, and
// the remote port out (WGPR_HOOK_TUNNEL) or the local port in (WGPR_HOOK_INBOUND). The socket's cgroup
// and owner are exact (none without a socket: forwarded). No pid or comm: tc programs may not call
// bpf_get_current_comm on any kernel, nor bpf_get_current_pid_tgid before 6.10 (Debian 12's 6.1 and
// 6.12 refuse the whole object), and the task running then is not the sender or receiver anyway
// (softirq, retransmissions from timers). The daemon names the app by the cgroup.
static __always_inline void emit_packet(struct __sk_buff *skb, struct packet *pkt, __u32 app, __u8 reason,
					__u8 hook, int has_socket)
{
	__u16 port = hook == WGPR_HOOK_INBOUND ? pkt->local_port : pkt->port;
	__u64 cgroup_id = has_socket ? bpf_skb_cgroup_id(skb) : 0;
	if (!event_due(cgroup_id, pkt->key.addr, port, pkt->proto, hook))
		return;
	struct wgpr_event *event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
	if (!event) {
		count(WGPR_C_EVENTS_LOST);
		return;
	}
	event->time_ns = bpf_ktime_get_ns();
	event->app = app;
	event->peer = 0;
	event->port = port;
	event->protocol = pkt->proto;
	event->hook = hook;
	event->reason = reason;
	event->family = pkt->family;
	event->ip_protocol = pkt->ip_protocol;
	event->addr[0] = pkt->key.addr[0];
	event->addr[1] = pkt->key.addr[1];
	event->addr[2] = pkt->key.addr[2];
	event->addr[3] = pkt->key.addr[3];
	event->cgroup_id = cgroup_id;
	event->uid = has_socket ? bpf_get_socket_uid(skb) : 0xffffffffu;
	event->gid = 0xffffffffu;
	event->pid = 0;
	event->tid = 0;
	__builtin_memset(event->comm, 0, sizeof(event->comm));
	bpf_ringbuf_submit(event, 0);
}

// The app of a packet's socket: the app cgroup its cgroup is in or below (one level below the instance),
// else its own cgroup when that is registered as an app, as decide() takes the caller's own cgroup first:
// the daemon's own leaf is registered so, with grants to exactly the tunnel's DNS servers on port 53.
static __always_inline __u32 socket_app(struct __sk_buff *skb, struct wgpr_config *cfg)
{
	__u64 app_cgroup = bpf_skb_ancestor_cgroup_id(skb, (int)cfg->instance_level + 1);
	__u32 app = app_cgroup ? app_of(cfg, app_cgroup) : 0;
	if (app == 0) {
		__u64 own = bpf_skb_cgroup_id(skb);
		if (own != 0 && own != app_cgroup)
			app = app_of(cfg, own);
	}
	return app;
}

static __always_inline int tunnel_deny(struct __sk_buff *skb, struct packet *pkt, __u32 app, __u8 reason,
				       int has_socket)
{
	count(reason);
	emit_packet(skb, pkt, app, reason, WGPR_HOOK_TUNNEL, has_socket);
	return TC_ACT_SHOT;
}

SEC("tc")
int wgpr_tunnel_egress(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct packet pkt = {};
	if (parse(skb, &pkt, 0))
		return tunnel_deny(skb, &pkt, 0, WGPR_C_DENY_MALFORMED, skb->sk != 0);

	struct wgpr_config *cfg = bpf_map_lookup_elem(&config, &zero);
	void *trie = bpf_map_lookup_elem(&generations, &zero);
	if (!cfg || cfg->netns_cookie == 0 || !trie)
		return tunnel_deny(skb, &pkt, 0, WGPR_C_DENY_NO_POLICY, skb->sk != 0);

	if (!skb->sk) {
		// Forwarded (or otherwise socketless): the generation says whether forwarding is allowed.
		struct wgpr_key gen = {.prefixlen = 32 + 128, .app = WGPR_GENERATION_APP};
		struct wgpr_value *flags = bpf_map_lookup_elem(trie, &gen);
		if (flags && (flags->flags & WGPR_FORWARD)) {
			count(WGPR_C_TUNNEL_PASS);
			return TC_ACT_UNSPEC;
		}
		return tunnel_deny(skb, &pkt, 0, WGPR_C_DENY_FORWARDED, 0);
	}

	__u32 app = socket_app(skb, cfg);
	if (app != 0) {
		pkt.key.prefixlen = 32 + 128;
		pkt.key.app = app;
		struct wgpr_value *grant = bpf_map_lookup_elem(trie, &pkt.key);
		if (grant && grant_covers(grant, pkt.proto, pkt.port)) {
			count(WGPR_C_TUNNEL_PASS);
			return TC_ACT_UNSPEC; // on to any further filter; the default passes
		}
	}
	// The answers of a socket the incoming setting opens: a SYN-ACK from the app's port 8080 to the peer's
	// ephemeral port, which no grant covers; in "all" any socket's, the kernel's echo replies included.
	// Answers only: a UDP datagram to a remote that wrote to its port, never an echo request (a ping
	// socket's). TCP needs no more: a connect is judged by its hook, and accepting passes none.
	if (incoming_opens(trie, &pkt.key, app, pkt.proto, pkt.local_port) && !pkt.echo_request &&
	    (pkt.proto != WGPR_PROTO_UDP || asked_by(pkt.key.addr, pkt.port, pkt.local_port))) {
		count(WGPR_C_TUNNEL_PASS);
		return TC_ACT_UNSPEC;
	}
	return tunnel_deny(skb, &pkt, app, app == 0 ? WGPR_C_DENY_NO_APP : WGPR_C_DENY_NO_GRANT, 1);
}

// ---- Layer 3: inbound, what arrives through a tunnel --------------------------------------------
//
// No sock_addr hook sees a packet that arrives: a connection accepted from the tunnel, a datagram to a
// bound socket, an echo reply to a ping socket. Two programs judge it together, since no hook sees
// both the device a packet came through and the socket it is for, in every kernel we support:
//
// - wgpr_tunnel_tag, on each tunnel device's tc ingress, marks every packet routing delivers here
//   with the instance's tag in tc_index (unused by anything else on a WireGuard device; not settable
//   by an unprivileged process); a packet routing forwards (to a container or VM behind this host)
//   is not tagged, and is dropped unless the generation allows forwarding;
// - wgpr_inbound, cgroup_skb ingress at the cgroup2 root, runs when a tagged packet is about to be
//   queued on a socket (TCP: before a SYN reaches a listener), and judges it by the socket's cgroup:
//   an app's socket: ALLOW when one of its grants covers the remote end (source address, protocol,
//   source port), which is what the app's own connections and datagrams get back; else ALLOW where the
//   tunnel's incoming setting opens the socket (incoming_opens); else DENY (a listener: LISTENING).
//
// Packets for no socket get the kernel's answer (RST, ICMP), which the backstop drops on its way out.

static __always_inline int inbound_deny(struct __sk_buff *skb, struct packet *pkt, __u32 app, __u8 reason)
{
	count(reason);
	emit_packet(skb, pkt, app, reason, WGPR_HOOK_INBOUND, skb->sk != 0);
	return 0;
}

#define WGPR_AF_INET 2
#define WGPR_AF_INET6 10

// 1 = routing forwards the packet through this host (it is delivered to no local socket). The tag
// stays on a packet across namespaces (veth does not scrub tc_index), so a forwarded one must not
// carry it: the container or VM it is for would be judged as if it were in this namespace.
static __always_inline int forwarded(struct __sk_buff *skb)
{
	struct bpf_fib_lookup fib = {};
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;
		if (bpf_skb_load_bytes_relative(skb, 0, &ip, sizeof(ip), BPF_HDR_START_NET))
			return 0; // unreadable: tagged, and wgpr_inbound drops it as malformed
		fib.family = WGPR_AF_INET;
		fib.tos = ip.tos;
		fib.l4_protocol = ip.protocol;
		fib.tot_len = bpf_ntohs(ip.tot_len);
		fib.ipv4_src = ip.saddr;
		fib.ipv4_dst = ip.daddr;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;
		if (bpf_skb_load_bytes_relative(skb, 0, &ip6, sizeof(ip6), BPF_HDR_START_NET))
			return 0;
		fib.family = WGPR_AF_INET6;
		fib.l4_protocol = ip6.nexthdr;
		fib.tot_len = bpf_ntohs(ip6.payload_len) + sizeof(ip6);
		__builtin_memcpy(fib.ipv6_src, &ip6.saddr, 16);
		__builtin_memcpy(fib.ipv6_dst, &ip6.daddr, 16);
	} else {
		return 0;
	}
	fib.ifindex = skb->ifindex;
	long route = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	// Local, broadcast, no route, forwarding disabled on the tunnel: not forwarded.
	return route == BPF_FIB_LKUP_RET_SUCCESS || route == BPF_FIB_LKUP_RET_NO_NEIGH ||
	       route == BPF_FIB_LKUP_RET_FRAG_NEEDED;
}

SEC("tc")
int wgpr_tunnel_tag(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct wgpr_config *cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg || cfg->inbound_tag == 0)
		return TC_ACT_SHOT; // fail closed: an untagged packet would pass wgpr_inbound unjudged
	if (forwarded(skb)) {
		// Toward a container, VM or host behind this one: only where the policy allows forwarding.
		void *trie = bpf_map_lookup_elem(&generations, &zero);
		struct wgpr_key gen = {.prefixlen = 32 + 128, .app = WGPR_GENERATION_APP};
		struct wgpr_value *flags = trie ? bpf_map_lookup_elem(trie, &gen) : 0;
		if (flags && (flags->flags & WGPR_FORWARD))
			return TC_ACT_OK;
		struct packet pkt = {};
		parse(skb, &pkt, 1);
		inbound_deny(skb, &pkt, 0, WGPR_C_DENY_FORWARDED);
		return TC_ACT_SHOT;
	}
	// Direct action: tc writes TC_H_MIN(classid) to tc_index when the program returns TC_ACT_OK.
	skb->tc_classid = cfg->inbound_tag;
	return TC_ACT_OK;
}

SEC("cgroup_skb/ingress")
int wgpr_inbound(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct wgpr_config *cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg || cfg->inbound_tag == 0 || skb->tc_index != cfg->inbound_tag)
		return 1; // not through a tunnel of this instance

	struct packet pkt = {};
	if (parse(skb, &pkt, 1))
		return inbound_deny(skb, &pkt, 0, WGPR_C_DENY_MALFORMED);
	void *trie = bpf_map_lookup_elem(&generations, &zero);
	if (!trie)
		return inbound_deny(skb, &pkt, 0, WGPR_C_DENY_NO_POLICY);

	struct bpf_sock *sk = skb->sk;
	if (!sk)
		return inbound_deny(skb, &pkt, 0, WGPR_C_DENY_NO_APP);
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return inbound_deny(skb, &pkt, 0, WGPR_C_DENY_NO_APP);
	__u32 app = socket_app(skb, cfg);
	int listening = sk->state == BPF_TCP_LISTEN;
	// Replies to the app's own traffic first: most of what arrives (one lookup).
	if (app != 0 && !listening) {
		pkt.key.prefixlen = 32 + 128;
		pkt.key.app = app;
		struct wgpr_value *grant = bpf_map_lookup_elem(trie, &pkt.key);
		if (grant && grant_covers(grant, pkt.proto, pkt.port)) {
			// A grant bound to executables covers the answer only for a process that runs one of them:
			// any other of the app's processes answers through the incoming setting, as an asker's.
			if (pkt.proto == WGPR_PROTO_UDP && (grant->flags & WGPR_EXEC_BOUND) &&
			    incoming_opens(trie, &pkt.key, app, pkt.proto, pkt.local_port))
				remember_asker(pkt.key.addr, pkt.port, pkt.local_port);
			count(WGPR_C_INBOUND_PASS);
			return 1;
		}
	}
	// The SYN to a listener, the segments of the connection it accepted (same local port), a datagram to
	// a bound socket from any source port: where the tunnel's incoming setting opens the socket.
	if (incoming_opens(trie, &pkt.key, app, pkt.proto, pkt.local_port)) {
		if (pkt.proto == WGPR_PROTO_UDP)
			remember_asker(pkt.key.addr, pkt.port, pkt.local_port);
		count(WGPR_C_INBOUND_PASS);
		return 1;
	}
	if (listening)
		return inbound_deny(skb, &pkt, app, WGPR_C_DENY_LISTENING);
	return inbound_deny(skb, &pkt, app, app == 0 ? WGPR_C_DENY_NO_APP : WGPR_C_DENY_NO_GRANT);
}

char LICENSE[] SEC("license") = "GPL";
