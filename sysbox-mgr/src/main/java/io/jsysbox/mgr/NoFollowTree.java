package io.jsysbox.mgr;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongUnaryOperator;

/**
 * Walks a tree the container may control, by descriptors: every step opens a child relative to its parent's
 * fd with no symlinks and no mount crossing, so a symlink (planted or swapped in mid-walk) can never lead the
 * host out of the tree. Names are the kernel's bytes, never decoded and encoded again: under a POSIX locale the JDK
 * would turn a UTF-8 name into one that does not exist, and the walk would miss it. {@link TreeCopy} walks with the
 * same steps ({@link #forEachEntry}, {@link #openChildDirectory}).
 */
public final class NoFollowTree {
    /** Resolution for every step below a walk's root: beneath the parent, no symlink, no other mount. */
    static final long BENEATH = Linux.RESOLVE_BENEATH | Linux.RESOLVE_NO_SYMLINKS | Linux.RESOLVE_NO_XDEV;
    static final int DIRECTORY = Linux.O_RDONLY | Linux.O_DIRECTORY | Linux.O_NOFOLLOW;
    private static final int SETUID_SETGID = 06000;
    private static final byte[] ITSELF = {};

    private NoFollowTree() {}

    /** Opens the directory {@code relative} ("a/b") below {@code root}: no symlink, no "..", no mount crossing on the way. */
    public static Fd openDirectoryBelow(Fd root, String relative) throws LinuxException {
        return Linux.openat2(root, relative, DIRECTORY, BENEATH);
    }

    /** Opens a directory by absolute host path; any symlink on the way is an error. */
    public static Fd openRoot(Path dir) throws LinuxException {
        return Linux.openDirectoryNoSymlinks(dir);
    }

    /**
     * Re-owns {@code root} and everything below it: each uid becomes {@code uids(uid)} and each gid
     * {@code gids(gid)} (return the argument to leave it). Keeps setuid/setgid bits, which chown clears.
     */
    public static void shiftOwners(Path root, LongUnaryOperator uids, LongUnaryOperator gids) throws IOException {
        try (Fd dir = openRoot(root)) {
            chown(dir, ITSELF, Linux.stat(dir), uids, gids);
            shiftChildren(dir, uids, gids);
        }
    }

    private static void shiftChildren(Fd dir, LongUnaryOperator uids, LongUnaryOperator gids) throws IOException {
        forEachEntry(dir, ITSELF, entry -> {
            chown(dir, entry.name(), entry.stat(), uids, gids);
            if (entry.stat().type() != Linux.S_IFDIR) return;
            try (Fd child = openChildDirectory(dir, entry.name())) {
                if (child != null) shiftChildren(child, uids, gids); // null: a mount point, not ours to re-own
            }
        });
    }

    private static void chown(Fd dir, byte[] name, Linux.Stat stat, LongUnaryOperator uids, LongUnaryOperator gids) throws IOException {
        long newUid = uids.applyAsLong(stat.uid());
        long newGid = gids.applyAsLong(stat.gid());
        if (newUid == stat.uid() && newGid == stat.gid()) return;
        Linux.chownNoFollow(dir, name, (int) newUid, (int) newGid);
        if ((stat.mode() & SETUID_SETGID) != 0 && stat.type() == Linux.S_IFREG) {
            try (Fd file = Linux.openat2(dir, name, Linux.O_RDONLY | Linux.O_NOFOLLOW | Linux.O_NONBLOCK, BENEATH)) {
                Linux.fchmod(file, stat.mode() & 07777);
            }
        }
    }

    /** Removes {@code name} in {@code parent} and, if a directory, everything below it, never crossing a mount. */
    public static void delete(Path parent, String name) throws IOException {
        try (Fd dir = openRoot(parent)) {
            deleteEntry(dir, name.getBytes(Linux.NAMES));
        }
    }

    /** As {@link #delete(Path, String)}, in the directory {@code parent} is open on. */
    public static void delete(Fd parent, String name) throws IOException {
        deleteEntry(parent, name.getBytes(Linux.NAMES));
    }

    private static void deleteEntry(Fd dir, byte[] name) throws IOException {
        Linux.Stat stat = statUnlessGone(dir, name);
        if (stat == null) return;
        boolean isDirectory = stat.type() == Linux.S_IFDIR;
        if (isDirectory) {
            try (Fd child = Linux.openat2(dir, name, DIRECTORY, BENEATH)) {
                for (byte[] entry : Linux.listDirectory(child)) deleteEntry(child, entry);
            }
        }
        try {
            Linux.unlinkAt(dir, name, isDirectory);
        } catch (LinuxException e) {
            if (e.errno() != Errno.ENOENT) throw e;
        }
    }

    /**
     * An entry met by {@link #forEachEntry}: the directory it is in, its name and its path below the walk's root
     * ("a/b/c") as the kernel has them, and its lstat.
     */
    record Entry(Fd parent, byte[] name, byte[] rawPath, Linux.Stat stat) {
        /** {@link #rawPath} decoded as UTF-8: for predicates and messages, not for system calls. */
        String path() { return new String(rawPath, StandardCharsets.UTF_8); }
    }

    /** What a walk does with each entry. */
    interface EntryAction {
        void accept(Entry entry) throws IOException;
    }

    /**
     * Calls {@code action} for each entry of {@code dir} (whose path below the walk's root is {@code relative}, empty
     * for the root), in the byte order of their names: a stable order, whatever the locale or the directory's hash
     * order. An entry removed between the listing and its stat is left out.
     */
    static void forEachEntry(Fd dir, byte[] relative, EntryAction action) throws IOException {
        List<byte[]> names = Linux.listDirectory(dir);
        names.sort(Arrays::compareUnsigned);
        for (byte[] name : names) {
            Linux.Stat stat = statUnlessGone(dir, name);
            if (stat != null) action.accept(new Entry(dir, name, path(relative, name), stat));
        }
    }

    /** lstat of {@code name} in {@code dir}; null when it was removed meanwhile (the container's tree is live). */
    private static Linux.Stat statUnlessGone(Fd dir, byte[] name) throws LinuxException {
        try {
            return Linux.statNoFollow(dir, name);
        } catch (LinuxException e) {
            if (e.errno() == Errno.ENOENT) return null;
            throw e;
        }
    }

    /** {@code relative}/{@code name}, or {@code name} below the root. */
    private static byte[] path(byte[] relative, byte[] name) {
        if (relative.length == 0) return name;
        byte[] path = Arrays.copyOf(relative, relative.length + 1 + name.length);
        path[relative.length] = '/';
        System.arraycopy(name, 0, path, relative.length + 1, name.length);
        return path;
    }

    /**
     * Opens the child directory {@code name} of {@code dir}: never through a symlink (one swapped in since the listing
     * fails with ELOOP), never into another mount. Null for a mount point (EXDEV) or a directory gone meanwhile.
     */
    static Fd openChildDirectory(Fd dir, byte[] name) throws LinuxException {
        try {
            return Linux.openat2(dir, name, DIRECTORY, BENEATH);
        } catch (LinuxException e) {
            if (e.errno() == Errno.EXDEV || e.errno() == Errno.ENOENT) return null;
            throw e;
        }
    }
}
