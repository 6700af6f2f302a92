package dev.wgpr.testing.lab;

import dev.wgpr.common.linux.ErrnoException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * One network namespace of a {@link NetnsLab}: a test host with its own interfaces, addresses and
 * routes. Commands run inside it through {@code ip netns exec}; Java code runs inside it through
 * {@link #call}.
 */
public final class Namespace {
    /** Long enough for anything the lab runs; short enough that a hung command fails the test fast. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

    private final NetnsLab lab;
    private final String name;
    private final String role;
    private int nextEthIndex;

    Namespace(NetnsLab lab, String name, String role) {
        this.lab = lab;
        this.name = name;
        this.role = role;
    }

    /** The name {@code ip netns} knows, e.g. {@code wgpr-3fa9c2-client}. */
    public String name() {
        return name;
    }

    /** The role it was created with, e.g. {@code client}. */
    public String role() {
        return role;
    }

    public NetnsLab lab() {
        return lab;
    }

    /** The next free {@code ethN} name here, so veth ends read like a real host's interfaces. */
    String nextEthName() {
        return "eth" + nextEthIndex++;
    }

    // ---- commands ----

    /** Runs {@code command} inside this namespace and returns whatever happened; never throws on a non-zero exit. */
    public CommandResult exec(String... command) {
        return exec(DEFAULT_TIMEOUT, command);
    }

    public CommandResult exec(Duration timeout, String... command) {
        return Processes.run(inside(List.of(command)), timeout, lab.scratchDir());
    }

    /** Runs {@code command} inside this namespace, requires exit 0, and returns its stdout. */
    public String run(String... command) {
        return exec(command).requireSuccess().stdout();
    }

    /** Starts a long-running process inside this namespace; the lab stops it on close. */
    public LabProcess start(String... command) {
        return lab.startProcess(this, command[0], inside(List.of(command)));
    }

    /** {@code ip ARGS…} against this namespace (through {@code ip -n}); requires success, returns stdout. */
    public String ip(String... args) {
        List<String> command = new ArrayList<>(List.of("ip", "-n", name));
        command.addAll(List.of(args));
        return Processes.run(command, DEFAULT_TIMEOUT, lab.scratchDir())
                .requireSuccess()
                .stdout();
    }

    private List<String> inside(List<String> command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(command);
        return full;
    }

    // ---- configuration ----

    /** Writes a sysctl of this namespace, e.g. {@code sysctl("net.ipv4.ip_forward", "1")}. */
    public Namespace sysctl(String key, String value) {
        run("sysctl", "-q", "-w", key + "=" + value);
        return this;
    }

    public Namespace up(String iface) {
        ip("link", "set", "dev", iface, "up");
        return this;
    }

    /**
     * Adds addresses in CIDR form to {@code iface}. IPv6 ones get {@code nodad}, so they are usable
     * at once instead of after a second of duplicate address detection.
     */
    public Namespace address(String iface, String... cidrs) {
        for (String cidr : cidrs) {
            if (isV6(cidr)) {
                ip("-6", "address", "add", cidr, "dev", iface, "nodad");
            } else {
                ip("address", "add", cidr, "dev", iface);
            }
        }
        return this;
    }

    /** A route to {@code prefix} through the gateway {@code via} (IPv4 or IPv6 alike). */
    public Namespace route(String prefix, String via) {
        ip(family(via), "route", "add", prefix, "via", via);
        return this;
    }

    /** A route to {@code prefix} out of {@code iface} with no gateway (e.g. into a tunnel). */
    public Namespace routeDev(String prefix, String iface) {
        ip(family(prefix), "route", "add", prefix, "dev", iface);
        return this;
    }

    /** The default route of {@code gateway}'s family through it. */
    public Namespace defaultRoute(String gateway) {
        ip(family(gateway), "route", "add", "default", "via", gateway);
        return this;
    }

    /** Makes this namespace a router for IPv4 and IPv6. */
    public Namespace enableForwarding() {
        sysctl("net.ipv4.ip_forward", "1");
        sysctl("net.ipv6.conf.all.forwarding", "1");
        return this;
    }

    /** A bridge in this namespace, up; attach ports with {@link Port#attachTo}. */
    public Port bridge(String bridgeName) {
        ip("link", "add", bridgeName, "type", "bridge");
        up(bridgeName);
        return new Port(this, bridgeName);
    }

    // ---- probes ----

    /** One ICMP echo with a one-second wait: true if {@code address} answered. */
    public boolean ping(String address) {
        List<String> command = new ArrayList<>(Ping.command());
        command.addAll(List.of("-c1", "-W1", address));
        return exec(command.toArray(String[]::new)).succeeded();
    }

    /**
     * Waits until something in this namespace listens on TCP {@code port} (e.g. a server started with
     * {@link #start}), so a client started next does not race it.
     */
    public Namespace awaitTcpListener(int port, Duration timeout) {
        return awaitSocket("-t", "TCP", port, timeout);
    }

    /** Waits until a UDP socket in this namespace is bound to {@code port}, as {@link #awaitTcpListener}. */
    public Namespace awaitUdpListener(int port, Duration timeout) {
        return awaitSocket("-u", "UDP", port, timeout);
    }

    private Namespace awaitSocket(String ssProtocol, String protocol, int port, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String listeners = run("ss", "-H", ssProtocol, "-l", "-n", "sport = :" + port);
            if (!listeners.isBlank()) {
                return this;
            }
            if (System.nanoTime() > deadline) {
                throw new LabException(
                        "nothing listens on " + protocol + " port " + port + " in " + name + " after " + timeout);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LabException("interrupted while waiting for a listener in " + name, e);
            }
        }
    }

    /** What the kernel of this namespace answers to {@code ip route get ADDRESS}. */
    public String routeGet(String address) {
        return ip(family(address), "route", "get", address).strip();
    }

    /**
     * Runs {@code task} on a fresh platform thread that has entered this namespace, and returns its
     * result. Sockets created inside {@code task} belong to this namespace and stay there when used
     * afterwards from other threads; so do processes the task starts. The thread ends with the task,
     * so no pooled thread is ever left in a foreign namespace.
     */
    public <T> T call(Callable<T> task) {
        FutureTask<T> future = new FutureTask<>(() -> {
            Setns.enterNetworkNamespace(name);
            return task.call();
        });
        Thread thread = Thread.ofPlatform().daemon().name("netns-" + name).start(future);
        try {
            return future.get();
        } catch (InterruptedException e) {
            thread.interrupt();
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while running code in " + name, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ErrnoException errno) {
                throw new LabException("cannot enter namespace " + name + ": " + errno.getMessage(), errno);
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new LabException("code run in " + name + " failed: " + cause, cause);
        }
    }

    static boolean isV6(String addressOrPrefix) {
        return addressOrPrefix.contains(":");
    }

    private static String family(String addressOrPrefix) {
        return isV6(addressOrPrefix) ? "-6" : "-4";
    }

    @Override
    public String toString() {
        return name;
    }
}
