package dev.wgpr.client.daemon;

import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.Json;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A caller that starts one app over and over while its executable's path is swapped under it: {@code
 * INSTANCE APP PATH COUNT SCRIPT} opens PATH as {@code wg-pr run} does and asks the daemon to start it
 * as APP with {@code -c SCRIPT}, COUNT times in a row, and prints how many started and how many were
 * refused. Run as an unprivileged user.
 */
public final class RacingLaunches {
    private RacingLaunches() {}

    public static void main(String[] args) throws Exception {
        Instance instance = new Instance(args[0]);
        String app = args[1];
        String path = args[2];
        int count = Integer.parseInt(args[3]);
        String script = args[4];
        int started = 0;
        int refused = 0;
        Map<String, Integer> reasons = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            OwnedFd command;
            try {
                command = new OwnedFd(Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC), path);
            } catch (ErrnoException e) {
                refused++; // between two renames
                continue;
            }
            try (command;
                    UnixSocket socket = UnixSocket.connect(instance.controlSocket())) {
                Request.Run request = new Request.Run(app, null, List.of(path, "-c", script), "/", Map.of());
                socket.send(ControlJson.write(request), new int[] {0, 1, 2, command.fd()});
                Map<String, Object> reply = Json.parseObject(socket.receive().line());
                if (!Boolean.TRUE.equals(reply.get("ok"))) {
                    refused++;
                    reasons.merge(String.valueOf(reply.get("message")), 1, Integer::sum);
                    continue;
                }
                while (!"exit".equals(Json.parseObject(socket.receive().line()).get("event"))) {
                    // signals and other events: wait for the app's end
                }
                started++;
            }
        }
        System.out.println("started " + started + " refused " + refused);
        reasons.forEach((reason, times) -> System.out.println(times + " x " + reason));
    }
}
