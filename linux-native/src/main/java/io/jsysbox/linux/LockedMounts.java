package io.jsysbox.linux;

import java.nio.charset.StandardCharsets;

/**
 * Makes the submounts of a mount tree in a container's mount namespace locked (MNT_LOCKED), as the kernel locks every
 * mount a less privileged namespace inherits: they can then not be unmounted or moved, and the tree can be bound
 * elsewhere only with them (a non-recursive bind, a non-recursive open_tree: EINVAL). Nor does the kernel count a
 * procfs whose files they cover as "fully visible" (fs/namespace.c, mount_too_revealing), so root inside cannot mount a
 * fresh procfs beside the container's /proc and read the host's files: jsysbox-fs mounts those for it, virtualized.
 *
 * <p>How: a mount namespace the host's user namespace copies from one a container's owns has all its mounts locked
 * (copy_mnt_ns locks whenever the owner changes). A recursive open_tree of the tree in such a copy keeps the
 * submounts' locks and clears only the root's; that clone then replaces the tree, in the container's namespace.
 * Mounts made there from the host, as jsysbox's are, would otherwise be as free as the container's own.
 */
public final class LockedMounts {
    private LockedMounts() {}

    /** Opens the place a tree is attached at, once the tree is gone from it. */
    @FunctionalInterface
    public interface Mountpoint {
        Fd open() throws LinuxException;
    }

    /**
     * Replaces the tree whose root is {@code tree} (an O_PATH descriptor, in the mount namespace the calling thread
     * entered with {@link Linux#enterMountNamespace}) with a copy whose submounts are locked, attached where {@code
     * mountpoint} opens once the tree is detached. {@code namespace} (a pidfd or a mount namespace descriptor) names
     * that namespace, for the thread to come back to; {@code hostProc} is the host's /proc, opened before the thread
     * left the host's namespace. The thread must end afterwards: it has a namespace, root and cwd of its own.
     */
    public static void lockSubmounts(Fd tree, Fd namespace, Fd hostProc, Mountpoint mountpoint) throws LinuxException {
        Linux.Stat original = Linux.stat(tree);
        if (!original.mountRoot()) {
            throw new LinuxException("lock the submounts of " + tree + ": it is not a mount's root", Errno.EINVAL);
        }
        // Where the tree is, seen from the thread's root (the namespace's): the copy has the same paths.
        String path = new String(Linux.readlinkAt(hostProc, "thread-self/fd/" + tree.value()), StandardCharsets.UTF_8);
        if (!path.startsWith("/") || path.endsWith(" (deleted)")) {
            throw new LinuxException(
                    "lock the submounts of " + tree + ": it is at \"" + path + "\", not a path", Errno.EINVAL);
        }
        Linux.unshareMountNamespace();
        try (Fd copyRoot = Linux.openat2(null, path, Linux.O_PATH | Linux.O_DIRECTORY, Linux.RESOLVE_NO_SYMLINKS)) {
            Linux.Stat copied = Linux.stat(copyRoot);
            if (copied.dev() != original.dev() || copied.ino() != original.ino() || !copied.mountRoot()) {
                throw new LinuxException("lock the submounts at " + path + ": another mount covers it", Errno.EBUSY);
            }
            try (Fd locked = Linux.openTreeCloneRecursive(copyRoot)) {
                Linux.enterMountNamespace(namespace);
                Linux.umountDetach(tree, hostProc);
                try (Fd target = mountpoint.open()) {
                    Linux.moveMount(locked, target);
                }
            }
        }
    }
}
