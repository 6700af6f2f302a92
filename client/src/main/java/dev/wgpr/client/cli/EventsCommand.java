package dev.wgpr.client.cli;

import dev.wgpr.client.control.ControlChannel;
import dev.wgpr.client.control.DeniedAttempt;
import dev.wgpr.client.control.Json;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.daemon.Instance;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintWriter;
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
            "Root sees every event; any other user only those of their own processes.",
        },
        footer = {"", "Exit status: 0; 1 when the daemon cannot be reached."})
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
        try (ControlChannel connection = DaemonClient.connect(
                instance, "no daemon runs for instance " + instance + ", so there are no events")) {
            DaemonClient.send(connection, new Request.Events(follow));
            for (DeniedAttempt event :
                    DaemonClient.receive(connection, Reply.Events.class).events()) {
                print(event, out);
            }
            out.flush();
            while (follow) {
                if (DaemonClient.receiveEvent(connection) instanceof DeniedAttempt event) {
                    print(event, out);
                    out.flush();
                }
            }
            return 0;
        } catch (EOFException e) {
            return 0; // the daemon stopped
        } catch (IOException e) {
            err.println("wg-pr events: lost the daemon: " + e.getMessage());
            return WgPrCommand.EXIT_FAILURE;
        } catch (DaemonClient.DaemonException e) {
            return e.report("events", err);
        }
    }

    private void print(DeniedAttempt event, PrintWriter out) {
        if (json) {
            out.println(Json.write(event));
            return;
        }
        String app = event.app() == null ? "-" : event.app();
        if (DeniedAttempt.TAKEOVER.equals(event.direction())) {
            out.println(event.time() + "  pid " + event.pid() + " (" + event.comm() + ") uid " + event.uid()
                    + " tried to take over pid " + event.targetPid() + " (" + event.targetComm() + ") of app " + app
                    + ": denied, " + event.reason() + suppressed(event));
            return;
        }
        if (event.leftCgroup()) {
            out.println(event.time() + "  pid " + event.pid() + " (" + event.comm() + ") uid " + event.uid() + " app "
                    + app + ": denied from now on, " + event.reason() + suppressed(event));
            return;
        }
        if (event.inbound()) {
            String program = event.pid() == 0 ? "an unknown program" : event.comm() + " (pid " + event.pid() + ")";
            out.println(event.time() + "  from the tunnel: " + bracketed(event.source()) + " → local port "
                    + event.localPort() + "/" + event.protocol() + " of " + program + " uid " + event.uid() + " app "
                    + app
                    + ": denied, " + event.reason() + suppressed(event));
            return;
        }
        out.println(event.time() + "  pid " + event.pid() + " (" + event.comm() + ") uid " + event.uid() + " app "
                + app + " → " + bracketed(event.destination()) + ":" + event.port() + "/" + event.protocol()
                + " peer " + event.peer() + ": denied, " + event.reason() + suppressed(event));
    }

    /** What a summary adds: how many more like it the daemon did not log whole. */
    private static String suppressed(DeniedAttempt event) {
        return event.suppressed() != null
                ? " (and " + event.suppressed() + " more like this, " + event.like() + ", in a minute: not shown)"
                : "";
    }

    private static String bracketed(String address) {
        return address.contains(":") ? "[" + address + "]" : address;
    }
}
