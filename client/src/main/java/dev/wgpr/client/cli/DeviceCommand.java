package dev.wgpr.client.cli;

import dev.wgpr.common.Pace;
import dev.wgpr.tunnel.device.Device;
import dev.wgpr.tunnel.uapi.BackendDevice;
import dev.wgpr.tunnel.uapi.UapiServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "device",
        mixinStandardHelpOptions = true,
        description = {
            "Run a bare userspace WireGuard interface, a drop-in for `wireguard-go IFACE`.",
            "Creates the TUN interface IFACE and /var/run/wireguard/IFACE.sock, then",
            "returns while the device runs on in the background (unless --foreground",
            "or WG_PROCESS_FOREGROUND=1). Configure it with wg(8) or wg-quick; it stops",
            "when the interface is deleted (ip link del IFACE).",
            "Example: wg-pr device wg0 && wg setconf wg0 wg0.conf && ip link set wg0 up"
        })
final class DeviceCommand implements Callable<Integer> {
    private static final long START_TIMEOUT_SECONDS = 30;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IFACE", description = "interface name, at most 15 bytes")
    String iface;

    @Option(
            names = {"-f", "--foreground"},
            description = "stay in the foreground instead of detaching")
    boolean foreground;

    @Override
    public Integer call() throws Exception {
        if (foreground || "1".equals(System.getenv("WG_PROCESS_FOREGROUND"))) {
            return runInForeground();
        }
        return startInBackground();
    }

    private int runInForeground() throws IOException, InterruptedException {
        Device device = Device.create(iface);
        UapiServer server;
        try {
            server = UapiServer.start(iface, BackendDevice.of(device));
        } catch (IOException | RuntimeException e) {
            device.close();
            throw e;
        }
        // SIGTERM / SIGINT: remove the interface and the socket, as wireguard-go does.
        Thread hook = new Thread(() -> stop(device, server), "wg-pr-device-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        device.awaitTermination();
        stop(device, server);
        device.failure()
                .ifPresent(reason ->
                        spec.commandLine().getErr().println("wg-pr device " + iface + ": " + reason.getMessage()));
        return 0;
    }

    private static void stop(Device device, UapiServer server) {
        try {
            server.close();
        } catch (IOException e) {
            // the socket file may be gone already; nothing else to release
        }
        device.close();
    }

    /**
     * What wireguard-go does without {@code -f}: start the device detached, wait until its interface and
     * socket exist, and return, so scripts (wg-quick) can go on configuring it.
     */
    private int startInBackground() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        Path setsid = Path.of("/usr/bin/setsid");
        if (Files.isExecutable(setsid)) {
            command.add(setsid.toString()); // its own session: no terminal hang-up reaches it
        }
        command.add(ProcessHandle.current().info().command().orElse("java"));
        List<String> jvmOptions = ManagementFactory.getRuntimeMXBean().getInputArguments();
        if (jvmOptions.stream().noneMatch(option -> option.startsWith("-Xmx"))) {
            // A device needs little heap (its buffers are native): keep its footprint small.
            command.addAll(List.of("-Xms16m", "-Xmx64m"));
        }
        command.addAll(jvmOptions);
        command.addAll(List.of(
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "device", "--foreground", iface));
        Path log = Files.createTempFile("wg-pr-device-" + iface + "-", ".log");
        Process child;
        try {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectInput(
                            ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().put("WG_PROCESS_FOREGROUND", "1");
            child = builder.start();
            Path socket = UapiServer.DEFAULT_SOCKET_DIR.resolve(iface + ".sock");
            long limit = Pace.scaled(Duration.ofSeconds(START_TIMEOUT_SECONDS)).toSeconds();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(limit);
            while (!Files.exists(socket)) {
                if (child.waitFor(20, TimeUnit.MILLISECONDS)) {
                    spec.commandLine()
                            .getErr()
                            .println("wg-pr device " + iface + ": the device exited (status " + child.exitValue()
                                    + ") before creating " + socket + ":\n"
                                    + Files.readString(log).strip());
                    return 1;
                }
                if (System.nanoTime() > deadline) {
                    child.destroy();
                    spec.commandLine()
                            .getErr()
                            .println("wg-pr device " + iface + ": no " + socket + " after " + limit + " s; stopped it");
                    return 1;
                }
            }
            return 0;
        } finally {
            Files.deleteIfExists(log); // the child keeps writing to its open file, which goes when it exits
        }
    }
}
