// SPDX-License-Identifier: GPL-2.0
// The layouts shared by enforce.bpf.c and the Java side (dev.wgpr.enforcement.KernelLayout).
// Change both together; EnforcementKernelTest checks the sizes the loaded object reports.
#ifndef WGPR_ENFORCE_BPF_H
#define WGPR_ENFORCE_BPF_H

#include <linux/types.h>

// Port ranges per protocol held in one trie value. A set with more ranges is refused by the policy
// compiler (PolicyCompiler.MAX_RANGES), never widened.
#define WGPR_MAX_RANGES 16

// Trie key: LPM over {app, addr}. prefixlen counts bits of app (always all 32) plus bits of addr.
// IPv4 a.b.c.d/n is stored as ::ffff:a.b.c.d/(96+n).
struct wgpr_key {
	__u32 prefixlen;
	__u32 app;     // 0 = the internal set, otherwise an app id (host byte order)
	__u32 addr[4]; // network byte order
};

struct wgpr_range {
	__u16 first;
	__u16 last;
};

// value flags
#define WGPR_INTERNAL 1u  // app 0 entries: the destination is internal (routed into the tunnel)
#define WGPR_PORTLESS 2u  // app entries: protocols other than TCP/UDP are granted (an any-protocol grant of all ports)
#define WGPR_FORWARD 4u   // the generation entry: forwarded packets (no socket) may enter the tunnel
#define WGPR_EXEC_BOUND 8u // app entries: granted only to processes running one of the app's executables
#define WGPR_BYPASS 16u    // app 0 internal entries: of a tunnel whose others bypass it through the underlay
#define WGPR_AROUND_EXCLUDED 32u // app 0 internal entries: excluded apps go around it through the underlay
#define WGPR_INCOMING_ALL 64u    // app 0 internal entries: its tunnel's incoming = "all" (any socket may be reached)
#define WGPR_INCOMING_NONE 128u  // app 0 internal entries: incoming = "none"; neither flag: "apps" (enforcement/DESIGN.md, "Incoming")
// App A's listen entry is keyed {32, A | WGPR_LISTEN_KEY, ::}: its tcp[]/udp[] are the local ports A's
// listeners may be reached on from the sources its grants' prefixes hold. App ids stay below it.
#define WGPR_LISTEN_KEY 0x20000000u

// App ids with this bit are excluded apps ([[interface.excludedApps]]): identities that never use a
// tunnel. They hold no grants; their sockets carry the steering mark.
#define WGPR_APP_EXCLUDED 0x40000000u

// The generation entry: key {prefixlen 32, app WGPR_GENERATION_APP, addr 0} holds flags of the whole
// generation (WGPR_FORWARD), so they switch atomically with the trie. No app id is ever 0xffffffff.
#define WGPR_GENERATION_APP 0xffffffffu

struct wgpr_value {
	__u32 flags;
	__u16 peer;   // app 0 entries: which peer's allowedIPs the prefix belongs to (events)
	__u8 n_tcp;   // ranges used in tcp[]
	__u8 n_udp;   // ranges used in udp[]
	struct wgpr_range tcp[WGPR_MAX_RANGES]; // sorted, disjoint
	struct wgpr_range udp[WGPR_MAX_RANGES];
};

// The internal hints: bitmaps over the first 16 bits of a destination, one for IPv4 (of a.b.c.d: a.b)
// and one for IPv6 (of every address but ::ffff:a.b.c.d, which is IPv4's), set where some entry of the
// current generation that is internal (layer ANY), internal and not bypassed by non-apps (layer
// OTHERS), or internal and not gone around by excluded apps (layer EXCLUDED) may cover it. A clear bit
// proves "no such entry covers it" without the trie; a set one proves nothing. The loader keeps each a
// superset over every generation a program may be using: bits of the next generation are added before
// the switch and the old ones cleared after it.
#define WGPR_HINT_WORDS_PER_FAMILY 2048 // 65,536 bits in 32-bit words
#define WGPR_HINT_WORDS_PER_LAYER (2 * WGPR_HINT_WORDS_PER_FAMILY) // IPv4's first, then IPv6's
#define WGPR_HINT_ANY 0
#define WGPR_HINT_OTHERS 1
#define WGPR_HINT_EXCLUDED 2
#define WGPR_HINT_WORDS (3 * WGPR_HINT_WORDS_PER_LAYER)

struct wgpr_config {
	__u64 netns_cookie;    // the tunnel's network namespace; 0 = not configured: judge nothing
	__u64 instance_cgroup; // id of <cgroup2>/<instance>
	__u32 instance_level;  // its level (the cgroup2 root is level 0)
	__u32 inbound_tag;     // tc_index the tunnels' ingress filters give their packets, per instance
	__u32 flags;           // WGPR_CFG_*
	__u32 bypass_mark;     // the steering mark whose underlay rule is in force; 0 = none: nobody goes around
};

// While a steering is in force, apps' sockets carry bypass_mark with this bit (no rule routes it: they
// route as unmarked ones), so the hooks know an app's socket that a non-app or an excluded app was handed.
#define WGPR_APP_SOCKET_MARK 0x80000000u

#define WGPR_CFG_APPS_OVERFLOW 1u // some app cgroup is only in the apps hash, not in app_slots
#define WGPR_CFG_MARK_OTHERS 2u   // non-apps are steered too (some tunnel's others bypass it), not only excluded apps

