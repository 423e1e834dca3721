package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProcMountOptionsTest {
    @Test
    void runcsFlagsBecomeWords() {
        assertEquals(Optional.of("rw,nosuid,nodev,noexec"), ProcMountOptions.of(2 | 4 | 8, ""));
    }

    @Test
    void readOnlyAndTheOldMagicAndSilent() {
        assertEquals(Optional.of("ro"), ProcMountOptions.of(0xc0ed0000L | 1 | 1 << 15, ""));
        assertEquals(Optional.of("rw,relatime"), ProcMountOptions.of(1 << 21, ""));
    }

    @Test
    void hidepidAndSubsetPass() {
        assertEquals(Optional.of("rw,hidepid=2,subset=pid"), ProcMountOptions.of(0, "hidepid=2,subset=pid"));
        assertEquals(Optional.of("rw,hidepid=invisible"), ProcMountOptions.of(0, "hidepid=invisible,"));
    }

    @Test
    void aGroupOfTheCallersNamespaceOrAnythingElseIsNotMade() {
        assertTrue(ProcMountOptions.of(0, "gid=5").isEmpty());
        assertTrue(ProcMountOptions.of(0, "hidepid=2;x").isEmpty());
        assertTrue(ProcMountOptions.of(0, "hidepid=2,-o,x").isEmpty());
        assertTrue(ProcMountOptions.of(16 /* MS_SYNCHRONOUS */, "").isEmpty());
    }

    @Test
    void capabilityBitsOfStatus() {
        String status = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n";
        assertTrue(ProcfsMounter.hasCapability(status, 21));
        assertTrue(!ProcfsMounter.hasCapability("CapEff:\t0000000000000000\n", 21));
    }
}
