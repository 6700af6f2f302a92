package dev.wgpr.client.demo;

import dev.wgpr.client.demo.Shell.DemoException;
import dev.wgpr.client.demo.Shell.Result;
import dev.wgpr.client.dns.LabCommands;
import dev.wgpr.common.Pace;
import dev.wgpr.tunnel.crypto.Key;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code wg-pr demo}: builds the {@link DemoLab}, brings the demo config up with the real wg-pr CLI
 * in the client namespace, and tells what happens step by step, each step the real command line and
 * its real output. A step whose command does not exist yet says so instead of pretending.
 */
public final class Demo {
    /**
     * curl's limit: 5 s on an ordinary machine, more where everything runs slower (an emulated CPU in the VM
     * tier), so that a slow tunnel handshake is not mistaken for a refusal.
     */
    private static final String CURL_MAX_TIME =
            Long.toString(Pace.scaled(Duration.ofSeconds(5)).toSeconds());

    /** The tools the lab runs, with the Debian package that has each. */
    static final String[][] TOOLS = {
        {"ip", "iproute2"},
        {"nsenter", "util-linux"},
        {"wg", "wireguard-tools"},
        {"wireguard-go", "wireguard-go"},
        {"curl", "curl"},
        {"dnsmasq", "dnsmasq-base"},
    };

    private static final String CURL = "/usr/bin/curl";

    private final PrintWriter out;
    private final String javaClassPath;
    private final boolean keep;
    private final Key clientKey = Key.generatePrivate();
    private DemoLab lab;
    private Thread hook;
    /** Set by Ctrl-C: the story's thread runs on until the JVM halts, but says nothing more. */
    private volatile boolean interrupted;

    /** What the story showed, for the caller (and the test) to judge. */
    public record Outcome(
            boolean authorizedReached,
            boolean unauthorizedDenied,
            boolean denyEventShown,
            boolean internetReachedByBoth,
            boolean grantRevoked,
            List<String> cleanupFailures) {}

    public Demo(PrintWriter out, String javaClassPath, boolean keep) {
        this.out = out;
        this.javaClassPath = javaClassPath;
        this.keep = keep;
    }

