package io.jsysbox.fs;

import java.util.Set;

/**
 * A container's mounts as the runtime made them ({@code Protect}): the mount namespace they are in, as its nsfs file's
 * device and inode, and their mount ids there, with those it made read-only. Ids are only unique among mounts alive
 * at once, hence the namespace: the container's initial mounts cannot go while it runs, so no other mount in that
 * namespace has their ids.
 */
record ProtectedMounts(long namespaceDev, long namespaceIno, Set<Long> mountIds, Set<Long> readOnlyMountIds) {
    static final ProtectedMounts NONE = new ProtectedMounts(0, 0, Set.of(), Set.of());

    ProtectedMounts {
        mountIds = mountIds == null ? Set.of() : Set.copyOf(mountIds);
        readOnlyMountIds = readOnlyMountIds == null ? Set.of() : Set.copyOf(readOnlyMountIds);
    }

    /** Whether mount {@code mountId} of the namespace whose nsfs file is {@code dev:ino} is one of them. */
    boolean contains(long dev, long ino, long mountId) {
        return dev == namespaceDev && ino == namespaceIno && mountIds.contains(mountId);
    }

    /** Whether it is one of them that the runtime made read-only. */
    boolean containsReadOnly(long dev, long ino, long mountId) {
        return contains(dev, ino, mountId) && readOnlyMountIds.contains(mountId);
    }
}
