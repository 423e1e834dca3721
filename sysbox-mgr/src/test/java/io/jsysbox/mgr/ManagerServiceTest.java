package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jsysbox.api.v1.StatusResponse;
import io.jsysbox.spec.HostRange;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The gRPC edge's conversion of the domain's Status snapshot: every field reaches the wire. */
class ManagerServiceTest {
    @Test
    void aStatusSnapshotIsSentFieldForField() {
        HostRange uids = new HostRange(165_536, 65_536);
        HostRange gids = new HostRange(231_072, 65_536);
        ManagerStatus status = new ManagerStatus(
                "0.1.0",
                new HostRange(165_536, 655_360),
                new HostRange(165_536, 655_360),
                8,
                List.of(new ManagerStatus.Container(
                        "c1",
                        uids,
                        gids,
                        "/var/lib/docker/overlay2/x/merged",
                        "idmapped-overlay",
                        4242,
                        List.of("/run/jsysbox/mnt/0-c1/rootfs"),
                        List.of("/var/lib/jsysbox/c1"),
                        "sandbox")),
                new InnerImageCache.Usage(
                        Path.of("/var/lib/jsysbox/inner-image-cache"),
                        4096,
                        List.of(new InnerImageCache.EntryUsage("k1", Path.of("/src"), 3, 1, 1_700_000_000L))));

        StatusResponse response = ManagerService.statusResponse(status);

        assertEquals("0.1.0", response.getVersion());
        assertEquals(655_360, response.getUidPool().getSize());
        assertEquals(8, response.getFreeRanges());
        var container = response.getContainers(0);
        assertEquals("c1", container.getId());
        assertEquals(165_536, container.getUidRange().getHostStart());
        assertEquals(231_072, container.getGidRange().getHostStart());
        assertEquals("idmapped-overlay", container.getRootfsShift());
        assertEquals(4242, container.getPid());
        assertEquals(List.of("/run/jsysbox/mnt/0-c1/rootfs"), container.getMountsList());
        assertEquals(List.of("/var/lib/jsysbox/c1"), container.getDirsList());
        assertEquals("sandbox", container.getSharesRangeOf());
        var cache = response.getInnerImageCache();
        assertEquals("/var/lib/jsysbox/inner-image-cache", cache.getDir());
        assertEquals(4096, cache.getBytes());
        assertEquals("k1", cache.getEntries(0).getKey());
        assertEquals("/src", cache.getEntries(0).getSource());
        assertEquals(3, cache.getEntries(0).getSharedLayers());
        assertEquals(1, cache.getEntries(0).getUsers());
        assertEquals(1_700_000_000L, cache.getEntries(0).getLastUsedEpochSeconds());
    }
}
