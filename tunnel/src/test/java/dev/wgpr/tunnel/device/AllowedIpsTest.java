package dev.wgpr.tunnel.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.wgpr.common.net.IpPrefix;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AllowedIpsTest {
    private static AllowedIps<String> table(String... prefixAndPeer) {
        Map<IpPrefix, String> routes = new LinkedHashMap<>();
        for (int i = 0; i < prefixAndPeer.length; i += 2) {
            routes.put(IpPrefix.parse(prefixAndPeer[i]), prefixAndPeer[i + 1]);
        }
        return AllowedIps.of(routes);
    }

    private static String v4(AllowedIps<String> table, String address) {
        return table.lookupV4(
                ByteBuffer.wrap(IpPrefix.parseAddress(address).getAddress()).getInt());
    }

    private static String v6(AllowedIps<String> table, String address) {
        ByteBuffer b = ByteBuffer.wrap(IpPrefix.parseAddress(address).getAddress());
        return table.lookupV6(b.getLong(0), b.getLong(8));
    }

    @Test
    void longestPrefixWinsForIpv4() {
        AllowedIps<String> table =
                table("0.0.0.0/0", "default", "10.0.0.0/8", "a", "10.20.0.0/16", "b", "10.20.30.40/32", "c");
        assertEquals("c", v4(table, "10.20.30.40"));
        assertEquals("b", v4(table, "10.20.30.41"));
        assertEquals("a", v4(table, "10.21.0.1"));
        assertEquals("default", v4(table, "192.0.2.1"));
    }

    @Test
    void longestPrefixWinsForIpv6IncludingPrefixesBeyond64Bits() {
        AllowedIps<String> table =
                table("fd10::/16", "a", "fd10:20::/32", "b", "fd10:20::1:0/112", "c", "fd10:20::1:5/128", "d");
        assertEquals("d", v6(table, "fd10:20::1:5"));
        assertEquals("c", v6(table, "fd10:20::1:6"));
        assertEquals("b", v6(table, "fd10:20::2:6"));
        assertEquals("a", v6(table, "fd10:99::1"));
        assertNull(v6(table, "2001:db8::1"));
    }

    @Test
    void familiesAreSeparate() {
        AllowedIps<String> table = table("0.0.0.0/0", "v4 only");
        assertNull(v6(table, "::1"), "an IPv4 default does not route IPv6");
        assertNull(AllowedIps.<String>empty().lookupV4(0x0a000001));
    }
}
