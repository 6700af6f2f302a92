import dev.wgpr.tunnel.Clock;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.protocol.Peer;
import dev.wgpr.tunnel.protocol.Protocol;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Handshakes per second a WireGuard responder completes (bench/tunnel runs it; source-launched with the
 * tunnel classes on the class path).
 *
 * <pre>
 *   HandshakeLoad keys N FILE          N private keys into FILE; their public keys on stdout, one a line
 *   HandshakeLoad run HOST PORT SERVER_PUBLIC FILE SECONDS
 * </pre>
 *
 * Closed loop: at most 32 initiations are in flight (so the responder's handshake queue stays short and it
 * never asks for cookies), and each of the N initiators waits 25 ms between its initiations (responders
 * refuse more than 50 per second from one peer). Counts handshake responses.
 */
public class HandshakeLoad {
    static final int WINDOW = 32;
    static final long PEER_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(25);

    public static void main(String[] args) throws Exception {
        if (args[0].equals("keys")) {
            int n = Integer.parseInt(args[1]);
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Key key = Key.generatePrivate();
                lines.add(key.toBase64());
                System.out.println(key.publicKey().toBase64());
            }
            Files.write(Path.of(args[2]), lines);
            return;
        }
        InetSocketAddress server = new InetSocketAddress(InetAddress.ofLiteral(args[1]), Integer.parseInt(args[2]));
        Key serverKey = Key.fromBase64(args[3]);
        List<String> keys = Files.readAllLines(Path.of(args[4]));
        long seconds = Long.parseLong(args[5]);
        List<Protocol> protocols = new ArrayList<>();
        List<Peer> peers = new ArrayList<>();
        for (String key : keys) {
            Protocol protocol = new Protocol(Key.fromBase64(key), Clock.system());
            protocols.add(protocol);
            peers.add(protocol.addPeer(serverKey, null));
        }
        DatagramChannel channel = DatagramChannel.open();
        channel.connect(server);
        Semaphore window = new Semaphore(WINDOW);
        AtomicLong responses = new AtomicLong();
        AtomicLong others = new AtomicLong();
        long sent = 0;
        long refills = 0;
        Thread receiver = Thread.ofPlatform().daemon().start(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(2048);
            while (true) {
                try {
                    buffer.clear();
                    channel.read(buffer);
                    if (buffer.position() == 92 && buffer.get(0) == 2) {
                        responses.incrementAndGet();
                        window.release();
                    } else {
                        others.incrementAndGet();
                    }
                } catch (Exception e) {
                    return;
                }
            }
        });
        long[] lastSent = new long[keys.size()];
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        long countedFrom = start + TimeUnit.SECONDS.toNanos(1); // the first second warms up
        long baseline = -1;
        int i = 0;
        while (System.nanoTime() < end) {
            if (baseline < 0 && System.nanoTime() >= countedFrom) {
                baseline = responses.get();
            }
            if (!window.tryAcquire(200, TimeUnit.MILLISECONDS)) {
                window.release(WINDOW - window.availablePermits()); // lost ones: refill the window
                refills++;
                continue;
            }
            i = (i + 1) % keys.size();
            long wait = lastSent[i] + PEER_INTERVAL_NANOS - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            byte[] initiation = protocols.get(i).createInitiation(peers.get(i)).orElseThrow();
            lastSent[i] = System.nanoTime();
            channel.write(ByteBuffer.wrap(initiation));
            sent++;
        }
        long counted = responses.get() - Math.max(0, baseline);
        double elapsed = (System.nanoTime() - Math.max(start, countedFrom)) / 1e9;
        System.out.printf("%.0f%n", counted / elapsed);
        if (refills > 0 || others.get() > 0) { // the rate is then not only the responder's speed: say so
            System.err.printf(
                    "HandshakeLoad: sent %d, responses %d, other replies (cookies?) %d, window refilled %d times after losses%n",
                    sent, responses.get(), others.get(), refills);
        }
        channel.close();
        receiver.join(1000);
    }
}
