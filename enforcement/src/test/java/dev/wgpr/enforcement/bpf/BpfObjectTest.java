package dev.wgpr.enforcement.bpf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import dev.wgpr.testing.RequiresRoot;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading the objects the bpf module ships, through libbpf, into the real kernel. */
@RequiresRoot
class BpfObjectTest {
    @Test
    void theBundledProbeLoadsAndItsProgramsGetDescriptorsAndIds() throws Exception {
        try (BpfObject probe = BpfObject.openBundled("probe")) {
            assertFalse(probe.isLoaded());
            probe.load();
            assertTrue(probe.isLoaded());
            BpfProgram connect4 = probe.program("probe_connect4");
            BpfProgram connect6 = probe.program("probe_connect6");
            assertTrue(connect4.fd() > 2);
            assertNotEquals(connect4.fd(), connect6.fd());
            assertTrue(connect4.id() > 0);
            assertNotEquals(connect4.id(), connect6.id());
        }
    }

    @Test
    void misuseFailsLoudly() throws Exception {
        BpfObject probe = BpfObject.openBundled("probe");
        BpfProgram program = probe.program("probe_connect4");
        assertThrows(IllegalStateException.class, program::fd, "fd before load");
        assertThrows(NoSuchElementException.class, () -> probe.program("no_such_program"));
        assertThrows(NoSuchElementException.class, () -> probe.map("no_such_map"));
        probe.load();
        assertThrows(IllegalStateException.class, probe::load, "second load");
        probe.close();
        probe.close(); // idempotent
        assertThrows(IllegalStateException.class, program::fd, "fd after close");
        assertThrows(IllegalStateException.class, () -> probe.program("probe_connect4"));
    }

    @Test
    void anObjectThatIsNoElfFileIsRefusedWithErrnoAndLibbpfsReason() {
        BpfException e =
                assertThrows(BpfException.class, () -> BpfObject.open("garbage", "not an ELF file".getBytes()));
        assertTrue(e.errno() > 0, e.getMessage());
        assertFalse(e.libbpfLog().isEmpty(), "libbpf's warning reached the exception: " + e.getMessage());
    }

    @Test
    void mapValuesRoundTripThroughTheKernel() throws Exception {
        try (BpfObject lsmProbe = BpfObject.openBundled("lsm_probe")) {
            // Only the map: some kernels refuse LSM programs (see KernelProbes.bpfLsmHookRuns).
            lsmProbe.program("lsm_probe_socket_create").setAutoload(false);
            lsmProbe.load();
            BpfMap hits = lsmProbe.map("lsm_probe_hits");
            assertEquals(4, hits.keySize());
            assertEquals(8, hits.valueSize());
            byte[] key = new byte[4];
            byte[] value = ByteBuffer.allocate(8)
                    .order(ByteOrder.nativeOrder())
                    .putLong(0x1234_5678_9abcL)
                    .array();
            hits.update(key, value, BpfMap.BPF_ANY);
            assertArrayEquals(value, hits.lookup(key).orElseThrow());
            byte[] outOfRange = {1, 0, 0, 0};
            assertTrue(hits.lookup(outOfRange).isEmpty(), "an array of one entry has no key 1");
            assertThrows(IllegalArgumentException.class, () -> hits.lookup(new byte[3]));
        }
    }

    @Test
    void aRingBufferMapCanBeCreatedAndClosed() throws Exception {
        OwnedFd ring = Bpf.createMap(Bpf.MapType.RINGBUF, "wgpr_test_rb", 0, 0, 4096);
        assertTrue(ring.fd() > 2);
        ring.close();
        assertFalse(ring.isOpen());
    }

    /**
     * A program the verifier refuses only after walking hundreds of instructions (a hash map's value used
     * without its NULL check, at the end): the verifier's own complaint, the last lines of a long log,
     * reaches the exception. libbpf prints the whole log as one warning.
     */
    @Test
    void aRefusedProgramFailsWithTheVerifiersReasonFromTheEndOfItsLog(@TempDir Path dir) throws Exception {
        byte[] elf = CompiledObjects.compile(dir, "refused", CompiledObjects.REFUSED_AFTER_A_LONG_WALK);
        try (BpfObject refused = BpfObject.open("refused", elf)) {
            assertEquals(List.of("refused_connect4"), refused.programNames());
            BpfException e = assertThrows(BpfException.class, refused::load);
            assertTrue(e.reason().contains("invalid mem access"), e.reason());
            assertTrue(e.getMessage().contains(e.reason()), e.getMessage());
            assertTrue(e.getMessage().contains("lines left out"), "a long log keeps its tail: " + e.getMessage());
        }
    }

    @Test
    void aRingBufferOfAnInvalidSizeIsRefusedByTheKernel() {
        BpfException e =
                assertThrows(BpfException.class, () -> Bpf.createMap(Bpf.MapType.RINGBUF, "wgpr_test_rb", 0, 0, 1000));
        assertEquals(Libc.EINVAL, e.errno()); // not a power-of-two multiple of the page size
    }
}
