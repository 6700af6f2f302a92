package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgpr.client.control.TunnelStatus;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code wg-pr status} says things in words, as {@code wg show} does, not as Java prints them. */
class StatusWordsTest {
    private static TunnelStatus.Peer peer(String endpoint, String resolved, String handshake, Long age) {
        return new TunnelStatus.Peer(
                "gw", "key", endpoint, resolved, List.of("10.20.0.0/16"), null, handshake, age, 1L, 2L, 25);
    }

    @Test
    void aHandshakeIsHowLongAgoInWords() {
        assertEquals("18 seconds ago", StatusCommand.handshake(peer(null, null, "t", 18L)));
        assertEquals("1 minute, 5 seconds ago", StatusCommand.handshake(peer(null, null, "t", 65L)));
        assertEquals("2 hours, 1 second ago", StatusCommand.handshake(peer(null, null, "t", 7201L)));
        assertEquals("0 seconds ago", StatusCommand.handshake(peer(null, null, "t", 0L)));
        assertEquals("none yet", StatusCommand.handshake(peer(null, null, "none yet", null)));
        assertEquals("unknown (no device)", StatusCommand.handshake(peer(null, null, null, null)));
    }

    @Test
    void anEndpointIsShownOnceUnlessItResolvedToAnotherText() {
        assertEquals(
                "198.51.100.10:51820",
                StatusCommand.endpoint(peer("198.51.100.10:51820", "198.51.100.10:51820", null, null)));
        assertEquals(
                "vpn.example.com:51820 (198.51.100.10:51820)",
                StatusCommand.endpoint(peer("vpn.example.com:51820", "198.51.100.10:51820", null, null)));
    }

    @Test
    void transferIsInBinaryUnitsLikeWgShow() {
        assertEquals("652 B", StatusCommand.bytes(652));
        assertEquals("1.00 KiB", StatusCommand.bytes(1024));
        assertEquals("1.50 MiB", StatusCommand.bytes(3 << 19));
    }

    @Test
    void onlyCountersThatAreNotZeroAreNamedInWords() {
        assertEquals(Optional.empty(), StatusCommand.nonZero(Map.of("BAD_MAC1", 0L, "MALFORMED", 0L)));
        assertEquals(
                Optional.of("3 bad mac1, 1 replayed counter"),
                StatusCommand.nonZero(Map.of("REPLAYED_COUNTER", 1L, "BAD_MAC1", 3L, "MALFORMED", 0L)));
    }
}
