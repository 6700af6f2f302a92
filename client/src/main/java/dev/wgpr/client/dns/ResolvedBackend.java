package dev.wgpr.client.dns;

import dev.wgpr.client.systembus.SystemBus;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBus;

/**
 * systemd-resolved, told over the system bus, in the order of systemd's guide for VPNs
 * (RESOLVED-VPNS.md): the link's servers, then its routing-only domains, then whether it is the DNS
 * default route, and LLMNR and mDNS off (a tunnel is no local segment to multicast names on). resolved
 * forgets a link's settings when the link goes, so a crashed daemon's links need nothing from the next
 * one; {@link #revert} is {@code RevertLink} while the link still exists (a link that is gone has nothing left
 * to revert).
 */
final class ResolvedBackend implements ResolverBackend {
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;

    @Override
    public String name() {
        return "systemd-resolved";
    }

    @Override
    public void apply(LinkDns link) throws IOException {
        call(manager -> {
            int index = link.ifindex();
            manager.setLinkDns(
                    index, link.servers().stream().map(ResolvedBackend::address).toList());
            manager.setLinkDomains(
                    index,
                    link.domains().stream()
                            .map(domain -> new Resolve1.Domain(domain, true))
                            .toList());
            manager.setLinkDefaultRoute(index, link.defaultRoute());
            manager.setLinkLlmnr(index, "no");
            manager.setLinkMulticastDns(index, "no");
        });
    }

    @Override
    public void revert(String interfaceName) throws IOException {
        NetworkInterface link = NetworkInterface.getByName(interfaceName);
        if (link != null) {
            call(manager -> manager.revertLink(link.getIndex()));
        }
    }

    /** Whether systemd-resolved has its name on the system bus. */
    static boolean onSystemBus() {
        try (DBusConnection bus = systemBus()) {
            return bus.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class)
                    .NameHasOwner(Resolve1.BUS_NAME);
        } catch (DBusException | IOException | RuntimeException e) {
            return false;
        }
    }

    /** The system bus (dbus-java reads the machine id first: the lockdown lets the daemon read it). */
    private static DBusConnection systemBus() throws DBusException {
        return SystemBus.connect();
    }

    private interface ManagerCall {
        void run(Resolve1.Manager manager);
    }

    private static void call(ManagerCall call) throws IOException {
        try (DBusConnection bus = systemBus()) {
            call.run(bus.getRemoteObject(Resolve1.BUS_NAME, Resolve1.OBJECT_PATH, Resolve1.Manager.class));
        } catch (DBusException | RuntimeException e) {
            throw new IOException("systemd-resolved over the system bus: " + e, e);
        }
    }

    private static Resolve1.Address address(InetAddress address) {
        return new Resolve1.Address(address instanceof Inet4Address ? AF_INET : AF_INET6, address.getAddress());
    }
}
