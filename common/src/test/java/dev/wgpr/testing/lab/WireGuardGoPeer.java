package dev.wgpr.testing.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A userspace WireGuard device in a lab namespace, configured with {@code wg}: by default
 * wireguard-go, the reference peer for interop tests; any drop-in with the same contract (creates
 * the TUN interface and {@code /var/run/wireguard/IFACE.sock}, runs in the foreground) can stand in
 * through {@link #start(Namespace, String, List)}, e.g. {@code wg-pr device IFACE --foreground}.
 *
 * <pre>{@code
 * WireGuardGoPeer server = WireGuardGoPeer.start(serverNs).listenPort(51820).address("10.8.0.1/24").up();
 * WireGuardGoPeer client = WireGuardGoPeer.start(clientNs).address("10.8.0.2/24").up();
 * client.peer(server.publicKey(), "198.51.100.10:51820", "10.8.0.1/32");
 * server.peer(client.publicKey(), null, "10.8.0.2/32");
 * }</pre>
 *
 * The device's process belongs to the lab, which stops it and removes its socket on close; {@link
 * #stop()} does so earlier.
 */
public final class WireGuardGoPeer implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);

    private final Namespace namespace;
    private final String iface;
    private final LabProcess process;
    private final Path privateKeyFile;
    private final String publicKey;

    private WireGuardGoPeer(
            Namespace namespace, String iface, LabProcess process, Path privateKeyFile, String publicKey) {
        this.namespace = namespace;
        this.iface = iface;
        this.process = process;
        this.privateKeyFile = privateKeyFile;
        this.publicKey = publicKey;
    }

    /** Starts {@code wireguard-go -f wg<id><n>} in {@code namespace} with a fresh private key. */
    public static WireGuardGoPeer start(Namespace namespace) {
        String iface = namespace.lab().interfaceName("wg");
        return start(namespace, iface, List.of("wireguard-go", "-f", iface));
    }

    /**
     * Starts {@code deviceCommand} in {@code namespace} as the device for {@code iface} (take the
     * name from {@link NetnsLab#interfaceName}, so its socket name is unique on the machine), and
     * gives it a fresh private key once its UAPI socket exists.
     */
    public static WireGuardGoPeer start(Namespace namespace, String iface, List<String> deviceCommand) {
        NetnsLab lab = namespace.lab();
        Path socket = socketOf(iface);
        if (Files.exists(socket)) {
            throw new LabException(socket + " already exists: another device is using the name " + iface);
        }
        lab.deleteOnClose(socket); // recorded first, so a failed start is still cleaned up
        LabProcess process = namespace.start(deviceCommand.toArray(String[]::new));
        awaitSocket(process, socket);

        Path key = lab.scratchDir().resolve(iface + ".key");
        String privateKey = host(lab, null, "wg", "genkey").strip();
        writePrivate(key, privateKey + "\n");
        String publicKey = host(lab, key, "wg", "pubkey").strip();
        WireGuardGoPeer peer = new WireGuardGoPeer(namespace, iface, process, key, publicKey);
        peer.wg("set", iface, "private-key", key.toString());
        return peer;
    }

    public Namespace namespace() {
        return namespace;
    }

    /** The interface name, also the UAPI socket's: {@code /var/run/wireguard/IFACE.sock}. */
    public String iface() {
        return iface;
    }

    public String publicKey() {
        return publicKey;
    }

    /** The private key, base64, in a file only root can read (as {@code wg} requires). */
    public Path privateKeyFile() {
        return privateKeyFile;
    }

    public LabProcess process() {
        return process;
    }

    public Path socket() {
        return socketOf(iface);
    }

    public WireGuardGoPeer listenPort(int port) {
        wg("set", iface, "listen-port", Integer.toString(port));
        return this;
    }

    /** Addresses on the tunnel interface, in CIDR form; the prefix length also routes that subnet into it. */
    public WireGuardGoPeer address(String... cidrs) {
        namespace.address(iface, cidrs);
        return this;
    }

    /** Brings the tunnel interface up. */
    public WireGuardGoPeer up() {
        namespace.up(iface);
        return this;
    }

    /** Routes {@code prefix} into the tunnel. */
    public WireGuardGoPeer route(String prefix) {
        namespace.routeDev(prefix, iface);
        return this;
    }

    /**
     * Adds or updates a peer.
     *
     * @param endpoint {@code host:port} ({@code [v6]:port}), or {@code null} for a peer that will
     *     call in
     * @param allowedIps the peer's {@code allowed-ips}
     */
    public WireGuardGoPeer peer(String peerPublicKey, String endpoint, String... allowedIps) {
        List<String> args = new ArrayList<>(List.of("set", iface, "peer", peerPublicKey));
        if (endpoint != null) {
            args.addAll(List.of("endpoint", endpoint));
        }
        args.addAll(List.of("allowed-ips", String.join(",", allowedIps)));
        wg(args.toArray(String[]::new));
        return this;
    }

    /** Runs {@code wg ARGS…} inside the namespace, requires success, returns stdout. */
    public String wg(String... args) {
        List<String> command = new ArrayList<>(List.of("wg"));
        command.addAll(List.of(args));
        return namespace.run(command.toArray(String[]::new));
    }

    /** {@code wg show IFACE dump}, parsed. */
    public WgDump dump() {
        return WgDump.parse(wg("show", iface, "dump"));
    }

    /** Ends the device (SIGTERM, then SIGKILL) and removes its socket if it left it behind. */
    public void stop() {
        process.stop();
        Processes.deleteQuietly(socket());
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return iface + " in " + namespace + " (" + publicKey + ")";
    }

    static Path socketOf(String iface) {
        return NetnsLab.WIREGUARD_SOCKET_DIR.resolve(iface + ".sock");
    }

    private static void awaitSocket(LabProcess process, Path socket) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!Files.exists(socket)) {
            if (!process.isAlive()) {
                throw new LabException(process + " exited before creating " + socket + "; output: " + process.output());
            }
            if (System.nanoTime() > deadline) {
                throw new LabException(process + " did not create " + socket + " within " + READY_TIMEOUT + "; output: "
                        + process.output());
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LabException("interrupted while waiting for " + socket, e);
            }
        }
    }

    private static String host(NetnsLab lab, Path stdin, String... command) {
        return Processes.run(
                        List.of(command),
                        Namespace.DEFAULT_TIMEOUT,
                        lab.scratchDir(),
                        stdin == null ? Path.of("/dev/null") : stdin)
                .requireSuccess()
                .stdout();
    }

    private static void writePrivate(Path file, String content) {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new LabException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
