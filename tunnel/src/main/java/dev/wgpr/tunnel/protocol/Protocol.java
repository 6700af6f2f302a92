package dev.wgpr.tunnel.protocol;

import dev.wgpr.tunnel.Clock;
import dev.wgpr.tunnel.crypto.Blake2s;
import dev.wgpr.tunnel.crypto.ChaChaPoly;
import dev.wgpr.tunnel.crypto.Curve25519;
import dev.wgpr.tunnel.crypto.Kdf;
import dev.wgpr.tunnel.crypto.Key;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The WireGuard protocol of one interface, without devices: our static key, our peers, the Noise_IKpsk2
 * handshake as initiator and responder (whitepaper section 5.4), mac1/mac2 and cookie replies, session
 * indices, keypair rotation, and transport data in and out. It sends nothing itself: {@link
 * #createInitiation} returns the message to send, {@link #receive} says what a datagram was and what to
 * send back. Thread-safe.
 */
public final class Protocol {
    private final Clock clock;
    private final SecureRandom random;
    private final byte[] privateKey;
    private final Key publicKey;
    private final byte[] publicKeyBytes;
    /** {@code HASH(Hi || our static)}: where the transcript of an initiation to us starts. */
    private final byte[] responseHash;

    private final CookieChecker cookieChecker;
    private final IndexTable indices;
    private final Map<Key, Peer> peers = new ConcurrentHashMap<>();
    private final Map<Drop, LongAdder> drops = new EnumMap<>(Drop.class);

    public Protocol(Key privateKey, Clock clock) {
        this(privateKey, clock, new SecureRandom());
    }

    public Protocol(Key privateKey, Clock clock, SecureRandom random) {
        this.clock = clock;
        this.random = random;
        this.privateKey = privateKey.toBytes();
        this.publicKey = privateKey.publicKey();
        this.publicKeyBytes = publicKey.toBytes();
        this.responseHash = Noise.initialHash(publicKeyBytes);
        this.cookieChecker = new CookieChecker(publicKeyBytes, clock, random);
        this.indices = new IndexTable(random);
        for (Drop reason : Drop.values()) {
            drops.put(reason, new LongAdder());
        }
    }

    public Key publicKey() {
        return publicKey;
    }

    /**
     * Adds a peer.
     *
     * @param presharedKey null for none
     * @throws IllegalArgumentException if the key is our own or a peer has it already
     */
    public Peer addPeer(Key publicKey, Key presharedKey) {
        if (publicKey.equals(this.publicKey)) {
            throw new IllegalArgumentException("a peer cannot have the interface's own public key");
        }
        Peer peer = new Peer(publicKey, presharedKey, privateKey, clock);
        if (peers.putIfAbsent(publicKey, peer) != null) {
            throw new IllegalArgumentException("there is a peer with that public key already");
        }
        return peer;
    }

    public Optional<Peer> peer(Key publicKey) {
        return Optional.ofNullable(peers.get(publicKey));
    }

    public Collection<Peer> peers() {
        return List.copyOf(peers.values());
    }

    /** Removes a peer, zeroing its keys and freeing its indices. */
    public void removePeer(Peer peer) {
        if (peers.remove(peer.publicKey(), peer)) {
            peer.clear(indices);
        }
    }

    /**
     * Zeroes and forgets {@code peer}'s keypairs and any initiation in flight, keeping what protects
     * against replay (the latest initiation timestamp): what the device does 3 x reject-after-time after
     * the last handshake, so no old key lingers in memory.
     */
    public void clearKeys(Peer peer) {
        peer.clear(indices);
    }

    /** How many datagrams were dropped for {@code reason}. */
    public long dropped(Drop reason) {
        return drops.get(reason).sum();
    }

    /**
     * A new handshake initiation to {@code peer} (148 bytes, mac1 and, with a fresh cookie, mac2 set),
     * replacing any initiation in flight. Empty when the peer's public key is of low order.
     */
    public Optional<byte[]> createInitiation(Peer peer) {
        if (peer.staticStatic == null) {
            return Optional.empty();
        }
        synchronized (peer) {
            peer.forgetInitiation(indices);
            byte[] ephemeralPrivate = Curve25519.generatePrivateKey(random);
            byte[] ephemeral = Curve25519.publicKey(ephemeralPrivate);
            byte[] chainingKey = Kdf.kdf1(Noise.INITIAL_CHAINING_HMAC_KEY, ephemeral);
            byte[] hash = Blake2s.hash(peer.initiationHash, ephemeral);

            byte[] dh = new byte[32];
            if (!Curve25519.sharedSecret(ephemeralPrivate, peer.remoteStatic, dh)) {
                Noise.zero(ephemeralPrivate, chainingKey);
                return Optional.empty();
            }
            byte[][] mixed = Kdf.kdf2(chainingKey, dh);
            Noise.zero(chainingKey, dh);
            chainingKey = mixed[0];
            byte[] encryptedStatic = ChaChaPoly.seal(mixed[1], 0, publicKeyBytes, hash);
            Noise.zero(mixed[1]);
            hash = Blake2s.hash(hash, encryptedStatic);

            mixed = Kdf.kdf2(chainingKey, peer.staticStatic);
            Noise.zero(chainingKey);
            chainingKey = mixed[0];
            byte[] encryptedTimestamp = ChaChaPoly.seal(mixed[1], 0, Tai64n.encode(clock.now()), hash);
            Noise.zero(mixed[1]);
            hash = Blake2s.hash(hash, encryptedTimestamp);

            int index = indices.allocate(peer);
            byte[] message = new Initiation(
                            index, ephemeral, encryptedStatic, encryptedTimestamp, new byte[16], new byte[16])
                    .toBytes();
            peer.cookies.stamp(message);

            peer.initiationSent = true;
            peer.chainingKey = chainingKey;
            peer.hash = hash;
            peer.ephemeralPrivate = ephemeralPrivate;
            peer.pendingIndex = index;
            return Optional.of(message);
        }
    }

    /**
     * Processes one datagram received from {@code source}. Never throws on hostile input: anything not
     * valid comes back as {@link Received.Dropped} and is counted. Transport data is decrypted in place in
     * {@code packet}'s buffer (its position and limit are left alone).
     *
     * @param source where the datagram came from (its address and port make the cookie); may be null when
     *     not under load
     * @param underLoad whether the device is busy enough that handshake messages must carry a valid mac2
     *     (those without get a cookie reply instead of the expensive Diffie-Hellman work)
     */
    public Received receive(ByteBuffer packet, InetSocketAddress source, boolean underLoad) {
        return switch (Messages.typeOf(packet)) {
            case Messages.INITIATION -> receiveInitiation(packet, source, underLoad);
            case Messages.RESPONSE -> receiveResponse(packet, source, underLoad);
            case Messages.COOKIE_REPLY -> receiveCookieReply(packet);
            case Messages.TRANSPORT_DATA -> receiveData(packet);
            default -> drop(Drop.MALFORMED);
        };
    }

    private Received receiveInitiation(ByteBuffer packet, InetSocketAddress source, boolean underLoad) {
        Optional<Initiation> parsed = Initiation.parse(packet);
        if (parsed.isEmpty()) {
            return drop(Drop.MALFORMED);
        }
        Initiation message = parsed.get();
        byte[] bytes = message.toBytes();
        if (!cookieChecker.mac1Valid(bytes)) {
            return drop(Drop.BAD_MAC1);
        }
        if (underLoad && !cookieChecker.mac2Valid(bytes, source)) {
            return new Received.SendCookie(
                    cookieChecker.reply(bytes, message.sender(), source).toBytes());
        }

        byte[] chainingKey = Kdf.kdf1(Noise.INITIAL_CHAINING_HMAC_KEY, message.ephemeral());
        byte[] hash = Blake2s.hash(responseHash, message.ephemeral());
        byte[] dh = new byte[32];
        if (!Curve25519.sharedSecret(privateKey, message.ephemeral(), dh)) {
            return drop(Drop.HANDSHAKE_FAILED);
        }
        byte[][] mixed = Kdf.kdf2(chainingKey, dh);
        Noise.zero(chainingKey, dh);
        chainingKey = mixed[0];
        Optional<byte[]> staticKey = ChaChaPoly.open(mixed[1], 0, message.encryptedStatic(), hash);
        Noise.zero(mixed[1]);
        if (staticKey.isEmpty()) {
            Noise.zero(chainingKey);
            return drop(Drop.UNKNOWN_PEER);
        }
        hash = Blake2s.hash(hash, message.encryptedStatic());
        Peer peer = peers.get(Key.fromBytes(staticKey.get()));
        if (peer == null || peer.staticStatic == null) {
            Noise.zero(chainingKey);
            return drop(Drop.UNKNOWN_PEER);
        }

        mixed = Kdf.kdf2(chainingKey, peer.staticStatic);
        Noise.zero(chainingKey);
        chainingKey = mixed[0];
        Optional<byte[]> timestamp = ChaChaPoly.open(mixed[1], 0, message.encryptedTimestamp(), hash);
        Noise.zero(mixed[1]);
        if (timestamp.isEmpty()) {
            Noise.zero(chainingKey);
            return drop(Drop.HANDSHAKE_FAILED);
        }
        hash = Blake2s.hash(hash, message.encryptedTimestamp());

        synchronized (peer) {
            if (!Tai64n.isAfter(timestamp.get(), peer.latestTimestamp)) {
                Noise.zero(chainingKey);
                return drop(Drop.REPLAYED_TIMESTAMP);
            }
            long now = clock.nanoTime();
            if (peer.consumedAnyInitiation
                    && now - peer.lastInitiationConsumedNanos < Limits.INITIATION_MIN_INTERVAL_NANOS) {
                Noise.zero(chainingKey);
                return drop(Drop.INITIATION_FLOOD);
            }
            peer.latestTimestamp = timestamp.get();
            peer.lastInitiationConsumedNanos = now;
            peer.consumedAnyInitiation = true;
            // Their initiation supersedes ours: both sides go on with the session this one makes.
            peer.forgetInitiation(indices);
            return respond(peer, message, chainingKey, hash);
        }
    }

    /** The responder's half: the response message and the new (next) keypair. Called holding the peer. */
    private Received respond(Peer peer, Initiation initiation, byte[] chainingKey, byte[] hash) {
        byte[] ephemeralPrivate = Curve25519.generatePrivateKey(random);
        byte[] ephemeral = Curve25519.publicKey(ephemeralPrivate);
        chainingKey = mixKey(chainingKey, ephemeral);
        hash = Blake2s.hash(hash, ephemeral);

        byte[] dh = new byte[32];
        boolean ok = Curve25519.sharedSecret(ephemeralPrivate, initiation.ephemeral(), dh);
        chainingKey = mixKey(chainingKey, dh);
        ok &= Curve25519.sharedSecret(ephemeralPrivate, peer.remoteStatic, dh);
        chainingKey = mixKey(chainingKey, dh);
        Noise.zero(ephemeralPrivate, dh);
        if (!ok) {
            Noise.zero(chainingKey);
            return drop(Drop.HANDSHAKE_FAILED);
        }

        byte[][] mixed = Kdf.kdf3(chainingKey, peer.presharedKey());
        Noise.zero(chainingKey);
        chainingKey = mixed[0];
        hash = Blake2s.hash(hash, mixed[1]);
        byte[] encryptedNothing = ChaChaPoly.seal(mixed[2], 0, Noise.EMPTY, hash);
        Noise.zero(mixed[1], mixed[2]);

        byte[][] transport = Kdf.kdf2(chainingKey, Noise.EMPTY);
        Noise.zero(chainingKey, hash);
        int index = indices.allocate(peer);
        Keypair keypair = new Keypair(peer, clock, transport[1], transport[0], index, initiation.sender(), false);
        Noise.zero(transport[0], transport[1]);
        indices.replace(index, peer, keypair);

        byte[] message = new Response(
                        index, initiation.sender(), ephemeral, encryptedNothing, new byte[16], new byte[16])
                .toBytes();
        peer.cookies.stamp(message);
        peer.install(keypair, indices);
        return new Received.Respond(peer, message, keypair);
    }

    private Received receiveResponse(ByteBuffer packet, InetSocketAddress source, boolean underLoad) {
        Optional<Response> parsed = Response.parse(packet);
        if (parsed.isEmpty()) {
            return drop(Drop.MALFORMED);
        }
        Response message = parsed.get();
        byte[] bytes = message.toBytes();
        if (!cookieChecker.mac1Valid(bytes)) {
            return drop(Drop.BAD_MAC1);
        }
        if (underLoad && !cookieChecker.mac2Valid(bytes, source)) {
            return new Received.SendCookie(
                    cookieChecker.reply(bytes, message.sender(), source).toBytes());
        }
        if (!(indices.get(message.receiver()) instanceof Peer peer)) {
            return drop(Drop.UNKNOWN_INDEX);
        }
        synchronized (peer) {
            if (!peer.initiationSent || peer.pendingIndex != message.receiver()) {
                return drop(Drop.UNEXPECTED_RESPONSE);
            }
            byte[] chainingKey = mixKey(peer.chainingKey.clone(), message.ephemeral());
            byte[] hash = Blake2s.hash(peer.hash, message.ephemeral());
            byte[] dh = new byte[32];
            boolean ok = Curve25519.sharedSecret(peer.ephemeralPrivate, message.ephemeral(), dh);
            chainingKey = mixKey(chainingKey, dh);
            ok &= Curve25519.sharedSecret(privateKey, message.ephemeral(), dh);
            chainingKey = mixKey(chainingKey, dh);
            Noise.zero(dh);
            if (!ok) {
                Noise.zero(chainingKey);
                return drop(Drop.HANDSHAKE_FAILED);
            }
            byte[][] mixed = Kdf.kdf3(chainingKey, peer.presharedKey());
            Noise.zero(chainingKey);
            chainingKey = mixed[0];
            hash = Blake2s.hash(hash, mixed[1]);
            boolean authentic = ChaChaPoly.open(mixed[2], 0, message.encryptedNothing(), hash)
                    .isPresent();
            Noise.zero(mixed[1], mixed[2], hash);
            if (!authentic) {
                // A forged or corrupted response leaves our initiation in flight for the real one.
                Noise.zero(chainingKey);
                return drop(Drop.HANDSHAKE_FAILED);
            }
            byte[][] transport = Kdf.kdf2(chainingKey, Noise.EMPTY);
            Noise.zero(chainingKey);
            int index = peer.pendingIndex;
            Keypair keypair = new Keypair(peer, clock, transport[0], transport[1], index, message.sender(), true);
            Noise.zero(transport[0], transport[1]);
            indices.replace(index, peer, keypair);
            peer.initiationSent = false; // the index now belongs to the keypair
            peer.forgetInitiation(indices);
            peer.install(keypair, indices);
            return new Received.Established(peer, keypair);
        }
    }

    private Received receiveCookieReply(ByteBuffer packet) {
        Optional<CookieReply> parsed = CookieReply.parse(packet);
        if (parsed.isEmpty()) {
            return drop(Drop.MALFORMED);
        }
        CookieReply message = parsed.get();
        Peer peer = switch (indices.get(message.receiver())) {
            case Peer p -> p;
            case Keypair k -> k.peer();
            case null, default -> null;
        };
        if (peer == null) {
            return drop(Drop.UNKNOWN_INDEX);
        }
        return peer.cookies.consume(message) ? new Received.CookieStored(peer) : drop(Drop.INVALID_COOKIE);
    }

    private Received receiveData(ByteBuffer packet) {
        TransportData data = beginData(packet);
        data.open();
        return data.finish();
    }

    /**
     * {@link #receive} of a transport data message in three steps, so that a device can open several in
     * parallel and still act on them in arrival order: this looks the keypair up (call it in arrival order);
     * then {@link TransportData#open} on any thread, then {@link TransportData#finish} in arrival order.
     */
    public TransportData beginData(ByteBuffer packet) {
        Optional<TransportHeader> parsed = TransportHeader.parse(packet);
        if (parsed.isEmpty()) {
            return TransportData.dropped(this, drop(Drop.MALFORMED));
        }
        TransportHeader header = parsed.get();
        if (!(indices.get(header.receiver()) instanceof Keypair keypair)) {
            return TransportData.dropped(this, drop(Drop.UNKNOWN_INDEX));
        }
        if (keypair.isExpired()) {
            return TransportData.dropped(this, drop(Drop.KEYPAIR_EXPIRED));
        }
        int start = packet.position() + TransportHeader.SIZE;
        int sealedLength = packet.remaining() - TransportHeader.SIZE;
        ByteBuffer sealed = packet.slice(start, sealedLength);
        ByteBuffer plaintext =
                packet.isReadOnly() ? ByteBuffer.allocate(sealedLength) : packet.slice(start, sealedLength);
        return TransportData.of(this, keypair, header.counter(), sealed, plaintext);
    }

    IndexTable indices() {
        return indices;
    }

    private static byte[] mixKey(byte[] chainingKey, byte[] input) {
        byte[] mixed = Kdf.kdf1(chainingKey, input);
        Noise.zero(chainingKey);
        return mixed;
    }

    Received drop(Drop reason) {
        drops.get(reason).increment();
        return new Received.Dropped(reason);
    }

    /** How many session indices are live (handshakes in flight and keypairs); for tests and status. */
    int liveIndices() {
        return indices.size();
    }
}
