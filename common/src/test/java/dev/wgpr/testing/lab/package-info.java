/**
 * The shared network-namespace test lab: every test, benchmark and demo that needs a network builds
 * it here, so all its traffic stays inside namespaces it made itself.
 *
 * <ul>
 *   <li>{@link dev.wgpr.testing.lab.NetnsLab}: namespaces ({@code wgpr-<id>-<role>}), veth pairs,
 *       unique interface names, and a {@code close()} that leaves nothing behind.
 *   <li>{@link dev.wgpr.testing.lab.Namespace}: one test host; run commands ({@code exec}, {@code
 *       run}, {@code ip}), start servers ({@code start}), configure addresses and routes, probe
 *       ({@code ping}, {@code routeGet}), and run Java code inside it ({@code call}).
 *   <li>{@link dev.wgpr.testing.lab.Reach}: a TCP connection or a UDP exchange from one namespace to a
 *       listener elsewhere (the peer's side reaching in through a tunnel), answered or why not.
 *   <li>{@link dev.wgpr.testing.lab.Topologies}: the routed and on-LAN shapes, with their address
 *       plan.
 *   <li>{@link dev.wgpr.testing.lab.WireGuardGoPeer}: a wireguard-go (or drop-in) device configured
 *       with {@code wg}, and {@link dev.wgpr.testing.lab.WgDump} for {@code wg show dump}.
 *   <li>{@link dev.wgpr.testing.lab.NetnsLabExtension}: a JUnit parameter resolver that hands each
 *       test a lab and closes it afterwards, failed or not.
 * </ul>
 *
 * Needs root, iproute2 ({@code ip}, {@code ss}), procps ({@code sysctl}), wireguard-go,
 * wireguard-tools and a {@code ping} (iputils, or BusyBox's applet); tests that use it are tagged
 * {@link dev.wgpr.testing.RequiresNetns}.
 */
package dev.wgpr.testing.lab;
