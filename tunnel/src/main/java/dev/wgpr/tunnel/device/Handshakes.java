package dev.wgpr.tunnel.device;

import dev.wgpr.tunnel.protocol.Limits;
import dev.wgpr.tunnel.protocol.Peer;
import dev.wgpr.tunnel.protocol.Protocol;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The device's handshakes: the workers that do the Diffie-Hellman work of arriving initiations and
 * responses, behind a bounded queue whose length decides "under load" (cookies, per-source rate limit), and
 * the sending of initiations with their retransmission deadline.
 */
final class Handshakes {
    private static final System.Logger LOG = System.getLogger(Handshakes.class.getName());

    /** wireguard-go's QueueHandshakeSize; under load above an eighth of it, as there. */
    static final int QUEUE = 4096;

    static final int WORKERS = Math.max(1, Runtime.getRuntime().availableProcessors());
    static final int UNDER_LOAD_QUEUE_LENGTH = QUEUE / 8;
    static final long UNDER_LOAD_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final long JITTER_NANOS = TimeUnit.MILLISECONDS.toNanos(334);

    /** A handshake message waiting for a worker. */
    private record Message(ByteBuffer message, InetSocketAddress source) {}

    private final Device device;
    private final BlockingQueue<Message> queue = new ArrayBlockingQueue<>(QUEUE);
    private final SourceRateLimiter rateLimiter = new SourceRateLimiter();
    private volatile long underLoadUntil = PeerState.NONE;

    Handshakes(Device device) {
        this.device = device;
    }

    /** Queues a copy of {@code message} for a worker; a full queue means we are flooded: dropped. */
    void offer(ByteBuffer message, InetSocketAddress source) {
        ByteBuffer copy = ByteBuffer.allocate(message.remaining());
        copy.put(message).flip();
        if (!queue.offer(new Message(copy, source))) {
            device.droppedHandshakeQueueFull.increment();
        }
    }

    /** The body of one worker thread. */
    void work() {
        while (!device.isClosed()) {
            Message handshake;
            try {
                handshake = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            Protocol current = device.peers.protocol();
            if (current == null) {
                continue;
            }
            try {
                int length = handshake.message.remaining();
                boolean underLoad = underLoad();
                if (underLoad && !rateLimiter.allow(handshake.source.getAddress(), device.clock.nanoTime())) {
                    device.droppedRateLimited.increment();
                    continue;
                }
                device.inbound.act(
                        current.receive(handshake.message, handshake.source, underLoad), handshake.source, length);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "dropped a handshake message: " + e, e);
            }
        }
    }

    /** Under load while the handshake queue is long, and for a second after (as wireguard-go). */
    boolean underLoad() {
        long now = device.clock.nanoTime();
        if (queue.size() >= UNDER_LOAD_QUEUE_LENGTH) {
            underLoadUntil = now + UNDER_LOAD_AFTER_NANOS;
            return true;
        }
        long until = underLoadUntil;
        return until != PeerState.NONE && now - until < 0;
    }

    /** Forgets the rate limiter's sources that have been quiet long enough (the timers call it). */
    void sweep(long now) {
        rateLimiter.sweep(now);
    }

    /**
     * Sends a new initiation unless one went out less than REKEY_TIMEOUT ago (a retry always goes out).
     */
    void initiate(PeerState state, boolean retry) {
        byte[] message;
        InetSocketAddress endpoint;
        synchronized (state) {
            long now = device.clock.nanoTime();
            if (!retry) {
                if (state.lastInitiationSent != PeerState.NONE
                        && now - state.lastInitiationSent < Limits.REKEY_TIMEOUT_NANOS) {
                    return;
                }
                state.retransmits = 0;
            }
            Protocol current = device.peers.protocol();
            Peer peer = state.peer;
            endpoint = state.endpoint;
            if (current == null || peer == null || endpoint == null) {
                return;
            }
            message = current.createInitiation(peer).orElse(null);
            if (message == null) {
                return;
            }
            state.handshakeInFlight = true;
            state.lastInitiationSent = now;
            state.retransmitAt = now
                    + Limits.REKEY_TIMEOUT_NANOS
                    + ThreadLocalRandom.current().nextLong(JITTER_NANOS);
        }
        state.sentAuthenticated(device.clock.nanoTime()); // before the send, as in Outbound.sendData
        if (device.send(message, message.length, endpoint)) {
            device.initiationsSent.incrementAndGet();
            state.txBytes.addAndGet(message.length);
        }
    }
}
