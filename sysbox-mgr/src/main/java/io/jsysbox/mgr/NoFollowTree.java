package io.jsysbox.mgr;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongUnaryOperator;

/**
 * Walks a tree the container may control, by descriptors: every step opens a child relative to its parent's
 * fd with no symlinks and no mount crossing, so a symlink (planted or swapped in mid-walk) can never lead the
 * host out of the tree.
 */
public final class NoFollowTree {
    private static final long BENEATH = Linux.RESOLVE_BENEATH | Linux.RESOLVE_NO_SYMLINKS | Linux.RESOLVE_NO_XDEV;
    private static final int SETUID_SETGID = 06000;

    private NoFollowTree() {}

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
            Map<String, Object> attrs = Files.readAttributes(dir.procPath(), "unix:uid,gid,mode");
            chown(dir, "", attrs, uids, gids);
            shiftChildren(dir, uids, gids);
        }
    }

    private static void shiftChildren(Fd dir, LongUnaryOperator uids, LongUnaryOperator gids) throws IOException {
        for (String name : list(dir)) {
            Map<String, Object> attrs;
            try {
                attrs = Files.readAttributes(dir.procPath().resolve(name), "unix:uid,gid,mode", LinkOption.NOFOLLOW_LINKS);
            } catch (java.nio.file.NoSuchFileException gone) {
                continue;
            }
            int mode = (Integer) attrs.get("mode");
            chown(dir, name, attrs, uids, gids);
            if ((mode & 0170000) == 0040000) {
                Fd child;
                try {
                    child = Linux.openat2(dir, name, Linux.O_RDONLY | Linux.O_DIRECTORY | Linux.O_NOFOLLOW, BENEATH);
                } catch (LinuxException e) {
                    if (e.errno() == Errno.EXDEV) continue; // a mount point: not ours to re-own
                    throw e;
                }
                try (child) {
                    shiftChildren(child, uids, gids);
                }
            }
        }
    }

    private static void chown(Fd dir, String name, Map<String, Object> attrs, LongUnaryOperator uids, LongUnaryOperator gids) throws IOException {
        int uid = (Integer) attrs.get("uid");
        int gid = (Integer) attrs.get("gid");
        int mode = (Integer) attrs.get("mode");
        long newUid = uids.applyAsLong(Integer.toUnsignedLong(uid));
        long newGid = gids.applyAsLong(Integer.toUnsignedLong(gid));
        if (newUid == Integer.toUnsignedLong(uid) && newGid == Integer.toUnsignedLong(gid)) return;
        Linux.chownNoFollow(dir, name, (int) newUid, (int) newGid);
        if ((mode & SETUID_SETGID) != 0 && (mode & 0170000) == 0100000) {
            try (Fd file = Linux.openat2(dir, name, Linux.O_RDONLY | Linux.O_NOFOLLOW | Linux.O_NONBLOCK, BENEATH)) {
                Linux.fchmod(file, mode & 07777);
            }
        }
    }

    /** Removes {@code name} in {@code parent} and, if a directory, everything below it, never crossing a mount. */
    public static void delete(Path parent, String name) throws IOException {
        try (Fd dir = openRoot(parent)) {
            deleteEntry(dir, name);
        }
    }

    /** As {@link #delete(Path, String)}, in the directory {@code parent} is open on. */
    public static void delete(Fd parent, String name) throws IOException {
        deleteEntry(parent, name);
    }

    private static void deleteEntry(Fd dir, String name) throws IOException {
        boolean isDirectory;
        try {
            isDirectory = Files.isDirectory(dir.procPath().resolve(name), LinkOption.NOFOLLOW_LINKS);
            if (!isDirectory && !Files.exists(dir.procPath().resolve(name), LinkOption.NOFOLLOW_LINKS)) return;
        } catch (SecurityException e) {
            throw new IOException(e);
        }
        if (isDirectory) {
            try (Fd child = Linux.openat2(dir, name, Linux.O_RDONLY | Linux.O_DIRECTORY | Linux.O_NOFOLLOW, BENEATH)) {
                for (String entry : list(child)) deleteEntry(child, entry);
            }
        }
        try {
            Linux.unlinkAt(dir, name, isDirectory);
        } catch (LinuxException e) {
            if (e.errno() != Errno.ENOENT) throw e;
        }
    }

    private static List<String> list(Fd dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir.procPath())) {
            for (Path entry : entries) names.add(entry.getFileName().toString());
        }
        return names;
    }
}