    /** The tools missing from PATH, as "TOOL (Debian package PKG)". */
    public static List<String> missingTools() {
        List<String> missing = new ArrayList<>();
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String[] tool : TOOLS) {
            boolean found = false;
            for (String dir : path.split(":")) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool[0]))) {
                    found = true;
                    break;
                }
            }
            if (tool[0].equals("curl")) {
                // The demo config names /usr/bin/curl as the app's exec.
                found = Files.isExecutable(Path.of(CURL));
            }
            if (!found) {
                missing.add(tool[0] + " (Debian package " + tool[1] + ")");
            }
        }
        return missing;
    }

    /** Runs the whole story; the lab is removed at the end, on failure and on Ctrl-C, unless kept. */
    public Outcome run() throws IOException, InterruptedException {
        lab = DemoLab.fresh(javaClassPath);
        hook = new Thread(this::removeOnExit, "wg-pr demo clean-up");
        Runtime.getRuntime().addShutdownHook(hook);
        Outcome outcome = null;
        try {
            outcome = story();
            return outcome;
        } finally {
            List<String> failures = List.of();
            if (keep && outcome != null) {
                printKept();
            } else {
                failures = cleanUp();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already exiting: the hook runs, and finds the lab removed
            }
            if (outcome != null && !failures.isEmpty()) {
                outcome = new Outcome(
                        outcome.authorizedReached(),
                        outcome.unauthorizedDenied(),
                        outcome.denyEventShown(),
                        outcome.internetReachedByBoth(),
                        outcome.grantRevoked(),
                        failures);
            }
        }
    }

    private void removeOnExit() {
        interrupted = true;
        synchronized (this) {
            if (lab != null && !keep) {
                out.println("\n\nwg-pr demo: interrupted; removing the lab ...");
                out.flush();
                List<String> failures = lab.remove();
                out.println(
                        failures.isEmpty() ? "Done: nothing of the lab is left." : "Clean-up problems: " + failures);
                out.flush();
                lab = null;
            }
        }
    }

    private Outcome story() throws IOException, InterruptedException {
        title("wg-pr demo: internal routes that belong to applications");
        say("""
                A lab of network namespaces, made for this run and removed at the end:

                  client (your laptop) ── router ──┬── server 198.51.100.10: the company's WireGuard
                  10.98.0.2                        │   gateway (wireguard-go), with the intranet
                                                   │   web server 10.99.10.10 behind it
                                                   └── inet 203.0.113.80: a public web site

                Lines starting with "client#" are commands run as root inside the client namespace
                (nsenter --net=/run/netns/%s, with its own /etc/resolv.conf naming the public side's DNS
                server 203.0.113.80); what follows each is its real output.
                """.formatted(lab.namespace("client")));
        out.println("Building the lab ...");
        out.flush();
        lab.build(clientKey.publicKey());

        heading(1, "Bring the tunnel up");
        Path config = writeConfig(List.of("10.99.10.0/24 tcp/80,8080"));
        say("""
                The config (configs/demo.toml with this lab's fresh keys and names): peer demo-server
                routes 10.99.0.1 and 10.99.10.0/24 into the tunnel, and only the app "curl" may use
                them, for TCP ports 80 and 8080. Everything else may not. Names under corp.example are
                the apps' too: the daemon's DNS forwarder asks 10.99.10.53 through the tunnel for them,
                and only for the tunnel's apps, which see it as their resolver.
                """);
        out.println(config + ":");
        printIndented(Files.readString(config));
        Result up = wgPr("up", config.toString());
        show("wg-pr up " + config.getFileName(), up);
        if (!up.ok()) {
            throw new DemoException("wg-pr up failed, so the story ends here (output above)");
        }
        say("""
                Its routes: the internal prefixes into the tunnel, each with an "unreachable" twin of worse
                metric (should the tunnel vanish, internal traffic fails instead of leaking out through the
                LAN), and a host route that keeps the gateway itself on the underlay. The default route is
                untouched: the Internet goes out as before.
                """);
        show("ip route", client(List.of("ip", "route")));

        heading(2, "An authorized app reaches the intranet");
        say("""
                wg-pr run starts curl in the cgroup of app "curl", with the tunnel's resolver: it finds
                the intranet by name, and the kernel lets it through the tunnel.
                """);
        String intranet = "http://" + DemoLab.INTRANET_NAME + "/";
        Result authorized = wgPr("run", "--app", "curl", "--", CURL, "-sS", "--max-time", CURL_MAX_TIME, intranet);
        show("wg-pr run --app curl -- curl -sS --max-time " + CURL_MAX_TIME + " " + intranet, authorized);
        boolean authorizedReached = authorized.ok() && authorized.output().contains("intranet: hello");

        heading(3, "The same command, not started as the app, is denied");
        say("""
                Same user (root), same binary, same URL, but not in the app's cgroup: the name is unknown
                to it (the laptop's usual DNS server knows no internal name), and by address the eBPF
                program on connect() answers EPERM before a packet leaves. curl -v shows the errno.
                """);
        Result unnamed = client(List.of(CURL, "-sS", "--max-time", CURL_MAX_TIME, intranet));
        show("curl -sS --max-time " + CURL_MAX_TIME + " " + intranet, unnamed);
        String byAddress = "http://" + DemoLab.INTRANET + "/";
        Result unauthorized = client(List.of(CURL, "-sS", "-v", "--max-time", CURL_MAX_TIME, byAddress));
        show("curl -sS -v --max-time " + CURL_MAX_TIME + " " + byAddress, filterVerbose(unauthorized));
        boolean denied = !unnamed.ok()
                && unnamed.output().contains("Could not resolve host")
                && !unauthorized.ok()
                && unauthorized.output().contains("Operation not permitted");
        say("The daemon logged the attempt: who, which destination, and why.");
        Result events = awaitEvents();
        show("wg-pr events", events);
        boolean eventShown = events.ok() && events.output().contains(DemoLab.INTRANET);

        heading(4, "Everyone keeps the Internet");
        say("Only the tunnel's prefixes are guarded; the public web site is reachable with or without the app.");
        String internet = "http://" + DemoLab.INTERNET_NAME + "/";
        Result appInternet = wgPr("run", "--app", "curl", "--", CURL, "-sS", "--max-time", CURL_MAX_TIME, internet);
        show("wg-pr run --app curl -- curl -sS --max-time " + CURL_MAX_TIME + " " + internet, appInternet);
        Result plainInternet = client(List.of(CURL, "-sS", "--max-time", CURL_MAX_TIME, internet));
        show("curl -sS --max-time " + CURL_MAX_TIME + " " + internet, plainInternet);
        boolean internetBoth = appInternet.ok()
                && appInternet.output().contains("Internet: hello")
                && plainInternet.ok()
                && plainInternet.output().contains("Internet: hello");

        heading(5, "Revoke a grant with reload");
        boolean revoked = revoke(intranet);

        heading(6, "Status, and the tunnel as wg sees it");
        say("""
                wg-pr status --verbose: the peer's handshake and transfer, the routes, the app and its grants,
                and the enforcement layer with its counters ("the caller is no app" counts the denial of step 3).
                """);
        show("wg-pr status --verbose", wgPr("status", "--verbose"));
        say("""
                wg-pr's userspace WireGuard speaks the same UAPI as wireguard-go, so the standard wg tool
                shows it; the handshake is with the real wireguard-go on the server.
                """);
        show("wg show " + lab.clientIface, client(List.of("wg", "show", lab.clientIface)));

        if (!keep) {
            heading(7, "Down");
            show("wg-pr down " + lab.clientIface, wgPr("down", lab.clientIface));
        }
        return new Outcome(authorizedReached, denied, eventShown, internetBoth, revoked, List.of());
    }

    /** Step 5: port 80 taken away from "curl" by {@code wg-pr reload}; true when the next attempt is denied. */
    private boolean revoke(String intranet) throws IOException, InterruptedException {
        say("The new config keeps only tcp/8080 for \"curl\": port 80 is revoked, the tunnel stays up.");
        Path config = writeConfig(List.of("10.99.10.0/24 tcp/8080"));
        Result reload = wgPr("reload", config.toString());
        show("wg-pr reload " + config.getFileName(), reload);
        Result after = wgPr("run", "--app", "curl", "--", CURL, "-sS", "--max-time", CURL_MAX_TIME, intranet);
        show("wg-pr run --app curl -- curl -sS --max-time " + CURL_MAX_TIME + " " + intranet, after);
        return reload.ok() && !after.ok();
    }

    private Result awaitEvents() throws IOException, InterruptedException {
        // Events travel from the kernel's ring buffer through the daemon: give them a moment.
        Result events = wgPr("events");
        for (int i = 0; i < 20 && !(events.ok() && events.output().contains(DemoLab.INTRANET)); i++) {
            Thread.sleep(100);
            events = wgPr("events");
        }
        return events;
    }

    /** curl -v prints a screenful; the lines that tell the story are the attempt and the error. */
    private static Result filterVerbose(Result result) {
        StringBuilder kept = new StringBuilder();
        for (String line : result.output().split("\n")) {
            if (!line.startsWith(">") && !line.startsWith("<") && !line.startsWith("{") && !line.startsWith("}")) {
                kept.append(line).append('\n');
            }
        }
        return new Result(result.command(), result.exit(), kept.toString());
    }

    private Path writeConfig(List<String> curlGrants) throws IOException {
        int n = 0;
        Path file;
        do {
            file = lab.state.resolve(n++ == 0 ? "demo.toml" : "demo-" + n + ".toml");
        } while (Files.exists(file));
        String grants =
                String.join(", ", curlGrants.stream().map(g -> "\"" + g + "\"").toList());
        Files.writeString(file, """
                [interface]
                name = "%s"
                privateKey = "%s"
                address = ["%s/32"]
                dns = ["%s"]
                dnsDomains = ["corp.example"]

                [[peer]]
                name = "demo-server"
                publicKey = "%s"
                endpoint = "%s:%d"
                allowedIPs = ["%s/32", "10.99.10.0/24"]
                persistentKeepalive = 25

                [[peer.allowedApps]]
                name = "curl"
                exec = "%s"
                allow = [%s]
                """.formatted(
                        lab.clientIface,
                        clientKey.toBase64(),
                        DemoLab.CLIENT_TUNNEL,
                        DemoLab.INTRANET_DNS,
                        lab.serverPublicKey(),
                        DemoLab.SERVER_UNDERLAY,
                        DemoLab.SERVER_PORT,
                        DemoLab.SERVER_TUNNEL,
                        CURL,
                        grants));
        return file;
    }

    /** The real wg-pr CLI (this very build) as root in the client namespace, for this lab's instance. */
    private Result wgPr(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC",
                "-cp",
                javaClassPath,
                "dev.wgpr.client.cli.Main",
                "--instance",
                lab.instance.name()));
        command.addAll(List.of(args));
        return client(command);
    }

    /**
     * {@code command} in the client namespace, in a mount namespace of its own where the lab's
     * resolv.conf is /etc/resolv.conf (the machine's stays as it is); a daemon it starts runs there too.
     */
    private Result client(List<String> command) throws IOException, InterruptedException {
        return lab.shell()
                .run(Shell.inNetns(lab.namespace("client"), LabCommands.withResolvConf(lab.resolvConf(), command)), 60);
    }

    private List<String> cleanUp() {
        synchronized (this) {
            if (lab == null) {
                return List.of(); // removed by the shutdown hook
            }
            out.println();
            out.println("Removing the lab (namespaces, wg-pr daemon, BPF pins, cgroups, sockets) ...");
            out.flush();
            List<String> failures = lab.remove();
            try {
                List<String> left = lab.leftovers();
                failures = new ArrayList<>(failures);
                for (String thing : left) {
                    failures.add("left behind: " + thing);
                }
            } catch (IOException e) {
                failures = new ArrayList<>(failures);
                failures.add("could not check what is left: " + e.getMessage());
            }
            if (failures.isEmpty()) {
                out.println("Done: nothing of the lab is left.");
            } else {
                out.println("Clean-up problems:");
                failures.forEach(f -> out.println("  " + f));
            }
            lab = null;
            out.flush();
            return failures;
        }
    }

    private void printKept() {
        String client = lab.namespace("client");
        // From a checkout the launcher is ./wg-pr, not on PATH: the wg-pr script says where it is.
        String self = System.getenv().getOrDefault("WG_PR_SELF", "wg-pr");
        out.println();
        out.println("The lab is kept (--keep). To explore it:");
        out.println("  nsenter --net=/run/netns/" + client + " bash     # a shell on the client");
        out.println("  export WG_PR_INSTANCE=" + lab.instance.name() + "   # then, in that shell:");
        out.println("  wg-pr status; wg-pr events --follow; wg-pr run --app curl -- curl http://"
                + DemoLab.INTRANET_NAME + "/");
        out.println("Other namespaces: " + lab.namespace("server") + " (wireguard-go " + lab.serverIface + "), "
                + lab.namespace("router") + ", " + lab.namespace("inet") + " (ip netns exec NAME bash)");
        out.println("To remove it: " + self + " demo --clean");
        lab = null;
        out.flush();
    }

    private void title(String text) {
        if (interrupted) {
            return;
        }
        out.println(text);
        out.println("=".repeat(text.length()));
        out.println();
    }

    private void heading(int n, String text) {
        if (interrupted) {
            return;
        }
        out.println();
        out.println("── " + n + ". " + text + " " + "─".repeat(Math.max(3, 70 - text.length())));
        out.flush();
    }

    private void say(String text) {
        if (interrupted) {
            return;
        }
        out.println(text.stripTrailing());
        out.flush();
    }

    private void show(String command, Result result) {
        if (interrupted) {
            return;
        }
        out.println("client# " + command);
        printIndented(result.output());
        if (!result.ok()) {
            out.println("    (exit status " + result.exit() + ")");
        }
        out.println();
        out.flush();
    }

    private void printIndented(String text) {
        for (String line : text.stripTrailing().split("\n", -1)) {
            out.println(line.isEmpty() ? "" : "    " + line);
        }
    }

    /** {@code wg-pr demo --clean}: removes every lab a kept or interrupted run left on this machine. */
    public static int clean(PrintWriter out, String javaClassPath) throws IOException {
        List<String> ids = DemoLab.leftIds();
        if (ids.isEmpty()) {
            out.println("No demo lab is left on this machine.");
            return 0;
        }
        int status = 0;
        for (String id : ids) {
            DemoLab left = DemoLab.existing(id, javaClassPath);
            List<String> failures = left.remove();
            if (failures.isEmpty()) {
                out.println("Removed demo lab " + id + ".");
            } else {
                status = 1;
                out.println("Demo lab " + id + ": " + String.join("; ", failures));
            }
        }
        return status;
    }
}
