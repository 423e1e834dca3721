package io.jsysbox.mgr;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import io.jsysbox.linux.MountCalls;
import io.jsysbox.spec.HostRange;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the container's rootfs show its files as owned by the container's range. An overlayfs mount cannot be
 * ID-mapped, its layers can: for an overlay rootfs a second overlay is mounted over ID-mapped clones of the same
 * layers; any other rootfs gets an ID-mapped clone. Either is attached at {@code <slot-dir>/rootfs}, which the
 * runtime uses as root.path. Where the kernel refuses, the rootfs is chowned into the range instead.
 */
public final class RootfsShifter {
    private static final Logger LOG = LoggerFactory.getLogger(RootfsShifter.class);
    public static final String IDMAPPED_OVERLAY = "idmapped-overlay";
    public static final String IDMAPPED_BIND = "idmapped-bind";
    public static final String CHOWN = "chown";
    /**
     * The second overlay's work dir, beside the layer's upper dir. Not the engine's own work dir: mounting an overlay
     * empties its work dir's "work" entry, which the engine's overlay (Docker's merged dir) still uses, and from then
     * on every file it creates fails with ENOENT: `docker cp` into a running container did.
     */
    static final String WORK_DIR = "jsysbox-work";

    /** mount(2) copies at most one page of options, including the terminating NUL. */
    private static final int MOUNT_DATA_LIMIT = 4095;

    private final IdMappedMounts idmapped;
    private final MountCalls calls;

    /** Mounts through {@code idmapped}'s calls. */
    public RootfsShifter(IdMappedMounts idmapped) {
        this.idmapped = idmapped;
        this.calls = idmapped.calls();
    }

    public void shift(
            Path rootfs,
            Optional<OverlayLayers> layers,
            HostRange uids,
            HostRange gids,
            Path slotDir,
            ContainerState.Builder made)
            throws IOException, ManagerException {
        Path view = slotDir.resolve("rootfs");
        try {
            if (layers.isPresent()) {
                overlay(layers.get(), view, uids, gids, slotDir, made);
                made.rootfsShift = IDMAPPED_OVERLAY;
            } else {
                Files.createDirectory(view);
                idmapped.attach(rootfs, view, uids, gids, true);
                made.mounts.add(view.toString());
                made.rootfsShift = IDMAPPED_BIND;
            }
            made.rootfsPath = view.toString();
        } catch (LinuxException e) {
            if (!IdMappedMounts.unsupported(e)) {
                throw e;
            }
            LOG.warn(
                    "cannot ID-map rootfs {} ({}); chowning it into {}:{} instead",
                    rootfs,
                    e.getMessage(),
                    uids.start(),
                    gids.start());
            Mounts.unmountAllUnder(calls, slotDir);
            Files.deleteIfExists(view);
            made.mounts.clear();
            made.rootfsShift = CHOWN;
            made.rootfsPath = "";
            chownInto(rootfs, uids, gids);
        }
    }

    /** Makes {@link #WORK_DIR} in the (host-owned) layer dir if it is not there; the layer's removal removes it. */
    private static void ensureWorkDir(Path upperLayer) throws IOException {
        try (Fd layer = Linux.openDirectoryNoSymlinks(upperLayer)) {
            Linux.mkdirAt(layer, WORK_DIR, 0700);
        } catch (LinuxException e) {
            if (e.errno() != Errno.EEXIST) {
                throw e;
            }
        }
    }

    /** Undoes the chown fallback: ids of the range go back to 0..65535. */
    public static void chownBack(Path rootfs, HostRange uids, HostRange gids) throws IOException {
        NoFollowTree.shiftOwners(
                rootfs, u -> uids.contains(u) ? u - uids.start() : u, g -> gids.contains(g) ? g - gids.start() : g);
    }

    private static void chownInto(Path rootfs, HostRange uids, HostRange gids) throws IOException {
        NoFollowTree.shiftOwners(
                rootfs, u -> u < uids.size() ? uids.start() + u : u, g -> g < gids.size() ? gids.start() + g : g);
    }

    private void overlay(
            OverlayLayers layers, Path view, HostRange uids, HostRange gids, Path slotDir, ContainerState.Builder made)
            throws IOException, ManagerException {
        List<Path> layerMounts = new ArrayList<>();
        try {
            List<String> lowers = new ArrayList<>();
            for (int i = 0; i < layers.lowerDirs().size(); i++) {
                // Host-owned (Docker's l/ links point at ../<layer>/diff): resolving them is safe.
                Path lower = layers.lowerDirs().get(i).toRealPath();
                Path mapped = Files.createDirectory(slotDir.resolve("l" + i));
                layerMounts.add(mapped);
                idmapped.attach(lower, mapped, uids, gids, false);
                lowers.add(mapped.toString());
            }
            StringBuilder data = new StringBuilder("lowerdir=").append(String.join(":", lowers));
            if (layers.upperLayerDir().isPresent()) {
                Path upperLayer = layers.upperLayerDir().get().toRealPath();
                ensureWorkDir(upperLayer);
                Path mapped = Files.createDirectory(slotDir.resolve("u"));
                layerMounts.add(mapped);
                idmapped.attach(upperLayer, mapped, uids, gids, false);
                data.append(",upperdir=")
                        .append(mapped.resolve(layers.upperDir().get().getFileName()))
                        .append(",workdir=")
                        .append(mapped.resolve(WORK_DIR));
            }
            // Docker's own overlay still holds the upper dir: without index=off the kernel would refuse to share it.
            data.append(",index=off");
            if (data.length() > MOUNT_DATA_LIMIT) {
                throw new ManagerException(
                        ManagerException.Kind.NOT_POSSIBLE,
                        "rootfs has " + lowers.size() + " layers: the overlay options exceed the kernel's "
                                + MOUNT_DATA_LIMIT + "-byte limit; flatten the image");
            }
            Files.createDirectory(view);
            // Mounted with the container root's fsuid: copy-ups and the work dir then land on disk as uid 0.
            calls.mountAs(uids.rootId(), gids.rootId(), "overlay", view, "overlay", data.toString());
            made.mounts.add(view.toString());
        } finally {
            // overlayfs holds private clones of its layers: the attachments are not needed after the mount.
            for (Path mapped : layerMounts.reversed()) {
                Mounts.unmountAllUnder(calls, mapped);
                Files.deleteIfExists(mapped);
            }
        }
    }
}
