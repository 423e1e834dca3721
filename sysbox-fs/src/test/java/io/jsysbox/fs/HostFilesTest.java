package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void aFileIsReusedWithinItsWindowAndReadAgainPastIt() throws Exception {
        try (HostFiles files =
                new HostFiles(path -> path.equals("/proc/cpuinfo") ? Duration.ofHours(1) : Duration.ZERO)) {
            String cpuinfo = files.read("/proc/cpuinfo");
            assertTrue(cpuinfo.contains("processor"), cpuinfo);
            assertSame(cpuinfo, files.read("/proc/cpuinfo"), "a recent read is reused");
            assertNotSame(files.read("/proc/stat"), files.read("/proc/stat"), "a file without a window is read afresh");
        }
        try (HostFiles files = new HostFiles(path -> Duration.ofNanos(1))) {
            String first = files.read("/proc/cpuinfo");
            Thread.sleep(1);
            assertNotSame(first, files.read("/proc/cpuinfo"), "past the window it is read again");
        }
    }

    @Test
    void theHostsCpuinfoStatAndMeminfoAreReusedBrieflyItsUptimeNever() {
        assertEquals(Duration.ofMillis(100), HostFiles.hostReuse("/proc/cpuinfo"));
        assertEquals(Duration.ofMillis(100), HostFiles.hostReuse(HostFiles.ONLINE_CPUS));
        // One clock tick: /proc/stat counts in them.
        assertEquals(Duration.ofMillis(10), HostFiles.hostReuse("/proc/stat"));
        assertEquals(Duration.ofMillis(10), HostFiles.hostReuse("/proc/meminfo"));
        for (String afresh : List.of("/proc/uptime", "/proc/loadavg", "/proc/sys/kernel/pid_max", "/proc/swaps")) {
            assertEquals(Duration.ZERO, HostFiles.hostReuse(afresh), afresh);
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
            assertEquals(Duration.ofMillis(20), HostFiles.cgroupReuse(limit), limit);
        }
        for (String counter : List.of(
                "/sys/fs/cgroup/cpu,cpuacct/docker/c1/cpuacct.usage_all",
                "/sys/fs/cgroup/memory/docker/c1/memory.usage_in_bytes",
                "/sys/fs/cgroup/memory/docker/c1/memory.stat",
                "/sys/fs/cgroup/system.slice/docker-c1.scope/cpu.stat",
                "/sys/fs/cgroup/system.slice/docker-c1.scope/memory.current",
                "/sys/fs/cgroup/pids/docker/c1/pids.current")) {
            assertEquals(Duration.ZERO, HostFiles.cgroupReuse(counter), counter);
        }
    }

    @Test
    void aMissingFileIsNoSuchFile() {
        try (HostFiles files = HostFiles.hostProc()) {
            assertThrows(NoSuchFileException.class, () -> files.read("/proc/no-such-file"));
        }
    }
}
