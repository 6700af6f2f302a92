package dev.wgpr.client.daemon;

import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.Message;
import dev.wgpr.client.control.PeerCredentials;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.RequestReader;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.dns.ResolvedNames;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.OwnedFd;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Serves one whole request ({@link RequestReader.Handler}): reads it as a {@link Request} (a malformed one is
 * answered {@code bad-request} and goes no further), checks who may ask, and answers; {@code run} and {@code
 * events} keep their connection ({@link RunSessions}, {@link EventStream}).
 */
record RequestDispatch(
        Instance instance,
        Tunnels tunnels,
        RunSessions runs,
        Authorization authorization,
        EventStream events,
        Function<PeerCredentials, DaemonStatus> status,
        Optional<StatusRendering> statusText,
        ResolvedNames names,
        Runnable tunnelsChanged,
        PrintStream log)
        implements RequestReader.Handler {
    /** The reader closes the connection once this returns; received descriptors are closed here. */
    @Override
    public void serve(UnixSocket connection, PeerCredentials caller, Message message) {
        try {
            Request request;
            try {
                request = ControlJson.readRequest(message.line());
            } catch (IllegalArgumentException e) {
                send(connection, new Reply.Error(Protocol.BAD_REQUEST, e.getMessage()));
                return;
            }
            switch (request) {
                case Request.Run run -> runs.run(connection, caller, run, message.fds());
                case Request.Events follow -> events.serve(connection, caller, follow);
                case Request.Up up -> answerThenTunnelsChanged(connection, caller, request);
                case Request.Reload reload -> answerThenTunnelsChanged(connection, caller, request);
                case Request.Down down -> answerThenTunnelsChanged(connection, caller, request);
                default -> send(connection, answer(caller, request));
            }
        } catch (EOFException e) {
            // the caller went away
        } catch (IOException | RuntimeException e) {
            log.println("wg-pr daemon: control connection: " + e);
        } finally {
            closeAll(message.fds());
        }
    }

    /**
     * Answers a request that may change the tunnels, then runs {@link #tunnelsChanged} (also when it failed or
     * the caller went away: a failed {@code up} loaded its classes too).
     */
    private void answerThenTunnelsChanged(UnixSocket connection, PeerCredentials caller, Request request)
            throws IOException {
        try {
            send(connection, answer(caller, request));
        } finally {
            tunnelsChanged.run();
        }
    }

    private Reply answer(PeerCredentials caller, Request request) {
        return switch (request) {
            case Request.Ping ping -> new Reply.Pong(ProcessHandle.current().pid(), instance.name());
            case Request.Status asked -> status.apply(caller);
            case Request.StatusText asked -> statusText(caller, asked);
            case Request.Names asked ->
                refused(caller, Authorization.Action.RUN, null, null).orElseGet(() -> names(asked));
            case Request.Up up ->
                refused(caller, Authorization.Action.UP, Path.of(up.config()), up.content())
                        .orElseGet(() -> up(up));
            case Request.Down down ->
                refused(caller, Authorization.Action.DOWN, null, null).orElseGet(() -> down(down));
            case Request.Reload reload ->
                refused(caller, Authorization.Action.UP, Path.of(reload.config()), reload.content())
                        .orElseGet(() -> reload(reload));
            case Request.Run run -> new Reply.Error(Protocol.BAD_REQUEST, "run keeps its connection");
            case Request.Events follow -> new Reply.Error(Protocol.BAD_REQUEST, "events keeps its connection");
            case Request.Signal signal ->
                new Reply.Error(Protocol.BAD_REQUEST, "a signal is for an app started by run");
        };
    }

    private Reply statusText(PeerCredentials caller, Request.StatusText asked) {
        if (statusText.isEmpty()) {
            return new Reply.Error(Protocol.BAD_REQUEST, "this daemon renders no status text; ask for status");
        }
        ZoneId zone;
        try {
            zone = ZoneId.of(asked.zone(), ZoneId.SHORT_IDS);
        } catch (DateTimeException e) {
            return new Reply.Error(Protocol.BAD_REQUEST, "unknown time zone " + asked.zone());
        }
        DaemonStatus shown = status.apply(caller);
        return new Reply.StatusText(
                statusText.get().render(shown, asked.verbose(), Clock.system(zone)),
                shown.tunnelsWithBackstop(Protocol.BACKSTOP_MISSING));
    }

    /**
     * Authorized as {@code run} is: the names are what apps resolved, and who may start apps may ask them
     * anyway; a caller who may not would learn internal names that dnsAccess keeps from processes that are
     * no app (docs/trace.md weighs it).
     */
    private Reply names(Request.Names asked) {
        Map<String, String> known = new LinkedHashMap<>();
        for (String address : asked.addresses()) {
            names.nameOf(InetAddress.ofLiteral(address)).ifPresent(name -> known.put(address, name));
        }
        return new Reply.Names(known);
    }

    /**
     * The refusal when {@code caller} may not do {@code action} (with {@code config}, if it names one, and
     * the config's {@code content} when the caller sent it).
     */
    private Optional<Reply> refused(PeerCredentials caller, Authorization.Action action, Path config, String content) {
        Optional<String> refusal = authorization.refusal(caller, action);
        if (refusal.isEmpty() && content != null && !caller.isRoot()) {
            refusal = Optional.of("only root may send a config's content; name a config of /etc/wg-pr instead");
        }
        if (refusal.isEmpty() && config != null && content == null) {
            refusal = authorization.configRefusal(caller, config);
        }
        refusal.ifPresent(reason -> log.println("wg-pr daemon: refused: " + reason));
        return refusal.map(reason -> new Reply.Error(Protocol.PERMISSION, reason));
    }

    private Reply up(Request.Up request) {
        try {
            String tunnel =
                    tunnels.up(source(request.config(), request.content(), request.keyFiles()), request.force());
            log.println("wg-pr daemon: up " + tunnel + " (" + request.config() + ")");
            return new Reply.Upped(tunnel);
        } catch (UpFailedException e) {
            log.println("wg-pr daemon: up " + request.config() + " failed, nothing changed: " + e.getMessage());
            return failure(e);
        }
    }

    private static ConfigSource source(String config, String content, Map<String, String> keyFiles) {
        return content == null
                ? ConfigSource.onDisk(Path.of(config))
                : ConfigSource.sent(Path.of(config), content, keyFiles);
    }

    private Reply reload(Request.Reload request) {
        try {
            Reload.Outcome outcome =
                    tunnels.reload(source(request.config(), request.content(), request.keyFiles()), request.force());
            log.println("wg-pr daemon: reload " + outcome.tunnel() + " (" + request.config() + "): "
                    + outcome.changes().size() + " change(s)");
            outcome.changes()
                    .forEach(change -> log.println("wg-pr daemon: reload " + outcome.tunnel() + ": " + change));
            return new Reply.Reloaded(outcome.tunnel(), outcome.changes());
        } catch (UpFailedException e) {
            return failure(e);
        }
    }

    private Reply down(Request.Down request) {
        if (HandOver.requested(instance)) {
            // A wg-pr@ unit stopped by an upgrade's restart, or anyone else meanwhile: the next daemon
            // takes the tunnel over as it is, so it stays up.
            log.println("wg-pr daemon: down " + request.tunnel()
                    + ": left up for the next daemon (a hand-over is pending)");
            return new Reply.Downed(true);
        }
        try {
            List<String> failures = tunnels.down(request.tunnel());
            log.println("wg-pr daemon: down " + request.tunnel()
                    + (failures.isEmpty() ? "" : ", with " + failures.size() + " failure(s): " + failures));
            if (!failures.isEmpty()) {
                return new Reply.Error(
                        Protocol.FAILED, request.tunnel() + " is down, but:\n  " + String.join("\n  ", failures));
            }
            return new Reply.Downed();
        } catch (UpFailedException e) {
            return new Reply.Error(Protocol.FAILED, e.getMessage());
        }
    }

    private static Reply failure(UpFailedException e) {
        return new Reply.Error(
                switch (e.kind()) {
                    case BAD_CONFIG -> Protocol.BAD_CONFIG;
                    case FAILED -> Protocol.FAILED;
                    case UNRESOLVED -> Protocol.UNRESOLVED;
                },
                e.getMessage());
    }

    static void send(UnixSocket connection, Reply reply) throws ErrnoException {
        connection.send(ControlJson.write(reply));
    }

    static void closeAll(List<OwnedFd> fds) {
        for (OwnedFd fd : fds) {
            try {
                fd.close();
            } catch (ErrnoException e) {
                // a descriptor we received and no longer need
            }
        }
    }
}
