package io.jsysbox.fs;

import static io.jsysbox.fs.KernelFsMounter.KernelFs.PROC;
import static io.jsysbox.fs.KernelFsMounter.KernelFs.SYSFS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class KernelFsOptionsTest {
    @Test
    void runcsFlagsBecomeWords() {
        assertEquals(Optional.of("rw,nosuid,nodev,noexec"), KernelFsOptions.of(PROC, 2 | 4 | 8, ""));
    }

    @Test
    void readOnlyAndTheOldMagicAndSilent() {
        assertEquals(Optional.of("ro"), KernelFsOptions.of(PROC, 0xc0ed0000L | 1 | 1 << 15, ""));
        assertEquals(Optional.of("rw,relatime"), KernelFsOptions.of(PROC, 1 << 21, ""));
    }

    @Test
    void hidepidAndSubsetPass() {
        assertEquals(Optional.of("rw,hidepid=2,subset=pid"), KernelFsOptions.of(PROC, 0, "hidepid=2,subset=pid"));
        assertEquals(Optional.of("rw,hidepid=invisible"), KernelFsOptions.of(PROC, 0, "hidepid=invisible,"));
    }

    @Test
    void aGroupOfTheCallersNamespaceOrAnythingElseIsNotMade() {
        assertTrue(KernelFsOptions.of(PROC, 0, "gid=5").isEmpty());
        assertTrue(KernelFsOptions.of(PROC, 0, "hidepid=2;x").isEmpty());
        assertTrue(KernelFsOptions.of(PROC, 0, "hidepid=2,-o,x").isEmpty());
        assertTrue(KernelFsOptions.of(PROC, 16 /* MS_SYNCHRONOUS */, "").isEmpty());
    }

    @Test
    void sysfsTakesFlagsAndNoData() {
        assertEquals(Optional.of("rw,nosuid,nodev,noexec"), KernelFsOptions.of(SYSFS, 2 | 4 | 8, ""));
        assertTrue(KernelFsOptions.of(SYSFS, 0, "hidepid=2").isEmpty());
    }

    @Test
    void capabilityBitsOfStatus() {
        String status = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n";
        assertTrue(KernelFsMounter.hasCapability(status, 21));
        assertTrue(!KernelFsMounter.hasCapability("CapEff:\t0000000000000000\n", 21));
    }
}