// The tunnel devices the backstop is attached to, one ifindex per slot (0 = free), in the tunnel's
// namespace. Only the loader reads it: a restarted daemon finds the filters to delete by it.
#define WGPR_TUNNEL_SLOTS 64

// The app slots: a direct-mapped table of app cgroups, two choices per cgroup id, so that "which app
// is this cgroup" costs one or two inlined array loads instead of a hash lookup. The loader places
// each app cgroup id in slot (id & MASK) or ((id >> SHIFT) & MASK); when both are taken it sets
// WGPR_CFG_APPS_OVERFLOW and the programs also consult the apps hash.
#define WGPR_APP_SLOTS 4096
#define WGPR_APP_SLOT_MASK (WGPR_APP_SLOTS - 1)
#define WGPR_APP_SLOT_SHIFT 12

struct wgpr_app_slot {
	__u64 cgroup_id; // 0 = empty
	__u32 app;
	__u32 pad;
};

// An executable of an app, as the kernel knows the file: the app's grants marked WGPR_EXEC_BOUND reach
// only processes whose mm->exe_file is one of these. dev is the superblock's s_dev in the kernel's own
// encoding (major << 20 | minor, as /proc/self/mountinfo prints it).
struct wgpr_exec_key {
	__u32 app;
	__u32 dev;
	__u64 ino;
};

// hooks
#define WGPR_HOOK_CONNECT4 1
#define WGPR_HOOK_CONNECT6 2
#define WGPR_HOOK_SENDMSG4 3
#define WGPR_HOOK_SENDMSG6 4
#define WGPR_HOOK_TUNNEL 5 // the tc-egress backstop on the tunnel device
#define WGPR_HOOK_INBOUND 6 // cgroup_skb ingress: what arrived through a tunnel, judged by the receiving socket
#define WGPR_HOOK_SOCK_CREATE 7 // cgroup/sock_create: marks the sockets of processes that go around a tunnel

// protocols as the programs classify them
#define WGPR_PROTO_OTHER 0
#define WGPR_PROTO_TCP 1
#define WGPR_PROTO_UDP 2

// counters (per-CPU array index) and deny reasons
#define WGPR_C_UNCONFIGURED 0   // allowed: no tunnel namespace configured
#define WGPR_C_OTHER_NETNS 1    // allowed: not the tunnel's namespace
#define WGPR_C_EXTERNAL 2       // allowed: destination not internal
#define WGPR_C_ALLOW_INTERNAL 3 // allowed: internal and granted
#define WGPR_C_DENY_NO_APP 4    // denied: internal, caller is no app
#define WGPR_C_DENY_NO_GRANT 5  // denied: internal, no grant of the app covers it
#define WGPR_C_DENY_NO_POLICY 6 // denied: no generation published (fail closed)
#define WGPR_C_EVENTS_LOST 7    // deny events the ring buffer had no room for
#define WGPR_C_TUNNEL_PASS 8    // backstop: packets let into the tunnel
#define WGPR_C_DENY_FORWARDED 9 // backstop, denied: no socket (forwarded) and the generation forbids forwarding
#define WGPR_C_DENY_MALFORMED 10 // backstop or inbound, denied: not IPv4/IPv6, or headers that cannot be read
#define WGPR_C_INBOUND_PASS 11   // inbound: packets from a tunnel let through to an app's socket
#define WGPR_C_DENY_LISTENING 12 // inbound, denied: to a listening socket (incoming connections are closed)
#define WGPR_C_EVENTS_SUPPRESSED 13 // deny events not emitted: their source had its share of the second
#define WGPR_C_DENY_FOREIGN_EXEC 14 // denied: internal, in an app's cgroup but running none of its executables
#define WGPR_C_BYPASSED 15       // allowed: internal to a bypass tunnel, caller is no app: marked, goes through the underlay
#define WGPR_C_DENY_APP_MARKED 16 // denied once: an app's datagram on its socket that carries the steering's mark (cleared)
#define WGPR_C_DENY_APP_SOCKET 17 // denied: a non-app or an excluded app used an app's socket to go around a tunnel
#define WGPR_C_COUNT 18

// Deny events per source (cgroup, address, port, protocol, hook) and second: a flood of one kind of
// attempt cannot fill the ring buffer and push out the first events of another.
#define WGPR_EVENTS_PER_SOURCE 5
#define WGPR_EVENT_WINDOW_NS 1000000000ull

struct wgpr_event_source {
	__u64 cgroup_id;
	__u32 addr[4];
	__u16 port;
	__u8 protocol;
	__u8 hook;
	__u32 pad;
};

struct wgpr_event_window {
	__u64 start_ns;
	__u32 emitted;
	__u32 pad;
};

struct wgpr_event {
	__u64 time_ns;   // CLOCK_MONOTONIC (bpf_ktime_get_ns)
	__u64 cgroup_id; // the caller's cgroup
	__u32 pid;       // thread group id (what userspace calls the pid)
	__u32 tid;
	__u32 uid;
	__u32 gid;
	__u32 app;  // 0 = none
	__u16 peer;
	__u16 port; // host byte order; inbound: the local port
	__u8 protocol; // WGPR_PROTO_*
	__u8 hook;     // WGPR_HOOK_*
	__u8 reason;   // WGPR_C_DENY_*
	__u8 family;   // 4 or 6 (as the caller wrote the address)
	__u32 ip_protocol; // the socket's protocol number
	__u32 addr[4]; // destination (inbound: the remote source); v4 as ::ffff:a.b.c.d, network byte order
	char comm[16];
};

#endif
