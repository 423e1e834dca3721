package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.NoSuchFileException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HostFilesTest {
    @Test
    void cpuinfoIsReusedWithinTheWindowAndCountersAreReadAfresh() throws Exception {
        try (HostFiles files = new HostFiles(Duration.ofHours(1))) {
            String cpuinfo = files.read("/proc/cpuinfo");
            assertTrue(cpuinfo.contains("processor"), cpuinfo);
            assertSame(cpuinfo, files.read("/proc/cpuinfo"), "a recent read is reused");
            assertNotSame(files.read("/proc/stat"), files.read("/proc/stat"), "counters are never reused");
        }
        try (HostFiles files = new HostFiles(Duration.ZERO)) {
            assertNotSame(files.read("/proc/cpuinfo"), files.read("/proc/cpuinfo"), "past the window it is read again");
        }
    }

    @Test
    void aMissingFileIsNoSuchFile() {
        try (HostFiles files = new HostFiles()) {
            assertThrows(NoSuchFileException.class, () -> files.read("/proc/no-such-file"));
        }
    }
}
