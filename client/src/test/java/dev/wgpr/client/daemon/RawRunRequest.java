package dev.wgpr.client.daemon;

import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.common.linux.Libc;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An attacker's own client, not {@code wg-pr run}: sends a {@code run} request for app APP whose
 * command descriptor is FILE opened with {@code O_PATH} (which needs no read permission) and prints
 * the daemon's first reply. {@code RawRunRequest INSTANCE APP FILE}.
 */
public final class RawRunRequest {
    private RawRunRequest() {}

    public static void main(String[] args) throws Exception {
        Instance instance = new Instance(args[0]);
        int command = Libc.open(args[2], Libc.O_PATH | Libc.O_CLOEXEC);
        Request.Run request = new Request.Run(args[1], null, List.of(args[2]), "/", Map.of());
        try (UnixSocket socket = UnixSocket.connect(instance.controlSocket())) {
            socket.send(ControlJson.write(request), new int[] {0, 1, 2, command});
            System.out.println(socket.receive().line());
        }
        System.out.println("opened " + Path.of(args[2]));
    }
}
