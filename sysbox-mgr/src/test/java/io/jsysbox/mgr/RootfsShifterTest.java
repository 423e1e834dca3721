package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.LinuxException;
import io.jsysbox.spec.HostRange;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rootfs shift's mount logic, without root: the kernel's calls are recorded, and refused at will. */
class RootfsShifterTest {
    private static final HostRange UIDS = new HostRange(196608, 65536);
    private static final HostRange GIDS = new HostRange(262144, 65536);

    @TempDir
    Path tmp;

    Path slotDir;
    Path upperLayer;
    final RecordingMountCalls kernel = new RecordingMountCalls();
    final RootfsShifter shifter = new RootfsShifter(new IdMappedMounts(kernel));
    final ContainerState.Builder made = new ContainerState.Builder("c1", 1, "/rootfs", "");

    @BeforeEach
    void dirs() throws Exception {
        slotDir = Files.createDirectories(tmp.resolve("mnt/1"));
        upperLayer = Files.createDirectories(tmp.resolve("overlay2/c1"));
    }

    private OverlayLayers layers(int lowers) throws Exception {
        List<Path> lowerDirs = IntStream.range(0, lowers)
                .mapToObj(i -> tmp.resolve("overlay2/lower" + i + "/diff"))
                .toList();
        for (Path lower : lowerDirs) {
            Files.createDirectories(lower);
        }
        return new OverlayLayers(
                lowerDirs,
                Optional.of(Files.createDirectories(upperLayer.resolve("diff"))),
                Optional.of(Files.createDirectories(upperLayer.resolve("work"))));
    }

    @Test
    void anOverlayRootfsGetsASecondOverlayOverIdMappedLayersMountedAsTheContainersRoot() throws Exception {
        shifter.shift(Path.of("/rootfs"), Optional.of(layers(2)), UIDS, GIDS, slotDir, made);

        String range = " as 196608:262144:65536";
        assertEquals(
                List.of(
                        "idmap " + tmp.resolve("overlay2/lower0/diff") + " -> " + slotDir.resolve("l0") + range,
                        "idmap " + tmp.resolve("overlay2/lower1/diff") + " -> " + slotDir.resolve("l1") + range,
                        "idmap " + upperLayer + " -> " + slotDir.resolve("u") + range,
                        "mount overlay " + slotDir.resolve("rootfs") + " lowerdir=" + slotDir.resolve("l0") + ":"
                                + slotDir.resolve("l1") + ",upperdir=" + slotDir.resolve("u/diff") + ",workdir="
                                + slotDir.resolve("u/" + RootfsShifter.WORK_DIR) + ",index=off as 196608:262144",
                        // overlayfs holds its own clones of the layers: the attachments go, the last first
                        "umount " + slotDir.resolve("u"),
                        "umount " + slotDir.resolve("l1"),
                        "umount " + slotDir.resolve("l0")),
                kernel.calls);
        assertEquals(RootfsShifter.IDMAPPED_OVERLAY, made.rootfsShift);
        assertEquals(slotDir.resolve("rootfs").toString(), made.rootfsPath);
        assertEquals(List.of(slotDir.resolve("rootfs").toString()), made.mounts, "what the undo detaches");
        assertTrue(Files.isDirectory(upperLayer.resolve(RootfsShifter.WORK_DIR)), "the overlay's own work dir");
        assertFalse(Files.exists(slotDir.resolve("l0")), "the layers' mount points are removed");
    }

    @Test
    void anyOtherRootfsGetsARecursiveIdMappedClone() throws Exception {
        shifter.shift(tmp.resolve("plain"), Optional.empty(), UIDS, GIDS, slotDir, made);

        assertEquals(
                List.of("idmap " + tmp.resolve("plain") + " -> " + slotDir.resolve("rootfs")
                        + " as 196608:262144:65536 recursive"),
                kernel.calls);
        assertEquals(RootfsShifter.IDMAPPED_BIND, made.rootfsShift);
        assertEquals(List.of(slotDir.resolve("rootfs").toString()), made.mounts);
    }

    @Test
    void tooManyLayersForOneMountsOptionsIsRefusedAndLeavesNoClone() throws Exception {
        var e = assertThrows(
                ManagerException.class,
                () -> shifter.shift(Path.of("/rootfs"), Optional.of(layers(300)), UIDS, GIDS, slotDir, made));

        assertTrue(e.getMessage().contains("flatten the image"), e.getMessage());
        assertEquals(ManagerException.Kind.NOT_POSSIBLE, e.kind());
        assertEquals(List.of(), kernel.mountPointsUnder(slotDir), "every layer clone detached");
        assertFalse(kernel.calls.stream().anyMatch(call -> call.startsWith("mount ")));
    }

    @Test
    void aFailingOverlayMountDetachesTheClonesAndIsReported() throws Exception {
        kernel.refuse = call -> call.startsWith("mount overlay") ? Optional.of(Errno.EIO) : Optional.empty();

        var e = assertThrows(
                LinuxException.class,
                () -> shifter.shift(Path.of("/rootfs"), Optional.of(layers(1)), UIDS, GIDS, slotDir, made));

        assertEquals(Errno.EIO, e.errno(), "not a missing kernel feature: no chown fallback");
        assertEquals(List.of(), kernel.mountPointsUnder(slotDir));
        assertEquals(List.of(), made.mounts);
        assertEquals("none", made.rootfsShift);
    }
}
