/**
 * The routing layer of {@code wg-pr up}/{@code down}: everything they need from the kernel's routing,
 * over rtnetlink through libmnl ({@link dev.wgpr.routes.netlink.RtNetlink}).
 *
 * <ul>
 *   <li>{@link dev.wgpr.routes.RoutePlan}: which prefixes go into the tunnel for a {@link
 *       dev.wgpr.routes.RouteMode} and the peers' allowedIPs, each with a fail-closed {@code
 *       unreachable} twin (pure Java);
 *   <li>{@link dev.wgpr.routes.BypassDecision}: whether a peer's endpoint needs a host route, decided
 *       from the kernel's own lookup ({@code ip route get} + {@code fibmatch}), with the reason in words;
 *   <li>{@link dev.wgpr.routes.TunnelRouting}: one instance's tunnels' routing: {@code install} (all or
 *       nothing) returning a {@link dev.wgpr.routes.RoutedTunnel} whose {@code update} follows a new
 *       config or underlay without a gap and whose {@code close()} takes back exactly what was added;
 *       the server host routes tunnels share, and the routes a crashed run left, held until replaced;
 *   <li>{@link dev.wgpr.routes.RouteTag}: protocol 87 ({@code proto wg-pr}) and the per-instance metric
 *       band that mark wg-pr's routes;
 *   <li>{@link dev.wgpr.routes.RoutingMonitor}: callbacks on link, address and route changes.
 * </ul>
 *
 * Everything acts on the network namespace the {@code RtNetlink} socket was opened in.
 */
package dev.wgpr.routes;
