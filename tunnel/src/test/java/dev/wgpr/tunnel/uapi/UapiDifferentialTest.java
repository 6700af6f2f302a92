package dev.wgpr.tunnel.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import dev.wgpr.testing.lab.WireGuardGoPeer;
import dev.wgpr.tunnel.crypto.Key;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The same raw requests, well-formed and malformed, sent to a real wireguard-go and to our server:
 * the replies must be identical, and so must the state {@code get=1} reports afterwards.
 *
 * <p>One deliberate difference is checked rather than hidden: after a failed {@code set}, our state
 * is exactly the state before it, whereas wireguard-go keeps the lines before the bad one. The test
 * then copies our state back into wireguard-go, so every step starts from the same state.
 */
@RequiresRoot
@ExtendWith(NetnsLabExtension.class)
@Timeout(120)
class UapiDifferentialTest {
    static final String A = "11".repeat(32);
    static final String B = "22".repeat(32);
    static final String C = "33".repeat(32);
    static final String PSK = "44".repeat(32);
    static final String ZERO = "00".repeat(32);

    @Test
    void wireguardGoAndWeAnswerEveryRequestAlike(NetnsLab lab) throws IOException {
        WireGuardGoPeer reference = WireGuardGoPeer.start(lab.namespace("ref"));
        String iface = lab.interfaceName("wp");
        lab.deleteOnClose(UapiServer.DEFAULT_SOCKET_DIR.resolve(iface + ".sock"));
        Key devicePrivate = Key.generatePrivate();
        String own = UapiText.formatKey(devicePrivate.publicKey());
        Key laterPrivate = Key.generatePrivate();
        String later = UapiText.formatKey(laterPrivate.publicKey());
        String longValue = "1".repeat(70_000);

        List<String> requests = List.of(
                // well-formed
                "set=1\nprivate_key=" + UapiText.formatKey(devicePrivate)
                        + "\nlisten_port=51830\nreplace_peers=true\n\n",
                "set=1\npublic_key=" + A
                        + "\nallowed_ip=10.0.0.0/8\nallowed_ip=10.1.2.3/16\nendpoint=198.51.100.1:51820\n\n",
                "set=1\npublic_key=" + B + "\npreshared_key=" + PSK + "\nallowed_ip=10.0.0.0/8\nallowed_ip=fd10::1/64"
                        + "\nendpoint=[2001:DB8::1]:0443\npersistent_keepalive_interval=25\nprotocol_version=1\n\n",
                "set=1\npublic_key=" + A + "\nallowed_ip=10.1.0.0/16\nallowed_ip=1.2.3.4/32\nallowed_ip=10.1.0.0/16"
                        + "\nallowed_ip=0:0:1:0:0:0:0:0/128\nallowed_ip=::1.2.3.4/128\nallowed_ip=9.9.9.9/+8"
                        + "\nallowed_ip=2001:db8:0:1:1:1:1:1/128\nallowed_ip=1:0:0:2:0:0:0:3/128\nallowed_ip=fd00:0:0:0:0:0:0:0/8\n\n",
                "set=1\npublic_key=" + C + "\nupdate_only=true\nallowed_ip=10.0.0.0/8\npublic_key=" + A
                        + "\nupdate_only=true\npersistent_keepalive_interval=7\n\n",
                "set=1\npublic_key=" + C + "\nallowed_ip=10.0.0.0/8\nupdate_only=true\n\n",
                "set=1\npublic_key=" + own + "\nallowed_ip=5.0.0.0/8\n\n",
                "set=1\nfwmark=42\nlisten_port=51831\n\n",
                "set=1\npublic_key=" + B + "\nreplace_allowed_ips=true\nallowed_ip=192.168.0.0/24\npublic_key=" + A
                        + "\nremove=true\nallowed_ip=9.0.0.0/8\n\n",
                "set=1\npublic_key=" + B + "\npreshared_key=" + ZERO + "\n\n",
                "get=1\n\n",
                "set=1\npublic_key=" + later + "\nallowed_ip=7.0.0.0/8\npublic_key=" + A + "\nallowed_ip=6.0.0.0/8\n\n",
                "set=1\nprivate_key=" + UapiText.formatKey(laterPrivate) + "\n\n",
                "set=1\nprivate_key=" + "ff".repeat(32) + "\nfwmark=0\n\n",
                "set=1\nreplace_peers=true\npublic_key=" + C + "\nallowed_ip=::/0\nallowed_ip=0.0.0.0/0\n\n",
                // malformed
                "set=1\nlisten_port=51832\nbogus\n\n",
                "set=1\nfoo=bar\n\n",
                "set=1\npublic_key=" + A + "\nallowed_ip=10.0.0.0/33\n\n",
                "set=1\npublic_key=" + A.substring(1) + "\n\n",
                "set=1\npublic_key=" + B + "\nendpoint=[1.2.3.4]:5\n\n",
                "set=1\nlisten_port=65536\n\n",
                "set=1\npublic_key=" + A + "\npersistent_keepalive_interval=-1\n\n",
                "set=1\npublic_key=" + A + "\nlisten_port=5\n\n",
                "set=1\nallowed_ip=10.0.0.0/8\n\n",
                "set=1\nreplace_peers=false\n\n",
                "set=1\npublic_key=" + A + "\nprotocol_version=2\n\n",
                "set=1\npublic_key=" + A + "\nallowed_ip=fe80::1%eth0/128\n\n",
                "set=1\npublic_key=" + A + "\nallowed_ip=-10.0.0.0/8\n\n",
                "set=1\nlisten_port=51833\nallowed_ip=" + longValue + "\n\n",
                "get=1\nx\n",
                "hello=1\n\n",
                "get=1\n\n");

        try (UapiServer ours = UapiServer.start(iface, new DeviceConfigStore())) {
            for (String request : requests) {
                String shown = request.length() > 300 ? request.substring(0, 300) + "…" : request;
                String ourBefore = get(ours.socketPath());

                String theirReply = normalize(UapiClient.exchange(reference.socket(), request));
                String ourReply = normalize(UapiClient.exchange(ours.socketPath(), request));
                assertEquals(theirReply, ourReply, "reply to " + shown);

                String ourAfter = get(ours.socketPath());

                if (ourReply.startsWith("errno=-")) {
                    assertEquals(ourBefore, ourAfter, "a failed request changes nothing: " + shown);
                    // wireguard-go may have applied the lines before the bad one: give it our state back.
                    assertEquals("errno=0\n\n", UapiClient.exchange(reference.socket(), asSetRequest(ourAfter)));
                }
                assertEquals(get(reference.socket()), ourAfter, "state after " + shown);
            }
        }
    }

