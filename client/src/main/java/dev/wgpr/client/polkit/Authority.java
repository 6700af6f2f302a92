package dev.wgpr.client.polkit;

import java.util.Map;
import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.Position;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;

/**
 * polkit's authority on the system bus, as much of {@code org.freedesktop.PolicyKit1.Authority} as wg-pr
 * calls. Public only because dbus-java makes its proxies and structs by reflection.
 */
@DBusInterfaceName("org.freedesktop.PolicyKit1.Authority")
public interface Authority extends DBusInterface {
    String BUS_NAME = "org.freedesktop.PolicyKit1";
    String OBJECT_PATH = "/org/freedesktop/PolicyKit1/Authority";

    /** {@code CheckAuthorization(in (sa{sv}) subject, in s action_id, in a{ss} details, in u flags, in s cancellation_id, out (bba{ss}) result)}. */
    @SuppressWarnings("checkstyle:MethodName") // the D-Bus method's own name
    Result CheckAuthorization(
            Subject subject, String actionId, Map<String, String> details, UInt32 flags, String cancellationId);

    /** {@code (sa{sv})}: who asks, e.g. {@code ("unix-process", {pid, start-time, uid})}. */
    final class Subject extends Struct {
        @Position(0)
        public final String kind;

        @Position(1)
        public final Map<String, Variant<?>> details;

        public Subject(String kind, Map<String, Variant<?>> details) {
            this.kind = kind;
            this.details = details;
        }
    }

    /** {@code (bba{ss})}: authorized, a challenge (authentication would be needed), details. */
    final class Result extends Struct {
        @Position(0)
        public final boolean isAuthorized;

        @Position(1)
        public final boolean isChallenge;

        @Position(2)
        public final Map<String, String> details;

        public Result(boolean isAuthorized, boolean isChallenge, Map<String, String> details) {
            this.isAuthorized = isAuthorized;
            this.isChallenge = isChallenge;
            this.details = details;
        }
    }
}
