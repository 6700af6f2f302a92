package dev.wgpr.tunnel.protocol;

import static dev.wgpr.tunnel.Hex.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NoiseConstantsTest {
    @Test
    void constructionAndIdentifierHaveTheWhitepapersLengths() {
        assertEquals(37, Noise.CONSTRUCTION.length);
        assertEquals(34, Noise.IDENTIFIER.length);
        assertEquals(8, Noise.LABEL_MAC1.length);
        assertEquals(8, Noise.LABEL_COOKIE.length);
    }

    @Test
    void initialChainingKeyAndHashAreThePublishedValues() {
        // Ci = HASH(Construction) and Hi = HASH(Ci || Identifier): INITIAL_CHAIN_KEY and INITIAL_CHAIN_HASH
        // of cloudflare/boringtun, boringtun/src/noise/handshake.rs (written there as decimal bytes).
        assertEquals(
                "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36", hex(Noise.INITIAL_CHAINING_KEY));
        assertEquals("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3", hex(Noise.INITIAL_HASH));
    }
}
