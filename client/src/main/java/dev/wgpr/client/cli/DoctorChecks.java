package dev.wgpr.client.cli;

import dev.wgpr.client.cli.DoctorCheck.Finding;
import dev.wgpr.client.config.ResolverSetting;
import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.client.dns.HostResolver;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import dev.wgpr.common.linux.SecurityModules;
import dev.wgpr.enforcement.BorrowGuard;
import dev.wgpr.enforcement.bpf.Bpf;
import dev.wgpr.enforcement.bpf.BpfException;
import dev.wgpr.enforcement.cgroup.Cgroup2Mount;
import dev.wgpr.enforcement.probe.KernelProbes;
import dev.wgpr.routes.netlink.GenericNetlink;
import dev.wgpr.routes.netlink.RtNetlink;
import dev.wgpr.tunnel.device.TunDevice;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.GZIPInputStream;

/** The checks of {@code wg-pr doctor}, in report order. */
final class DoctorChecks {
    private DoctorChecks() {}

    /** The checks, the running tunnels of {@code instance} among them. */
    static List<DoctorCheck> all(Instance instance) {
        List<DoctorCheck> checks = new ArrayList<>(all());
        checks.add(check(
                "tunnel backstops",
                "Every tunnel's device judges what enters and arrives through it (ICMP, SO_BINDTODEVICE, forwarded"
                        + " and inbound traffic), not only connect() and sendmsg().",
                false,
                () -> tunnelBackstops(instance)));
        return List.copyOf(checks);
    }

    private static Finding tunnelBackstops(Instance instance) throws DaemonClient.DaemonException {
        Optional<DaemonStatus> reply;
        try {
            reply = DaemonClient.call(instance, new Request.Status(), DaemonStatus.class);
        } catch (DaemonClient.RefusedException e) {
            return Finding.warn("the daemon did not say: " + e.error().error());
        }
        if (reply.isEmpty()) {
            return Finding.ok("no daemon of instance " + instance.name() + " runs, so no tunnel is up");
        }
        List<String> guarded = reply.get().tunnelsWithBackstop(Protocol.BACKSTOP_IN_FORCE);
        List<String> missing = reply.get().tunnelsWithBackstop(Protocol.BACKSTOP_MISSING);
        if (!missing.isEmpty()) {
            return Finding.fail("MISSING on " + String.join(", ", missing))
                    .meaning("Those tunnels are guarded by the sock_addr hooks alone: ICMP, SO_BINDTODEVICE, forwarded"
                            + " and inbound traffic are not judged. Bring them down and up again.");
        }
        return Finding.ok(guarded.isEmpty() ? "no tunnel is up" : "in force on " + String.join(", ", guarded));
    }

