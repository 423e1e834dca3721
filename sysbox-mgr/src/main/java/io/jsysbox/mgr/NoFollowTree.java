package io.jsysbox.mgr;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.function.LongUnaryOperator;

/**
 * Walks a tree the container may control, by descriptors: every step opens a child relative to its parent's
 * fd with no symlinks and no mount crossing, so a symlink (planted or swapped in mid-walk) can never lead the
 * host out of the tree. Names are the kernel's bytes, never decoded and encoded again: under a POSIX locale the JDK
 * would turn a UTF-8 name into one that does not exist, and the walk would miss it. {@link TreeCopy} walks with the
 * same steps ({@link #walk}, {@link #openChildDirectory}). Walks are iterative and bounded ({@link #MAX_DEPTH}): a tree
 * a container made as deep as it liked neither overflows the manager's stack nor takes a descriptor per level without
 * end; {@link #delete} removes trees of any depth.
 */
public final class NoFollowTree {
    /** Resolution for every step below a walk's root: beneath the parent, no symlink, no other mount. */
    static final long BENEATH = Linux.RESOLVE_BENEATH | Linux.RESOLVE_NO_SYMLINKS | Linux.RESOLVE_NO_XDEV;

    static final int DIRECTORY = Linux.O_RDONLY | Linux.O_DIRECTORY | Linux.O_NOFOLLOW;
    /**
     * How deep below its root a {@link #walk} goes: an entry more levels down fails the walk. A walk holds one
     * descriptor per level (a copy two), so this bounds them (to about 1000 and 2000, well within the manager's
     * RLIMIT_NOFILE), and no tree a real image or engine makes comes near it (a path of 1000 one-letter names is
     * already half of PATH_MAX, past what most tools handle). A container can make a tree as deep as it likes
     * ({@code mkdir d; cd d} in a loop): what it gets is an error naming the path, not the manager's stack or fds.
     */
    static final int MAX_DEPTH = 1000;
    /**
     * How many directory levels {@link #delete} holds open: deeper directories are first moved up (renamed) to just
     * below the directory being deleted, so a tree of any depth is removed with at most this many descriptors.
     */
    static final int DELETE_WINDOW = 64;

    private static final int SETUID_SETGID = 06000;
    private static final byte[] ITSELF = {};
    private static final int PATH_SHOWN = 120;

    private NoFollowTree() {}

