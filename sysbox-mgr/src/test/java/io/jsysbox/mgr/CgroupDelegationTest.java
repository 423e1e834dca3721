package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jsysbox.linux.MountInfo;
import io.jsysbox.linux.ProcCgroup;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CgroupDelegationTest {
    private static final MountInfo HYBRID = MountInfo.parse("""
            30 22 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
            31 22 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
            32 22 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd
            33 22 0:29 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate
            """);
    private static final ProcCgroup PROCESS = ProcCgroup.parse("""
            12:memory:/docker/c1
            11:cpu,cpuacct:/docker/c1
            10:rdma:/
            1:name=systemd:/docker/c1
            0::/docker/c1
            """);

    @Test
    void v1CoversEveryMountedHierarchy() {
        assertEquals(
                List.of(
                        Path.of("/sys/fs/cgroup/memory/docker/c1"),
                        Path.of("/sys/fs/cgroup/cpu,cpuacct/docker/c1"),
                        Path.of("/sys/fs/cgroup/systemd/docker/c1")),
                new CgroupV1Delegation().directories(PROCESS, HYBRID));
    }

    @Test
    void v2UsesTheUnifiedMountInHybridMode() {
        assertEquals(
                List.of(Path.of("/sys/fs/cgroup/unified/docker/c1")),
                new CgroupV2Delegation().directories(PROCESS, HYBRID));
    }

    @Test
    void pureV2() {
        MountInfo v2 = MountInfo.parse("25 22 0:24 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
        ProcCgroup process = ProcCgroup.parse("0::/system.slice/docker-c1.scope\n");
        assertEquals(
                List.of(Path.of("/sys/fs/cgroup/system.slice/docker-c1.scope")),
                new CgroupV2Delegation().directories(process, v2));
        assertEquals(List.of(), new CgroupV1Delegation().directories(process, v2));
    }

    @Test
    void mountRootIsStrippedFromThePath() {
        MountInfo nested = MountInfo.parse("25 22 0:24 /outer /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
        ProcCgroup process = ProcCgroup.parse("0::/outer/inner\n");
        assertEquals(List.of(Path.of("/sys/fs/cgroup/inner")), new CgroupV2Delegation().directories(process, nested));
    }
}
