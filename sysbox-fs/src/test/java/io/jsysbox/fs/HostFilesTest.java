package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostFilesTest {
    @Test
    void cpuinfoIsReusedWithinTheWindowAndCountersAreReadAfresh() throws Exception {
        try (HostFiles files = new HostFiles(HostFiles.HOST_REUSABLE, Duration.ofHours(1))) {
            String cpuinfo = files.read("/proc/cpuinfo");
            assertTrue(cpuinfo.contains("processor"), cpuinfo);
            assertSame(cpuinfo, files.read("/proc/cpuinfo"), "a recent read is reused");
            assertNotSame(files.read("/proc/stat"), files.read("/proc/stat"), "counters are never reused");
        }
        try (HostFiles files = new HostFiles(HostFiles.HOST_REUSABLE, Duration.ZERO)) {
            assertNotSame(files.read("/proc/cpuinfo"), files.read("/proc/cpuinfo"), "past the window it is read again");
        }
    }

    @Test
    void aContainersCgroupLimitsAreReusedAndItsCountersReadAfresh() {
        for (String limit : List.of(
                "/sys/fs/cgroup/cpuset/docker/c1/cpuset.effective_cpus",
                "/sys/fs/cgroup/cpu,cpuacct/docker/c1/cpu.cfs_quota_us",
                "/sys/fs/cgroup/system.slice/docker-c1.scope/cpu.max",
                "/sys/fs/cgroup/memory/docker/c1/memory.limit_in_bytes",
                "/sys/fs/cgroup/system.slice/docker-c1.scope/memory.swap.max")) {
            assertTrue(HostFiles.CGROUP_LIMITS.test(limit), limit);
        }
        for (String counter : List.of(
                "/sys/fs/cgroup/cpu,cpuacct/docker/c1/cpuacct.usage_all",
                "/sys/fs/cgroup/memory/docker/c1/memory.usage_in_bytes",
                "/sys/fs/cgroup/memory/docker/c1/memory.stat",
                "/sys/fs/cgroup/system.slice/docker-c1.scope/cpu.stat",
                "/sys/fs/cgroup/system.slice/docker-c1.scope/memory.current",
                "/sys/fs/cgroup/pids/docker/c1/pids.current")) {
            assertFalse(HostFiles.CGROUP_LIMITS.test(counter), counter);
        }
    }

    @Test
    void aMissingFileIsNoSuchFile() {
        try (HostFiles files = HostFiles.hostProc()) {
            assertThrows(NoSuchFileException.class, () -> files.read("/proc/no-such-file"));
        }
    }
}