    /**
     * Opens the directory {@code relative} ("a/b") below {@code root}: no symlink, no "..", no mount crossing on the
     * way.
     */
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
            walk(dir, "re-owned", entry -> {
                chown(entry.parent(), entry.name(), entry.stat(), uids, gids);
                // null: a mount point, not ours to re-own
                return entry.stat().type() == Linux.S_IFDIR ? openChildDirectory(entry.parent(), entry.name()) : null;
            });
        }
    }

    private static void chown(Fd dir, byte[] name, Linux.Stat stat, LongUnaryOperator uids, LongUnaryOperator gids)
            throws IOException {
        long newUid = uids.applyAsLong(stat.uid());
        long newGid = gids.applyAsLong(stat.gid());
        if (newUid == stat.uid() && newGid == stat.gid()) {
            return;
        }
        Linux.chownNoFollow(dir, name, (int) newUid, (int) newGid);
        if ((stat.mode() & SETUID_SETGID) != 0 && stat.type() == Linux.S_IFREG) {
            // Through an O_PATH open: the entry, should it have been swapped for a device or fifo, is never opened.
            Linux.chmodNoFollow(dir, name, stat.mode() & 07777);
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

    /**
     * Removes {@code name} in {@code parent}, which an operation that failed with {@code failure} left half made (the
     * caller rethrows {@code failure}); should the removal fail too, that is added to {@code failure}.
     */
    static void deleteLeftover(Fd parent, String name, Exception failure) {
        try {
            delete(parent, name);
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** As {@link #deleteLeftover(Fd, String, Exception)}, in the host directory {@code parent}. */
    static void deleteLeftover(Path parent, String name, Exception failure) {
        try (Fd dir = openRoot(parent)) {
            deleteLeftover(dir, name, failure);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * Removes one entry; a directory by walks that remove everything below it, children before their directory. A
     * directory met {@link #DELETE_WINDOW} levels down is not entered but moved up, with a fresh name, to just below
     * the one being deleted, and a later walk removes it: so no depth needs more descriptors than the window, and no
     * step goes through ".." (which a tree the container changes could turn elsewhere). Never crosses a mount: a mount
     * point below fails the delete.
     */
    private static void deleteEntry(Fd dir, byte[] name) throws IOException {
        Linux.Stat stat = statUnlessGone(dir, name);
        if (stat == null) {
            return;
        }
        boolean isDirectory = stat.type() == Linux.S_IFDIR;
        if (isDirectory) {
            try (Fd top = Linux.openat2(dir, name, DIRECTORY, BENEATH)) {
                long[] moved = {0};
                long movedBefore;
                do {
                    movedBefore = moved[0];
                    walk(top, "deleted", new EntryAction() {
                        @Override
                        public Fd visit(Entry entry) throws IOException {
                            if (entry.stat().type() != Linux.S_IFDIR) {
                                unlinkUnlessGone(entry.parent(), entry.name(), false);
                                return null;
                            }
                            if (entry.depth() < DELETE_WINDOW) {
                                return Linux.openat2(entry.parent(), entry.name(), DIRECTORY, BENEATH);
                            }
                            moveUp(entry, top, moved[0]++);
                            return null;
                        }

                        @Override
                        public void leave(Entry entry, Fd emptied) throws IOException {
                            unlinkUnlessGone(entry.parent(), entry.name(), true);
                        }
                    });
                } while (moved[0] != movedBefore); // what was moved up is below top: another walk removes it
            }
        }
        unlinkUnlessGone(dir, name, isDirectory);
    }

    /** Moves the directory {@code entry} to just below {@code top}, at a name no entry there has. */
    private static void moveUp(Entry entry, Fd top, long serial) throws LinuxException {
        for (long attempt = serial; ; attempt++) {
            try {
                Linux.renameNoReplace(
                        entry.parent(),
                        entry.name(),
                        top,
                        (".jsysbox-deep-" + attempt).getBytes(StandardCharsets.US_ASCII));
                return;
            } catch (LinuxException e) {
                if (e.errno() != Errno.EEXIST) {
                    throw e;
                }
            }
        }
    }

    private static void unlinkUnlessGone(Fd dir, byte[] name, boolean directory) throws LinuxException {
        try {
            Linux.unlinkAt(dir, name, directory);
        } catch (LinuxException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
        }
    }

    /**
     * An entry met by a {@link #walk}: the directory it is in, its name and its path below the walk's root ("a/b/c")
     * as the kernel has them, how many levels below the root it is (1: in the root) and its lstat.
     */
    record Entry(Fd parent, byte[] name, byte[] rawPath, int depth, Linux.Stat stat) {
        /** {@link #rawPath} decoded as UTF-8: for predicates and messages, not for system calls. */
        String path() {
            return new String(rawPath, StandardCharsets.UTF_8);
        }

        /** The same entry as it is now. */
        Entry withStat(Linux.Stat now) {
            return new Entry(parent, name, rawPath, depth, now);
        }
    }

    /** What a walk does with each entry. */
    interface EntryAction {
        /**
         * Does what the walk is for to {@code entry} (a directory comes before what is in it). Returns the entry's
         * directory, opened to be walked into (the walk closes it), or null to go no deeper there.
         */
        Fd visit(Entry entry) throws IOException;

        /** Called when everything in {@code entry}, which {@link #visit} opened as {@code dir}, has been walked. */
        default void leave(Entry entry, Fd dir) throws IOException {}
    }

    /**
     * Calls {@code action} for each entry below {@code root}, depth first, each directory's entries in the byte order
     * of
     * their names (a stable order, whatever the locale or the directory's hash order), and into each directory
     * {@link EntryAction#visit} opens. An entry removed between the listing and its stat is left out. Iterative, with
     * one open directory per level: an entry more than {@link #MAX_DEPTH} levels down fails the walk with an
     * IOException naming its path ({@code what}: the operation, as in "not copied"), before it is visited.
     */
    static void walk(Fd root, String what, EntryAction action) throws IOException {
        Deque<Level> levels = new ArrayDeque<>();
        levels.push(new Level(null, root, sortedNames(root)));
        try {
            while (!levels.isEmpty()) {
                Level level = levels.peek();
                if (level.next == level.names.size()) {
                    levels.pop();
                    if (level.entry != null) {
                        try (Fd dir = level.dir) {
                            action.leave(level.entry, dir);
                        }
                    }
                    continue;
                }
                byte[] name = level.names.get(level.next++);
                Linux.Stat stat = statUnlessGone(level.dir, name);
                if (stat == null) {
                    continue;
                }
                Entry entry = new Entry(
                        level.dir,
                        name,
                        path(level.entry == null ? ITSELF : level.entry.rawPath(), name),
                        levels.size(),
                        stat);
                if (entry.depth() > MAX_DEPTH) {
                    throw tooDeep(entry, what);
                }
                Fd dir = action.visit(entry);
                if (dir == null) {
                    continue;
                }
                try {
                    levels.push(new Level(entry, dir, sortedNames(dir)));
                } catch (IOException | RuntimeException e) {
                    dir.close();
                    throw e;
                }
            }
        } finally {
            for (Level level : levels) {
                if (level.entry != null) {
                    level.dir.close();
                }
            }
        }
    }

    /**
     * A directory being walked: the entry it is (null for the root, which the walk does not own), its fd, its names.
     */
    private static final class Level {
        final Entry entry;
        final Fd dir;
        final List<byte[]> names;
        int next;

        Level(Entry entry, Fd dir, List<byte[]> names) {
            this.entry = entry;
            this.dir = dir;
            this.names = names;
        }
    }

    private static List<byte[]> sortedNames(Fd dir) throws LinuxException {
        List<byte[]> names = Linux.listDirectory(dir);
        names.sort(Arrays::compareUnsigned);
        return names;
    }

    /** "a/b/c/…/z is deeper than 1000 levels…", the path cut short: a path that deep is kilobytes long. */
    private static IOException tooDeep(Entry entry, String what) {
        String path = entry.path();
        String shown = path.length() <= PATH_SHOWN ? path : path.substring(0, PATH_SHOWN) + "…";
        return new IOException(
                shown + " (" + entry.depth() + " levels down) is deeper than " + MAX_DEPTH + " levels: not " + what);
    }

    /** lstat of {@code name} in {@code dir}; null when it was removed meanwhile (the container's tree is live). */
    private static Linux.Stat statUnlessGone(Fd dir, byte[] name) throws LinuxException {
        try {
            return Linux.statNoFollow(dir, name);
        } catch (LinuxException e) {
            if (e.errno() == Errno.ENOENT) {
                return null;
            }
            throw e;
        }
    }

    /** {@code relative}/{@code name}, or {@code name} below the root. */
    private static byte[] path(byte[] relative, byte[] name) {
        if (relative.length == 0) {
            return name;
        }
        byte[] path = Arrays.copyOf(relative, relative.length + 1 + name.length);
        path[relative.length] = '/';
        System.arraycopy(name, 0, path, relative.length + 1, name.length);
        return path;
    }

    /**
     * An O_PATH descriptor of the entry {@code relative} below {@code dir} itself (a symlink too), reached with no
     * symlink, ".." or mount crossing. An O_PATH open runs no driver's or fifo's open: how to look at an entry of a
     * tree
     * an image or a container made before opening it for real (with {@link Linux#reopen}), once its fstat proves it a
     * regular file or directory. Opened O_RDONLY, a device node planted there would be opened as root: a tape rewinds,
     * a watchdog arms, a fifo blocks.
     */
    static Fd openEntry(Fd dir, byte[] relative) throws LinuxException {
        return Linux.openat2(dir, relative, Linux.O_PATH | Linux.O_NOFOLLOW, BENEATH);
    }

    /** Small metadata files of an image's inner store (Docker's cache-id: 64 hex digits) are below this size. */
    static final int SMALL_FILE_MAX = 4096;

    /**
     * The contents of {@code relative} below {@code dir} (a tree an image or a container made), which must be a regular
     * file of at most {@link #SMALL_FILE_MAX} bytes: it is proven one ({@link #openEntry}, fstat) before it is opened
     * for reading. Anything else fails at once with an IOException saying what it is: a fifo is not waited on, a device
     * not opened.
     */
    static byte[] readSmallFile(Fd dir, String relative) throws IOException {
        try (Fd found = openEntry(dir, relative.getBytes(Linux.NAMES))) {
            Linux.Stat stat = Linux.stat(found);
            if (stat.type() != Linux.S_IFREG) {
                throw new IOException(relative + " is " + typeName(stat.type()) + ", not a regular file: not read");
            }
            if (stat.size() > SMALL_FILE_MAX) {
                throw new IOException(relative + " has " + stat.size() + " bytes, more than the " + SMALL_FILE_MAX
                        + " of a metadata file: not read");
            }
            // Through the magic link: the inode found holds, a regular file, whatever its name has become since.
            try (var in = Files.newInputStream(found.procPath())) {
                byte[] content = in.readNBytes(SMALL_FILE_MAX + 1);
                if (content.length > SMALL_FILE_MAX) {
                    throw new IOException(relative + " grew past " + SMALL_FILE_MAX + " bytes while read: not read");
                }
                return content;
            }
        }
    }

    /** "a fifo", "a character device"…: for messages. */
    static String typeName(int type) {
        return switch (type) {
            case Linux.S_IFREG -> "a regular file";
            case Linux.S_IFDIR -> "a directory";
            case Linux.S_IFLNK -> "a symlink";
            case Linux.S_IFIFO -> "a fifo";
            case Linux.S_IFCHR -> "a character device";
            case Linux.S_IFBLK -> "a block device";
            case Linux.S_IFSOCK -> "a socket";
            default -> "of type " + Integer.toOctalString(type);
        };
    }

    /**
     * Opens the child directory {@code name} of {@code dir}: never through a symlink (one swapped in since the listing
     * fails with ELOOP), never into another mount. Null for a mount point (EXDEV) or a directory gone meanwhile.
     */
    static Fd openChildDirectory(Fd dir, byte[] name) throws LinuxException {
        try {
            return Linux.openat2(dir, name, DIRECTORY, BENEATH);
        } catch (LinuxException e) {
            if (e.errno() == Errno.EXDEV || e.errno() == Errno.ENOENT) {
                return null;
            }
            throw e;
        }
    }
}
