import dev.wgpr.tunnel.Clock;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.protocol.Peer;
import dev.wgpr.tunnel.protocol.Protocol;
import dev.wgpr.tunnel.protocol.Received;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The CPU time of the responder's protocol work per handshake (Protocol.receive of an initiation, up to the
 * response and the new keypair), in one thread, without sockets, queues or threads: source-launched with a
 * build's tunnel classes on the class path, so two builds can be compared side by side (run them in turn,
 * more than once) where bench/tunnel --handshakes-only mixes in the kernel and the machine's other work.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED -cp client/target/wg-pr.jar bench/HandshakeCpu.java [ROUNDS]
 * </pre>
 *
 * Each round: 64 initiators send 20 initiations each, made beforehand; the responder's thread CPU time over
 * the 1280 is divided by 1280. The first half of the rounds warm the JIT up and are not counted; prints the
 * best and the median of the others (the best is the least disturbed by other work on the machine).
 */
public class HandshakeCpu {
    private static final int INITIATORS = 64;
    private static final int PER_INITIATOR = 20;

    private static long nanos = 1_000_000_000L;
    private static Instant wall = Instant.parse("2026-01-01T00:00:00Z");

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        // A clock of our own: each initiation a second after the last (so no initiation is a replay or
        // inside a peer's flood interval) without waiting for it.
        Clock clock = new Clock() {
            @Override
            public long nanoTime() {
                return nanos;
            }

            @Override
            public Instant now() {
                return wall;
            }
        };
        Key responderKey = Key.generatePrivate();
        Protocol responder = new Protocol(responderKey, clock);
        List<Protocol> initiators = new ArrayList<>();
        List<Peer> peers = new ArrayList<>();
        for (int i = 0; i < INITIATORS; i++) {
            Key key = Key.generatePrivate();
            Protocol initiator = new Protocol(key, clock);
            peers.add(initiator.addPeer(responderKey.publicKey(), null));
            responder.addPeer(key.publicKey(), null);
            initiators.add(initiator);
        }
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        double[] micros = new double[rounds - rounds / 2];
        for (int round = 0; round < rounds; round++) {
            List<byte[]> initiations = new ArrayList<>();
            for (int n = 0; n < PER_INITIATOR; n++) {
                wall = wall.plusSeconds(1);
                for (int i = 0; i < INITIATORS; i++) {
                    initiations.add(initiators.get(i).createInitiation(peers.get(i)).orElseThrow());
                }
            }
            long cpu = threads.getCurrentThreadCpuTime();
            for (byte[] initiation : initiations) {
                nanos += 1_000_000_000L;
                if (!(responder.receive(ByteBuffer.wrap(initiation), null, false) instanceof Received.Respond)) {
                    throw new IllegalStateException("an initiation was not answered");
                }
            }
            cpu = threads.getCurrentThreadCpuTime() - cpu;
            if (round >= rounds / 2) {
                micros[round - rounds / 2] = cpu / 1e3 / initiations.size();
            }
        }
        Arrays.sort(micros);
        System.out.printf(
                "responder CPU per handshake: best %.1f us, median %.1f us (%d rounds of %d, after %d not counted)%n",
                micros[0], micros[micros.length / 2], micros.length, INITIATORS * PER_INITIATOR, rounds / 2);
    }
}