    static String get(Path socket) throws IOException {
        return normalize(UapiClient.exchange(socket, "get=1\n\n"));
    }

    /** Device lines first, then the peer blocks sorted: wireguard-go's peer order is random. */
    static String normalize(String reply) {
        int peersStart = reply.startsWith("public_key=") ? 0 : reply.indexOf("\npublic_key=") + 1;
        int errno = reply.indexOf("errno=", peersStart);
        if (!reply.contains("public_key=") || errno < 0) {
            return reply; // no peers, or not a get reply: nothing to reorder
        }
        String peers = reply.substring(peersStart, errno);
        return reply.substring(0, peersStart)
                + Arrays.stream(peers.split("(?=public_key=)")).sorted().collect(Collectors.joining())
                + reply.substring(errno);
    }

    /** A set request that puts a device into the state a {@code get} reply describes. */
    static String asSetRequest(String getReply) {
        StringBuilder set = new StringBuilder("set=1\nprivate_key=" + ZERO + "\nfwmark=0\n");
        boolean peersReplaced = false;
        for (String line : getReply.split("\n")) {
            String key = line.substring(0, Math.max(0, line.indexOf('=')));
            switch (key) {
                case "private_key",
                        "listen_port",
                        "fwmark",
                        "preshared_key",
                        "endpoint",
                        "persistent_keepalive_interval",
                        "allowed_ip" -> set.append(line).append('\n');
                case "public_key" -> {
                    if (!peersReplaced) {
                        set.append("replace_peers=true\n");
                        peersReplaced = true;
                    }
                    set.append(line).append("\nreplace_allowed_ips=true\n");
                }
                default -> {} // counters, protocol_version, errno: not configuration
            }
        }
        if (!peersReplaced) {
            set.append("replace_peers=true\n");
        }
        return set.append('\n').toString();
    }
}