    static List<DoctorCheck> all() {
        return List.of(
                check(
                        "kernel",
                        "BPF links on cgroups need Linux 5.7 and ring buffers 5.8.",
                        false,
                        DoctorChecks::kernel),
                check(
                        "root",
                        "wg-pr up, and most of these checks, need root for cgroups, BPF and the tunnel device.",
                        false,
                        () -> Libc.geteuid() == 0
                                ? Finding.ok("running as root")
                                : Finding.warn("running as uid " + Libc.geteuid())
                                        .meaning("Checks that need root are not tried, so this report is incomplete.")),
                check(
                        "cgroup2",
                        "Apps are identified by cgroup v2 directories that only root can move processes into.",
                        false,
                        DoctorChecks::cgroup2),
                check("BPF syscall", "The kernel accepts wg-pr's BPF programs.", true, () -> {
                    KernelProbes.loadProgram();
                    return Finding.ok("loaded and unloaded the probe program");
                }),
                check(
                        "enforcement programs",
                        "The kernel accepts every program of wg-pr's enforcement object, which wg-pr up loads.",
                        true,
                        DoctorChecks::enforcementPrograms),
                check(
                        "app identity",
                        "Code started inside an app (ssh's ProxyCommand, git's core.sshCommand, a shell, a memfd,"
                                + " the dynamic loader run directly) gets none of the app's grants. Left open: what the"
                                + " app's own program is steered to do by its options (set args), its config files or"
                                + " the script its interpreter runs, and connections it already has that its children"
                                + " inherit.",
                        true,
                        DoctorChecks::appIdentity),
                check(
                        "cgroup sock_addr attach",
                        "Each app's connect() and UDP sendmsg() can be judged in the kernel: the core of the enforcement.",
                        true,
                        DoctorChecks::sockAddrAttach),
                check(
                        "BPF ring buffer",
                        "Denied attempts can be reported as events (wg-pr events) without polling.",
                        true,
                        DoctorChecks::ringBuffer),
                check(
                        "BPF LSM",
                        "The kernel runs the BPF LSM, the first condition for stopping same-user processes from borrowing"
                                + " an app's access (ptrace, /proc/PID/mem, pidfd_getfd); the next line says whether"
                                + " wg-pr may use it.",
                        false,
                        DoctorChecks::bpfLsm),
                check(
                        "BPF LSM programs",
                        "wg-pr's own LSM programs can be loaded and run, which that protection needs.",
                        true,
                        DoctorChecks::bpfLsmPrograms),
                check(
                        "borrowing",
                        "What stops a process of an app's own user from taking over the app's processes (and so"
                                + " borrowing its access): wg-pr's borrow guard, attached at wg-pr up (wg-pr status says"
                                + " whether it is), else Yama's ptrace_scope.",
                        true,
                        DoctorChecks::borrowing),
                check("TUN", "The userspace WireGuard tunnel can run.", true, DoctorChecks::tun),
                check(
                        "kernel WireGuard",
                        "Tunnels with backend = \"auto\" (the default) or \"kernel\" run on the kernel's WireGuard;"
                                + " enforcement is the same either way.",
                        false,
                        DoctorChecks::kernelWireGuard),
                check(
                        "IP forwarding",
                        "Forwarded traffic (containers, VMs, other hosts) must be kept out of the tunnel unless the config allows it.",
                        false,
                        DoctorChecks::ipForwarding),
                check(
                        "unprivileged ICMP",
                        "Unprivileged ICMP echo sockets are another path to internal hosts that enforcement must cover.",
                        false,
                        DoctorChecks::unprivilegedIcmp),
                check(
                        "unprivileged BPF",
                        "Unprivileged processes cannot load BPF programs, which keeps the kernel's attack surface small.",
                        false,
                        DoctorChecks::unprivilegedBpf),
                check(
                        "libbpf",
                        "libbpf loads wg-pr's BPF programs; wg-pr is built against its 1.x API.",
                        false,
                        DoctorChecks::libbpf),
                check("libmnl", "libmnl carries wg-pr's rtnetlink requests (links, addresses, routes).", false, () -> {
                    String version = RtNetlink.libmnlVersion();
                    try (RtNetlink rtnl = RtNetlink.open()) {
                        return Finding.ok(version + "; " + rtnl.links().size() + " links listed");
                    }
                }),
                check(
                        "resolver",
                        "The host's resolver is told to ask a tunnel's link for its DNS domains, so that a lookup of an"
                                + " internal name never goes to the host's own servers.",
                        false,
                        () -> resolver(HostResolver.Facts.look())));
    }

    /** Which resolver backend {@code dnsResolver = "auto"} picks on a host with {@code facts}, and whether it works. */
    static Finding resolver(HostResolver.Facts facts) {
        HostResolver.Choice choice = HostResolver.choose(ResolverSetting.AUTO, facts);
        String detail = choice.backend().text() + " (" + choice.why() + ")";
        return switch (choice.backend()) {
            case SYSTEMD_RESOLVED -> Finding.ok(detail);
            case RESOLVCONF ->
                Finding.ok(detail)
                        .meaning(
                                "resolvconf knows no routing domains: the tunnel's link is asked first for every name and"
                                        + " forwards what is not the tunnel's.");
            default ->
                Finding.warn(detail)
                        .meaning(
                                "Nothing keeps a non-app's lookup of an internal name off the host's own servers, unless"
                                        + " a config sets dnsResolver = \"file\" (wg-pr then manages /etc/resolv.conf).");
        };
    }

    private static final String NO_LSM_MEANING =
            "wg-pr's borrow guard cannot run on this kernel; the borrowing line says what protects apps instead.";

    interface Probe {
        Finding run() throws Exception;
    }

