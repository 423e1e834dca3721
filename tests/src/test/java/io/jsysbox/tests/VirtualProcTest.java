package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a jsysbox container reads in /proc and /sys: its own memory, CPUs, uptime and sysctls (served by
 * jsysbox-fs), never the host's or another container's; and what a process of an inner container reads.
 */
@EndToEnd
class VirtualProcTest {
    private static final long MIB = 1024 * 1024;

    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void memoryCpusAndUptimeAreTheContainers() {
        assumeTrue(hostCpus() >= 2, "needs a host with 2 CPUs or more to tell the container's from the host's");
        List<String> lines = docker.tryRun("--rm", "--runtime=jsysbox", "--memory", "256m", "--cpuset-cpus", "0",
                "--entrypoint", "/bin/sh", Docker.DIND_IMAGE, "-c",
                "free -b | awk '/^Mem:/ {print $2}'; awk '/^MemTotal:/ {print $2}' /proc/meminfo; nproc;"
                        + " grep -c ^processor /proc/cpuinfo; grep -c '^cpu[0-9]' /proc/stat; cut -d' ' -f1 /proc/uptime")
                .result().assertOk().out().lines().toList();
        assertEquals(6, lines.size(), "one line per probe: " + lines);
        assertEquals(256 * MIB, Long.parseLong(lines.get(0)), "free's total");
        assertEquals(256 * 1024, Long.parseLong(lines.get(1)), "MemTotal in kB");
        assertNotEquals(lines.get(1), hostField("/proc/meminfo", "MemTotal:"), "the host has other memory");
        assertEquals(List.of("1", "1", "1"), lines.subList(2, 5), "nproc, cpuinfo processors, /proc/stat cpuN lines");
        double uptime = Double.parseDouble(lines.get(5));
        double hostUptime = Double.parseDouble(hostText("/proc/uptime").split(" ")[0]);
        assumeTrue(hostUptime > 300, "the host booted too recently to tell its uptime from the container's");
        assertTrue(uptime < 120, "uptime counts from the container's start, got " + uptime + " s (host: " + hostUptime + " s)");
    }

    @Test
    void cpuQuotaRoundedUpIsTheCpuCount() {
        assumeTrue(hostCpus() >= 2, "needs a host with 2 CPUs or more");
        String processors = docker.tryRun("--rm", "--runtime=jsysbox", "--cpus", "1", Docker.BUSYBOX_IMAGE,
                "grep", "-c", "^processor", "/proc/cpuinfo").result().assertOk().out();
        assertEquals("1", processors, "--cpus 1 on a " + hostCpus() + "-CPU host");
    }

    /** busybox cat reads with sendfile(2), which goes through the FUSE page cache, not the direct-I/O path. */
    @Test
    void sendfileReadersGetTheWholeFile() {
        List<String> lines = docker.tryRun("--rm", "--runtime=jsysbox", "--memory", "128m", Docker.BUSYBOX_IMAGE, "sh", "-c",
                "cat /proc/uptime; cat /proc/meminfo | wc -l; cat /proc/sys/kernel/random/boot_id; cat /proc/meminfo | head -1")
                .result().assertOk().out().lines().toList();
        assertEquals(4, lines.size(), "every cat printed: " + lines);
        assertTrue(lines.get(0).matches("\\d+\\.\\d\\d \\d+\\.\\d\\d"), "uptime: " + lines.get(0));
        assertEquals(hostText("/proc/meminfo").lines().count(), Long.parseLong(lines.get(1).strip()), "meminfo lines");
        assertTrue(lines.get(2).matches("[0-9a-f-]{36}"), "boot_id: " + lines.get(2));
        assertEquals("MemTotal:         131072 kB", lines.get(3));
    }

