package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The procfs and sysfs mounts made inside a system container (an inner docker's containers, {@code unshare
 * --mount-proc}, a plain {@code mount -t proc}) carry the system container's virtual files, and those files cannot be
 * taken off: no procfs inside shows the host's memory.
 */
@EndToEnd
class InnerProcfsTest {
    private static final List<String> PROC_FILES = List.of(
            "/proc/meminfo",
            "/proc/cpuinfo",
            "/proc/stat",
            "/proc/uptime",
            "/proc/loadavg",
            "/proc/swaps",
            "/proc/diskstats");

    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void anInnerContainerSeesItsSystemContainersMemoryUptimeAndSysctls() {
        String dind = docker.startDind("--memory", "512m");
        String panic = Host.otherThanHosts("/proc/sys/kernel/panic", "7", "8");
        Docker.execOk(dind, "sh", "-c", "echo " + panic + " > /proc/sys/kernel/panic");
        String probe =
                "awk '/^MemTotal:/ {print $2}' /proc/meminfo; cut -d' ' -f1 /proc/uptime; cat /proc/sys/kernel/panic; "
                        + "free | awk '/^Mem:/ {print $2}'";
        List<String> outer = Docker.execOk(dind, "sh", "-c", probe).lines().toList();
        double hostUptime = Host.uptimeSeconds();
        List<String> inner = Docker.execOk(dind, "docker", "run", "--rm", "busybox", "sh", "-c", probe)
                .lines()
                .toList();
        System.out.println("[inner procfs] (MemTotal kB, uptime s, kernel.panic, free total) host: " + Host.memTotalKb()
                + ", " + hostUptime + ", " + Host.value("/proc/sys/kernel/panic") + "; outer: " + outer + "; inner: "
                + inner);

        assertEquals(4, inner.size(), "inner probe: " + inner);
        double innerUptime = Double.parseDouble(inner.get(1));
        assertAll(
                "the inner container reads its system container's files",
                () -> assertEquals(Long.toString(512 * 1024), inner.get(0), "inner MemTotal"),
                () -> assertTrue(
                        innerUptime <= Double.parseDouble(outer.get(1)) + 5 && innerUptime < hostUptime,
                        "inner uptime " + innerUptime + " is the system container's " + outer.get(1)
                                + ", not the host's " + hostUptime),
                () -> assertEquals(panic, inner.get(2), "inner kernel.panic is the system container's"),
                () -> assertEquals(Long.toString(512 * 1024), inner.get(3), "inner free (sysinfo) agrees"));

        List<String> innerMounts = HostFiles.mountPoints(
                Docker.execOk(dind, "docker", "run", "--rm", "busybox", "cat", "/proc/self/mountinfo"));
        for (String file : PROC_FILES) {
            assertTrue(innerMounts.contains(file), file + " is mounted over the inner procfs: " + innerMounts);
        }
    }

    /**
     * Written from an inner container (systempaths=unconfined leaves its /proc/sys writable), kept by the system
     * container.
     */
    @Test
    void anInnerContainersSysctlWriteLandsInItsSystemContainerNeverOnTheHost() {
        String dind = docker.startDind();
        String hostValue = Host.value("/proc/sys/kernel/panic");
        String panic = Host.otherThanHosts("/proc/sys/kernel/panic", "11", "12");
        Docker.execOk(
                dind,
                "docker",
                "run",
                "--rm",
                "--security-opt",
                "systempaths=unconfined",
                "busybox",
                "sh",
                "-c",
                "echo " + panic + " > /proc/sys/kernel/panic");
        assertEquals(panic, Docker.execOk(dind, "cat", "/proc/sys/kernel/panic"), "the system container keeps it");
        assertEquals(hostValue, Host.value("/proc/sys/kernel/panic"), "the host's is untouched");
        String other = docker.startIdle(Docker.BUSYBOX_IMAGE);
        assertEquals(
                hostValue, Docker.execOk(other, "cat", "/proc/sys/kernel/panic"), "another system container's too");
    }

    /** Each virtual file's mount is locked: no umount (lazy or not), no move; /proc binds only with them. */
    @Test
    void rootInsideCannotTakeTheVirtualFilesOff() {
        String id = docker.startIdle(Docker.BUSYBOX_IMAGE, "--memory", "256m");
        List<String> virtual = fuseMountPoints(Docker.execOk(id, "cat", "/proc/self/mountinfo"));
        assertTrue(virtual.containsAll(PROC_FILES), "the container's virtual files: " + virtual);
        List<String> removed = new ArrayList<>();
        for (String file : virtual) {
            Command.Result umount = Docker.exec(
                    id,
                    "sh",
                    "-c",
                    "umount " + file + " || umount -l " + file
                            + " || { mkdir -p /moved && touch /moved/f && mount -o move " + file + " /moved/f; }");
            if (umount.ok()) {
                removed.add(file);
            }
        }
        assertEquals(List.of(), removed, "virtual files unmounted or moved by root inside");
        assertFalse(
                Docker.exec(id, "sh", "-c", "mkdir -p /b && mount -o bind /proc /b")
                        .ok(),
                "a bind of /proc without its files is refused");
        assertEquals(
                "MemTotal:         262144 kB",
                Docker.execOk(id, "sh", "-c", "mkdir -p /r && mount -o rbind /proc /r && head -1 /r/meminfo"),
                "a recursive bind takes them along");
        assertEquals("MemTotal:         262144 kB", Docker.execOk(id, "head", "-1", "/proc/meminfo"));
    }

    /** Every way to a fresh procfs inside gets the virtual files; the unobscured one of earlier releases is gone. */
    @Test
    void noProcfsInsideShowsTheHostsMemory() {
        String id = docker.startIdle(Docker.BUSYBOX_IMAGE, "--memory", "192m");
        String limit = "MemTotal:         196608 kB";
        assertEquals(
                limit, Docker.execOk(id, "sh", "-c", "mkdir -p /p && mount -t proc proc /p && head -1 /p/meminfo"));
        assertEquals(
                limit + "\n1",
                Docker.execOk(id, "unshare", "-pfm", "--mount-proc", "sh", "-c", "head -1 /proc/meminfo; echo $$"),
                "a new pid namespace's procfs (pid 1 is the shell)");
        assertEquals("gone", Docker.execOk(id, "sh", "-c", "test -e /dev/.jsysbox-proc && echo there || echo gone"));
        String mountinfo = Docker.execOk(id, "cat", "/proc/self/mountinfo");
        // Whole procfs mounts (root "/"), not Docker's read-only binds of /proc/bus and the like.
        List<String> procfs = mountinfo
                .lines()
                .filter(line -> line.contains(" - proc ") && line.split(" ")[3].equals("/"))
                .map(line -> line.split(" ")[4])
                .toList();
        assertEquals(List.of("/proc", "/p"), procfs, "the procfs mounts inside");
        for (String dir : procfs) {
            assertEquals(limit, Docker.execOk(id, "head", "-1", dir + "/meminfo"), dir + "/meminfo");
        }
    }

    /** The mount points of the jsysbox-fs files in a mountinfo text. */
    private static List<String> fuseMountPoints(String mountinfo) {
        return mountinfo
                .lines()
                .filter(line -> line.contains(" - fuse.jsysbox-fs "))
                .map(line -> line.split(" ")[4])
                .toList();
    }
}
