package io.jsysbox.installer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jsysbox.api.v1.ContainerStatus;
import io.jsysbox.api.v1.FsContainer;
import io.jsysbox.api.v1.FsStatusResponse;
import io.jsysbox.api.v1.IdRange;
import io.jsysbox.api.v1.InnerImageCacheEntry;
import io.jsysbox.api.v1.InnerImageCacheStatus;
import io.jsysbox.api.v1.StatusResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusReportTest {
    @Test
    void managerLinesShowThePoolAndOneLinePerContainer() {
        StatusResponse status = StatusResponse.newBuilder()
                .setVersion("0.1.0")
                .setUidPool(range(231072, 268435456))
                .setGidPool(range(231072, 268435456))
                .setFreeRanges(4095)
                .addContainers(ContainerStatus.newBuilder()
                        .setId("abc")
                        .setUidRange(range(231072, 65536))
                        .setGidRange(range(231072, 65536))
                        .setPid(42)
                        .setRootfsShift("idmapped-layers"))
                .addContainers(ContainerStatus.newBuilder()
                        .setId("def")
                        .setUidRange(range(231072, 65536))
                        .setGidRange(range(231072, 65536))
                        .setPid(43)
                        .setRootfsShift("idmapped-layers")
                        .setSharesRangeOf("abc"))
                .setInnerImageCache(InnerImageCacheStatus.newBuilder()
                        .setDir("/var/lib/jsysbox/inner-images")
                        .setBytes(3 << 20)
                        .addEntries(InnerImageCacheEntry.newBuilder()
                                .setKey("0123abcd")
                                .setSharedLayers(2)
                                .setUsers(1)
                                .setSource("/var/lib/docker/overlay2/x/diff/var/lib/docker")))
                .build();
        assertEquals(
                List.of(
                        "manager: up (version 0.1.0, systemd unit jsysbox-mgr.service)",
                        "pool: uid 231072-268666527, gid 231072-268666527, 4095 free ranges",
                        "containers: 2",
                        "  abc  uid 231072-296607  gid 231072-296607  pid 42  rootfs idmapped-layers",
                        "  def  uid 231072-296607  gid 231072-296607  pid 43  rootfs idmapped-layers  shares another "
                                + "container's range",
                        "inner image cache: 1 entries, 3.0 MiB (/var/lib/jsysbox/inner-images)",
                        "  0123abcd  2 shared layers  used by 1 running  from "
                                + "/var/lib/docker/overlay2/x/diff/var/lib/docker"),
                StatusReport.manager(status, "systemd unit jsysbox-mgr.service"));
    }

    @Test
    void filesystemLinesShowTheMountAndTheSysctlsEachContainerWrote() {
        FsStatusResponse status = FsStatusResponse.newBuilder()
                .setVersion("0.1.0")
                .setMountDir("/var/lib/jsysbox-fs")
                .addContainers(FsContainer.newBuilder()
                        .setId("abc")
                        .setInitPid(42)
                        .setCgroupVersion("v1")
                        .putAllSysctls(Map.of("/proc/sys/kernel/panic", "5\n", "/proc/sys/fs/file-max", "1000\n")))
                .addContainers(
                        FsContainer.newBuilder().setId("def").setInitPid(43).setCgroupVersion("v2"))
                .build();
        assertEquals(
                List.of(
                        "jsysbox-fs: up (version 0.1.0, mounted at /var/lib/jsysbox-fs, plain supervisor (pid 7))",
                        "registered: 2",
                        "  abc  init 42  cgroup v1  /proc/sys/fs/file-max=1000  /proc/sys/kernel/panic=5",
                        "  def  init 43  cgroup v2"),
                StatusReport.filesystem(status, "plain supervisor (pid 7)"));
    }

    @Test
    void aDaemonThatIsDownGetsOneLineWithItsLog() {
        assertEquals(
                "jsysbox-fs: down (no jsysbox-fs socket at /run/jsysbox/fs.sock; log: /var/log/jsysbox/fs.log)",
                StatusReport.down("jsysbox-fs", "no jsysbox-fs socket at /run/jsysbox/fs.sock", Daemon.FS));
    }

    private static IdRange range(long start, long size) {
        return IdRange.newBuilder().setHostStart(start).setSize(size).build();
    }
}
