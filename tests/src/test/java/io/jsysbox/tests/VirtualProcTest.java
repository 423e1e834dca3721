package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a jsysbox container reads in /proc (served by jsysbox-fs): its own memory, CPUs and uptime, never the
 * host's or another container's; and what a process of an inner container reads today. Sysctls:
 * {@link VirtualSysctlTest}; jsysbox-fs down: {@link JsysboxFsOutageTest}.
 */
@EndToEnd
class VirtualProcTest {
    private static final long MIB = 1024 * 1024;

    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void memoryLimitIsMemTotalForFreeAndMeminfo() {
        List<String> limit = List.of("--memory", "256m");
        String free = docker.runOnce(Docker.DIND_IMAGE, limit, "free", "-b");
        String meminfo = docker.runOnce(Docker.DIND_IMAGE, limit, "cat", "/proc/meminfo");
        assertEquals(256 * MIB, HostFiles.freeTotal(free), "procps free -b total:\n" + free);
        assertEquals(256 * 1024, HostFiles.meminfoKb(meminfo, "MemTotal"), "MemTotal in kB");
        assertNotEquals(256 * 1024, Host.memTotalKb(), "the host's MemTotal should differ, or this proves nothing");
    }

    @Test
    void cpusetLimitsNprocCpuinfoAndStat() {
        assumeTrue(Host.cpus() >= 2, "needs a host with 2 CPUs or more to tell the container's CPUs from the host's");
        String id = docker.startIdle(Docker.DIND_IMAGE, "--cpuset-cpus", "0");
        String cpuinfo = Docker.execOk(id, "cat", "/proc/cpuinfo");
        String stat = Docker.execOk(id, "cat", "/proc/stat");
        assertAll(
                "--cpuset-cpus 0 on a " + Host.cpus() + "-CPU host",
                () -> assertEquals("1", Docker.execOk(id, "nproc"), "nproc (sched_getaffinity)"),
                () -> assertEquals(1, HostFiles.cpuinfoProcessors(cpuinfo), "processors in /proc/cpuinfo:\n" + cpuinfo),
                () -> assertEquals(1, HostFiles.statCpuLines(stat), "cpuN lines in /proc/stat:\n" + stat));
    }

    @Test
    void cpuQuotaRoundedUpIsTheCpuCount() {
        assumeTrue(Host.cpus() >= 2, "needs a host with 2 CPUs or more to tell the container's CPUs from the host's");
        String id = docker.startIdle(Docker.BUSYBOX_IMAGE, "--cpus", "1");
        String cpuinfo = Docker.execOk(id, "cat", "/proc/cpuinfo");
        String stat = Docker.execOk(id, "cat", "/proc/stat");
        assertAll(
                "--cpus 1 (no cpuset) on a " + Host.cpus() + "-CPU host",
                () -> assertEquals(1, HostFiles.cpuinfoProcessors(cpuinfo), "processors in /proc/cpuinfo:\n" + cpuinfo),
                () -> assertEquals(1, HostFiles.statCpuLines(stat), "cpuN lines in /proc/stat:\n" + stat));
    }

    /**
     * A running container's new limits (docker update) show in its next read: jsysbox-fs reuses a container's limit
     * files only for a moment shorter than any command takes to reach the container after an update.
     */
    @Test
    void anUpdatedLimitShowsInTheNextRead() {
        assumeTrue(Host.cpus() >= 2, "needs a host with 2 CPUs or more to tell the container's CPUs from the host's");
        String id = docker.startIdle(Docker.BUSYBOX_IMAGE, "--memory", "256m", "--memory-swap", "512m", "--cpus", "1");
        assertEquals(256 * 1024, HostFiles.meminfoKb(Docker.execOk(id, "cat", "/proc/meminfo"), "MemTotal"));
        assertEquals(1, HostFiles.cpuinfoProcessors(Docker.execOk(id, "cat", "/proc/cpuinfo")));

        Docker.dockerOk("update", "--memory", "384m", "--memory-swap", "768m", "--cpus", "2", id);
        String meminfo = Docker.execOk(id, "cat", "/proc/meminfo");
        String cpuinfo = Docker.execOk(id, "cat", "/proc/cpuinfo");
        assertAll(
                "after docker update --memory 384m --cpus 2",
                () -> assertEquals(384 * 1024, HostFiles.meminfoKb(meminfo, "MemTotal"), "MemTotal:\n" + meminfo),
                () -> assertEquals(2, HostFiles.cpuinfoProcessors(cpuinfo), "processors:\n" + cpuinfo));
    }

    @Test
    void uptimeCountsFromTheContainersStartAndRuns() {
        double hostUptime = Host.uptimeSeconds();
        assumeTrue(hostUptime > 120, "the host booted too recently to tell its uptime from a fresh container's");
        List<String> reads = docker.runOnce(
                        Docker.BUSYBOX_IMAGE, List.of(), "sh", "-c", "cat /proc/uptime; sleep 1; cat /proc/uptime")
                .lines()
                .toList();
        assertEquals(2, reads.size(), "two reads of /proc/uptime: " + reads);
        double first = HostFiles.uptimeSeconds(reads.get(0));
        double second = HostFiles.uptimeSeconds(reads.get(1));
        assertTrue(first < 60, "a fresh container's uptime is " + first + " s (host: " + hostUptime + " s)");
        assertTrue(second >= first + 0.9, "uptime should advance across `sleep 1`: " + reads);
    }

    /** busybox cat reads with sendfile(2), which goes through the FUSE page cache, not the direct-I/O path. */
    @Test
    void sendfileReadersGetTheWholeFile() {
        List<String> lines = docker.runOnce(
                        Docker.BUSYBOX_IMAGE,
                        List.of("--memory", "128m"),
                        "sh",
                        "-c",
                        "cat /proc/uptime; cat /proc/meminfo | wc -l; cat /proc/sys/kernel/random/boot_id; cat "
                                + "/proc/meminfo | head -1")
                .lines()
                .toList();
        assertEquals(4, lines.size(), "every cat printed a line: " + lines);
        assertTrue(lines.get(0).matches("\\d+\\.\\d\\d \\d+\\.\\d\\d"), "uptime: " + lines.get(0));
        assertEquals(
                Host.read("/proc/meminfo").lines().count(),
                Long.parseLong(lines.get(1).strip()),
                "/proc/meminfo has as many lines as the host's");
        assertTrue(
                lines.get(2).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
                "boot_id: " + lines.get(2));
        assertEquals("MemTotal:         131072 kB", lines.get(3));
    }

    @Test
    void concurrentContainersNeverSeeEachOthersMemory() throws Exception {
        String small = docker.startIdle(Docker.BUSYBOX_IMAGE, "--memory", "200m");
        String large = docker.startIdle(Docker.BUSYBOX_IMAGE, "--memory", "300m");
        // Both loops at once, 400 reads each: cat (sendfile, through the page cache) and head (read(2)).
        String loop =
                "for i in $(seq 200); do cat /proc/meminfo | head -1; head -1 /proc/meminfo; done | sort | uniq -c";
        try (ExecutorService threads = Executors.newFixedThreadPool(2)) {
            Future<String> smallReads = threads.submit(() -> Docker.execOk(small, "sh", "-c", loop));
            Future<String> largeReads = threads.submit(() -> Docker.execOk(large, "sh", "-c", loop));
            assertEquals(
                    "400 MemTotal:         204800 kB", smallReads.get().strip(), "the 200m container's reads, counted");
            assertEquals(
                    "400 MemTotal:         307200 kB", largeReads.get().strip(), "the 300m container's reads, counted");
        }
    }
}
