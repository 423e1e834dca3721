package io.jsysbox.mgr;

import java.util.ArrayList;
import java.util.List;

/**
 * What the manager did for one live container, persisted so a restarted manager can still undo it.
 * {@code mounts}: mount points still attached on the host; {@code dirs}: dirs Release removes;
 * {@code keptDirs}: special-mount dirs that outlive the container (they live in its Docker layer).
 * {@code innerImageCacheKeys}: the inner image cache entries whose layers it mounts.
 * {@code pidStartMillis}: when the init started (epoch ms), so a pid reused while the manager was down is not
 * taken for the container's init.
 * {@code podSandboxId}: for a container of a Kubernetes pod, its sandbox, whose slot (ID range) it shares; else "".
 */
public record ContainerState(String id, int slot, String rootfs, String rootfsShift, String rootfsPath, long pid,
                             long pidStartMillis, List<String> mounts, List<String> dirs, List<String> keptDirs,
                             List<String> innerImageCacheKeys, String podSandboxId) {
    public ContainerState {
        podSandboxId = podSandboxId == null ? "" : podSandboxId;
        mounts = mounts == null ? List.of() : List.copyOf(mounts);
        dirs = dirs == null ? List.of() : List.copyOf(dirs);
        keptDirs = keptDirs == null ? List.of() : List.copyOf(keptDirs);
        innerImageCacheKeys = innerImageCacheKeys == null ? List.of() : List.copyOf(innerImageCacheKeys);
    }

    public ContainerState withPid(long newPid, long newPidStartMillis) {
        return new ContainerState(id, slot, rootfs, rootfsShift, rootfsPath, newPid, newPidStartMillis, mounts, dirs, keptDirs,
                innerImageCacheKeys, podSandboxId);
    }

    public ContainerState withMounts(List<String> newMounts) {
        return new ContainerState(id, slot, rootfs, rootfsShift, rootfsPath, pid, pidStartMillis, newMounts, dirs, keptDirs,
                innerImageCacheKeys, podSandboxId);
    }

    /** Name of the container's own dirs (mount dir, device dir): its slot's number, suffixed by its id in a pod. */
    public String dirName() {
        return dirName(slot, id, podSandboxId);
    }

    static String dirName(int slot, String id, String podSandboxId) {
        return podSandboxId.isEmpty() ? Integer.toString(slot) : slot + "-" + id;
    }

    /** A mutable builder: Prepare records each step as it makes it, so a failure can undo exactly those. */
    public static final class Builder {
        final String id;
        final int slot;
        final String rootfs;
        final String podSandboxId;
        String rootfsShift = "none";
        String rootfsPath = "";
        final List<String> mounts = new ArrayList<>();
        final List<String> dirs = new ArrayList<>();
        final List<String> keptDirs = new ArrayList<>();
        final List<String> innerImageCacheKeys = new ArrayList<>();

        Builder(String id, int slot, String rootfs, String podSandboxId) {
            this.id = id;
            this.slot = slot;
            this.rootfs = rootfs;
            this.podSandboxId = podSandboxId;
        }

        ContainerState build() {
            return new ContainerState(id, slot, rootfs, rootfsShift, rootfsPath, 0, 0, mounts, dirs, keptDirs, innerImageCacheKeys,
                    podSandboxId);
        }
    }
}
