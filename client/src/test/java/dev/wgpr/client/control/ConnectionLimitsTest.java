package dev.wgpr.client.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConnectionLimitsTest {
    private final ConnectionLimits limits = new ConnectionLimits(3, 5, 2);

    private List<ConnectionLimits.Slot> admitAll(int uid, int times) {
        List<ConnectionLimits.Slot> slots = new ArrayList<>();
        for (int i = 0; i < times; i++) {
            limits.admit(uid).slot().ifPresent(slots::add);
        }
        return slots;
    }

    @Test
    void aUserGetsItsShareOnlyAndIsToldWhy() {
        assertEquals(3, admitAll(1000, 10).size());
        ConnectionLimits.Admission refused = limits.admit(1000);
        assertTrue(refused.slot().isEmpty());
        assertEquals("too many control connections of uid 1000 (at most 3 at once)", refused.refusal());
    }

    @Test
    void usersTogetherAreBoundedButRootAlwaysGetsItsOwnSlots() {
        admitAll(1000, 3);
        admitAll(1001, 3);
        assertTrue(limits.admit(1002).slot().isEmpty(), "all users but root: 5 at once");
        assertEquals(2, admitAll(0, 2).size(), "root is not kept out by the others' load");
        assertTrue(limits.admit(0).slot().isEmpty(), "root has a bound of its own too");
    }

    @Test
    void aClosedSlotIsFreeAgainOnceEvenWhenClosedTwice() {
        List<ConnectionLimits.Slot> slots = admitAll(1000, 3);
        slots.getFirst().close();
        slots.getFirst().close();
        assertEquals(1, admitAll(1000, 5).size(), "exactly one slot came back");
        slots.forEach(ConnectionLimits.Slot::close);
        assertEquals(Map.of(1000, 1), limits.open());
    }
}
