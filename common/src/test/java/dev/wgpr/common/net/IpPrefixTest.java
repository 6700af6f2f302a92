package dev.wgpr.common.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IpPrefixTest {
    @Test
    void parsesIpv4AndIpv6Prefixes() {
        assertEquals("10.20.0.0/16", IpPrefix.parse("10.20.0.0/16").toString());
        assertEquals("fd10:20:0:0:0:0:0:0/32", IpPrefix.parse("fd10:20::/32").toString());
        assertEquals(32, IpPrefix.parse("10.20.0.53").length());
        assertEquals(128, IpPrefix.parse("fd10::1").length());
    }

    @Test
    void hostBitsSetNamesTheNormalizedPrefix() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("10.20.1.7/16"));
        assertTrue(e.getMessage().contains("10.20.0.0/16"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "10.0.0/8",
                "localhost",
                "10.0.0.256/32",
                "10.0.0.0/33",
                "fd00::/129",
                "[fd00::]/8",
                "fe80::1%eth0/128",
                "10.0.0.0/",
                "10.0.0.0/-1",
                "0x0a.0.0.0/8",
                "",
                "1/8"
            })
    void refusesWhatIsNotAPrefix(String text) {
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse(text));
    }

    @Test
    void containmentRespectsFamilyAndLength() {
        IpPrefix net = IpPrefix.parse("10.20.0.0/16");
        assertTrue(net.contains(IpPrefix.parse("10.20.1.0/24")));
        assertTrue(net.contains(net));
        assertFalse(net.contains(IpPrefix.parse("10.0.0.0/8")));
        assertFalse(net.contains(IpPrefix.parse("10.21.0.0/24")));
        assertFalse(IpPrefix.parse("::/0").contains(IpPrefix.parse("10.0.0.0/8")));
        assertTrue(IpPrefix.parse("0.0.0.0/0").contains(IpPrefix.parse("10.0.0.0/8")));
    }

    @Test
    void containingClearsHostBits() {
        assertEquals(IpPrefix.parse("192.168.0.0/23"), IpPrefix.containing(IpPrefix.parseAddress("192.168.1.77"), 23));
    }
}
