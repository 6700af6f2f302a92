package dev.wgpr.routes;

import dev.wgpr.routes.netlink.InterfaceAddress;
import dev.wgpr.routes.netlink.Route;
import java.util.function.IntFunction;

/** One change to the kernel's networking that {@link InstalledRoutes} makes and later undoes exactly. */
public sealed interface Change {
    /** In the words of {@code ip}, interfaces named by {@code interfaceName}. */
    String describe(IntFunction<String> interfaceName);

    /** Set the MTU of interface {@code index} to {@code mtu}; undone by restoring {@code previous}. */
    record Mtu(int index, int previous, int mtu) implements Change {
        @Override
        public String describe(IntFunction<String> interfaceName) {
            return "mtu " + mtu + " on " + interfaceName.apply(index) + " (was " + previous + ")";
        }

        @Override
        public String toString() {
            return describe(Change::byIndex);
        }
    }

    /** Set interface {@code index} up; undone by setting it down again. */
    record LinkUp(int index) implements Change {
        @Override
        public String describe(IntFunction<String> interfaceName) {
            return "link " + interfaceName.apply(index) + " up";
        }

        @Override
        public String toString() {
            return describe(Change::byIndex);
        }
    }

    /** Add {@code address} to interface {@code index} ({@code IFA_F_NODAD} for IPv6 when {@code noDad}). */
    record Address(int index, InterfaceAddress address, boolean noDad) implements Change {
        @Override
        public String describe(IntFunction<String> interfaceName) {
            return "address " + address + " on " + interfaceName.apply(index) + (noDad ? " nodad" : "");
        }

        @Override
        public String toString() {
            return describe(Change::byIndex);
        }
    }

    /** Add {@code route}. */
    record AddRoute(Route route) implements Change {
        /** As {@code ip route} prints it. */
        @Override
        public String describe(IntFunction<String> interfaceName) {
            return route.describe(interfaceName, RouteTag::protocolName);
        }

        @Override
        public String toString() {
            return "route " + describe(Change::byIndex);
        }
    }

    private static String byIndex(int index) {
        return "#" + index;
    }
}
