package dev.wgpr.client.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.wgpr.client.config.ConfigProblem.Reason;
import java.net.InetAddress;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EndpointTest {
    @ParameterizedTest
    @CsvSource({
        "vpn.example.com:51820, vpn.example.com, 51820, vpn.example.com:51820",
        // .invalid never resolves: parsing must not try.
        "gw.corp.invalid:1, gw.corp.invalid, 1, gw.corp.invalid:1",
        "192.0.2.1:65535, 192.0.2.1, 65535, 192.0.2.1:65535",
        "'[2001:db8:0:0::1]:51820', 2001:db8:0:0::1, 51820, '[2001:db8::1]:51820'",
    })
    void parsesHostsAndPortsWithoutResolvingNames(String text, String host, int port, String written) {
        Endpoint endpoint = Endpoint.parse(text);
        assertEquals(host, endpoint.host());
        assertEquals(port, endpoint.port());
        assertEquals(written, endpoint.toString());
    }

    @ParameterizedTest
    @CsvSource({
        "vpn.example.com, BAD_ENDPOINT",
        "vpn.example.com:, BAD_ENDPOINT",
        "vpn.example.com:http, BAD_ENDPOINT",
        "2001:db8::1:51820, BAD_ENDPOINT",
        "'[192.0.2.1]:51820', BAD_ENDPOINT",
        "'[2001:db8::1]51820', BAD_ENDPOINT",
        "300.1.1.1:51820, BAD_ENDPOINT",
        "-vpn.example.com:51820, BAD_ENDPOINT",
        "vpn..example.com:51820, BAD_ENDPOINT",
        "vpn example.com:51820, BAD_ENDPOINT",
        "vpn.example.com:0, BAD_PORT",
        "vpn.example.com:65536, BAD_PORT",
    })
    void refusesMalformedEndpointsWithTheirReason(String text, Reason reason) {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> Endpoint.parse(text));
        assertEquals(reason, e.reason(), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"vpn.example.com:51820, ''", "192.0.2.1:51820, 192.0.2.1", "'[2001:db8::1]:51820', 2001:db8::1"})
    void onlyIpLiteralsHaveAnAddressBeforeUp(String text, String address) {
        Optional<InetAddress> expected =
                address.isEmpty() ? Optional.empty() : Optional.of(InetAddress.ofLiteral(address));
        assertEquals(expected, Endpoint.parse(text).literalAddress());
    }
}
