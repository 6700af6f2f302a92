package dev.wgpr.tunnel.uapi;

import dev.wgpr.common.AcceptBackoff;
import dev.wgpr.common.ThreadFailures;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The cross-platform WireGuard configuration socket, {@code /var/run/wireguard/IFACE.sock}, through
 * which {@code wg} and wg-quick configure a userspace device exactly as they configure wireguard-go.
 *
 * <p>Like wireguard-go: the directory is created with mode 0755 when missing, the socket has mode
 * 0700 (only root can connect), a socket another process still answers on is never taken over and a
 * stale one is replaced. Connections are served each on its own virtual thread, so a slow or silent
 * client never holds up the others.
 */
public final class UapiServer implements AutoCloseable {
    /** Where {@code wg} looks for userspace devices. */
    public static final Path DEFAULT_SOCKET_DIR = Path.of("/var/run/wireguard");

    /** wg's own rule for interface names: IFNAMSIZ - 1 bytes, no slash, not "." or "..". */
    private static final Pattern INTERFACE_NAME = Pattern.compile("[^/\\s]{1,15}");

    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final System.Logger LOG = System.getLogger(UapiServer.class.getName());

    private final String iface;
    private final Path socketPath;
    private final Object fileKey;
    private final ServerSocketChannel listener;
    private final Thread acceptThread;
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private UapiServer(String iface, Path socketPath, Object fileKey, ServerSocketChannel listener, UapiDevice device) {
        this.iface = iface;
        this.socketPath = socketPath;
        this.fileKey = fileKey;
        this.listener = listener;
        this.acceptThread = Thread.ofPlatform().name("uapi-" + iface).daemon().unstarted(() -> acceptLoop(device));
    }

    /** Serves {@code device} at {@code /var/run/wireguard/IFACE.sock}. */
    public static UapiServer start(String iface, UapiDevice device) throws IOException {
        return start(DEFAULT_SOCKET_DIR, iface, device);
    }

    /**
     * Serves {@code device} at {@code socketDir/IFACE.sock}.
     *
     * @throws FileAlreadyExistsException when a live process already serves that socket, or the path
     *     is something other than a socket
     */
    public static UapiServer start(Path socketDir, String iface, UapiDevice device) throws IOException {
        Objects.requireNonNull(device, "device");
        if (!INTERFACE_NAME.matcher(iface).matches() || iface.equals(".") || iface.equals("..")) {
            throw new IllegalArgumentException("not a valid interface name: '" + iface + "'");
        }
        createDirectory(socketDir);
        Path socketPath = socketDir.resolve(iface + ".sock");
        removeStaleSocket(socketPath);
        ServerSocketChannel listener = bindPrivately(socketDir, iface, socketPath);
        try {
            Object fileKey = Files.readAttributes(socketPath, "basic:fileKey", LinkOption.NOFOLLOW_LINKS)
                    .get("fileKey");
            UapiServer server = new UapiServer(iface, socketPath, fileKey, listener, device);
            server.acceptThread.start();
            return server;
        } catch (IOException | RuntimeException e) {
            listener.close();
            Files.deleteIfExists(socketPath);
            throw e;
        }
    }

    public Path socketPath() {
        return socketPath;
    }

    /** Stops serving, ends open connections and removes the socket (if it is still ours). */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        listener.close();
        for (SocketChannel connection : connections) {
            closeQuietly(connection);
        }
        try {
            acceptThread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Another device may have replaced a socket we thought stale meanwhile: leave that one alone.
        try {
            Object current = Files.readAttributes(socketPath, "basic:fileKey", LinkOption.NOFOLLOW_LINKS)
                    .get("fileKey");
            if (Objects.equals(current, fileKey)) {
                Files.deleteIfExists(socketPath);
            }
        } catch (NoSuchFileException e) {
            // already gone
        }
    }

    @Override
    public String toString() {
        return "UapiServer[" + iface + " at " + socketPath + "]";
    }

    private void acceptLoop(UapiDevice device) {
        AcceptBackoff backoff = new AcceptBackoff("UAPI socket " + socketPath, line -> LOG.log(Level.WARNING, line));
        ThreadFailures failures = new ThreadFailures(line -> LOG.log(Level.WARNING, line));
        while (!closed) {
            try {
                acceptOne(device, backoff);
            } catch (ClosedChannelException e) {
                return;
            } catch (InterruptedException e) {
                return;
            } catch (Throwable t) {
                failures.survive(t);
            }
        }
    }

    /** One connection accepted and handed to a thread of its own; a failed accept pauses (it would spin). */
    private void acceptOne(UapiDevice device, AcceptBackoff backoff) throws IOException, InterruptedException {
        SocketChannel connection;
        try {
            connection = listener.accept();
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            Thread.sleep(backoff.failed(e));
            return;
        }
        backoff.succeeded();
        connections.add(connection);
        if (closed) { // close() may have run its sweep before the add
            closeQuietly(connection);
            connections.remove(connection);
            return;
        }
        Thread.ofVirtual().name("uapi-" + iface + "-client").start(() -> serve(connection, device));
    }

    private void serve(SocketChannel connection, UapiDevice device) {
        try (connection) {
            new UapiConnection(Channels.newInputStream(connection), Channels.newOutputStream(connection), device)
                    .serve();
        } catch (IOException e) {
            if (!closed) {
                LOG.log(Level.DEBUG, "UAPI connection ended: {0}", e.toString());
            }
        } catch (RuntimeException e) {
            // A bug in serving one client must not take the socket down for the others.
            LOG.log(Level.ERROR, "UAPI request failed on " + socketPath, e);
        } finally {
            connections.remove(connection);
        }
    }

    private static void createDirectory(Path socketDir) throws IOException {
        if (Files.isDirectory(socketDir)) {
            return;
        }
        try {
            Files.createDirectories(socketDir);
            Files.setPosixFilePermissions(socketDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (FileAlreadyExistsException e) {
            // created concurrently by another device: fine
        }
    }

    /** Removes a socket no process answers on; refuses a live one, or anything not a socket. */
    private static void removeStaleSocket(Path socketPath) throws IOException {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(socketPath, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new FileAlreadyExistsException(socketPath.toString(), null, "exists and is not a socket");
        }
        boolean live;
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socketPath))) {
            live = probe.isConnected();
        } catch (IOException refused) {
            live = false;
        }
        if (live) {
            throw new FileAlreadyExistsException(
                    socketPath.toString(), null, "another process is serving this interface's UAPI socket");
        }
        Files.deleteIfExists(socketPath); // nobody listens: a crashed device left it
    }

    /**
     * Binds in a private directory, restricts the socket to 0700, and only then renames it into
     * place: a socket bound directly would be reachable with the umask's looser mode for a moment.
     */
    private static ServerSocketChannel bindPrivately(Path socketDir, String iface, Path socketPath) throws IOException {
        Path staging = Files.createTempDirectory(
                socketDir,
                "." + iface + "-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path staged = staging.resolve("s");
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            listener.bind(UnixDomainSocketAddress.of(staged));
            Files.setPosixFilePermissions(staged, PosixFilePermissions.fromString("rwx------"));
            Files.move(staged, socketPath, StandardCopyOption.ATOMIC_MOVE);
            return listener;
        } catch (IOException | RuntimeException e) {
            listener.close();
            Files.deleteIfExists(staged);
            throw e;
        } finally {
            Files.deleteIfExists(staging);
        }
    }

    private static void closeQuietly(SocketChannel connection) {
        try {
            connection.close();
        } catch (IOException e) {
            // closing on shutdown: nothing left to do
        }
    }
}
