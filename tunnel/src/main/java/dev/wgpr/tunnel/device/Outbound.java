package dev.wgpr.tunnel.device;

import dev.wgpr.common.linux.Libc;
import dev.wgpr.tunnel.crypto.ChaChaPoly;
import dev.wgpr.tunnel.protocol.Keypair;
import dev.wgpr.tunnel.protocol.Limits;
import dev.wgpr.tunnel.protocol.Peer;
import dev.wgpr.tunnel.protocol.TransportHeader;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The sending side: the TUN reader, which drains bursts, cuts TSO super-packets, routes each packet to the
 * peer whose allowed IPs hold its destination, seals it and sends it in {@code sendmmsg} batches; and the
 * sealing of keepalives and of packets staged while a handshake was made. Without a usable keypair a packet
 * waits (bounded) and a handshake starts.
 */
final class Outbound {
    private static final System.Logger LOG = System.getLogger(Outbound.class.getName());
    private static final int MAX_PACKET = 65535;
    private static final int BUFFER_SIZE = TransportHeader.SIZE + MAX_PACKET + 16 + 16;

    /**
     * A packet of the TUN reader's burst that a crypto worker seals under the counter taken when it was read;
     * {@code sealed} is the message length once its job is done (-1: not sent).
     */
    private static final class Sealing implements Runnable {
        final PeerState state;
        final InetSocketAddress endpoint;
        final Keypair keypair;
        final long counter;
        final byte[] buffer;
        final int length;
        final int mtu;
        final CryptoPool.Job job = new CryptoPool.Job(this);
        int sealed = -1;

        Sealing(
                PeerState state,
                InetSocketAddress endpoint,
                Keypair keypair,
                long counter,
                byte[] buffer,
                int length,
                int mtu) {
            this.state = state;
            this.endpoint = endpoint;
            this.keypair = keypair;
            this.counter = counter;
            this.buffer = buffer;
            this.length = length;
            this.mtu = mtu;
        }

        @Override
        public void run() {
            sealed = keypair.sealWith(counter, buffer, 0, length, mtu);
        }
    }

    private final Device device;
    /** The TUN reader's packets being sealed, in the order they go out, and their buffers (reused). */
    private final List<Sealing> sealing = new ArrayList<>();

    private final byte[][] sealBuffers = new byte[CryptoPool.IN_FLIGHT][];

    Outbound(Device device) {
        this.device = device;
    }

