package dev.wgpr.testing.lab;

import java.util.List;

/** Which ping this machine has: iputils' {@code ping}, else BusyBox's applet. */
final class Ping {
    private Ping() {}

    private static volatile List<String> command;

    static List<String> command() {
        List<String> found = command;
        if (found == null) {
            if (Processes.onPath("ping")) {
                found = List.of("ping");
            } else if (Processes.onPath("busybox")) {
                found = List.of("busybox", "ping");
            } else {
                throw new LabException("no ping on this machine: install iputils-ping");
            }
            command = found;
        }
        return found;
    }
}
