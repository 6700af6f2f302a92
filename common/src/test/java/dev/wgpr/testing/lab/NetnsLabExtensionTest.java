package dev.wgpr.testing.lab;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.testing.RequiresNetns;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/** The extension closes each test's lab when that test ends, not at JVM exit. */
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NetnsLabExtensionTest {
    private static NetnsLab firstTestsLab;
    private static String firstTestsNamespace;
    private NetnsLab beforeEachLab;

    @BeforeEach
    void remember(NetnsLab lab) {
        beforeEachLab = lab;
    }

    @Test
    @Order(1)
    void aTestGetsALabSharedWithItsBeforeEach(NetnsLab lab) {
        assertSame(beforeEachLab, lab);
        firstTestsLab = lab;
        firstTestsNamespace = lab.namespace("x").name();
        assertTrue(Files.exists(Path.of("/run/netns", firstTestsNamespace)));
    }

    @Test
    @Order(2)
    void theNextTestFindsThatLabClosedAndGetsANewOne(NetnsLab lab) {
        assertNotSame(firstTestsLab, lab);
        assertFalse(
                Files.exists(Path.of("/run/netns", firstTestsNamespace)), firstTestsNamespace + " outlived its test");
        assertFalse(Files.exists(firstTestsLab.scratchDir()));
    }
}
