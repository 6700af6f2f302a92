package dev.wgpr.client.dns;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Commands of the namespace labs that show DNS (the demo and the tests): a resolv.conf of the lab's own
 * in place of the machine's, and dnsmasq as a DNS server that answers only what it is told.
 */
public final class LabCommands {
    private static final List<String> UNSHARE_MOUNTS = List.of("unshare", "--mount", "--propagation", "slave", "--");
    private static final String BIND_RESOLV_CONF = "mount --bind \"$0\" /etc/resolv.conf || exit 125; exec \"$@\"";

    private LabCommands() {}

    /**
     * {@code command} in a mount namespace of its own (slave propagation: nothing reaches the machine's)
     * where {@code resolvConf} is /etc/resolv.conf, as {@code ip netns exec} shows a namespace's own;
     * whatever it starts (a daemon included) stays there.
     */
    public static List<String> withResolvConf(Path resolvConf, List<String> command) {
        List<String> full = new ArrayList<>(UNSHARE_MOUNTS);
        full.addAll(List.of("sh", "-c", BIND_RESOLV_CONF, resolvConf.toString()));
        full.addAll(command);
        return full;
    }

    /**
     * dnsmasq in the foreground on {@code address} port 53, logging every query to stderr, with no
     * configuration, upstream or hosts file of the machine's: it answers what {@code options} say
     * ({@code --address=/NAME/IP}, {@code --local=/ZONE/}) and nothing else; {@code --pid-file=PATH}
     * among them says where its pid goes (empty: nowhere).
     */
    public static List<String> dnsmasq(String address, List<String> options) {
        List<String> command = new ArrayList<>(List.of(
                "dnsmasq",
                "--keep-in-foreground",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                "--bind-interfaces",
                "--listen-address=" + address,
                "--port=53",
                "--log-queries",
                "--log-facility=-",
                "--user=root"));
        command.addAll(options);
        return command;
    }
}
