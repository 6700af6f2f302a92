package dev.wgpr.enforcement.bpf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LibbpfVersionTest {
    @Test
    void libbpfReportsVersionOnePointOne() {
        Bpf.LibbpfVersion version = Bpf.libbpfVersion();
        assertEquals(1, version.major());
        assertEquals(1, version.minor());
        assertEquals("v1.1", version.string());
    }
}
