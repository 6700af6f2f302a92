package dev.wgpr.enforcement;

import dev.wgpr.enforcement.policy.Protocol;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Optional;

/**
 * One deny, as enforce.bpf.c reports it through the {@code events} ring buffer ({@code struct
 * wgpr_event}).
 *
 * @param monotonicNs when, on CLOCK_MONOTONIC
 * @param cgroupId the caller's cgroup
 * @param pid the caller's process (thread group) id
 * @param tid the caller's thread id
 * @param app the caller's app, empty when it is none
 * @param peer the peer whose internal prefix the destination is in
 * @param destination IPv4 for IPv4 and IPv4-mapped destinations
 * @param protocol TCP, UDP, or ANY for any other protocol
 * @param ipProtocol the socket's protocol number (6, 17, 262 for MPTCP, ...)
 * @param reason {@link Counter#DENY_NO_APP}, {@link Counter#DENY_NO_GRANT} or {@link
 *     Counter#DENY_NO_POLICY}
 * @param family 4 or 6: the address family the caller used
 */
public record DenyEvent(
        long monotonicNs,
        long cgroupId,
        int pid,
        int tid,
        int uid,
        int gid,
        Optional<AppId> app,
        int peer,
        InetAddress destination,
        int port,
        Protocol protocol,
        int ipProtocol,
        Hook hook,
        Counter reason,
        int family,
        String comm) {

    /** Which layer denied: the sock_addr hooks or the tunnel backstop. */
    public Hook.Layer layer() {
        return hook == null ? Hook.Layer.SOCK_ADDR : hook.layer();
    }

    static DenyEvent parse(byte[] sample) {
        if (sample.length < KernelLayout.EVENT_SIZE) {
            throw new IllegalArgumentException("deny event of " + sample.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(sample).order(ByteOrder.LITTLE_ENDIAN);
        int app = b.getInt(32);
        Protocol protocol = switch (b.get(40)) {
            case 1 -> Protocol.TCP;
            case 2 -> Protocol.UDP;
            default -> Protocol.ANY;
        };
        InetAddress destination;
        try {
            destination = InetAddress.getByAddress(Arrays.copyOfRange(sample, 48, 64));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
        return new DenyEvent(
                b.getLong(0),
                b.getLong(8),
                b.getInt(16),
                b.getInt(20),
                b.getInt(24),
                b.getInt(28),
                app == 0 ? Optional.empty() : Optional.of(AppId.of(app)),
                Short.toUnsignedInt(b.getShort(36)),
                destination,
                Short.toUnsignedInt(b.getShort(38)),
                protocol,
                b.getInt(44),
                Hook.ofNumber(b.get(41)),
                Counter.ofIndex(b.get(42)),
                b.get(43),
                KernelLayout.comm(sample, 64));
    }
}
