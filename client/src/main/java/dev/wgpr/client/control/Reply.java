package dev.wgpr.client.control;

import java.util.List;
import java.util.Map;

/**
 * What the daemon answers ({@link Protocol}): one record per kind of answer. On the socket an answer is a JSON
 * object with {@code "v"} and {@code "ok"} added, and a message that follows on a {@code run} or {@code
 * events --follow} connection one with {@code "v"} and {@code "event"} ({@link ControlJson}).
 */
public sealed interface Reply
        permits Reply.Pong,
                Reply.StatusText,
                Reply.Upped,
                Reply.Downed,
                Reply.Reloaded,
                Reply.Started,
                Reply.Events,
                Reply.Names,
                Reply.Error,
                Reply.Exit,
                DaemonStatus,
                DeniedAttempt {
    /** To {@link Request.Ping}. */
    record Pong(long pid, String instance) implements Reply {}

    /**
     * To {@link Request.StatusText}: the text, and the tunnels whose backstop is missing (which the CLI reports
     * on its error output, as it does for {@link DaemonStatus}).
     */
    record StatusText(String text, List<String> backstopMissing) implements Reply {
        public StatusText {
            backstopMissing = List.copyOf(backstopMissing);
        }
    }

    /** To {@link Request.Up}: the name of the tunnel now up. */
    record Upped(String tunnel) implements Reply {}

    /**
     * To {@link Request.Down}: the tunnel is down, or, {@code handingOver}, left up on purpose: the daemon is
     * handing over to the next one (a package upgrade's restart), which brings it back.
     */
    record Downed(boolean handingOver) implements Reply {
        public Downed() {
            this(false);
        }
    }

    /** To {@link Request.Reload}: what changed, in words. */
    record Reloaded(String tunnel, List<String> changes) implements Reply {
        public Reloaded {
            changes = List.copyOf(changes);
        }
    }

    /** To {@link Request.Run}: the app runs as {@code pid}; its {@link Exit} follows. */
    record Started(long pid) implements Reply {}

    /** To {@link Request.Events}: the log; with {@code follow} each new one follows as a {@link DeniedAttempt}. */
    record Events(List<DeniedAttempt> events, long dropped, long suppressed) implements Reply {
        public Events {
            events = List.copyOf(events);
        }
    }

    /** To {@link Request.Names}: the name of each address asked that has one, by address as asked. */
    record Names(Map<String, String> names) implements Reply {
        public Names {
            names = Map.copyOf(names);
        }
    }

    /**
     * Any request refused or failed. {@code kind} is one of {@link Protocol}'s error kinds; {@code status} is
     * the exit status a refused {@code run} stands for (126, 127), else null.
     */
    record Error(String error, String message, Integer status) implements Reply {
        public Error(String error, String message) {
            this(error, message, null);
        }
    }

    /** A {@code run} connection's last message: the app's exit status or the signal that killed it. */
    record Exit(Integer status, Integer signal) implements Reply {
        /** The shell's way to say it in one number: the status, or 128 + the signal. */
        public int exitStatus() {
            return status != null ? status : 128 + signal;
        }
    }
}
