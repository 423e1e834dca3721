package io.jsysbox.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class CapabilitiesTest {
    @Test
    void thisMachinesBoundingSetLacksSysResource() {
        long mask = Capabilities.boundingMask(
                "Name:\tjava\nCapPrm:\t000001fffeffffff\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\n");
        List<String> names = Capabilities.namesOf(mask);
        assertEquals(40, names.size());
        assertEquals("CAP_CHOWN", names.getFirst());
        assertEquals("CAP_CHECKPOINT_RESTORE", names.getLast());
        assertFalse(names.contains("CAP_SYS_RESOURCE"));
    }

    @Test
    void bitsBeyondTheTableAreLeftOut() {
        assertEquals(
                List.of("CAP_CHOWN", "CAP_CHECKPOINT_RESTORE"),
                Capabilities.namesOf((1L << 0) | (1L << 40) | (1L << 41) | (1L << 63)));
    }

    @Test
    void statusWithoutCapBndIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> Capabilities.boundingMask("Name:\tx\n"));
    }

    @Test
    void aBoundingSetArrivesAsProcStatusWritesIt() throws Exception {
        assertEquals(List.of("CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"), Capabilities.boundingSet("0000000000200021"));
        assertEquals(
                Capabilities.hostBoundingSet(),
                Capabilities.boundingSet(Long.toHexString(Capabilities.ownBoundingMask())));
        assertThrows(JsysboxException.class, () -> Capabilities.boundingSet("CapBnd"));
    }
}
