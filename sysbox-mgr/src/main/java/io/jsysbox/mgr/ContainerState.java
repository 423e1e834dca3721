package io.jsysbox.mgr;

import io.jsysbox.linux.ProcessIdentity;
import java.util.ArrayList;
import java.util.List;

/**
 * What the manager did for one live container, persisted so a restarted manager can still undo it.
 * {@code mounts}: mount points still attached on the host; {@code dirs}: dirs Release removes;
 * {@code keptDirs}: special-mount dirs that outlive the container (they live in its Docker layer).
 * {@code innerImageCacheKeys}: the inner image cache entries whose layers it mounts.
 * {@code pidStartTicks}: when the init started ({@link ProcessIdentity}), so a pid reused while the manager was down
 * is not taken for the container's init; 0 in a state saved before it was kept (version 1: the pid is trusted).
 * {@code sharesRangeOf}: the container whose user namespace and slot (ID range) this one shares — its Kubernetes pod's
 * sandbox, or the jsysbox container whose namespaces it joined (Docker's --network/--ipc/--pid container:X); else "".
 */
public record ContainerState(
        String id,
        int slot,
        String rootfs,
        String rootfsShift,
        String rootfsPath,
        long pid,
        long pidStartTicks,
        List<String> mounts,
        List<String> dirs,
        List<String> keptDirs,
        List<String> innerImageCacheKeys,
        String sharesRangeOf) {
    public ContainerState {
        sharesRangeOf = sharesRangeOf == null ? "" : sharesRangeOf;
        mounts = mounts == null ? List.of() : List.copyOf(mounts);
        dirs = dirs == null ? List.of() : List.copyOf(dirs);
        keptDirs = keptDirs == null ? List.of() : List.copyOf(keptDirs);
        innerImageCacheKeys = innerImageCacheKeys == null ? List.of() : List.copyOf(innerImageCacheKeys);
    }

    /** The init as a process identity (its start 0: not known). */
    public ProcessIdentity init() {
        return new ProcessIdentity(pid, pidStartTicks);
    }

    public ContainerState withInit(ProcessIdentity init) {
        return new ContainerState(
                id,
                slot,
                rootfs,
                rootfsShift,
                rootfsPath,
                init.pid(),
                init.startTicks(),
                mounts,
                dirs,
                keptDirs,
                innerImageCacheKeys,
                sharesRangeOf);
    }

    public ContainerState withMounts(List<String> newMounts) {
        return new ContainerState(
                id,
                slot,
                rootfs,
                rootfsShift,
                rootfsPath,
                pid,
                pidStartTicks,
                newMounts,
                dirs,
                keptDirs,
                innerImageCacheKeys,
                sharesRangeOf);
    }

    /**
     * Name of the container's own dirs (mount dir, device dir): its slot's number, suffixed by its id in a shared slot.
     */
    public String dirName() {
        return dirName(slot, id, sharesRangeOf);
    }

    static String dirName(int slot, String id, String sharesRangeOf) {
        return sharesRangeOf.isEmpty() ? Integer.toString(slot) : slot + "-" + id;
    }

    /** A mutable builder: Prepare records each step as it makes it, so a failure can undo exactly those. */
    public static final class Builder {
        final String id;
        final int slot;
        final String rootfs;
        final String sharesRangeOf;
        String rootfsShift = "none";
        String rootfsPath = "";
        final List<String> mounts = new ArrayList<>();
        final List<String> dirs = new ArrayList<>();
        final List<String> keptDirs = new ArrayList<>();
        final List<String> innerImageCacheKeys = new ArrayList<>();

        Builder(String id, int slot, String rootfs, String sharesRangeOf) {
            this.id = id;
            this.slot = slot;
            this.rootfs = rootfs;
            this.sharesRangeOf = sharesRangeOf;
        }

        ContainerState build() {
            return new ContainerState(
                    id,
                    slot,
                    rootfs,
                    rootfsShift,
                    rootfsPath,
                    0,
                    0,
                    mounts,
                    dirs,
                    keptDirs,
                    innerImageCacheKeys,
                    sharesRangeOf);
        }
    }
}
