package dev.wgpr.enforcement;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.enforcement.policy.PortSet;
import dev.wgpr.enforcement.policy.Protocol;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Random policies and random attempts for differential tests. Prefixes grow around a few anchors so
 * that they nest and overlap (exclusions inside internal prefixes, grants inside both); ports
 * cluster around range ends so that off-by-one mistakes show.
 */
final class RandomCases {
    static final List<AppId> APPS = List.of(AppId.of(1), AppId.of(2), AppId.of(3));
    /** An excluded app: a caller with no grants that goes around the prefixes flagged for it. */
    static final AppId EXCLUDED = AppId.excluded(1);

    /** One attempt: who (empty = no app), where, how. */
    record Case(
            Optional<AppId> app,
            InetAddress destination,
            boolean mappedSocket,
            Protocol protocol,
            String op,
            int port) {}

    private final SplittableRandom random;
    private final List<byte[]> v4Anchors = new ArrayList<>();
    private final List<byte[]> v6Anchors = new ArrayList<>();

    RandomCases(long seed) {
        this.random = new SplittableRandom(seed);
        for (int i = 0; i < 3; i++) {
            v4Anchors.add(
                    new byte[] {10, (byte) random.nextInt(256), (byte) random.nextInt(256), (byte) random.nextInt(256)
                    });
            byte[] v6 = new byte[16];
            random.nextBytes(v6);
            v6[0] = (byte) 0xfd;
            v6[1] = 0x10;
            v6Anchors.add(v6);
        }
    }

    Policy policy() {
        Policy.Builder builder = Policy.builder();
        int internals = 1 + random.nextInt(6);
        for (int i = 0; i < internals; i++) {
            internal(builder, prefix(), random.nextInt(3));
        }
        if (random.nextInt(8) == 0) {
            internal(builder, IpPrefix.parse(random.nextBoolean() ? "0.0.0.0/0" : "::/0"), 0);
        }
        int exclusions = random.nextInt(4);
        for (int i = 0; i < exclusions; i++) {
            builder.exclude(prefix());
        }
        for (AppId app : APPS) {
            int grants = random.nextInt(5);
            for (int i = 0; i < grants; i++) {
                IpPrefix prefix = random.nextInt(12) == 0
                        ? IpPrefix.parse(random.nextBoolean() ? "0.0.0.0/0" : "::/0")
                        : prefix();
                builder.grant(app, new Grant(prefix, protocol(), ports()));
            }
        }
        return builder.build();
    }

    /** An internal prefix of a deny tunnel, of a bypass one, or one that excluded apps go around. */
    private void internal(Policy.Builder builder, IpPrefix prefix, int peer) {
        switch (random.nextInt(4)) {
            case 0 -> builder.bypass(prefix, peer);
            case 1 -> builder.aroundForExcluded(prefix, peer);
            default -> builder.internal(prefix, peer);
        }
    }

    private IpPrefix prefix() {
        boolean v4 = random.nextBoolean();
        byte[] anchor = (v4 ? v4Anchors : v6Anchors).get(random.nextInt(3)).clone();
        int bits = anchor.length * 8;
        int length = v4 ? 8 + random.nextInt(25) : 16 + random.nextInt(113);
        // Sometimes a sibling: flip one bit above the length.
        if (random.nextInt(4) == 0 && length > (v4 ? 8 : 16)) {
            int bit = (v4 ? 8 : 16) + random.nextInt(length - (v4 ? 8 : 16));
            anchor[bit / 8] ^= (byte) (0x80 >>> (bit % 8));
        }
        return IpPrefix.containing(address(anchor), Math.min(length, bits));
    }

    private Protocol protocol() {
        return switch (random.nextInt(3)) {
            case 0 -> Protocol.TCP;
            case 1 -> Protocol.UDP;
            default -> Protocol.ANY;
        };
    }