    /** The body of the TUN reader thread. */
    void tunLoop() throws IOException {
        TunDevice tun = device.tun;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = Libc.mapAnonymous(Gso.VNET_HDR_LEN + MAX_PACKET, arena);
            byte[] buffer = new byte[BUFFER_SIZE];
            UdpSocket.Sender batch = new UdpSocket.Sender(UdpSocket.BATCH);
            Gso.Sink out = (packet, offset, length) -> {
                try {
                    routeOut(packet, length, batch);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "dropped an outgoing packet: " + e, e);
                }
            };
            boolean vnet = tun.hasVnetHeader();
            Runnable releasePages = () -> {
                Libc.discard(in);
                batch.releasePages();
            };
            while (!device.isClosed()) {
                int length = tun.read(in, UdpSocket.QUIET, releasePages);
                // A burst is drained without waiting and goes out in sendmmsg batches.
                while (length >= 0) {
                    if (vnet) {
                        int packets = Gso.split(in, length, buffer, TransportHeader.SIZE, out);
                        if (packets == 0) {
                            device.droppedMalformedPacket.increment();
                        } else if (packets > 1) {
                            device.segmentedReads.increment();
                        }
                    } else {
                        MemorySegment.copy(in, ValueLayout.JAVA_BYTE, 0, buffer, TransportHeader.SIZE, length);
                        out.packet(buffer, TransportHeader.SIZE, length);
                    }
                    length = tun.readNow(in);
                }
                if (!sealing.isEmpty()) {
                    finishSealing(batch);
                }
                if (!batch.isEmpty()) {
                    batch.flush(device.udp());
                }
            }
        }
    }

    /** A packet at {@code buffer[16, 16+length)}: to its peer, or dropped when no peer routes it. */
    private void routeOut(byte[] buffer, int length, UdpSocket.Sender batch) {
        int offset = TransportHeader.SIZE;
        AllowedIps<PeerState> routes = device.peers.routes();
        PeerState state;
        if (length >= 20 && (buffer[offset] >> 4 & 0xf) == 4) {
            state = routes.lookupV4(intAt(buffer, offset + 16));
        } else if (length >= 40 && (buffer[offset] >> 4 & 0xf) == 6) {
            state = routes.lookupV6(longAt(buffer, offset + 24), longAt(buffer, offset + 32));
        } else {
            device.droppedMalformedPacket.increment();
            return;
        }
        if (state == null) {
            device.droppedNoRoute.increment();
            return;
        }
        sendData(state, buffer, length, batch);
    }

    /**
     * Seals and sends the packet at {@code buffer[16, 16+length)} (empty: a keepalive) to {@code state},
     * or stages it and starts a handshake when there is no usable keypair.
     */
    private void sendData(PeerState state, byte[] buffer, int length, UdpSocket.Sender batch) {
        Peer peer = state.peer;
        InetSocketAddress endpoint = state.endpoint;
        if (peer == null || endpoint == null) {
            return; // no private key, or nowhere to send: wireguard-go drops these too
        }
        Keypair keypair = peer.currentKeypair().orElse(null);
        // With crypto workers, the TUN reader's packets take their counters here, in the order they were
        // read, and are sealed in parallel; sent, in that order, by finishSealing.
        boolean parallel = batch != null && device.crypto != null;
        long counter = Keypair.NO_COUNTER;
        int sealedLength;
        if (keypair == null) {
            sealedLength = -1;
        } else if (parallel) {
            counter = keypair.takeCounter();
            sealedLength = counter == Keypair.NO_COUNTER ? -1 : 0;
        } else {
            sealedLength = keypair.seal(buffer, 0, length, device.mtu());
        }
        if (sealedLength < 0) {
            if (length > 0) {
                byte[] copy = new byte[length];
                System.arraycopy(buffer, TransportHeader.SIZE, copy, 0, length);
                state.stage(copy);
            }
            device.handshakes.initiate(state, false);
            return;
        }
        long now = device.clock.nanoTime();
        // The timers before the packet leaves: its answer may come back (and set or clear them on the
        // receiving thread) before the send returns here.
        state.sentAuthenticated(now);
        if (length > 0 && state.newHandshakeDue == PeerState.NONE) {
            // Data sent and nothing heard back within keepalive + rekey timeout: the session may be dead.
            state.newHandshakeDue = now + Limits.KEEPALIVE_TIMEOUT_NANOS + Limits.REKEY_TIMEOUT_NANOS;
        }
        if (parallel) {
            startSealing(state, endpoint, keypair, counter, buffer, length, batch);
        } else if (batch != null) {
            addToBatch(batch, state, buffer, sealedLength, endpoint);
        } else if (device.send(buffer, sealedLength, endpoint)) {
            state.txBytes.addAndGet(sealedLength);
        } else {
            return;
        }
        // Keep the key fresh: the initiator rekeys by age, anyone by message count.
        Device.Options options = device.options;
        if ((keypair.isInitiator() && now - keypair.createdNanos() >= options.rekeyAfterTimeNanos())
                || Long.compareUnsigned(keypair.sendCounter(), options.rekeyAfterMessages()) >= 0) {
            device.handshakes.initiate(state, false);
        }
    }

    private void addToBatch(
            UdpSocket.Sender batch, PeerState state, byte[] message, int length, InetSocketAddress endpoint) {
        UdpSocket udp = device.udp();
        if (batch.isFull()) {
            batch.flush(udp);
        }
        batch.add(udp, message, 0, length, endpoint);
        state.txBytes.addAndGet(length);
    }

    /**
     * Hands the packet at {@code packet[16, 16+length)} to the crypto workers, to be sealed under {@code
     * counter}; {@code packet} is the reader's, so it is copied to a buffer of its own first.
     */
    private void startSealing(
            PeerState state,
            InetSocketAddress endpoint,
            Keypair keypair,
            long counter,
            byte[] packet,
            int length,
            UdpSocket.Sender batch) {
        if (sealing.size() == CryptoPool.IN_FLIGHT) {
            finishSealing(batch);
        }
        int mtuNow = device.mtu();
        int room = TransportHeader.SIZE + Keypair.paddedLength(length, mtuNow) + ChaChaPoly.TAG_LENGTH;
        byte[] buffer = CryptoPool.slot(sealBuffers, sealing.size(), room);
        System.arraycopy(packet, TransportHeader.SIZE, buffer, TransportHeader.SIZE, length);
        Sealing job = new Sealing(state, endpoint, keypair, counter, buffer, length, mtuNow);
        sealing.add(job);
        device.crypto.submit(job.job);
    }

    /** Sends the burst's sealed packets in the order they were read, each once its sealing is done. */
    private void finishSealing(UdpSocket.Sender batch) {
        for (Sealing job : sealing) {
            try {
                device.crypto.await(job.job);
                if (job.sealed >= 0) {
                    addToBatch(batch, job.state, job.buffer, job.sealed, job.endpoint);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "dropped an outgoing packet: " + e, e);
            }
        }
        sealing.clear();
    }

    void sendKeepalive(PeerState state) {
        sendData(state, new byte[TransportHeader.SIZE + 32], 0, null);
    }

    /** Sends what waited for a session, now that there is one. */
    void sendStaged(PeerState state) {
        byte[][] packets = state.takeStaged();
        for (byte[] packet : packets) {
            byte[] buffer = new byte[TransportHeader.SIZE + packet.length + 32];
            System.arraycopy(packet, 0, buffer, TransportHeader.SIZE, packet.length);
            sendData(state, buffer, packet.length, null);
        }
    }

    private static int intAt(byte[] b, int i) {
        return (b[i] & 0xff) << 24 | (b[i + 1] & 0xff) << 16 | (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff);
    }

    private static long longAt(byte[] b, int i) {
        return (long) intAt(b, i) << 32 | (intAt(b, i + 4) & 0xffffffffL);
    }
}