    static DoctorCheck check(String name, String meaning, boolean needsRoot, Probe probe) {
        return new DoctorCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String meaning() {
                return meaning;
            }

            @Override
            public boolean needsRoot() {
                return needsRoot;
            }

            @Override
            public Finding run() throws Exception {
                return probe.run();
            }
        };
    }

    private static Finding kernel() throws IOException {
        String release = read("/proc/sys/kernel/osrelease");
        String[] parts = release.split("[.-]");
        int major = Integer.parseInt(parts[0]);
        int minor = parts.length > 1 && parts[1].matches("\\d+") ? Integer.parseInt(parts[1]) : 0;
        boolean recent = major > 5 || (major == 5 && minor >= 8);
        return recent ? Finding.ok("Linux " + release) : Finding.warn("Linux " + release + " is older than 5.8");
    }

    private static Finding cgroup2() throws IOException {
        Optional<Cgroup2Mount> mount = Cgroup2Mount.find();
        if (mount.isEmpty()) {
            return Finding.fail("no cgroup2 file system is mounted (see /proc/self/mountinfo)");
        }
        return Finding.ok(mount.get().describe());
    }

    /** The enforcement object's programs as this kernel takes them; loaded once per doctor run. */
    private static List<KernelProbes.ProgramLoad> enforcementLoads;

    private static synchronized List<KernelProbes.ProgramLoad> enforcementLoads() throws IOException {
        if (enforcementLoads == null) {
            enforcementLoads = KernelProbes.enforcementPrograms();
        }
        return enforcementLoads;
    }

    private static Finding appIdentity() throws IOException {
        List<String> sockAddr = List.of("wgpr_connect4", "wgpr_connect6", "wgpr_sendmsg4", "wgpr_sendmsg6");
        boolean inForce = enforcementLoads().stream()
                .filter(load -> sockAddr.contains(load.program()))
                .allMatch(KernelProbes.ProgramLoad::loads);
        return inForce
                ? Finding.ok("bound to the program in the kernel: a process in an app's cgroup gets the app's grants"
                        + " only while it runs the app's program or one its allowExec lists (the connect and sendmsg"
                        + " programs read the caller's executable); children = \"any\" gives them to every process")
                : Finding.fail("not in force: this kernel refuses the connect and sendmsg programs that check it");
    }

    private static Finding enforcementPrograms() throws IOException {
        List<KernelProbes.ProgramLoad> loads = enforcementLoads();
        List<String> refused = loads.stream()
                .filter(load -> !load.loads())
                .map(load -> load.program() + ": " + load.refusal().orElseThrow())
                .toList();
        List<String> loaded = loads.stream()
                .filter(KernelProbes.ProgramLoad::loads)
                .map(KernelProbes.ProgramLoad::program)
                .toList();
        if (refused.isEmpty()) {
            return Finding.ok("all " + loads.size() + " programs of enforce.bpf.o load: " + String.join(", ", loaded));
        }
        return Finding.fail("this kernel refuses " + String.join("; ", refused)
                        + (loaded.isEmpty() ? "" : "; loads " + String.join(", ", loaded)))
                .meaning("wg-pr up cannot enforce anything on this kernel: it would fail loading enforce.bpf.o.");
    }

    private static Finding sockAddrAttach() throws IOException {
        Optional<Cgroup2Mount> mount = Cgroup2Mount.find();
        if (mount.isEmpty()) {
            return Finding.fail("not tried: no cgroup2 mount");
        }
        KernelProbes.cgroupSockAddrAttach(mount.get().path());
        return Finding.ok("attached connect4/connect6 probes to a scratch cgroup under "
                + mount.get().path() + " and removed them");
    }

    private static Finding ringBuffer() throws IOException {
        KernelProbes.ringBuffer(pageSize());
        return Finding.ok("created and closed a " + pageSize() + "-byte BPF_MAP_TYPE_RINGBUF map");
    }

    private static Finding bpfLsm() throws IOException {
        Optional<SecurityModules> active = SecurityModules.active();
        if (active.isPresent()) {
            String list = String.join(",", active.get().names()) + " (from "
                    + active.get().source() + ")";
            return active.get().contains("bpf")
                    ? Finding.ok("active: " + list)
                    : Finding.warn("not active: " + list + "; add bpf to the kernel's lsm= parameter")
                            .meaning(NO_LSM_MEANING);
        }
        // Neither securityfs nor lsm_list_modules (Linux < 6.8): say what the build allows, no more.
        return Finding.warn("cannot tell which LSMs are active (securityfs not mounted, no lsm_list_modules); "
                + kernelConfig("CONFIG_BPF_LSM").map(v -> "CONFIG_BPF_LSM=" + v).orElse("kernel config unknown")
                + kernelConfig("CONFIG_LSM").map(v -> ", CONFIG_LSM=" + v).orElse(""));
    }

    private static Finding bpfLsmPrograms() throws IOException {
        try {
            long runs = KernelProbes.bpfLsmHookRuns();
            return runs > 0
                    ? Finding.ok("an allow-all socket_create program ran " + runs + " time(s) while attached")
                    : Finding.warn("an LSM program attached but never ran: the BPF LSM is not active")
                            .meaning(NO_LSM_MEANING);
        } catch (BpfException e) {
            return Finding.warn("this kernel refuses to load BPF LSM programs: " + Libc.strerror(e.errno()) + " (errno "
                            + e.errno() + ")" + (e.errno() == Libc.EPERM ? ", e.g. under kernel lockdown" : ""))
                    .meaning(NO_LSM_MEANING);
        }
    }

    private static Finding tun() throws ErrnoException {
        String name =
                "wgprd" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        try (OwnedFd tun = new OwnedFd(Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_CLOEXEC), "/dev/net/tun")) {
            TunDevice.attach(tun.fd(), name);
        }
        return Finding.ok("/dev/net/tun opened; a scratch TUN interface was created and closed");
    }

    private static Finding kernelWireGuard() throws IOException {
        KernelWireGuardPresence presence = KernelWireGuardPresence.here();
        if (presence == KernelWireGuardPresence.LOADED) {
            // Only now ask generic netlink: for a missing family the kernel would try to load the module.
            try (GenericNetlink genl = GenericNetlink.open()) {
                OptionalInt id = genl.familyId("wireguard");
                return Finding.ok(
                        presence.detail() + (id.isPresent() ? "; generic netlink family id " + id.getAsInt() : ""));
            }
        }
        Finding found = Finding.ok(presence.detail());
        return presence.kernelBackend()
                ? found
                : found.meaning("backend = \"auto\" (the default) uses wg-pr's userspace WireGuard; backend ="
                        + " \"kernel\" fails at up. Enforcement is the same either way.");
    }

    private static Finding ipForwarding() throws IOException {
        List<String> on = new ArrayList<>();
        if (!read("/proc/sys/net/ipv4/ip_forward").equals("0")) {
            on.add("net.ipv4.ip_forward");
        }
        Path v6 = Path.of("/proc/sys/net/ipv6/conf/all/forwarding");
        if (Files.exists(v6) && !read(v6.toString()).equals("0")) {
            on.add("net.ipv6.conf.all.forwarding");
        }
        return on.isEmpty()
                ? Finding.ok("off for IPv4 and IPv6")
                        .meaning("This host forwards no traffic, so only its own processes can reach the tunnel.")
                : Finding.warn("on: " + String.join(", ", on));
    }

    private static Finding unprivilegedIcmp() throws IOException {
        String[] range = read("/proc/sys/net/ipv4/ping_group_range").split("\\s+");
        long low = Long.parseLong(range[0]);
        long high = Long.parseLong(range[1]);
        return low <= high
                ? Finding.warn("groups " + low + "-" + high + " may open ICMP echo sockets (net.ipv4.ping_group_range)")
                : Finding.ok("no group may open ICMP echo sockets (net.ipv4.ping_group_range = " + low + " " + high
                                + ")")
                        .meaning(
                                "Only privileged processes can send ICMP echo, so unprivileged ping is no way around enforcement.");
    }

    private static Finding borrowing() throws IOException {
        Optional<String> refusal = BorrowGuard.probe();
        BorrowProtection protection = BorrowProtection.onThisHost(refusal.isEmpty());
        Finding finding = protection.kind() == BorrowProtection.Kind.NONE
                ? Finding.warn(protection.line())
                : Finding.ok(protection.line());
        return refusal.isEmpty()
                ? finding
                : finding.meaning("No borrow guard here: " + refusal.get() + "."
                        + (protection.remedy().isEmpty() ? "" : " " + protection.remedy()));
    }

    private static Finding unprivilegedBpf() throws IOException {
        String value = read("/proc/sys/kernel/unprivileged_bpf_disabled");
        return switch (value) {
            case "0" -> Finding.warn("allowed (kernel.unprivileged_bpf_disabled = 0)");
            case "1" -> Finding.ok("disabled until reboot (kernel.unprivileged_bpf_disabled = 1)");
            default -> Finding.ok("disabled (kernel.unprivileged_bpf_disabled = " + value + ")");
        };
    }

    private static Finding libbpf() {
        Bpf.LibbpfVersion version = Bpf.libbpfVersion();
        return version.major() >= 1
                ? Finding.ok("libbpf " + version)
                : Finding.fail("libbpf " + version + " is older than 1.0");
    }

    private static int pageSize() {
        return 4096; // x86-64 and the usual arm64 configuration; ring buffers may be any power-of-two multiple
    }

    private static Optional<String> kernelConfig(String key) {
        Path config = Path.of("/proc/config.gz");
        if (!Files.isReadable(config)) {
            return Optional.empty();
        }
        try (var in = new GZIPInputStream(Files.newInputStream(config))) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith(key + "=")) {
                    return Optional.of(line.substring(key.length() + 1));
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /**
     * A /proc or /sys value. Not {@code Files.readString}: it trusts the file size, which procfs
     * reports wrongly, and returns "1" for {@code ping_group_range}'s "1\t0".
     */
    private static String read(String path) throws IOException {
        try (var in = Files.newInputStream(Path.of(path))) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
        }
    }
}
