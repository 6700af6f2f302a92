package dev.wgpr.client.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.api.Test;

class OperationsTest {
    /** The maps replaced an exhaustive switch: a request added later must not go without its name. */
    @Test
    void everyKindOfRequestHasAnOperationNameThatLeadsBackToIt() {
        Class<?>[] kinds = Request.class.getPermittedSubclasses();
        assertEquals(kinds.length, Operations.NAMES.size());
        for (Class<?> kind : kinds) {
            String name = Operations.NAMES.get(kind);
            assertNotNull(name, kind.getName());
            assertEquals(kind, Request.type(name));
        }
    }
}
