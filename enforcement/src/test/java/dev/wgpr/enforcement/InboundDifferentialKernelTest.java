package dev.wgpr.enforcement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.enforcement.InboundListenKernelTest.World;
import dev.wgpr.enforcement.policy.Protocol;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The kernel against the reference model for inbound attempts (issue 22; enforcement/DESIGN.md,
 * "Incoming"), as {@link Differential} is for outbound ones: random policies (each prefix's {@code incoming},
 * the app's grants and {@code listen} set) published over {@link InboundListenKernelTest}'s world, and from
 * the peer's side TCP connections and UDP exchanges over IPv4 and IPv6 to eight real listeners, an app's and
 * a non-app's of each protocol and family, and ICMP and ICMPv6 echo requests to the host (answered only where
 * the setting is "all"). What the listener saw must be what {@link
 * ReferenceModel#decideInbound} says, and whether the answer came back what it and the answer's own rules
 * say ({@link ReferenceModel#decideAnswer}, else the app's grants). Each attempt costs up to two seconds (a
 * refused SYN times out), so the cases are few; the seed is printed and {@code wgpr.differential.seed}
 * replays it.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class InboundDifferentialKernelTest {
    static final int POLICIES = 4;
    static final int CASES_PER_POLICY = 12;
    /** The app's TCP and UDP ports and the non-app's, by family: v4 first. */
    static final int[] APP_TCP = {8080, 8081};

    static final int[] APP_UDP = {5060, 5061};
    static final int[] OTHER_TCP = {9080, 9081};
    static final int[] OTHER_UDP = {6060, 6061};
    /** The peer's UDP source ports: one a grant may cover (a reply, to the model), one none does. */
    static final int[] PEER_UDP_PORTS = {443, 40_000};

    record Target(boolean app, Protocol protocol, boolean v6, int port, Listener listener) {}

    record Mismatch(
            long seed,
            Policy policy,
            Target target,
            int from,
            boolean modelIn,
            boolean kernelIn,
            boolean modelAnswer,
            boolean kernelAnswer) {}

    @Test
    void theKernelJudgesInboundAttemptsLikeTheReferenceModel(NetnsLab lab) throws Exception {
        long seed = Long.getLong("wgpr.differential.seed", System.nanoTime());
        Random random = new Random(seed);
        List<Mismatch> mismatches = new ArrayList<>();
        int total = 0;
        int refused = 0;
        try (World world = World.create(lab, Incoming.APPS)) {
            Path web = world.enforcement().enforcer.addApp("web", InboundListenKernelTest.WEB);
            List<Target> targets = new ArrayList<>();
            try {
                for (int family = 0; family < 2; family++) {
                    targets.add(target(world, true, Protocol.TCP, family, APP_TCP[family], Optional.of(web)));
                    targets.add(target(world, true, Protocol.UDP, family, APP_UDP[family], Optional.of(web)));
                    targets.add(target(world, false, Protocol.TCP, family, OTHER_TCP[family], Optional.empty()));
                    targets.add(target(world, false, Protocol.UDP, family, OTHER_UDP[family], Optional.empty()));
                    // ICMP echo to the host: no socket, the kernel answers, and the backstop judges the reply.
                    targets.add(new Target(false, Protocol.ANY, family == 1, 0, null));
                }
                for (int p = 0; p < POLICIES; p++) {
                    Policy policy = policy(random);
                    world.enforcement().publish(policy);
                    for (int i = 0; i < CASES_PER_POLICY; i++) {
                        Target target = targets.get(random.nextInt(targets.size()));
                        int from = PEER_UDP_PORTS[random.nextInt(PEER_UDP_PORTS.length)];
                        Mismatch mismatch = attempt(world, policy, target, from, seed);
                        total++;
                        refused += mismatch.modelIn() ? 0 : 1;
                        if (mismatch.modelIn() != mismatch.kernelIn()
                                || mismatch.modelAnswer() != mismatch.kernelAnswer()) {
                            mismatches.add(mismatch);
                        }
                    }
                }
            } finally {
                targets.stream()
                        .filter(t -> t.listener() != null)
                        .forEach(t -> t.listener().close());
            }
        }
        System.out.printf(
                "inbound differential: %d attempts (%d refused by the model) over %d random policies, seed %d, %d"
                        + " mismatches%n",
                total, refused, POLICIES, seed, mismatches.size());
        assertTrue(refused > 0 && refused < total, "both verdicts: " + refused + " of " + total + ", seed " + seed);
        assertEquals(List.of(), mismatches.stream().limit(3).toList(), "seed " + seed);
    }

    private static Target target(
            World world, boolean app, Protocol protocol, int family, int port, Optional<Path> cgroup) throws Exception {
        String proto = protocol == Protocol.TCP ? "tcp" : "udp";
        return new Target(app, protocol, family == 1, port, world.listen(proto, family == 1 ? "6" : "4", port, cgroup));
    }

    /** A random policy over the peer's prefixes: each family's incoming, the app's grants and listen set. */
    static Policy policy(Random random) {
        Incoming[] settings = Incoming.values();
        Policy.Builder builder = Policy.builder()
                .internal("10.40.0.0/24", 0)
                .internal("fd40::/64", 0)
                .incoming("10.40.0.0/24", settings[random.nextInt(settings.length)])
                .incoming("fd40::/64", settings[random.nextInt(settings.length)]);
        // Prefixes that hold the peer and one that does not (the grant then opens nothing to it).
        List<String> prefixes = List.of(
                "10.40.0.0/24", "10.40.0.1/32", "10.40.0.128/25", "fd40::/64", "fd40::1/128", "fd40::8000:0:0:0/65");
        List<String> kinds = List.of("", " tcp", " udp", " tcp/443", " udp/443", " tcp/8080-9081", " udp/5000-6061");
        for (int g = random.nextInt(4); g > 0; g--) {
            builder.grant(
                    InboundListenKernelTest.WEB,
                    prefixes.get(random.nextInt(prefixes.size())) + kinds.get(random.nextInt(kinds.size())));
        }
        List<String> listens = List.of(
                "tcp/8080",
                "tcp/8081",
                "udp/5060",
                "udp/5061",
                "tcp/9080-9081",
                "udp/6060-6061",
                "tcp/1-65535",
                "udp/5060-5061");
        for (int l = random.nextInt(4); l > 0; l--) {
            builder.listen(InboundListenKernelTest.WEB, listens.get(random.nextInt(listens.size())));
        }
        return builder.build();
    }

    /** One attempt from the peer at {@code target}, from UDP port {@code from}: the model's and the kernel's. */
    private static Mismatch attempt(World world, Policy policy, Target target, int from, long seed) throws Exception {
        InetAddress peer =
                InetAddress.getByName(target.v6() ? InboundListenKernelTest.PEER6 : InboundListenKernelTest.PEER4);
        String client = target.v6() ? InboundListenKernelTest.CLIENT6 : InboundListenKernelTest.CLIENT4;
        Optional<AppId> app = target.app() ? Optional.of(InboundListenKernelTest.WEB) : Optional.empty();
        if (target.protocol() == Protocol.ANY) {
            // The kernel's echo reply answers (it is no echo request).
            boolean model = ReferenceModel.decideAnswer(policy, Optional.empty(), peer, Protocol.ANY, 0, true)
                    .isPresent();
            boolean kernel = world.peer().ping(client);
            return new Mismatch(seed, policy, target, 0, model, kernel, model, kernel);
        }
        boolean tcp = target.protocol() == Protocol.TCP;
        // A TCP listener's source port is the peer's ephemeral one: no reply rule looks at it (listening).
        boolean modelIn = ReferenceModel.decideInbound(
                        policy, true, tcp, app, peer, target.protocol(), tcp ? 0 : from, target.port())
                .allowed();
        // The answer: opened by incoming, or (UDP) covered by the app's grants as any datagram of it would be.
        // It answers (true): the listener writes back to the port that just wrote to it, which the kernel
        // recorded where the setting let the datagram in (where a grant did, the same grant covers the answer).
        boolean answerAllowed = ReferenceModel.decideAnswer(policy, app, peer, target.protocol(), target.port(), true)
                        .isPresent()
                || (!tcp
                        && ReferenceModel.decide(policy, app, peer, target.protocol(), from)
                                .allowed());
        boolean modelAnswer = modelIn && answerAllowed;
        boolean kernelAnswer =
                tcp ? world.connects(client, target.port()) : world.exchanges(client, target.port(), from);
        boolean kernelIn = received(target.listener(), kernelAnswer);
        return new Mismatch(seed, policy, target, from, modelIn, kernelIn, modelAnswer, kernelAnswer);
    }

    /** Whether the listener reported a connection or datagram (after any "answer refused" line). */
    private static boolean received(Listener listener, boolean answered) throws InterruptedException {
        Duration wait = Duration.ofMillis(answered ? 2000 : 300);
        for (String line = listener.next(wait); line != null; line = listener.next(wait)) {
            if (line.startsWith("accepted") || line.startsWith("received")) {
                return true;
            }
        }
        return false;
    }
}
