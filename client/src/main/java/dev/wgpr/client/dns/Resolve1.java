package dev.wgpr.client.dns;

import java.util.List;
import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.DBusMemberName;
import org.freedesktop.dbus.annotations.Position;
import org.freedesktop.dbus.interfaces.DBusInterface;

/**
 * The part of systemd-resolved's D-Bus API ({@code org.freedesktop.resolve1}, org.freedesktop.resolve1(5))
 * that sets a link's DNS. Public only because dbus-java builds its proxy and marshals the structs by
 * reflection.
 */
public final class Resolve1 {
    static final String BUS_NAME = "org.freedesktop.resolve1";
    static final String OBJECT_PATH = "/org/freedesktop/resolve1";

    private Resolve1() {}

    /** {@code org.freedesktop.resolve1.Manager}: per-link settings, by interface index. */
    @DBusInterfaceName("org.freedesktop.resolve1.Manager")
    public interface Manager extends DBusInterface {
        @DBusMemberName("SetLinkDNS")
        void setLinkDns(int ifindex, List<Address> addresses);

        @DBusMemberName("SetLinkDomains")
        void setLinkDomains(int ifindex, List<Domain> domains);

        @DBusMemberName("SetLinkDefaultRoute")
        void setLinkDefaultRoute(int ifindex, boolean enable);

        @DBusMemberName("SetLinkLLMNR")
        void setLinkLlmnr(int ifindex, String mode);

        @DBusMemberName("SetLinkMulticastDNS")
        void setLinkMulticastDns(int ifindex, String mode);

        @DBusMemberName("RevertLink")
        void revertLink(int ifindex);
    }

    /** {@code (iay)}: an address family (AF_INET, AF_INET6) and the address's bytes. */
    public static final class Address extends Struct {
        @Position(0)
        public final int family;

        @Position(1)
        public final byte[] address;

        public Address(int family, byte[] address) {
            this.family = family;
            this.address = address.clone();
        }
    }

    /** {@code (sb)}: a domain, and whether it only routes queries (systemd's "~domain") rather than being searched. */
    public static final class Domain extends Struct {
        @Position(0)
        public final String domain;

        @Position(1)
        public final boolean routingOnly;

        public Domain(String domain, boolean routingOnly) {
            this.domain = domain;
            this.routingOnly = routingOnly;
        }
    }
}
