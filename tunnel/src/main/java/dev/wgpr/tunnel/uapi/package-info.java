/**
 * The cross-platform WireGuard configuration protocol (UAPI), spoken on {@code
 * /var/run/wireguard/IFACE.sock} exactly as wireguard-go speaks it, so that {@code wg show}, {@code
 * wg showconf}, {@code wg set}, {@code wg setconf} and wg-quick drive a wg-pr device.
 *
 * <p>Exported: {@link dev.wgpr.tunnel.uapi.UapiServer} (the socket), {@link
 * dev.wgpr.tunnel.uapi.BackendDevice} (what the socket serves: a configuration store in front of a running
 * backend) and {@link dev.wgpr.tunnel.uapi.UapiException}. Inside: {@code UapiDevice} (the seam the socket
 * serves), {@code DeviceConfigStore} (the configuration, validated as a whole), {@code SetRequest}. The configuration
 * itself is the device package's: {@link dev.wgpr.tunnel.device.DeviceConfig}, {@link
 * dev.wgpr.tunnel.device.PeerSettings}, {@link dev.wgpr.tunnel.device.PeerStatus}.
 *
 * <p>Where we differ from wireguard-go (v0.0.20220316, Go 1.19, as tested), on purpose:
 *
 * <ul>
 *   <li>A {@code set} request with a bad line changes nothing; wireguard-go keeps the lines before
 *       it. The errno is the same.
 *   <li>After a bad line we read on to the end of the request and keep the connection usable;
 *       wireguard-go reads the rest of the request as operations and so hangs up. {@code wg} opens
 *       one connection per operation and sees no difference.
 *   <li>IPv4-mapped IPv6 addresses ({@code ::ffff:a.b.c.d}) are refused with {@code -EINVAL} as
 *       allowed IPs and endpoints: Java's {@code InetAddress} cannot hold them apart from IPv4, and
 *       routing them as IPv4 would be wrong. An endpoint's IPv6 zone must be numeric (wireguard-go
 *       also takes interface names); it is dropped, as wireguard-go's output drops it.
 *   <li>{@code listen_port=0} is reported as no port until the device reports the port it bound
 *       (wireguard-go binds at once and reports that).
 *   <li>Input is bounded: 64 KiB per line as in wireguard-go, 64 MiB per request (wireguard-go has
 *       no limit).
 * </ul>
 */
package dev.wgpr.tunnel.uapi;
