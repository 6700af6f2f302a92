package dev.wgpr.client.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** wg-quick values: what wg accepts is accepted, and written the one canonical way. */
class ImportValuesTest {
    @ParameterizedTest
    @CsvSource({
        "vpn.example.com:51820, vpn.example.com:51820",
        "VPN.Example.com.:443, VPN.Example.com.:443",
        "192.0.2.1:51820, 192.0.2.1:51820",
        "[2001:DB8:0:0:0:0:0:1]:51820, [2001:db8::1]:51820",
        "[fd00:0:0:0:0:0:0:1]:1, [fd00::1]:1",
    })
    void endpointsAreAcceptedAndIpv6IsWrittenCanonically(String endpoint, String expected) {
        assertEquals(expected, WgQuickValues.endpoint(endpoint));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "vpn.example.com",
                "vpn.example.com:",
                "vpn.example.com:0",
                "[fd00::1]51820",
                "[fd00::1",
                "-bad.example:1",
                "a..b:1"
            })
    void badEndpointsAreRefused(String endpoint) {
        assertThrows(IllegalArgumentException.class, () -> WgQuickValues.endpoint(endpoint));
    }

    @Test
    void commaListsIgnoreEmptyEntriesAsWgDoes() {
        assertEquals(List.of("10.0.0.0/8", "fd00::/8"), WgQuickValues.commaList(" 10.0.0.0/8,, fd00::/8 ,"));
    }

    @Test
    void addressAndDnsListsSplitAtSpacesTooAsWgQuickDoes() {
        assertEquals(List.of("10.0.0.2/24", "fd00::2/64", "x"), WgQuickValues.wordList("10.0.0.2/24 fd00::2/64,x"));
    }

    @Test
    void interfaceAddressesWithoutLengthAreHosts() {
        assertEquals("10.0.0.2/32", WgQuickValues.interfaceAddress("10.0.0.2"));
        assertEquals("fd00::2/128", WgQuickValues.interfaceAddress("FD00:0::2"));
    }

    @Test
    void keepaliveOffIsZero() {
        assertEquals(0, WgQuickValues.persistentKeepalive("Off"));
        assertEquals(25, WgQuickValues.persistentKeepalive("25"));
    }

    @Test
    void dnsEntriesAreAddressesWhenWgQuickWouldSaySo() {
        assertTrue(WgQuickValues.looksLikeDnsAddress("10.0.0.53"));
        assertTrue(WgQuickValues.looksLikeDnsAddress("fd00::53"));
        assertTrue(WgQuickValues.looksLikeDnsAddress("10.0.0"), "a broken address is still an address, not a domain");
        assertFalse(WgQuickValues.looksLikeDnsAddress("corp.example"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"+1", "1.0", "0x10", " 1", "99999999999"})
    void numbersAreDecimalDigitsOnly(String number) {
        assertThrows(IllegalArgumentException.class, () -> WgQuickValues.number(number, 0, Integer.MAX_VALUE));
    }

    @ParameterizedTest
    @CsvSource({
        "corp, corp",
        "mullvad-se-got-wg-001, mullvad-se-001",
        "proton-NL-FREE-123456, proton-123456",
        "averyveryverylongnamewithoutdashes, averyveryverylo",
        "my corp vpn, my-corp-vpn"
    })
    void aFileNameBecomesAnInterfaceNameKeepingWholeWordsAndTheLastOne(String stem, String expected) {
        assertEquals(expected, Names.interfaceName(stem));
    }
}
