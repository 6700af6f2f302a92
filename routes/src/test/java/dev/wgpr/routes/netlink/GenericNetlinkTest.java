package dev.wgpr.routes.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class GenericNetlinkTest {
    @Test
    void theControllerFamilyResolvesToItsFixedId() throws Exception {
        try (GenericNetlink genl = GenericNetlink.open()) {
            assertEquals(OptionalInt.of(0x10), genl.familyId("nlctrl"));
        }
    }

    @Test
    void anUnknownFamilyIsEmpty() throws Exception {
        try (GenericNetlink genl = GenericNetlink.open()) {
            assertFalse(genl.familyId("wgpr_no_such").isPresent());
        }
    }
}
