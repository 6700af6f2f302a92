package dev.wgpr.tunnel.uapi;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.DeviceConfig;
import dev.wgpr.tunnel.device.PeerSettings;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed and fully validated {@code set=1} request: immutable, and applicable to a configuration
 * as one step.
 *
 * <p>wireguard-go applies a request line by line and stops at the first bad line, leaving the lines
 * before it applied. We validate the whole request before changing anything, so a bad request
 * changes nothing: {@code wg setconf} with a typo must not leave a half-replaced peer list behind.
 * The lines themselves are applied in order with wireguard-go's exact semantics (allowed IPs move
 * between peers, {@code update_only} undoes a creation, a peer with the device's own public key is
 * ignored, a new private key removes the peer that has its public key), so a valid request ends in
 * the very state wireguard-go would reach.
 */
final class SetRequest {
    private final List<SetOperation> operations;

    SetRequest(List<SetOperation> operations) {
        this.operations = List.copyOf(operations);
    }

    /**
     * Parses the lines between {@code set=1} and the blank line.
     *
     * @throws UapiException with wireguard-go's errno for the first bad line
     */
    public static SetRequest parse(List<String> lines) throws UapiException {
        return SetRequestParser.parse(lines);
    }

    /** The configuration after this request, or {@code config} itself when nothing changed. */
    public DeviceConfig applyTo(DeviceConfig config) {
        Draft draft = new Draft(config);
        for (SetOperation operation : operations) {
            draft.apply(operation);
        }
        return draft.build();
    }

    int size() {
        return operations.size();
    }

    /** The mutable working copy a request is applied to; never escapes {@link #applyTo}. */
    private static final class Draft {
        private final DeviceConfig original;
        private boolean changed;
        private Optional<Key> privateKey;
        private Optional<Key> ownPublicKey;
        private int listenPort;
        private long fwmark;
        private final Map<Key, PeerDraft> peers = new LinkedHashMap<>();
        /** Which peer holds each allowed IP: wireguard-go's trie has one owner per prefix. */
        private final Map<IpPrefix, PeerDraft> prefixOwners = new LinkedHashMap<>();
        /** The peer the current section configures; a throw-away one when the section is ignored. */
        private PeerDraft selected;

        private boolean selectedIsNew;

        Draft(DeviceConfig config) {
            original = config;
            privateKey = config.privateKey();
            ownPublicKey = privateKey.map(Key::publicKey);
            listenPort = config.listenPort();
            fwmark = config.fwmark();
            for (PeerSettings peer : config.peers()) {
                PeerDraft draft = new PeerDraft(peer);
                peers.put(peer.publicKey(), draft);
                peer.allowedIps().forEach(prefix -> prefixOwners.put(prefix, draft));
            }
        }

        void apply(SetOperation operation) {
            changed = true;
            switch (operation) {
                case SetOperation.PrivateKey(Key key) -> setPrivateKey(key);
                case SetOperation.ListenPort(int port) -> listenPort = port;
                case SetOperation.Fwmark(long mark) -> fwmark = mark;
                case SetOperation.ReplacePeers() -> {
                    peers.clear();
                    prefixOwners.clear();
                }
                case SetOperation.SelectPeer(Key publicKey) -> select(publicKey);
                case SetOperation.UpdateOnly() -> {
                    if (selectedIsNew && !selected.ignored) {
                        removeSelected();
                    }
                }
                case SetOperation.RemovePeer() -> {
                    if (!selected.ignored) {
                        removeSelected();
                    }
                    selected = PeerDraft.ignored(selected.publicKey);
                }
                case SetOperation.PresharedKey(Key key) ->
                    selected.presharedKey = key.isZero() ? Optional.empty() : Optional.of(key);
                case SetOperation.Endpoint(InetSocketAddress address) -> selected.endpoint = Optional.of(address);
                case SetOperation.PersistentKeepalive(int seconds) -> selected.persistentKeepalive = seconds;
                case SetOperation.ReplaceAllowedIps() -> {
                    if (!selected.ignored) {
                        selected.allowedIps.forEach(prefixOwners::remove);
                        selected.allowedIps.clear();
                    }
                }
                case SetOperation.AllowedIp(IpPrefix prefix) -> addAllowedIp(prefix);
                case SetOperation.ProtocolVersion() -> {}
            }
        }

        private void setPrivateKey(Key key) {
            privateKey = key.isZero() ? Optional.empty() : Optional.of(key.clamped());
            ownPublicKey = privateKey.map(Key::publicKey);
            // A device is never its own peer: wireguard-go drops the peer that has the new public key.
            ownPublicKey.ifPresent(own -> {
                PeerDraft peer = peers.remove(own);
                if (peer != null) {
                    peer.allowedIps.forEach(prefixOwners::remove);
                }
            });
        }

        private void select(Key publicKey) {
            if (ownPublicKey.filter(publicKey::equals).isPresent()) {
                selected = PeerDraft.ignored(publicKey);
                selectedIsNew = false;
                return;
            }
            selected = peers.get(publicKey);
            selectedIsNew = selected == null;
            if (selectedIsNew) {
                selected = new PeerDraft(PeerSettings.of(publicKey));
                peers.put(publicKey, selected);
            }
        }

        private void removeSelected() {
            peers.remove(selected.publicKey);
            selected.allowedIps.forEach(prefixOwners::remove);
            selected = PeerDraft.ignored(selected.publicKey);
        }

        private void addAllowedIp(IpPrefix prefix) {
            if (selected.ignored) {
                return;
            }
            // The previous owner, possibly this very peer, loses it; appending then puts it last, as
            // wireguard-go's trie re-links a re-inserted entry at the end of its owner's list.
            PeerDraft previous = prefixOwners.put(prefix, selected);
            if (previous != null) {
                previous.allowedIps.remove(prefix);
            }
            selected.allowedIps.add(prefix);
        }

        DeviceConfig build() {
            if (!changed) {
                return original;
            }
            return new DeviceConfig(
                    privateKey,
                    listenPort,
                    fwmark,
                    peers.values().stream().map(PeerDraft::build).toList());
        }
    }

    private static final class PeerDraft {
        final Key publicKey;
        final boolean ignored;
        Optional<Key> presharedKey;
        Optional<InetSocketAddress> endpoint;
        int persistentKeepalive;
        final LinkedHashSet<IpPrefix> allowedIps;

        PeerDraft(PeerSettings peer) {
            this(peer, false);
        }

        private PeerDraft(PeerSettings peer, boolean ignored) {
            publicKey = peer.publicKey();
            this.ignored = ignored;
            presharedKey = peer.presharedKey();
            endpoint = peer.endpoint();
            persistentKeepalive = peer.persistentKeepaliveSeconds();
            allowedIps = new LinkedHashSet<>(peer.allowedIps());
        }

        /** Stands in for a removed or self peer: the rest of its section is validated, then dropped. */
        static PeerDraft ignored(Key publicKey) {
            return new PeerDraft(PeerSettings.of(publicKey), true);
        }

        PeerSettings build() {
            return new PeerSettings(publicKey, presharedKey, endpoint, persistentKeepalive, List.copyOf(allowedIps));
        }
    }
}
