package dev.wgpr.enforcement;

import dev.wgpr.enforcement.policy.PortSet;
import dev.wgpr.enforcement.policy.Protocol;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * What enforce.bpf.c does with a compiled trie, in Java: longest match on {app, 128-bit address},
 * then the port ranges. Lets the compiler be checked against the reference model without a kernel.
 */
final class TrieSimulator {
    private final List<TrieEntry> entries;

    TrieSimulator(List<TrieEntry> entries) {
        this.entries = entries;
    }

    Decision decide(Optional<AppId> app, InetAddress destination, Protocol protocol, int port) {
        byte[] dst = KernelLayout.mapped(destination.getAddress());
        TrieEntry internal = longest(0, dst);
        if (internal == null || !internal.internal()) {
            return Decision.ALLOW_EXTERNAL;
        }
        if (app.isEmpty()) {
            return internal.bypass() ? Decision.ALLOW_BYPASS : Decision.DENY_NO_APP;
        }
        if (app.get().isExcluded() && internal.aroundExcluded()) {
            return Decision.ALLOW_BYPASS;
        }
        TrieEntry grant = longest(app.get().value(), dst);
        if (grant != null && covers(grant, protocol, port)) {
            return Decision.ALLOW_INTERNAL;
        }
        return Decision.DENY_NO_GRANT;
    }

    /** wgpr_inbound's judgement of a tagged packet (enforcement/DESIGN.md, "Incoming"). */
    Decision decideInbound(
            boolean socket,
            boolean listening,
            Optional<AppId> app,
            InetAddress source,
            Protocol protocol,
            int sourcePort,
            int localPort) {
        if (!socket) {
            return Decision.DENY_NO_APP;
        }
        byte[] src = KernelLayout.mapped(source.getAddress());
        if (app.isPresent() && !listening) {
            TrieEntry grant = longest(app.get().value(), src);
            if (grant != null && covers(grant, protocol, sourcePort)) {
                return Decision.ALLOW_INTERNAL;
            }
        }
        if (opens(app, src, protocol, localPort)) {
            return Decision.ALLOW_INCOMING;
        }
        if (listening) {
            return Decision.DENY_LISTENING;
        }
        return app.isEmpty() ? Decision.DENY_NO_APP : Decision.DENY_NO_GRANT;
    }

    /** incoming_opens() in enforce.bpf.c: the remote's app-0 entry, then the app's listen and grant entries. */
    boolean opens(Optional<AppId> app, byte[] remote, Protocol protocol, int localPort) {
        TrieEntry from = longest(0, remote);
        if (from == null || !from.internal() || from.incoming() == Incoming.NONE) {
            return false;
        }
        if (from.incoming() == Incoming.ALL) {
            return true;
        }
        if (app.isEmpty() || protocol == Protocol.ANY) {
            return false;
        }
        TrieEntry listen = longest(app.get().value() | TrieEntry.LISTEN_KEY, remote);
        return listen != null
                && covers(listen, protocol, localPort)
                && longest(app.get().value(), remote) != null;
    }

    private static boolean covers(TrieEntry grant, Protocol protocol, int port) {
        return switch (protocol) {
            case TCP -> inRanges(grant.tcp(), port);
            case UDP -> inRanges(grant.udp(), port);
            case ANY -> grant.portless();
        };
    }

    private static boolean inRanges(List<PortSet.Range> ranges, int port) {
        return ranges.stream().anyMatch(r -> r.contains(port));
    }

    private TrieEntry longest(int app, byte[] dst) {
        TrieEntry best = null;
        int bestLength = -1;
        for (TrieEntry entry : entries) {
            if (entry.app() != app) {
                continue;
            }
            byte[] key = KernelLayout.mapped(entry.prefix().address().getAddress());
            int length = entry.prefix().isIpv4()
                    ? 96 + entry.prefix().length()
                    : entry.prefix().length();
            if (length > bestLength && matches(key, dst, length)) {
                best = entry;
                bestLength = length;
            }
        }
        return best;
    }

    private static boolean matches(byte[] key, byte[] dst, int length) {
        for (int bit = 0; bit < length; bit++) {
            int mask = 0x80 >>> (bit % 8);
            if ((key[bit / 8] & mask) != (dst[bit / 8] & mask)) {
                return false;
            }
        }
        return true;
    }
}
