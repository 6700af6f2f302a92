package dev.wgpr.routes;

import dev.wgpr.routes.netlink.InterfaceAddress;
import dev.wgpr.routes.netlink.Route;

/** One change to the kernel's networking that {@link InstalledRoutes} makes and later undoes exactly. */
public sealed interface Change {
    /** Set the MTU of interface {@code index} to {@code mtu}; undone by restoring {@code previous}. */
    record Mtu(int index, int previous, int mtu) implements Change {
        @Override
        public String toString() {
            return "mtu " + mtu + " on #" + index + " (was " + previous + ")";
        }
    }

    /** Set interface {@code index} up; undone by setting it down again. */
    record LinkUp(int index) implements Change {
        @Override
        public String toString() {
            return "link #" + index + " up";
        }
    }

    /** Add {@code address} to interface {@code index} ({@code IFA_F_NODAD} for IPv6 when {@code noDad}). */
    record Address(int index, InterfaceAddress address, boolean noDad) implements Change {
        @Override
        public String toString() {
            return "address " + address + " on #" + index + (noDad ? " nodad" : "");
        }
    }

    /** Add {@code route}. */
    record AddRoute(Route route) implements Change {
        /** As {@code ip route} prints it. */
        @Override
        public String toString() {
            return "route " + route;
        }
    }
}
