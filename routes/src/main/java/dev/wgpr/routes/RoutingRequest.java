package dev.wgpr.routes;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.routes.netlink.InterfaceAddress;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * What to install for one tunnel.
 *
 * @param tunnelInterface the tunnel device, which must exist
 * @param mode resolved route mode
 * @param allowedIps the union of the peers' allowedIPs
 * @param endpoints the peers' endpoint addresses (names already resolved)
 * @param addresses the tunnel's own addresses (IPv6 ones get {@code IFA_F_NODAD})
 * @param mtu the tunnel MTU, if it is to be set
 */
public record RoutingRequest(
        String tunnelInterface,
        RouteMode mode,
        List<IpPrefix> allowedIps,
        List<InetAddress> endpoints,
        List<InterfaceAddress> addresses,
        OptionalInt mtu) {
    public RoutingRequest {
        Objects.requireNonNull(tunnelInterface, "tunnelInterface");
        Objects.requireNonNull(mode, "mode");
        allowedIps = List.copyOf(allowedIps);
        endpoints = List.copyOf(endpoints);
        addresses = List.copyOf(addresses);
        Objects.requireNonNull(mtu, "mtu");
    }
}
