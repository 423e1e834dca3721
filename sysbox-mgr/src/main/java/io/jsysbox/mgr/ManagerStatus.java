package io.jsysbox.mgr;

import io.jsysbox.spec.HostRange;
import java.util.List;

/**
 * What Status shows: the manager's {@code version}, the id pools (the jsysbox entries of /etc/subuid and
 * /etc/subgid), how many ranges are free, each container and the inner image cache.
 */
record ManagerStatus(
        String version,
        HostRange uidPool,
        HostRange gidPool,
        int freeRanges,
        List<Container> containers,
        InnerImageCache.Usage innerImageCache) {

    /**
     * A container the manager prepared: its ranges, rootfs and how it was shifted, its init (0 before Started), what
     * it mounted and made for it, and the container whose user namespace and range it shares ("": its own).
     */
    record Container(
            String id,
            HostRange uids,
            HostRange gids,
            String rootfs,
            String rootfsShift,
            long pid,
            List<String> mounts,
            List<String> dirs,
            String sharesRangeOf) {}
}
