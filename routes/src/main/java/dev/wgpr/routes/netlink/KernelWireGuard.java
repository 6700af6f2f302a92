package dev.wgpr.routes.netlink;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.Backend;
import dev.wgpr.tunnel.device.DeviceConfig;
import dev.wgpr.tunnel.device.PeerSettings;
import dev.wgpr.tunnel.device.PeerStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Backend} that is the kernel's own WireGuard: an interface of link type {@code wireguard}
 * ({@code RTM_NEWLINK}), configured and read over its generic netlink family as {@code wg(8)} does. The
 * kernel does the cryptography and the timers; this class only says what the configuration is. {@code wg
 * show} reads such an interface from the kernel directly.
 *
 * <p>A configuration is applied as a change from the one before: peers that stay are updated in place and
 * keep their sessions, an endpoint is sent only when it differs from the one configured before (so one the
 * peer roamed to stays), and removed peers are removed one by one.
 */
public final class KernelWireGuard implements Backend {
    /** The link type, as {@code ip link add NAME type wireguard} names it. */
    public static final String LINK_KIND = "wireguard";

    /** How often {@link #awaitTermination} looks whether the interface was deleted from outside. */
    private static final long LINK_POLL_MILLIS = 1000;

    private final String name;
    private final int index;
    private final WireGuardNetlink genl;
    private final RtNetlink rtnl;
    private final CountDownLatch closed = new CountDownLatch(1);
    private DeviceConfig configuration = DeviceConfig.EMPTY;
    private boolean configured;

    private KernelWireGuard(String name, int index, WireGuardNetlink genl, RtNetlink rtnl) {
        this.name = name;
        this.index = index;
        this.genl = genl;
        this.rtnl = rtnl;
    }

    /**
     * Why this kernel cannot run a WireGuard interface (its generic netlink family is missing even after
     * the kernel was asked to load the module), or empty when it can.
     */
    public static Optional<String> unavailableReason() {
        try {
            Optional<WireGuardNetlink> genl = WireGuardNetlink.open();
            if (genl.isEmpty()) {
                return Optional.of("this kernel has no WireGuard module (no generic netlink family '"
                        + Libmnl.WG_GENL_NAME + "', and loading module wireguard did not provide one)");
            }
            genl.get().close();
            return Optional.empty();
        } catch (ErrnoException e) {
            return Optional.of("cannot ask the kernel for WireGuard: " + e.getMessage());
        }
    }

    /**
     * Creates kernel WireGuard interface {@code name}, down and unconfigured.
     *
     * @throws IOException when the kernel has no WireGuard, or the interface cannot be created (one of that
     *     name exists); nothing was created then
     */
    public static KernelWireGuard create(String name) throws IOException {
        WireGuardNetlink genl = WireGuardNetlink.open()
                .orElseThrow(() -> new IOException("kernel WireGuard for " + name + ": "
                        + unavailableReason().orElse("the module went away")));
        RtNetlink rtnl = null;
        try {
            rtnl = RtNetlink.open();
            rtnl.addLink(name, LINK_KIND);
            int index = rtnl.link(name)
                    .orElseThrow(() -> new IOException("interface " + name + " vanished right after it was created"))
                    .index();
            return new KernelWireGuard(name, index, genl, rtnl);
        } catch (IOException | RuntimeException e) {
            closeQuietly(genl, rtnl);
            throw e;
        }
    }

    @Override
    public String interfaceName() {
        return name;
    }

    @Override
    public synchronized DeviceConfig configuration() {
        return configuration;
    }

    @Override
    public synchronized void configure(DeviceConfig config) throws IOException {
        genl.set(change(name, configured ? Optional.of(configuration) : Optional.empty(), config));
        configuration = config;
        configured = true;
    }

    /**
     * What turns the interface configured as {@code before} (empty: never configured) into {@code after}.
     * The first configuration replaces whatever peers the interface has.
     */
    static WireGuardSet change(String name, Optional<DeviceConfig> before, DeviceConfig after) {
        DeviceConfig previous = before.orElse(DeviceConfig.EMPTY);
        List<WireGuardSet.PeerSet> peers = new ArrayList<>();
        for (PeerSettings old : previous.peers()) {
            if (after.peer(old.publicKey()).isEmpty()) {
                peers.add(WireGuardSet.PeerSet.remove(old.publicKey()));
            }
        }
        for (PeerSettings peer : after.peers()) {
            Optional<PeerSettings> old = previous.peer(peer.publicKey());
            boolean endpointChanged =
                    old.map(o -> !o.endpoint().equals(peer.endpoint())).orElse(true);
            peers.add(new WireGuardSet.PeerSet(
                    peer.publicKey(),
                    Libmnl.WGPEER_F_REPLACE_ALLOWEDIPS,
                    Optional.of(peer.presharedKey().orElse(Key.fromBytes(new byte[Key.LENGTH]))),
                    endpointChanged ? peer.endpoint() : Optional.empty(),
                    OptionalInt.of(peer.persistentKeepaliveSeconds()),
                    peer.allowedIps()));
        }
        boolean portChanged = before.isEmpty() ? after.listenPort() != 0 : after.listenPort() != previous.listenPort();
        return new WireGuardSet(
                name,
                Optional.of(after.privateKey().orElse(Key.fromBytes(new byte[Key.LENGTH]))),
                portChanged ? OptionalInt.of(after.listenPort()) : OptionalInt.empty(),
                OptionalLong.of(after.fwmark()),
                before.isEmpty(),
                peers);
    }

    @Override
    public int listenPort() {
        return device().listenPort();
    }

    @Override
    public List<PeerStatus> peers() {
        return device().peers();
    }

    private WireGuardDevice device() {
        try {
            return genl.device(name)
                    .orElseThrow(() -> new UncheckedIOException(new IOException("interface " + name + " is gone")));
        } catch (ErrnoException e) {
            throw new UncheckedIOException(new IOException("reading " + name + ": " + e.getMessage(), e));
        }
    }

    @Override
    public void awaitTermination() throws InterruptedException {
        while (!closed.await(LINK_POLL_MILLIS, TimeUnit.MILLISECONDS)) {
            try {
                if (!stillThere()) {
                    return;
                }
            } catch (ErrnoException e) {
                return;
            }
        }
    }

    private synchronized boolean stillThere() throws ErrnoException {
        return closed.getCount() > 0
                && rtnl.link(name).filter(link -> link.index() == index).isPresent();
    }

    @Override
    public synchronized void close() {
        if (closed.getCount() == 0) {
            return;
        }
        closed.countDown();
        try {
            rtnl.deleteLink(index);
        } catch (ErrnoException e) {
            if (e.errno() != Libc.ENODEV) {
                throw new UncheckedIOException(new IOException("deleting " + name + ": " + e.getMessage(), e));
            }
        } finally {
            closeQuietly(genl, rtnl);
        }
    }

    private static void closeQuietly(WireGuardNetlink genl, RtNetlink rtnl) {
        try {
            genl.close();
        } catch (ErrnoException e) {
            // the socket is released with the descriptor either way
        }
        if (rtnl != null) {
            try {
                rtnl.close();
            } catch (ErrnoException e) {
                // likewise
            }
        }
    }
}