    @Test
    void sysctlWritesStayInTheirContainer() {
        String hostPanic = hostText("/proc/sys/kernel/panic").strip();
        String hostOvercommit = hostText("/proc/sys/vm/overcommit_memory").strip();
        String newPanic = hostPanic.equals("7") ? "8" : "7";
        String newOvercommit = hostOvercommit.equals("1") ? "2" : "1";
        String a = sleeper(Docker.DIND_IMAGE);
        String b = sleeper(Docker.DIND_IMAGE);

        Docker.execOk(a, "sh", "-c", "echo " + newPanic + " > /proc/sys/kernel/panic");
        Docker.execOk(a, "sysctl", "-w", "vm.overcommit_memory=" + newOvercommit);

        assertEquals(newPanic, Docker.execOk(a, "cat", "/proc/sys/kernel/panic"), "the writer reads its value");
        assertEquals(newOvercommit, Docker.execOk(a, "sysctl", "-n", "vm.overcommit_memory"));
        assertEquals(hostPanic, hostText("/proc/sys/kernel/panic").strip(), "the host's kernel.panic is untouched");
        assertEquals(hostOvercommit, hostText("/proc/sys/vm/overcommit_memory").strip(), "the host's overcommit is untouched");
        assertEquals(hostPanic, Docker.execOk(b, "cat", "/proc/sys/kernel/panic"), "another container reads the host's value");
        assertEquals(hostOvercommit, Docker.execOk(b, "sysctl", "-n", "vm.overcommit_memory"));

        Set<String> bootIds = Set.of(Docker.execOk(a, "cat", "/proc/sys/kernel/random/boot_id"),
                Docker.execOk(b, "cat", "/proc/sys/kernel/random/boot_id"), hostText("/proc/sys/kernel/random/boot_id").strip());
        assertEquals(3, bootIds.size(), "each container has its own boot id: " + bootIds);

        // A namespaced key is the kernel's own, per network namespace: writable in the container, host untouched.
        String hostForward = hostText("/proc/sys/net/ipv4/ip_forward").strip();
        String flipped = hostForward.equals("1") ? "0" : "1";
        Docker.execOk(a, "sysctl", "-w", "net.ipv4.ip_forward=" + flipped);
        assertEquals(flipped, Docker.execOk(a, "cat", "/proc/sys/net/ipv4/ip_forward"));
        assertEquals(hostForward, hostText("/proc/sys/net/ipv4/ip_forward").strip());
    }

    @Test
    void badWritesGetTheKernelsErrorsAndChangeNothing() {
        String id = sleeper(Docker.BUSYBOX_IMAGE);
        String panic = Docker.execOk(id, "cat", "/proc/sys/kernel/panic");
        Command.Result notANumber = Docker.exec(id, "sh", "-c", "echo abc > /proc/sys/kernel/panic");
        assertFalse(notANumber.ok(), "writing 'abc' to kernel.panic succeeded: " + notANumber);
        assertTrue(notANumber.stderr().contains("Invalid argument"), "EINVAL expected: " + notANumber);
        assertEquals(panic, Docker.execOk(id, "cat", "/proc/sys/kernel/panic"));

        String capLastCap = Docker.execOk(id, "cat", "/proc/sys/kernel/cap_last_cap");
        Command.Result readOnly = Docker.exec(id, "sh", "-c", "echo 1 > /proc/sys/kernel/cap_last_cap");
        assertFalse(readOnly.ok(), "writing the read-only kernel.cap_last_cap succeeded: " + readOnly);
        assertTrue(readOnly.stderr().contains("Permission denied") || readOnly.stderr().contains("Operation not permitted"),
                "EACCES or EPERM expected: " + readOnly);
        assertEquals(capLastCap, Docker.execOk(id, "cat", "/proc/sys/kernel/cap_last_cap"));
        assertEquals(hostText("/proc/sys/kernel/cap_last_cap").strip(), capLastCap, "read-only keys show the host's value");
    }

    @Test
    void concurrentContainersNeverSeeEachOthersValues() {
        String small = sleeper(Docker.BUSYBOX_IMAGE, "--memory", "200m");
        String large = sleeper(Docker.BUSYBOX_IMAGE, "--memory", "300m");
        // Both loops at once: cat (sendfile, through the page cache) and head (read(2)), 200 reads each.
        String loop = "for i in $(seq 200); do cat /proc/meminfo | head -1; head -1 /proc/meminfo; done | sort | uniq -c";
        CompletableFuture<String> smallReads = CompletableFuture.supplyAsync(() -> Docker.execOk(small, "sh", "-c", loop));
        CompletableFuture<String> largeReads = CompletableFuture.supplyAsync(() -> Docker.execOk(large, "sh", "-c", loop));
        assertEquals("400 MemTotal:         204800 kB", smallReads.join().strip());
        assertEquals("400 MemTotal:         307200 kB", largeReads.join().strip());
    }

