package dev.wgpr.tunnel.device;

import dev.wgpr.tunnel.protocol.Keypair;
import dev.wgpr.tunnel.protocol.Limits;
import dev.wgpr.tunnel.protocol.Messages;
import dev.wgpr.tunnel.protocol.Peer;
import dev.wgpr.tunnel.protocol.Protocol;
import dev.wgpr.tunnel.protocol.Received;
import dev.wgpr.tunnel.protocol.TransportData;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The receiving side: the UDP reader ({@code recvmmsg} batches, UDP GRO messages cut apart), which hands
 * handshake messages to the {@link Handshakes} workers and opens transport data on the heap; what {@link
 * Protocol#receive} says is then done here ({@link #act}): replies, new sessions, roaming, and delivery to
 * the TUN of packets whose inner source the sending peer may use, TCP segments of a batch joined again.
 */
final class Inbound {
    private static final System.Logger LOG = System.getLogger(Inbound.class.getName());

    /** A datagram of the UDP reader's batch that a crypto worker opens. */
    private record Opening(TransportData data, InetSocketAddress source, int length, CryptoPool.Job job) {
        Opening(TransportData data, InetSocketAddress source, int length) {
            this(data, source, length, new CryptoPool.Job(data::open));
        }
    }

    private final Device device;
    /** The UDP reader's datagrams being opened, in the order they arrived, and their buffers (reused). */
    private final List<Opening> opening = new ArrayList<>();

    private final byte[][] openBuffers = new byte[CryptoPool.IN_FLIGHT][];
    /** The UDP reader and its receive offload, which only it touches. */
    private volatile Thread udpThread;

    private Gro udpGro;

    Inbound(Device device) {
        this.device = device;
    }

    /** The body of the UDP reader thread. */
    void udpLoop() {
        udpThread = Thread.currentThread();
        try (UdpSocket.Receiver receiver = new UdpSocket.Receiver()) {
            receiveUntilClosed(receiver);
        }
    }

    private void receiveUntilClosed(UdpSocket.Receiver receiver) {
        byte[] scratch = new byte[UdpSocket.MAX_DATAGRAM];
        if (device.tun.hasVnetHeader()) {
            udpGro = new Gro(device.tun, Arena.ofAuto());
        }
        while (!device.isClosed()) {
            UdpSocket socket = device.udp();
            int count;
            try {
                count = receiver.receive(socket);
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "receive: {0}", e.getMessage());
                continue;
            }
            for (int i = 0; i < count; i++) {
                try {
                    receive(receiver.datagram(i), receiver.source(i), scratch);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "dropped a datagram from " + receiver.source(i) + ": " + e, e);
                }
            }
            if (!opening.isEmpty()) {
                finishOpening();
            }
            if (udpGro != null) {
                udpGro.flush(); // a batch's TCP segments, joined, go to the kernel now
            }
        }
    }

    /** One datagram; {@code scratch} is the UDP reader's own array, where transport data is opened. */
    private void receive(ByteBuffer datagram, InetSocketAddress source, byte[] scratch) {
        int type = datagram.remaining() >= 4 ? datagram.get(0) : 0;
        if (type == 1 || type == 2) {
            device.handshakes.offer(datagram, source); // the expensive messages go to the workers
            return;
        }
        Protocol current = device.peers.protocol();
        if (current == null) {
            return;
        }
        int length = datagram.remaining();
        CryptoPool crypto = device.crypto;
        boolean parallel = crypto != null && type == Messages.TRANSPORT_DATA;
        if (parallel && opening.size() == CryptoPool.IN_FLIGHT) {
            finishOpening();
        }
        // Opened on the heap: the JDK's cipher opens an array in place, but copies a direct buffer into a new
        // array (and back) for every message. In parallel, each datagram of the batch has an array of its own.
        byte[] buffer = parallel ? CryptoPool.slot(openBuffers, opening.size(), length) : scratch;
        datagram.get(datagram.position(), buffer, 0, length);
        if (parallel) {
            Opening job = new Opening(current.beginData(ByteBuffer.wrap(buffer, 0, length)), source, length);
            opening.add(job);
            crypto.submit(job.job());
        } else {
            act(current.receive(ByteBuffer.wrap(buffer, 0, length), source, false), source, length);
        }
    }

    /**
     * Acts on the batch's opened datagrams in the order they arrived, each once its opening is done: the
     * replay window, keypair rotation, timers and delivery to the TUN see them in that order, as inline.
     */
    private void finishOpening() {
        for (Opening job : opening) {
            try {
                device.crypto.await(job.job());
                act(job.data().finish(), job.source(), job.length());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "dropped a datagram from " + job.source() + ": " + e, e);
            }
        }
        opening.clear();
    }

    /** Does what {@code Protocol.receive} said: reply, install, deliver. */
    void act(Received received, InetSocketAddress source, int datagramLength) {
        switch (received) {
            case Received.Data(Peer peer, Keypair keypair, ByteBuffer plaintext) -> {
                long now = device.clock.nanoTime();
                PeerState state = heardFrom(peer, source, datagramLength, now);
                if (state == null) {
                    return;
                }
                boolean confirmed;
                synchronized (state) {
                    confirmed = keypair == state.awaitingConfirmation;
                    if (confirmed) {
                        state.awaitingConfirmation = null;
                    }
                }
                if (confirmed) {
                    state.handshakeComplete(device.clock.now());
                    device.outbound.sendStaged(state);
                }
                if (plaintext.remaining() > 0) {
                    deliver(state, plaintext, now);
                }
                // Keep the key fresh from the receiving side: an initiator whose keypair is nearly
                // rejected starts a new handshake even if it has nothing to send.
                if (keypair.isInitiator()
                        && now - keypair.createdNanos()
                                >= Limits.REJECT_AFTER_TIME_NANOS
                                        - Limits.KEEPALIVE_TIMEOUT_NANOS
                                        - Limits.REKEY_TIMEOUT_NANOS) {
                    device.handshakes.initiate(state, false);
                }
            }
            case Received.Respond(Peer peer, byte[] message, Keypair keypair) -> {
                long now = device.clock.nanoTime();
                PeerState state = heardFrom(peer, source, datagramLength, now);
                if (state == null) {
                    return;
                }
                synchronized (state) {
                    state.awaitingConfirmation = keypair;
                    state.zeroKeysAt = now + 3 * Limits.REJECT_AFTER_TIME_NANOS;
                }
                state.sentAuthenticated(now); // before the send, as in Outbound.sendData
                if (device.send(message, message.length, source)) {
                    state.txBytes.addAndGet(message.length);
                }
            }
            case Received.Established(Peer peer, Keypair keypair) -> {
                long now = device.clock.nanoTime();
                PeerState state = heardFrom(peer, source, datagramLength, now);
                if (state == null) {
                    return;
                }
                synchronized (state) {
                    state.zeroKeysAt = now + 3 * Limits.REJECT_AFTER_TIME_NANOS;
                }
                state.handshakeComplete(device.clock.now());
                boolean anyStaged;
                synchronized (state) {
                    anyStaged = !state.staged.isEmpty();
                }
                // The responder needs a first message under the new keypair to start using it.
                if (anyStaged) {
                    device.outbound.sendStaged(state);
                } else {
                    device.outbound.sendKeepalive(state);
                }
            }
            case Received.SendCookie(byte[] message) -> device.send(message, message.length, source);
            case Received.CookieStored cookie -> {
                // The next retransmission carries mac2 with the cookie; nothing to do now.
            }
            case Received.Dropped dropped -> {
                // counted by the protocol
            }
        }
    }

    /** The device's peer behind {@code peer}, told it was heard from; null when it was removed meanwhile. */
    private PeerState heardFrom(Peer peer, InetSocketAddress source, int datagramLength, long now) {
        PeerState state = device.peers.of(peer);
        if (state != null) {
            state.receivedAuthenticated(source, datagramLength, now);
        }
        return state;
    }

    /** An authenticated, decrypted packet: to the TUN if its source belongs to the peer that sent it. */
    private void deliver(PeerState state, ByteBuffer plaintext, long now) {
        int version = (plaintext.get(plaintext.position()) >> 4) & 0xf;
        int base = plaintext.position();
        AllowedIps<PeerState> routes = device.peers.routes();
        int length;
        PeerState owner;
        if (version == 4 && plaintext.remaining() >= 20) {
            length = plaintext.getShort(base + 2) & 0xffff;
            owner = routes.lookupV4(plaintext.getInt(base + 12));
        } else if (version == 6 && plaintext.remaining() >= 40) {
            length = 40 + (plaintext.getShort(base + 4) & 0xffff);
            owner = routes.lookupV6(plaintext.getLong(base + 8), plaintext.getLong(base + 16));
        } else {
            device.droppedMalformedPacket.increment();
            return;
        }
        if (length > plaintext.remaining() || length < 20) {
            device.droppedMalformedPacket.increment();
            return;
        }
        if (owner != state) {
            device.droppedSourceNotAllowed.increment();
            return;
        }
        if (state.keepaliveDue == PeerState.NONE) {
            // Data received: if we send nothing within KEEPALIVE_TIMEOUT, a keepalive says we are alive. Set
            // before the packet is delivered, so whatever its delivery causes sees the timer running.
            state.keepaliveDue = now + Limits.KEEPALIVE_TIMEOUT_NANOS;
        }
        // Plaintext is opened on the heap (see receive): its array goes on as it is, without a segment view.
        byte[] array;
        int offset;
        if (plaintext.hasArray()) {
            array = plaintext.array();
            offset = plaintext.arrayOffset() + base;
        } else {
            array = new byte[length];
            plaintext.get(base, array);
            offset = 0;
        }
        Gro gro = udpGro;
        if (gro != null && Thread.currentThread() == udpThread) {
            gro.add(array, offset, length);
        } else {
            device.tun.write(array, offset, length);
        }
    }

    /** How many joined TCP super-packets were written to the TUN (receive offload). */
    long joinedWrites() {
        Gro gro = udpGro;
        return gro == null ? 0 : gro.joinedWrites;
    }
}
