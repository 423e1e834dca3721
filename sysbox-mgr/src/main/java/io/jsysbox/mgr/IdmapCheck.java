package io.jsysbox.mgr;

import io.jsysbox.api.RuntimeDirs;
import io.jsysbox.linux.FsCredentials;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.MountCalls;
import io.jsysbox.spec.HostRange;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * What the doctor asks: can this host ID-map a directory of {@code base}'s filesystem, and mount a writable
 * overlay over ID-mapped layers (kernel ≥ 5.19)? Everything made lives in one temp dir, removed afterwards.
 */
final class IdmapCheck {
    private static final HostRange PROBE = new HostRange(2_000_000_000L, IdRangeAllocator.RANGE_SIZE);

    private IdmapCheck() {}

    /** Returns null when it works, else the reason. */
    static String run(Path base) {
        Path work;
        try {
            // The doctor may probe before the manager first ran: the state dir must not start out 0755.
            RuntimeDirs.createIfMissing(base, RuntimeDirs.PASSED_BY_CONTAINERS);
            work = Files.createTempDirectory(base, "jsysbox-idmap-check");
        } catch (IOException e) {
            return "cannot create a temp dir in " + base + ": " + e.getMessage();
        }
        IdMappedMounts idmapped = new IdMappedMounts(MountCalls.HOST);
        try {
            Path lower = Files.createDirectories(work.resolve("lower"));
            Files.writeString(lower.resolve("file"), "x");
            Path upperLayer = Files.createDirectories(work.resolve("upper"));
            Files.createDirectories(upperLayer.resolve("diff"));
            Files.createDirectories(upperLayer.resolve("work"));
            Path mappedLower = Files.createDirectory(work.resolve("ml"));
            Path mappedUpper = Files.createDirectory(work.resolve("mu"));
            Path merged = Files.createDirectory(work.resolve("merged"));
            try {
                idmapped.attach(lower, mappedLower, PROBE, PROBE, false);
            } catch (IOException e) {
                return "ID-mapped mounts do not work on " + base
                        + " (kernel ≥ 5.12 and a filesystem that supports them needed): " + e.getMessage();
            }
            int owner =
                    (Integer) Files.getAttribute(mappedLower.resolve("file"), "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (owner != PROBE.start()) {
                return "an ID-mapped mount shows uid " + owner + " instead of " + PROBE.start();
            }
            idmapped.attach(upperLayer, mappedUpper, PROBE, PROBE, false);
            try {
                FsCredentials.withFsIds(PROBE.rootId(), PROBE.rootId(), () -> {
                    Linux.mount(
                            "overlay",
                            merged,
                            "overlay",
                            0,
                            "lowerdir=" + mappedLower + ",upperdir=" + mappedUpper.resolve("diff") + ",workdir="
                                    + mappedUpper.resolve("work") + ",index=off");
                    return null;
                });
                FsCredentials.withFsIds(
                        PROBE.rootId(), PROBE.rootId(), () -> Files.writeString(merged.resolve("file"), "y"));
            } catch (IOException e) {
                return "overlayfs over ID-mapped layers does not work (kernel ≥ 5.19 needed): " + e.getMessage();
            }
            int written = (Integer)
                    Files.getAttribute(upperLayer.resolve("diff/file"), "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (written != 0) {
                return "a copy-up through the ID-mapped overlay landed on disk as uid " + written + " instead of 0";
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return e.getMessage();
        } finally {
            idmapped.forget(PROBE, PROBE);
            try {
                Mounts.unmountAllUnder(work);
                NoFollowTree.delete(work.getParent(), work.getFileName().toString());
            } catch (IOException e) {
                System.err.println("jsysbox-mgr: cannot clean up " + work + ": " + e.getMessage());
            }
        }
    }
}
