package dev.wgpr.tunnel.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.wgpr.common.fuzz.Allocations;
import dev.wgpr.common.fuzz.MutatedSeeds;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.DeviceConfig;
import dev.wgpr.tunnel.device.PeerSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link SetRequest#parse} on arbitrary lines (the input split at newlines, as the connection hands them
 * over). It returns a request or throws a {@link UapiException} carrying {@code -EPROTO} or {@code
 * -EINVAL}, nothing else, in memory proportional to the lines. A request it returns applies to any
 * configuration without breaking the configuration's invariants, is idempotent (applying it again
 * changes nothing: {@code wg setconf} twice is {@code wg setconf} once), and what {@code get} then prints
 * sets, as {@code wg showconf | wg setconf} does, the very same configuration.
 */
class SetRequestFuzzTest {
    static final String TARGET = "setRequestParsesOrRefusesWithItsErrno";
    static final List<String> DICTIONARY = List.of(
            "private_key=",
            "listen_port=",
            "fwmark=",
            "replace_peers=true",
            "public_key=",
            "update_only=true",
            "remove=true",
            "preshared_key=",
            "endpoint=",
            "persistent_keepalive_interval=",
            "replace_allowed_ips=true",
            "allowed_ip=",
            "protocol_version=1",
            "11".repeat(32),
            "00".repeat(32),
            "::ffff:",
            "[",
            "]:",
            "%",
            "/");
    private static final Set<Integer> PARSE_ERRNOS = Set.of(UapiException.PROTOCOL, UapiException.INVALID);

    /** A configured device to apply requests to, besides the empty one; its private key clamped, as stored. */
    static final DeviceConfig BASE = new DeviceConfig(
            Optional.of(Key.fromBytes(clamped(filled(0x28)))),
            51820,
            7,
            List.of(
                    new PeerSettings(
                            Key.fromBytes(filled(0x11)),
                            Optional.of(Key.fromBytes(filled(0x44))),
                            Optional.of(new InetSocketAddress(address("192.0.2.1"), 51820)),
                            25,
                            List.of(IpPrefix.parse("10.0.0.0/8"), IpPrefix.parse("fd10::/64"))),
                    new PeerSettings(
                            Key.fromBytes(filled(0x22)),
                            Optional.empty(),
                            Optional.empty(),
                            0,
                            List.of(IpPrefix.parse("0.0.0.0/0")))));

    @FuzzTest(maxDuration = "10s")
    void setRequestParsesOrRefusesWithItsErrno(byte[] input) throws Exception {
        check(input);
    }

    @Test
    void mutatedRequestsKeepTheSetContract() {
        MutatedSeeds.check(getClass(), TARGET, 2_000, DICTIONARY, SetRequestFuzzTest::check);
    }

    static void check(byte[] input) throws UapiException {
        List<String> lines = lines(input);
        Allocations.requireAtMost(
                Allocations.BASELINE + Allocations.PER_INPUT_BYTE * input.length,
                "parsing the request",
                () -> SetRequest.parse(lines));
        SetRequest request;
        try {
            request = SetRequest.parse(lines);
        } catch (UapiException refused) {
            assertTrue(PARSE_ERRNOS.contains(refused.errno()), "errno " + refused.errno());
            return;
        }
        for (DeviceConfig config : List.of(DeviceConfig.EMPTY, BASE)) {
            DeviceConfig once = request.applyTo(config);
            assertEquals(once, revalidated(once));
            assertEquals(once, request.applyTo(once), "applying the request again changed the configuration");
            assertEquals(once, showconfSetconf(once), "showconf | setconf changed the configuration");
        }
    }

    /** The lines of a request body: split at newlines; a blank line would end the request, so none. */
    static List<String> lines(byte[] input) {
        String text = new String(input, StandardCharsets.ISO_8859_1);
        return Arrays.stream(text.split("\n")).filter(line -> !line.isEmpty()).toList();
    }

    /** The configuration through its constructor again, which checks every invariant. */
    static DeviceConfig revalidated(DeviceConfig config) {
        return new DeviceConfig(config.privateKey(), config.listenPort(), config.fwmark(), config.peers());
    }

    /** What {@code wg showconf} prints, fed back as {@code wg setconf} would, onto an empty device. */
    static DeviceConfig showconfSetconf(DeviceConfig config) throws UapiException {
        String shown = GetResponse.format(new DeviceConfigStore(config, (from, to) -> {}, key -> Optional.empty()));
        List<String> lines = new ArrayList<>();
        lines.add("replace_peers=true");
        for (String line : shown.lines().toList()) {
            String key = line.substring(0, line.indexOf('='));
            switch (key) {
                case "last_handshake_time_sec", "last_handshake_time_nsec", "tx_bytes", "rx_bytes" -> {}
                case "public_key" -> {
                    lines.add(line);
                    lines.add("replace_allowed_ips=true");
                }
                default -> lines.add(line);
            }
        }
        return SetRequest.parse(lines).applyTo(DeviceConfig.EMPTY);
    }

    private static byte[] clamped(byte[] key) {
        key[0] &= (byte) 248;
        key[31] = (byte) ((key[31] & 127) | 64);
        return key;
    }

    private static byte[] filled(int value) {
        byte[] bytes = new byte[Key.LENGTH];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
