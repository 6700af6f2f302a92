package dev.wgpr.client.tray;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.DeniedAttempt;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.client.control.TunnelStatuses;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * A fake daemon for the tray: a status with tunnel corp0 up (peer corp-gw, apps ssh with an exec and
 * anything without one), denials the test hands in, and a record of what the tray asked for. {@link
 * #refuse} makes every request fail with that reason, as a daemon that refuses the user.
 */
final class FakeDaemon implements TrayDaemon {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final BlockingQueue<DeniedAttempt> denials = new LinkedBlockingQueue<>();
    volatile boolean corpUp = true;
    volatile String refuse;

    static TunnelStatus corp0() {
        TunnelStatus.Peer peer = new TunnelStatus.Peer(
                "corp-gw",
                "peerKey=",
                "vpn.example.com:51820",
                "192.0.2.1:51820",
                List.of("10.20.0.0/16"),
                "192.0.2.1:51820",
                Instant.now().minusSeconds(18).toString(),
                1_234_567L,
                4_321L,
                25);
        return TunnelStatuses.withApps(
                "corp0",
                List.of("10.8.0.2/32"),
                List.of(peer),
                List.of(
                        new TunnelStatus.App(
                                "ssh", "corp-gw", "/usr/bin/ssh", null, List.of("10.20.0.0/16 tcp/22"), null),
                        new TunnelStatus.App("anything", "corp-gw", null, null, List.of("10.20.0.0/16"), null)),
                Map.of());
    }

    static DeniedAttempt denial(long seq, String comm, String destination, int port) {
        return new DeniedAttempt(
                seq,
                Instant.now().toString(),
                4242,
                comm,
                1000,
                null,
                "corp-gw",
                DeniedAttempt.OUTBOUND,
                destination,
                port,
                "tcp",
                null,
                null,
                null,
                null,
                "connect4",
                "not an app: internal destinations are for the apps a peer names",
                "not-an-app",
                1,
                null,
                null);
    }

    @Override
    public DaemonStatus status() throws Failure {
        List<TunnelStatus> tunnels = new ArrayList<>();
        if (corpUp) {
            tunnels.add(corp0());
        }
        return new DaemonStatus(DaemonStatus.SCHEMA, "test", null, tunnels, null, List.of());
    }

    @Override
    public void denials(Consumer<List<DeniedAttempt>> recent, Consumer<DeniedAttempt> follow) {
        recent.accept(List.of());
        try {
            while (true) {
                follow.accept(denials.take());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void asked(String call) throws Failure {
        calls.add(call);
        if (refuse != null) {
            throw new Failure(refuse);
        }
    }

    @Override
    public String up(Path config) throws Failure {
        asked("up " + config);
        corpUp = true;
        return Menu.stem(config);
    }

    @Override
    public void down(String tunnel) throws Failure {
        asked("down " + tunnel);
        corpUp = false;
    }

    @Override
    public long launch(String app, String tunnel, List<String> argv) throws Failure {
        asked("launch " + app + " " + tunnel + " " + argv);
        return 4343;
    }

    @Override
    public String handshake(TunnelStatus.Peer peer) {
        return "18 seconds ago";
    }

    @Override
    public String transfer(TunnelStatus.Peer peer) {
        return "1.18 MiB received, 4.22 KiB sent";
    }

    @Override
    public String statusText(DaemonStatus status) {
        return "interface corp0\n";
    }
}
