package dev.wgpr.testing.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class WgDumpTest {
    // Real `wg show IFACE dump` output of a wireguard-go device with one peer that has talked and
    // one that never has.
    private static final String DUMP = """
            sOOdO4Sa4a8j9mkLQyrTj96CHu372kJtToKVvccZBm4=\tcNsnDjGwNOqO+IOegTgUvIxBxQTfaX64voDe4Dz25jE=\t51820\toff
            y4/psGjKDFRKG6z6qcane8315oKP+cU/8uhb1H8ZuWs=\t(none)\t10.0.0.2:51821\t10.9.0.2/32,fd09::2/128\t1795355374\t25964\t621292\toff
            MEFsuTiiiouOj6NQ8h5Hiyaw3506ZxX61cPtkpA28VQ=\tPSKPSKPSKPSKPSKPSKPSKPSKPSKPSKPSKPSKPSKPSKPSK=\t(none)\t(none)\t0\t0\t0\t25
            """;

    @Test
    void parsesTheDeviceAndEachPeer() {
        WgDump dump = WgDump.parse(DUMP);
        assertEquals("cNsnDjGwNOqO+IOegTgUvIxBxQTfaX64voDe4Dz25jE=", dump.publicKey());
        assertEquals(51820, dump.listenPort());
        assertEquals(2, dump.peers().size());

        WgDump.Peer talked = dump.peer("y4/psGjKDFRKG6z6qcane8315oKP+cU/8uhb1H8ZuWs=");
        assertNull(talked.presharedKey());
        assertEquals("10.0.0.2:51821", talked.endpoint());
        assertEquals(List.of("10.9.0.2/32", "fd09::2/128"), talked.allowedIps());
        assertEquals(Instant.ofEpochSecond(1795355374), talked.latestHandshake());
        assertEquals(25964, talked.rxBytes());
        assertEquals(621292, talked.txBytes());
        assertEquals(0, talked.persistentKeepalive());

        WgDump.Peer silent = dump.peer("MEFsuTiiiouOj6NQ8h5Hiyaw3506ZxX61cPtkpA28VQ=");
        assertFalse(silent.hasHandshake());
        assertTrue(silent.allowedIps().isEmpty());
        assertNull(silent.endpoint());
        assertEquals(25, silent.persistentKeepalive());
    }

    @Test
    void rejectsWhatIsNotADump() {
        assertThrows(LabException.class, () -> WgDump.parse(""));
        assertThrows(LabException.class, () -> WgDump.parse("one\ttwo\n"));
        assertThrows(LabException.class, () -> WgDump.parse(DUMP).peer("nobody"));
    }
}
