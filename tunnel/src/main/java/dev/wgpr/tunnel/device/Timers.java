package dev.wgpr.tunnel.device;

import dev.wgpr.tunnel.protocol.Limits;
import dev.wgpr.tunnel.protocol.Peer;
import dev.wgpr.tunnel.protocol.Protocol;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The timers of whitepaper section 6 and the control thread that runs them every {@link #TICK_MILLIS} ms:
 * retransmission and give-up, passive and persistent keepalives, rekey when nothing came back, key zeroing.
 * The control thread also runs the tasks that must happen in the device's network namespace (rebinding the
 * socket) and follows the interface's MTU.
 */
final class Timers {
    static final long TICK_MILLIS = 100;
    /** Retransmissions before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT, as wireguard-go counts them. */
    static final int MAX_RETRANSMITS = (int) (Limits.REKEY_ATTEMPT_TIME_NANOS / Limits.REKEY_TIMEOUT_NANOS);

    private final Device device;
    private final BlockingQueue<Runnable> controlTasks = new LinkedBlockingQueue<>();
    private final Object tickLock = new Object();

    Timers(Device device) {
        this.device = device;
    }

    /** Runs {@code task} on the control thread, which lives in the device's network namespace. */
    void submit(Runnable task) {
        controlTasks.add(task);
    }

    /** The body of the control thread. */
    void controlLoop() {
        long lastMtuCheck = PeerState.NONE;
        while (!device.isClosed()) {
            try {
                Runnable task = controlTasks.poll(TICK_MILLIS, TimeUnit.MILLISECONDS);
                if (task != null) {
                    task.run();
                }
                tick();
                long now = System.nanoTime();
                if (lastMtuCheck == PeerState.NONE || now - lastMtuCheck > TimeUnit.SECONDS.toNanos(1)) {
                    lastMtuCheck = now;
                    device.followMtu();
                }
            } catch (InterruptedException e) {
                return;
            } catch (Throwable t) {
                if (!device.isClosed()) {
                    device.survive(t); // the next tick comes all the same: keepalives go on
                }
            }
        }
    }

    /**
     * Runs every timer that is due at the clock's time (the control thread calls it every tick; tests too,
     * hence the lock: two ticks never interleave).
     */
    void tick() {
        synchronized (tickLock) {
            tickLocked();
        }
    }

    private void tickLocked() {
        long now = device.clock.nanoTime();
        device.handshakes.sweep(now);
        for (PeerState state : device.peers.all()) {
            boolean retransmit = false;
            synchronized (state) {
                if (state.handshakeInFlight && now - state.retransmitAt >= 0) {
                    if (state.retransmits >= MAX_RETRANSMITS) {
                        // Give up: drop what waited; the keys go too, unless something resets this.
                        state.handshakeInFlight = false;
                        state.staged.clear();
                        if (state.zeroKeysAt == PeerState.NONE) {
                            state.zeroKeysAt = now + 3 * Limits.REJECT_AFTER_TIME_NANOS;
                        }
                    } else {
                        state.retransmits++;
                        retransmit = true;
                    }
                }
            }
            if (retransmit) {
                device.handshakes.initiate(state, true);
            }
            long keepaliveDue = state.keepaliveDue;
            if (keepaliveDue != PeerState.NONE && now - keepaliveDue >= 0) {
                state.keepaliveDue = PeerState.NONE;
                device.outbound.sendKeepalive(state);
            }
            long newHandshakeDue = state.newHandshakeDue;
            if (newHandshakeDue != PeerState.NONE && now - newHandshakeDue >= 0) {
                state.newHandshakeDue = PeerState.NONE;
                device.handshakes.initiate(state, false);
            }
            synchronized (state) {
                // Under the peer's lock, which also guards setting it: a session derived meanwhile wins.
                long zeroKeysAt = state.zeroKeysAt;
                if (zeroKeysAt != PeerState.NONE && now - zeroKeysAt >= 0) {
                    state.zeroKeysAt = PeerState.NONE;
                    Protocol current = device.peers.protocol();
                    Peer peer = state.peer;
                    if (current != null && peer != null) {
                        current.clearKeys(peer);
                    }
                    state.handshakeInFlight = false;
                    state.awaitingConfirmation = null;
                }
            }
            int keepalive = state.persistentKeepaliveSeconds;
            long last = state.lastTraversal;
            if (keepalive > 0 && (last == PeerState.NONE || now - last >= TimeUnit.SECONDS.toNanos(keepalive))) {
                device.outbound.sendKeepalive(state);
            }
        }
    }
}
