package dev.wgpr.testing.lab;

/**
 * The standard lab shapes of DESIGN's "The test lab", built in one call each. Addresses are test
 * and documentation ranges only, and exist only inside the lab's namespaces.
 *
 * <h2>Routed: {@link #routed(NetnsLab)}, the server reached through a gateway</h2>
 *
 * <pre>
 *  client                 router                          server
 *  eth0 192.168.10.2/24 ─ eth0 192.168.10.1/24
 *       fd00:10::2/64          fd00:10::1/64
 *                         eth1 198.51.100.1/24     ─ eth0 198.51.100.10/24
 *                              2001:db8:100::1/64         2001:db8:100::10/64
 *                         eth2 203.0.113.1/24      ─ internet eth0 203.0.113.20/24
 *                              2001:db8:113::1/64                  2001:db8:113::20/64
 * </pre>
 *
 * The client's only routes out are its defaults via 192.168.10.1 / fd00:10::1, so the WireGuard
 * server is reached through the default route (the "server bypass" case). Server and Internet host
 * route back through the router; the router forwards IPv4 and IPv6 and does no NAT.
 *
 * <h2>On-LAN: {@link #onLan(NetnsLab)}, the server on the client's own subnet</h2>
 *
 * <pre>
 *  client eth0 192.168.20.2/24  ─┐
 *              fd00:20::2/64     │  router: bridge br0 192.168.20.1/24, fd00:20::1/64
 *  server eth0 192.168.20.10/24 ─┘          (ports eth0, eth1)
 *              fd00:20::10/64               eth2 203.0.113.1/24 ─ internet eth0 203.0.113.20/24
 *                                                2001:db8:113::1/64        2001:db8:113::20/64
 * </pre>
 *
 * Client and server have their defaults via the router, but reach each other on-link (no bypass
 * route needed); the Internet host is one hop away through the router.
 *
 * <h2>Conventions for what tests add on top</h2>
 *
 * WireGuard underlay port 51820 on the server; tunnel addresses 10.8.0.1 (server) and 10.8.0.2
 * (client) in 10.8.0.0/24, fd10:8::1 and fd10:8::2 in fd10:8::/64; internal services in
 * 10.20.0.0/16 and fd10:20::/32, e.g. as /32 addresses on the server's {@code lo}.
 */
public final class Topologies {
    private Topologies() {}

    /** Client, router, server and Internet host, the server behind the router. */
    public record Routed(Namespace client, Namespace router, Namespace server, Namespace internet) {
        public static final String CLIENT_V4 = "192.168.10.2";
        public static final String CLIENT_V6 = "fd00:10::2";
        public static final String GATEWAY_V4 = "192.168.10.1";
        public static final String GATEWAY_V6 = "fd00:10::1";
        public static final String SERVER_V4 = "198.51.100.10";
        public static final String SERVER_V6 = "2001:db8:100::10";
        public static final String INTERNET_V4 = "203.0.113.20";
        public static final String INTERNET_V6 = "2001:db8:113::20";
    }

    /** Client and server on one bridged LAN whose gateway leads to an Internet host. */
    public record OnLan(Namespace client, Namespace router, Namespace server, Namespace internet) {
        public static final String CLIENT_V4 = "192.168.20.2";
        public static final String CLIENT_V6 = "fd00:20::2";
        public static final String GATEWAY_V4 = "192.168.20.1";
        public static final String GATEWAY_V6 = "fd00:20::1";
        public static final String SERVER_V4 = "192.168.20.10";
        public static final String SERVER_V6 = "fd00:20::10";
        public static final String INTERNET_V4 = "203.0.113.20";
        public static final String INTERNET_V6 = "2001:db8:113::20";
    }

    public static Routed routed(NetnsLab lab) {
        Namespace client = lab.namespace("client");
        Namespace router = lab.namespace("router").enableForwarding();
        Namespace server = lab.namespace("server");
        Namespace internet = lab.namespace("internet");

        Veth lan = lab.veth(client, router);
        lan.a().address("192.168.10.2/24", "fd00:10::2/64");
        lan.b().address("192.168.10.1/24", "fd00:10::1/64");
        Veth wan = lab.veth(router, server);
        wan.a().address("198.51.100.1/24", "2001:db8:100::1/64");
        wan.b().address("198.51.100.10/24", "2001:db8:100::10/64");
        connectInternet(lab, router, internet);

        client.defaultRoute(Routed.GATEWAY_V4).defaultRoute(Routed.GATEWAY_V6);
        server.defaultRoute("198.51.100.1").defaultRoute("2001:db8:100::1");
        return new Routed(client, router, server, internet);
    }

    public static OnLan onLan(NetnsLab lab) {
        Namespace client = lab.namespace("client");
        Namespace router = lab.namespace("router").enableForwarding();
        Namespace server = lab.namespace("server");
        Namespace internet = lab.namespace("internet");

        Port lan = router.bridge("br0").address("192.168.20.1/24", "fd00:20::1/64");
        Veth clientCable = lab.veth(client, router);
        clientCable.b().attachTo(lan);
        clientCable.a().address("192.168.20.2/24", "fd00:20::2/64");
        Veth serverCable = lab.veth(server, router);
        serverCable.b().attachTo(lan);
        serverCable.a().address("192.168.20.10/24", "fd00:20::10/64");
        connectInternet(lab, router, internet);

        for (Namespace host : new Namespace[] {client, server}) {
            host.defaultRoute(OnLan.GATEWAY_V4).defaultRoute(OnLan.GATEWAY_V6);
        }
        return new OnLan(client, router, server, internet);
    }

    private static void connectInternet(NetnsLab lab, Namespace router, Namespace internet) {
        Veth cable = lab.veth(router, internet);
        cable.a().address("203.0.113.1/24", "2001:db8:113::1/64");
        cable.b().address("203.0.113.20/24", "2001:db8:113::20/64");
        internet.defaultRoute("203.0.113.1").defaultRoute("2001:db8:113::1");
    }
}
