package dev.wgpr.client.cli;

import dev.wgpr.client.control.Json;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.daemon.Instance;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "events",
        mixinStandardHelpOptions = true,
        description = {
            "Show denied attempts to reach internal destinations: time, pid, command, uid, app (if"
                    + " any), peer, destination, port, protocol and why. The daemon keeps the latest"
                    + " 10,000 in memory.",
            "Root only: the events name other users' processes.",
        },
        footer = {"", "Exit status: 0; 1 when the daemon cannot be reached; 4 when not root."})
final class EventsCommand implements Callable<Integer> {
    @Option(
            names = {"-f", "--follow"},
            description = "Keep running and print new events as they happen.")
    boolean follow;

    @Option(names = "--json", description = "One JSON object per event and line.")
    boolean json;

    @ParentCommand
    WgPrCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Instance instance = root.instance();
        Map<String, Object> request = Protocol.request(Protocol.EVENTS);
        request.put("follow", follow);
        Optional<UnixSocket> socket;
        try {
            socket = DaemonClient.connect(instance);
        } catch (DaemonClient.DaemonException e) {
            err.println("wg-pr events: " + e.getMessage());
            return WgPrCommand.EXIT_FAILURE;
        }
        if (socket.isEmpty()) {
            err.println("wg-pr events: no daemon runs for instance " + instance + ", so there are no events");
            return WgPrCommand.EXIT_FAILURE;
        }
        try (UnixSocket connection = socket.get()) {
            DaemonClient.send(connection, request);
            Map<String, Object> reply = DaemonClient.receive(connection);
            if (!DaemonClient.isOk(reply)) {
                return Replies.reportError("events", reply, err);
            }
            if (reply.get("events") instanceof List<?> events) {
                for (Object event : events) {
                    print(asMap(event), out);
                }
            }
            out.flush();
            while (follow) {
                Map<String, Object> event = DaemonClient.receive(connection);
                if ("deny".equals(event.get("event"))) {
                    print(event, out);
                    out.flush();
                }
            }
            return 0;
        } catch (EOFException e) {
            return 0; // the daemon stopped
        } catch (IOException | DaemonClient.DaemonException e) {
            err.println("wg-pr events: lost the daemon: " + e.getMessage());
            return WgPrCommand.EXIT_FAILURE;
        }
    }

    private void print(Map<String, Object> event, PrintWriter out) {
        if (json) {
            Map<String, Object> shown = new java.util.LinkedHashMap<>(event);
            shown.remove("v");
            shown.remove("event");
            out.println(Json.write(shown));
            return;
        }
        String app = event.get("app") == null ? "-" : String.valueOf(event.get("app"));
        if ("inbound".equals(event.get("direction"))) {
            out.println(event.get("time") + "  from the tunnel: " + bracketed(event.get("source")) + " → local port "
                    + event.get("localPort") + "/" + event.get("protocol") + " of uid " + event.get("uid") + " app "
                    + app + ": denied, " + event.get("reason") + suppressed(event));
            return;
        }
        out.println(event.get("time") + "  pid " + event.get("pid") + " (" + event.get("comm") + ") uid "
                + event.get("uid") + " app " + app + " → " + bracketed(event.get("destination")) + ":"
                + event.get("port") + "/" + event.get("protocol") + " peer " + event.get("peer") + ": denied, "
                + event.get("reason") + suppressed(event));
    }

    /** What a summary adds: how many more like it the daemon did not log whole. */
    private static String suppressed(Map<String, Object> event) {
        return event.get("suppressed") instanceof Long more
                ? " (and " + more + " more like this, " + event.get("like") + ", in a minute: not shown)"
                : "";
    }

    private static String bracketed(Object address) {
        String text = String.valueOf(address);
        return text.contains(":") ? "[" + text + "]" : text;
    }

    @SuppressWarnings("unchecked") // events are JSON objects
    private static Map<String, Object> asMap(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }
}
