package dev.wgpr.common.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IpTextTest {
    @ParameterizedTest
    @CsvSource({
        "fd10:20:0:0:0:0:0:0, fd10:20::",
        "0:0:0:0:0:0:0:0, ::",
        "0:0:0:0:0:0:0:1, ::1",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1", // first of two equally long runs
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1", // a single zero group stays
        "2001:DB8:0:0:0:0:0:A, 2001:db8::a",
        "8000:0:0:0:0:0:0:0, 8000::",
        "1:0:0:2:0:0:0:3, 1:0:0:2::3", // the longer run wins
        "10.20.0.1, 10.20.0.1",
    })
    void writesAddressesTheRfc5952Way(String literal, String expected) {
        assertEquals(expected, IpText.of(IpPrefix.parseAddress(literal)));
    }

    /** An IPv6 endpoint without brackets could not be told from its port ({@code fd10::1:51820}). */
    @ParameterizedTest
    @CsvSource({"198.51.100.10, 51820, 198.51.100.10:51820", "fd10:0:0:0:0:0:0:1, 4500, [fd10::1]:4500"})
    void endpointsBracketIpv6AddressesAsWgShowDoes(String address, int port, String expected) {
        assertEquals(expected, IpText.endpoint(IpPrefix.parseAddress(address), port));
    }

    @ParameterizedTest
    @CsvSource({"10.8.0.2/24, 10.8.0.0/24, true", "fd10:8::2/64, fd10:8::/64, true", "10.8.0.0/24, 10.8.0.0/24, false"})
    void interfaceAddressesKeepTheirHostBits(String text, String network, boolean hostBits) {
        InterfaceAddress address = InterfaceAddress.parse(text);
        assertEquals(text, address.toString());
        assertEquals(IpPrefix.parse(network), address.network());
        assertEquals(hostBits, address.hasHostBits());
    }
}
