package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CgroupDirsTest {
    /** A hybrid host as on the CI machines: v1 controllers, a named systemd hierarchy, cgroup2 at unified. */
    private static final String HYBRID_MOUNTS = """
            25 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
            33 25 0:28 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw
            34 25 0:29 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd
            36 25 0:31 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
            37 25 0:32 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
            38 25 0:33 / /sys/fs/cgroup/cpuset rw,nosuid - cgroup cgroup rw,cpuset
            39 25 0:34 / /sys/fs/cgroup/blkio rw,nosuid - cgroup cgroup rw,blkio
            """;

    @Test
    void hybridHostUsesV1ControllerDirs() {
        String cgroup = """
                12:name=systemd:/docker/abc
                7:blkio:/docker/abc
                4:memory:/docker/abc
                3:cpuset:/docker/abc
                2:cpu,cpuacct:/docker/abc
                0::/docker/abc
                """;
        CgroupDirs dirs = CgroupDirs.parse(cgroup, HYBRID_MOUNTS);
        assertFalse(dirs.v2());
        assertEquals(
                Path.of("/sys/fs/cgroup/memory/docker/abc"), dirs.byController().get("memory"));
        assertEquals(
                Path.of("/sys/fs/cgroup/cpu,cpuacct/docker/abc"),
                dirs.byController().get("cpu"));
        assertEquals(
                Path.of("/sys/fs/cgroup/cpu,cpuacct/docker/abc"),
                dirs.byController().get("cpuacct"));
        assertEquals(
                Path.of("/sys/fs/cgroup/blkio/docker/abc"), dirs.byController().get("blkio"));
        assertEquals("v1", dirs.version());
    }

    @Test
    void pureV2HostUsesTheUnifiedDirAndAMountRootIsCutOff() {
        String mounts = "30 25 0:26 /kubepods /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
        CgroupDirs dirs = CgroupDirs.parse("0::/kubepods/pod1/ctr\n", mounts);
        assertTrue(dirs.v2());
        assertEquals(Path.of("/sys/fs/cgroup/pod1/ctr"), dirs.byController().get(""));
    }

    @Test
    void v2LimitsAreReadAboveTheLeafTheContainersProcessesMovedTo() {
        String mounts = "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
        assertEquals(
                Path.of("/sys/fs/cgroup/system.slice/docker-c1.scope"),
                CgroupDirs.parse("0::/system.slice/docker-c1.scope/init.scope\n", mounts)
                        .byController()
                        .get(""));
        assertEquals(
                Path.of("/sys/fs/cgroup/system.slice/docker-c1.scope"),
                CgroupDirs.parse("0::/system.slice/docker-c1.scope\n", mounts)
                        .byController()
                        .get(""));
    }

    @Test
    void filePathsByController() {
        CgroupDirs dirs = CgroupDirs.parse("4:memory:/x\n", HYBRID_MOUNTS);
        assertTrue(dirs.path("cpuset.cpus").isEmpty(), "no cpuset dir known");
        assertEquals(
                "/sys/fs/cgroup/memory/x/memory.stat", dirs.path("memory.stat").orElseThrow());
        assertThrows(IllegalArgumentException.class, () -> CgroupDirs.parse("1:pids:/x\n", HYBRID_MOUNTS));
    }

    @Test
    void thePidsControllerCountsTheTasksForSysinfo() {
        String mounts = HYBRID_MOUNTS + "40 25 0:35 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids\n";
        CgroupDirs dirs = CgroupDirs.parse("4:memory:/docker/abc\n8:pids:/docker/abc\n", mounts);
        assertEquals(
                "/sys/fs/cgroup/pids/docker/abc/pids.current",
                dirs.path("pids.current").orElseThrow());
    }

    @Test
    void escapedMountPoints() {
        CgroupDirs dirs = CgroupDirs.parse("4:memory:/x\n", "36 25 0:31 / /cg\\040mem rw - cgroup cgroup rw,memory\n");
        assertEquals(Path.of("/cg mem/x"), dirs.byController().get("memory"));
        assertNull(dirs.byController().get("cpu"));
    }
}