    /**
     * Records what a process of an inner container (docker run inside a jsysbox container) reads today: the inner
     * container mounts a procfs of its own, which jsysbox-fs does not serve yet, so it shows the kernel's values.
     * When inner procfs mounts become virtual, this test is the one to change.
     */
    @Test
    void innerContainersReadTheKernelsProcfsForNow() {
        String dind = docker.startDind("--memory", "512m");
        Docker.execOk(dind, "sh", "-c", "echo 7 > /proc/sys/kernel/panic");
        String probe = "awk '/^MemTotal:/ {print $2}' /proc/meminfo; cut -d' ' -f1 /proc/uptime; cat /proc/sys/kernel/panic";
        List<String> outer = Docker.execOk(dind, "sh", "-c", probe).lines().toList();
        List<String> inner = Docker.execOk(dind, "docker", "run", "--rm", "busybox", "sh", "-c", probe).lines().toList();
        System.out.println("[inner procfs] outer container (MemTotal kB, uptime s, kernel.panic): " + outer);
        System.out.println("[inner procfs] inner container (MemTotal kB, uptime s, kernel.panic): " + inner);

        assertEquals(List.of(String.valueOf(512 * 1024), "7"), List.of(outer.get(0), outer.get(2)), "the outer container is virtual");
        assertEquals(hostField("/proc/meminfo", "MemTotal:"), inner.get(0), "inner MemTotal is the kernel's (not virtual yet)");
        assertEquals(hostText("/proc/sys/kernel/panic").strip(), inner.get(2), "inner kernel.panic is the kernel's (not virtual yet)");
    }

    /** Killing jsysbox-fs (as a crash or an upgrade would) leaves running containers' files working, values kept. */
    @Test
    void aRestartedJsysboxFsKeepsServingRunningContainers() {
        String id = sleeper(Docker.BUSYBOX_IMAGE, "--memory", "160m");
        Docker.execOk(id, "sh", "-c", "echo 5 > /proc/sys/kernel/panic");
        long before = Jsysbox.fsPid();
        Command.run(Docker.COMMAND_TIMEOUT, "kill", "-KILL", Long.toString(before)).assertOk();

        // The read waits while no daemon serves, and is answered by the next one.
        assertEquals("MemTotal:         163840 kB", Docker.execOk(id, "head", "-1", "/proc/meminfo"));
        assertEquals("5", Docker.execOk(id, "cat", "/proc/sys/kernel/panic"), "the written sysctl survived");
        assertNotEquals(before, Jsysbox.fsPid(), "a new jsysbox-fs serves");
        String other = sleeper(Docker.BUSYBOX_IMAGE, "--memory", "96m");
        assertEquals("MemTotal:          98304 kB", Docker.execOk(other, "head", "-1", "/proc/meminfo"), "and new containers");
    }

    @Test
    void withoutJsysboxFsAContainerDoesNotStartAndLeavesNothing() {
        Set<String> mountsBefore = Leftovers.jsysboxMounts();
        long fs = Jsysbox.fsPid();
        Docker.Attempt run;
        Command.run(Docker.COMMAND_TIMEOUT, "kill", "-STOP", Long.toString(fs)).assertOk();
        try {
            run = docker.tryRun("--runtime=jsysbox", Docker.BUSYBOX_IMAGE, "true");
        } finally {
            Command.run(Docker.COMMAND_TIMEOUT, "kill", "-CONT", Long.toString(fs)).assertOk();
        }
        assertFalse(run.result().ok(), "docker run succeeded with jsysbox-fs stopped: " + run.result());
        assertTrue(run.result().stderr().contains("jsysbox-fs"), "the error should name jsysbox-fs: " + run.result());
        Docker.findId(run.name()).ifPresent(id -> Leftovers.of(id).withMountsBefore(mountsBefore).awaitNone());
        assertEquals("ok", docker.tryRun("--rm", "--runtime=jsysbox", Docker.BUSYBOX_IMAGE, "echo", "ok").result().assertOk().out(),
                "containers start again once jsysbox-fs answers");
    }

    /** A detached container of {@code image} that only sleeps (whatever the image's entrypoint), for exec probes. */
    private static String sleeper(String image, String... runArgs) {
        List<String> args = new java.util.ArrayList<>(List.of("--runtime=jsysbox"));
        args.addAll(List.of(runArgs));
        args.addAll(List.of("--entrypoint", "sleep", image, "600"));
        return docker.runDetached(args.toArray(String[]::new));
    }

    private static int hostCpus() {
        return (int) hostText("/proc/cpuinfo").lines().filter(line -> line.startsWith("processor")).count();
    }

    private static String hostField(String file, String field) {
        return hostText(file).lines().filter(line -> line.startsWith(field)).findFirst()
                .map(line -> line.substring(field.length()).strip().split(" ")[0])
                .orElseThrow(() -> new AssertionError(field + " missing from the host's " + file));
    }

    /**
     * The host's file as cat reads it. Not Files.readString: the JDK reads a size-0 file one byte first, and the
     * kernel's sysctl files answer a read at offset 1 with end of file ("40" reads as "4").
     */
    private static String hostText(String file) {
        return Command.run(Docker.COMMAND_TIMEOUT, "cat", file).assertOk().stdout();
    }
}
