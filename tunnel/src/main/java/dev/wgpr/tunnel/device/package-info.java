/**
 * The userspace WireGuard interface: {@link dev.wgpr.tunnel.device.Device} joins a {@link
 * dev.wgpr.tunnel.device.TunDevice} and a UDP socket through the {@link dev.wgpr.tunnel.protocol.Protocol},
 * and is configured and observed through the {@link dev.wgpr.tunnel.device.Backend} seam ({@link
 * dev.wgpr.tunnel.device.DeviceConfig} in, {@link dev.wgpr.tunnel.device.PeerStatus} out), which the UAPI
 * socket drives through {@link dev.wgpr.tunnel.uapi.BackendDevice} and a kernel backend can implement later.
 *
 * <p>What lives here: cryptokey routing (longest prefix over allowed IPs, out and in), endpoints and
 * roaming, the staged-packet queue, every timer of whitepaper section 6 on the {@link dev.wgpr.tunnel.Clock}
 * (rekey after time and messages, retransmission with jitter and give-up, passive and persistent
 * keepalives, key zeroing), under-load detection for cookies, per-peer counters and last-handshake time.
 *
 * <p>The data path, per direction one platform thread: TUN reads carry a {@code virtio_net_hdr} so the
 * kernel hands over 64 KiB TCP super-packets ({@code Gso} cuts them, as TSO would), sealed packets leave in
 * {@code sendmmsg} batches; datagrams arrive in {@code recvmmsg} batches, are opened in place, and TCP
 * segments of a batch are joined again for the kernel ({@code Gro}). Handshakes run on their own workers.
 *
 * <p>Under load, handshake messages are also limited per source address ({@code SourceRateLimiter}, 20 a
 * second as in wireguard-go; unlike wireguard-go, before the mac2 check, so a flooding host also gets fewer
 * cookie replies).
 *
 * <p>Not here yet: IPv4-mapped endpoints as
 * distinct from IPv4 ones.
 */
package dev.wgpr.tunnel.device;
