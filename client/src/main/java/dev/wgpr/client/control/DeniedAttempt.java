package dev.wgpr.client.control;

/**
 * One attempt the enforcement denied, as the daemon's log keeps it, {@code events} lists it and {@code events
 * --follow} sends it. An outbound attempt names its {@code destination} and {@code port}, an inbound one the
 * remote {@code source} and the {@code localPort} (the other two are null), and its {@code pid} and {@code
 * comm} the process holding the socket the packet was for (the listener), which the daemon looks up as it
 * reads the event (0 and empty when it found none: gone, or not its to see); they are 0 and empty where no
 * task is known (the device's backstop). A {@link #TAKEOVER} names the app's
 * process it tried to take over ({@code targetPid}, {@code targetComm}; null in the others), and no address. A summary of attempts not logged whole
 * has {@code suppressed} (how many) and {@code like} (what they have in common); others have null there.
 * Direction {@value #LEFT_CGROUP} is no packet: a process {@code wg-pr run} started was moved out of its app's
 * cgroup, so all it sends from then on is denied; {@code reason} says where it went.
 *
 * @param seq the log's number, 0 before it is logged
 * @param reason why it was denied, in words
 * @param reasonCode the same as a stable code for programs ({@code not-an-app}, {@code no-grant}, {@code
 *     foreign-exec}, {@code no-policy}, {@code listening}, {@code malformed}, {@code forwarded}, {@code takeover},
 *     {@code left-cgroup}; docs/status-json.md)
 */
public record DeniedAttempt(
        long seq,
        String time,
        int pid,
        String comm,
        long uid,
        String app,
        String peer,
        String direction,
        String destination,
        Integer port,
        String protocol,
        String source,
        Integer localPort,
        Integer targetPid,
        String targetComm,
        String hook,
        String reason,
        String reasonCode,
        long cgroupId,
        Long suppressed,
        String like)
        implements Reply {
    public static final String INBOUND = "inbound";
    public static final String OUTBOUND = "outbound";
    /** An attempt to take over an app's process ({@code targetPid}, {@code targetComm}), refused by the borrow guard. */
    public static final String TAKEOVER = "takeover";

    public static final String LEFT_CGROUP = "left-cgroup";

    public boolean inbound() {
        return INBOUND.equals(direction);
    }

    public boolean leftCgroup() {
        return LEFT_CGROUP.equals(direction);
    }

    /** This attempt as the log's number {@code seq}. */
    public DeniedAttempt numbered(long number) {
        return with(number, suppressed, like);
    }

    /** The summary of {@code count} attempts like this one (the last of them), which were not logged whole. */
    public DeniedAttempt summarising(long count, String what) {
        return with(seq, count, what);
    }

    private DeniedAttempt with(long number, Long count, String what) {
        return new DeniedAttempt(
                number,
                time,
                pid,
                comm,
                uid,
                app,
                peer,
                direction,
                destination,
                port,
                protocol,
                source,
                localPort,
                targetPid,
                targetComm,
                hook,
                reason,
                reasonCode,
                cgroupId,
                count,
                what);
    }
}
