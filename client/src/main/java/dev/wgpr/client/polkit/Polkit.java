package dev.wgpr.client.polkit;

import dev.wgpr.client.systembus.SystemBus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.errors.ServiceUnknown;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.UInt64;
import org.freedesktop.dbus.types.Variant;

/**
 * Asks polkit whether a process may do an action, the way system services do: the subject is the calling
 * process ({@code unix-process}: pid, start time, uid; the start time makes a recycled pid a different
 * subject), no interaction (the daemon has no way to show an authentication dialog, so a challenge counts
 * as no). A connection to the system bus per question: questions come once per command typed.
 */
public final class Polkit {
    private Polkit() {}

    /** What polkit answered; {@link #UNAVAILABLE} when there is no system bus or no polkit on it. */
    public enum Answer {
        YES,
        NO,
        UNAVAILABLE
    }

    /** Whether process {@code pid} of {@code uid} may do {@code actionId}. */
    public static Answer check(int pid, int uid, String actionId) {
        Optional<Long> startTime = startTime(pid);
        if (startTime.isEmpty()) {
            return Answer.NO; // the process is gone: nobody to authorize
        }
        Authority.Subject subject = new Authority.Subject(
                "unix-process",
                Map.of(
                        "pid", new Variant<>(new UInt32(pid)),
                        "start-time", new Variant<>(new UInt64(startTime.get())),
                        "uid", new Variant<>(uid)));
        try (DBusConnection bus = SystemBus.connect()) {
            Authority authority = bus.getRemoteObject(Authority.BUS_NAME, Authority.OBJECT_PATH, Authority.class);
            Authority.Result result = authority.CheckAuthorization(subject, actionId, Map.of(), new UInt32(0), "");
            return result.isAuthorized ? Answer.YES : Answer.NO;
        } catch (DBusException | IOException e) {
            return Answer.UNAVAILABLE; // no system bus
        } catch (ServiceUnknown e) {
            return Answer.UNAVAILABLE; // a bus without polkit
        } catch (DBusExecutionException e) {
            return Answer.NO;
        } catch (RuntimeException e) {
            return Answer.NO; // a bus client that cannot work here: refuse, never let the group decide instead
        }
    }

    /** Field 22 of {@code /proc/PID/stat}: the process's start, in clock ticks after boot. */
    static Optional<Long> startTime(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            // The command name (field 2) may hold spaces and parentheses: count from its closing one.
            String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(Long.parseLong(after[22 - 3]));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