    private PortSet ports() {
        if (random.nextInt(4) == 0) {
            return PortSet.ALL;
        }
        List<PortSet.Range> ranges = new ArrayList<>();
        int n = 1 + random.nextInt(3);
        for (int i = 0; i < n; i++) {
            int first = 1 + random.nextInt(random.nextBoolean() ? 200 : 65_535);
            int last = Math.min(PortSet.MAX_PORT, first + (random.nextBoolean() ? 0 : random.nextInt(50)));
            ranges.add(new PortSet.Range(first, last));
        }
        return PortSet.of(ranges);
    }

    Case attempt(Policy policy) {
        int who = random.nextInt(6);
        Optional<AppId> app = switch (who) {
            case 0 -> Optional.empty();
            case 1 -> Optional.of(EXCLUDED);
            default -> Optional.of(APPS.get(random.nextInt(3)));
        };
        InetAddress destination = destination(policy);
        boolean v4 = destination.getAddress().length == 4;
        boolean mapped = v4 && random.nextInt(3) == 0;
        String op = switch (random.nextInt(3)) {
            case 0 -> "tcp";
            case 1 -> "udpc";
            default -> "udps";
        };
        Protocol protocol = op.equals("tcp") ? Protocol.TCP : Protocol.UDP;
        return new Case(app, destination, mapped, protocol, op, port(policy));
    }

    private InetAddress destination(Policy policy) {
        List<IpPrefix> prefixes = new ArrayList<>(policy.internal().keySet());
        prefixes.addAll(policy.exclusions());
        policy.grants().values().forEach(grants -> grants.forEach(g -> prefixes.add(g.prefix())));
        int pick = random.nextInt(10);
        if (pick < 7 && !prefixes.isEmpty()) {
            IpPrefix prefix = prefixes.get(random.nextInt(prefixes.size()));
            byte[] bytes = prefix.address().getAddress();
            // Random host bits, sometimes only the last ones (near the prefix's start).
            int from = random.nextInt(3) == 0 ? Math.max(prefix.length(), bytes.length * 8 - 4) : prefix.length();
            for (int bit = from; bit < bytes.length * 8; bit++) {
                if (random.nextBoolean()) {
                    bytes[bit / 8] ^= (byte) (0x80 >>> (bit % 8));
                }
            }
            if (prefix.length() == 0) {
                // Keep destinations of /0 prefixes in the lab's own ranges.
                bytes = (bytes.length == 4 ? v4Anchors : v6Anchors)
                        .get(random.nextInt(3))
                        .clone();
                bytes[bytes.length - 1] = (byte) random.nextInt(256);
            }
            return address(bytes);
        }
        if (pick < 9) {
            byte[] anchor = (random.nextBoolean() ? v4Anchors : v6Anchors)
                    .get(random.nextInt(3))
                    .clone();
            int bit = random.nextInt(anchor.length * 8 - 8) + 8;
            anchor[bit / 8] ^= (byte) (0x80 >>> (bit % 8));
            return address(anchor);
        }
        return random.nextBoolean()
                ? address(new byte[] {(byte) 198, 18, (byte) random.nextInt(256), (byte) (1 + random.nextInt(254))})
                : address(new byte[] {
                    0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) (1 + random.nextInt(254))
                });
    }

    private int port(Policy policy) {
        List<PortSet.Range> ranges = new ArrayList<>();
        policy.grants()
                .values()
                .forEach(grants -> grants.forEach(g -> ranges.addAll(g.ports().ranges())));
        if (!ranges.isEmpty() && random.nextInt(3) != 0) {
            PortSet.Range range = ranges.get(random.nextInt(ranges.size()));
            int port = (random.nextBoolean() ? range.first() : range.last()) + random.nextInt(3) - 1;
            return Math.max(1, Math.min(PortSet.MAX_PORT, port));
        }
        return 1 + random.nextInt(PortSet.MAX_PORT);
    }

    static InetAddress address(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
