package io.jsysbox.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/** The kernel calls jsysbox needs, each failing with a {@link LinuxException} that says what was attempted. */
public final class Linux {
    public static final int AT_FDCWD = -100;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_REMOVEDIR = 0x200;
    public static final int AT_EMPTY_PATH = 0x1000;
    public static final int AT_RECURSIVE = 0x8000;

    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final int O_PATH = 0x200000;
    public static final int O_DIRECTORY = Arch.O_DIRECTORY;
    public static final int O_NOFOLLOW = Arch.O_NOFOLLOW;

    /** File types: the S_IFMT bits of a mode ({@link Stat#type()}). */
    public static final int S_IFMT = 0170000;

    public static final int S_IFSOCK = 0140000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFIFO = 0010000;

    /**
     * The charset a call given a name as a String encodes it with: the JDK's for file names (sun.jnu.encoding, from
     * the locale), so a name gives the kernel the bytes java.nio.file would for the same String; the binding before
     * this one encoded with native.encoding, from the same locale: the same bytes.
     */
    public static final Charset NAMES = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));

    public static final long RESOLVE_NO_XDEV = 0x01;
    public static final long RESOLVE_NO_MAGICLINKS = 0x02;
    public static final long RESOLVE_NO_SYMLINKS = 0x04;
    public static final long RESOLVE_BENEATH = 0x08;
    public static final long RESOLVE_IN_ROOT = 0x10;

    public static final int OPEN_TREE_CLONE = 1;
    public static final int OPEN_TREE_CLOEXEC = O_CLOEXEC;
    public static final int MOVE_MOUNT_F_EMPTY_PATH = 0x4;
    public static final int MOVE_MOUNT_T_EMPTY_PATH = 0x40;
    public static final int CLONE_FS = 0x200;
    public static final int CLONE_NEWNS = 0x20000;
    public static final long MOUNT_ATTR_RDONLY = 0x00000001;
    public static final long MOUNT_ATTR_IDMAP = 0x00100000;

    public static final long MS_RDONLY = 1;
    public static final long MS_NOSUID = 2;
    public static final long MS_NODEV = 4;
    public static final long MS_NOEXEC = 8;
    public static final long MS_REMOUNT = 32;
    public static final long MS_BIND = 4096;
    public static final long MS_MOVE = 8192;
    public static final long MS_REC = 16384;
    public static final long MS_PRIVATE = 1 << 18;

    public static final int MNT_DETACH = 2;
    public static final int UMOUNT_NOFOLLOW = 8;

    private Linux() {}

    /** A detached copy of the mount tree at {@code path} (with its submounts if {@code recursive}). */
    public static Fd openTreeClone(Path path, boolean recursive) throws LinuxException {
        long flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
        try (Arena arena = Arena.ofConfined()) {
            return new Fd(checkedSyscall(
                    arena,
                    "open_tree(" + path + (recursive ? ", recursive" : "") + ")",
                    Arch.SYS_OPEN_TREE,
                    AT_FDCWD,
                    cString(arena, path).address(),
                    flags));
        }
    }

    /**
     * Detached copies of the (non-recursive) mounts at {@code paths}, in their order. Their common directory is walked
     * once and each path resolved from there: on a FUSE file system the kernel asks the daemon again at each walk
     * through a name whose entry it may not cache (jsysbox-fs's containers/ID), so 24 virtual files cloned from one
     * container's view cost 24 round trips less. Symlinks are not followed on the way to that directory.
     */
    public static List<Fd> openTreeClones(List<Path> paths) throws LinuxException {
        if (paths.isEmpty()) {
            return List.of();
        }
        Path base = paths.getFirst().getParent();
        for (Path path : paths) {
            while (!path.getParent().startsWith(base)) {
                base = base.getParent(); // absolute paths share "/" at least: the walk starts at the root
            }
        }
        List<Fd> clones = new ArrayList<>();
        try (Fd dir = openat2(null, String.valueOf(base), O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
                Arena arena = Arena.ofConfined()) {
            for (Path path : paths) {
                clones.add(new Fd(checkedSyscall(
                        arena,
                        "open_tree(" + path + ")",
                        Arch.SYS_OPEN_TREE,
                        dir.value(),
                        cString(arena, base.relativize(path)).address(),
                        OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
            }
            return clones;
        } catch (LinuxException | RuntimeException e) {
            clones.forEach(Fd::close);
            throw e;
        }
    }

    /** A detached copy of the mount tree whose root {@code root} (an O_PATH descriptor) is, with its submounts. */
    public static Fd openTreeCloneRecursive(Fd root) throws LinuxException {
        long flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH;
        try (Arena arena = Arena.ofConfined()) {
            return new Fd(checkedSyscall(
                    arena,
                    "open_tree(" + root + ", recursive)",
                    Arch.SYS_OPEN_TREE,
                    root.value(),
                    cString(arena, NO_NAME).address(),
                    flags));
        }
    }

    /**
     * Makes the detached mount {@code mount} show on-disk ids through the mapping of {@code userNamespace}, and
     * private: a clone of a shared mount would otherwise join its peer group.
     */
    public static void setIdmap(Fd mount, Fd userNamespace, boolean recursive, boolean readOnly) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(32, 8); // struct mount_attr (MOUNT_ATTR_SIZE_VER0), zeroed
            attr.set(ValueLayout.JAVA_LONG, 0, MOUNT_ATTR_IDMAP | (readOnly ? MOUNT_ATTR_RDONLY : 0)); // attr_set
            attr.set(ValueLayout.JAVA_LONG, 16, MS_PRIVATE); // propagation
            attr.set(ValueLayout.JAVA_LONG, 24, userNamespace.value()); // userns_fd
            checkedSyscall(
                    arena,
                    "mount_setattr(MOUNT_ATTR_IDMAP, " + mount + ")",
                    Arch.SYS_MOUNT_SETATTR,
                    mount.value(),
                    cString(arena, NO_NAME).address(),
                    AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0),
                    attr.address(),
                    attr.byteSize());
        }
    }

    /** Attaches the detached mount {@code mount} at {@code target}. */
    public static void moveMount(Fd mount, Path target) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            checkedSyscall(
                    arena,
                    "move_mount(" + mount + " -> " + target + ")",
                    Arch.SYS_MOVE_MOUNT,
                    mount.value(),
                    cString(arena, NO_NAME).address(),
                    AT_FDCWD,
                    cString(arena, target).address(),
                    MOVE_MOUNT_F_EMPTY_PATH);
        }
    }

    /** Attaches the detached mount {@code mount} on the file or directory {@code target} (an O_PATH descriptor). */
    public static void moveMount(Fd mount, Fd target) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment empty = cString(arena, NO_NAME);
            checkedSyscall(
                    arena,
                    "move_mount(" + mount + " -> " + target + ")",
                    Arch.SYS_MOVE_MOUNT,
                    mount.value(),
                    empty.address(),
                    target.value(),
                    empty.address(),
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
        }
    }

    /**
     * Moves the calling thread into the mount namespace of {@code process} (a pidfd); its root and
     * working directory become that namespace's. The kernel allows this only to a thread that does not share its
     * fs_struct, so the thread first unshares it: other threads of the process stay where they are. Use a thread
     * that ends afterwards.
     */
    public static void enterMountNamespace(Fd process) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            int result = Libc.unshare(state, CLONE_FS);
            if (result < 0) {
                throw new LinuxException("unshare(CLONE_FS)", -result);
            }
            result = Libc.setns(state, process.value(), CLONE_NEWNS);
            if (result < 0) {
                throw new LinuxException("setns(pidfd " + process.value() + ", CLONE_NEWNS)", -result);
            }
        }
    }

    /**
     * Gives the calling thread a mount namespace of its own, a copy of the one it is in, owned by its user namespace
     * (the host's). Use a thread that ends afterwards.
     */
    public static void unshareMountNamespace() throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            int result = Libc.unshare(Libc.callState(arena), CLONE_NEWNS);
            if (result < 0) {
                throw new LinuxException("unshare(CLONE_NEWNS)", -result);
            }
        }
    }

    /**
     * Lazily detaches the mount whose root {@code mount} (an O_PATH descriptor) is, in the calling thread's mount
     * namespace. umount2 takes a path: {@code hostProc}, the host's /proc opened before the thread changed namespace,
     * names the descriptor whatever the thread's root now is. The thread's working directory is left there.
     */
    public static void umountDetach(Fd mount, Fd hostProc) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            int result = Libc.fchdir(state, hostProc.value());
            if (result < 0) {
                throw new LinuxException("fchdir(" + hostProc + ")", -result);
            }
            result = Libc.umount2(state, cString(arena, bytes("thread-self/fd/" + mount.value())), MNT_DETACH);
            if (result < 0) {
                throw new LinuxException("umount2(" + mount + ", MNT_DETACH)", -result);
            }
        }
    }

    public static void mount(String source, Path target, String fsType, long flags, String data) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            int result = Libc.mount(
                    Libc.callState(arena),
                    cStringOrNull(arena, source),
                    cString(arena, target),
                    cStringOrNull(arena, fsType),
                    flags,
                    cStringOrNull(arena, data));
            if (result < 0) {
                throw new LinuxException(
                        "mount(" + source + " -> " + target + ", type " + fsType
                                + (data == null ? "" : ", " + abbreviate(data)) + ")",
                        -result);
            }
        }
    }

    /** Lazily detaches the mount at {@code target}, not following a symlink in its last component. */
    public static void umountDetach(Path target) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            int result = Libc.umount2(Libc.callState(arena), cString(arena, target), MNT_DETACH | UMOUNT_NOFOLLOW);
            if (result < 0) {
                throw new LinuxException("umount2(" + target + ", MNT_DETACH)", -result);
            }
        }
    }

    /**
     * openat2(2): opens {@code path} relative to {@code dir} (or the cwd if null) with {@code resolve} flags,
     * e.g. {@link #RESOLVE_IN_ROOT} to treat {@code dir} as the root or {@link #RESOLVE_NO_SYMLINKS}.
     */
    public static Fd openat2(Fd dir, String path, int flags, long resolve) throws LinuxException {
        return openat2(dir, bytes(path), flags, 0, resolve);
    }

    /**
     * As {@link #openat2(Fd, String, int, long)}, for a path as the kernel has it (names from {@link #listDirectory}).
     */
    public static Fd openat2(Fd dir, byte[] path, int flags, long resolve) throws LinuxException {
        return openat2(dir, path, flags, 0, resolve);
    }

    /** Creates the regular file {@code name} in {@code dir} for writing; fails if anything (a symlink too) is there. */
    public static Fd createFile(Fd dir, String name, int mode) throws LinuxException {
        return createFile(dir, bytes(name), mode);
    }

    /** As {@link #createFile(Fd, String, int)}, for a name as the kernel has it. */
    public static Fd createFile(Fd dir, byte[] name, int mode) throws LinuxException {
        final int oWronly = 1;
        final int oCreat = 0100;
        final int oExcl = 0200;
        return openat2(dir, name, oWronly | oCreat | oExcl | O_NOFOLLOW, mode, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    }

    private static Fd openat2(Fd dir, byte[] path, int flags, int mode, long resolve) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment how = arena.allocate(24, 8); // struct open_how
            how.set(ValueLayout.JAVA_LONG, 0, flags | O_CLOEXEC);
            how.set(ValueLayout.JAVA_LONG, 8, mode);
            how.set(ValueLayout.JAVA_LONG, 16, resolve);
            int dirFd = dir == null ? AT_FDCWD : dir.value();
            long fd = Libc.syscall(
                    Libc.callState(arena),
                    Arch.SYS_OPENAT2,
                    dirFd,
                    cString(arena, path).address(),
                    how.address(),
                    how.byteSize(),
                    0,
                    0);
            // The message only on failure: a tree copy opens several files per entry.
            if (fd < 0) {
                throw new LinuxException("openat2(" + (dir == null ? "" : dir + ", ") + text(path) + ")", (int) -fd);
            }
            return new Fd((int) fd);
        }
    }

    /** Opens a directory by absolute path, refusing any symlink on the way. */
    public static Fd openDirectoryNoSymlinks(Path dir) throws LinuxException {
        return openat2(null, dir.toString(), O_RDONLY | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
    }

    /**
     * What statx(2) tells about a file: the fields jsysbox copies, compares and counts. {@code dev} and {@code rdev}
     * are dev_t values as mknod(2) takes them; {@code mountRoot}: the file is the root of a mount
     * (STATX_ATTR_MOUNT_ROOT); {@code mountId}: the id of the mount it is on, as /proc/PID/mountinfo's first field
     * (STATX_MNT_ID), -1 if unknown.
     */
    public record Stat(
            int mode,
            long uid,
            long gid,
            long nlink,
            long dev,
            long ino,
            long size,
            long blocks,
            long rdev,
            long atimeNanos,
            long mtimeNanos,
            boolean mountRoot,
            long mountId) {
        /** The file type bits of {@link #mode}: {@link #S_IFDIR}, {@link #S_IFREG}, {@link #S_IFLNK} and so on. */
        public int type() {
            return mode & S_IFMT;
        }
    }

    /**
     * statx(2) of {@code name} in {@code dir} itself, not a symlink's target, and without triggering an automount
     * (a tree a container made must not make the host mount anything). Through the JDK, the same costs a path through
     * /proc, a map of boxed values and no block count.
     */
    public static Stat statNoFollow(Fd dir, byte[] name) throws LinuxException {
        final int atNoAutomount = 0x800;
        final int statxBasicStats = 0x7ff;
        final int statxMountId = 0x1000;
        final long statxAttrMountRoot = 0x2000;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment statx = arena.allocate(256, 8); // struct statx
            int flags = AT_SYMLINK_NOFOLLOW | atNoAutomount | (name.length == 0 ? AT_EMPTY_PATH : 0);
            int result = Libc.statx(
                    Libc.callState(arena),
                    dir.value(),
                    cString(arena, name),
                    flags,
                    statxBasicStats | statxMountId,
                    statx);
            if (result < 0) {
                throw new LinuxException("statx(" + dir.procPathOrName(text(name)) + ")", -result);
            }
            long attributesKnown = statx.get(ValueLayout.JAVA_LONG, 56);
            boolean mountRoot = (attributesKnown & statxAttrMountRoot) != 0
                    && (statx.get(ValueLayout.JAVA_LONG, 8) & statxAttrMountRoot) != 0;
            return new Stat(
                    statx.get(ValueLayout.JAVA_SHORT, 28) & 0xffff,
                    Integer.toUnsignedLong(statx.get(ValueLayout.JAVA_INT, 20)),
                    Integer.toUnsignedLong(statx.get(ValueLayout.JAVA_INT, 24)),
                    Integer.toUnsignedLong(statx.get(ValueLayout.JAVA_INT, 16)),
                    makedev(statx.get(ValueLayout.JAVA_INT, 136), statx.get(ValueLayout.JAVA_INT, 140)),
                    statx.get(ValueLayout.JAVA_LONG, 32),
                    statx.get(ValueLayout.JAVA_LONG, 40),
                    statx.get(ValueLayout.JAVA_LONG, 48),
                    makedev(statx.get(ValueLayout.JAVA_INT, 128), statx.get(ValueLayout.JAVA_INT, 132)),
                    nanos(statx, 64),
                    nanos(statx, 112),
                    mountRoot,
                    (statx.get(ValueLayout.JAVA_INT, 0) & statxMountId) != 0
                            ? statx.get(ValueLayout.JAVA_LONG, 144)
                            : -1); // stx_mask: since Linux 5.8
        }
    }

    /**
     * The user namespace that owns the namespace at {@code namespace} (a /proc/PID/ns/* link, or a file a namespace is
     * bound on), as its nsfs file's stat: compare {@code dev} and {@code ino} with a /proc/PID/ns/user's. Through
     * ioctl NS_GET_USERNS (linux/nsfs.h).
     */
    public static Stat owningUserNamespace(Path namespace) throws LinuxException {
        final long nsGetUserns = 0xb701;
        try (Fd ns = openat2(null, namespace.toString(), O_RDONLY, 0)) {
            int owner = Libc.ioctl(ns.value(), nsGetUserns);
            if (owner < 0) {
                throw new LinuxException("ioctl(" + namespace + ", NS_GET_USERNS)", -owner);
            }
            try (Fd userNamespace = new Fd(owner)) {
                return stat(userNamespace);
            }
        }
    }

    /** The namespace at {@code namespace} (a /proc/PID/ns/* link, followed), as its nsfs file's stat. */
    public static Stat namespace(Path namespace) throws LinuxException {
        try (Fd ns = openat2(null, namespace.toString(), O_PATH, 0)) {
            return stat(ns);
        }
    }

    /** statx(2) of the file {@code fd} is open on (any descriptor, O_PATH too). */
    public static Stat stat(Fd fd) throws LinuxException {
        return statNoFollow(fd, NO_NAME);
    }

    private static long nanos(MemorySegment statx, int offset) { // struct statx_timestamp
        return statx.get(ValueLayout.JAVA_LONG, offset) * 1_000_000_000L
                + Integer.toUnsignedLong(statx.get(ValueLayout.JAVA_INT, offset + 8));
    }

    /** A dev_t as glibc's makedev() builds it, for {@link #mknodAt(Fd, String, int, long)}. */
    public static long makedev(int major, int minor) {
        return ((long) (major & 0xfffff000) << 32)
                | ((major & 0xfff) << 8)
                | ((long) (minor & 0xffffff00) << 12)
                | (minor & 0xff);
    }

    /**
     * The names in the directory {@code dir} (not "." and ".."), as bytes exactly as the kernel has them: the JDK
     * decodes names with the locale's charset, and under a service manager's POSIX locale a name like
     * "NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt" (Debian's ca-certificates) comes back as a name that does not
     * exist.
     * Reads through its own open of the directory: {@code dir}'s file offset is left alone.
     */
    public static List<byte[]> listDirectory(Fd dir) throws LinuxException {
        final int bufferSize = 32 * 1024;
        final int recordLengthAt = 16; // struct linux_dirent64: d_ino, d_off, d_reclen, d_type, d_name
        final int nameAt = 19;
        List<byte[]> names = new ArrayList<>();
        try (Fd reader = openat2(dir, DOT, O_RDONLY | O_DIRECTORY, 0);
                Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            MemorySegment buffer = arena.allocate(bufferSize, 8);
            byte[] records = new byte[bufferSize];
            while (true) {
                long length = Libc.getdents64(state, reader.value(), buffer);
                if (length < 0) {
                    throw new LinuxException("getdents64(" + dir.procPathOrName("") + ")", (int) -length);
                }
                if (length == 0) {
                    return names;
                }
                MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, records, 0, (int) length);
                for (int record = 0; record < length; ) {
                    int recordLength = (records[record + recordLengthAt] & 0xff)
                            | (records[record + recordLengthAt + 1] & 0xff) << 8;
                    int end = record + nameAt;
                    while (records[end] != 0) {
                        end++;
                    }
                    byte[] name = Arrays.copyOfRange(records, record + nameAt, end);
                    if (!Arrays.equals(name, DOT) && !Arrays.equals(name, DOT_DOT)) {
                        names.add(name);
                    }
                    record += recordLength;
                }
            }
        }
    }

    /** fchownat(2) of {@code name} in {@code dir} without following a symlink; empty name: {@code dir} itself. */
    public static void chownNoFollow(Fd dir, String name, int uid, int gid) throws LinuxException {
        chownNoFollow(dir, bytes(name), uid, gid);
    }

    /** As {@link #chownNoFollow(Fd, String, int, int)}, for a name as the kernel has it. */
    public static void chownNoFollow(Fd dir, byte[] name, int uid, int gid) throws LinuxException {
        int flags = name.length == 0 ? AT_EMPTY_PATH : AT_SYMLINK_NOFOLLOW;
        try (Arena arena = Arena.ofConfined()) {
            int result = Libc.fchownat(Libc.callState(arena), dir.value(), cString(arena, name), uid, gid, flags);
            if (result < 0) {
                throw new LinuxException(
                        "fchownat(" + dir.procPathOrName(text(name)) + ", " + uid + ":" + gid + ")", -result);
            }
        }
    }

    /** lchown(2): changes the owner of {@code path} itself, never a symlink's target. */
    public static void lchown(Path path, int uid, int gid) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            int result =
                    Libc.fchownat(Libc.callState(arena), AT_FDCWD, cString(arena, path), uid, gid, AT_SYMLINK_NOFOLLOW);
            if (result < 0) {
                throw new LinuxException("lchown(" + path + ", " + uid + ":" + gid + ")", -result);
            }
        }
    }

    public static void fchmod(Fd fd, int mode) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            int result = Libc.fchmod(Libc.callState(arena), fd.value(), mode);
            if (result < 0) {
                throw new LinuxException("fchmod(" + fd + ", " + Integer.toOctalString(mode) + ")", -result);
            }
        }
    }

    /** unlinkat(2) of {@code name} in {@code dir}: a directory if {@code directory}, else any other entry. */
    public static void unlinkAt(Fd dir, String name, boolean directory) throws LinuxException {
        unlinkAt(dir, bytes(name), directory);
    }

    /** As {@link #unlinkAt(Fd, String, boolean)}, for a name as the kernel has it. */
    public static void unlinkAt(Fd dir, byte[] name, boolean directory) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            int result = Libc.unlinkat(
                    Libc.callState(arena), dir.value(), cString(arena, name), directory ? AT_REMOVEDIR : 0);
            if (result < 0) {
                throw new LinuxException("unlinkat(" + dir.procPathOrName(text(name)) + ")", -result);
            }
        }
    }

    public static void mkdirAt(Fd dir, String name, int mode) throws LinuxException {
        mkdirAt(dir, bytes(name), mode);
    }

    /** As {@link #mkdirAt(Fd, String, int)}, for a name as the kernel has it. */
    public static void mkdirAt(Fd dir, byte[] name, int mode) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            int result = Libc.mkdirat(Libc.callState(arena), dir.value(), cString(arena, name), mode);
            if (result < 0) {
                throw new LinuxException("mkdirat(" + dir.procPathOrName(text(name)) + ")", -result);
            }
        }
    }

    /** mknodat(2) of the character device {@code major:minor} named {@code name} in {@code dir}, with {@code mode}. */
    public static void mknodCharAt(Fd dir, String name, int major, int minor, int mode) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            int result = Libc.mknodat(
                    Libc.callState(arena),
                    dir.value(),
                    cString(arena, bytes(name)),
                    S_IFCHR | mode,
                    makedev(major, minor));
            if (result < 0) {
                throw new LinuxException(
                        "mknodat(" + dir.procPathOrName(name) + ", c " + major + ":" + minor + ")", -result);
            }
        }
    }

    /** fchmodat(2) of {@code name} in {@code dir}: sets the exact mode (mknod and mkdir are cut by the umask). */
    public static void chmodAt(Fd dir, String name, int mode) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            int result = Libc.fchmodat(Libc.callState(arena), dir.value(), cString(arena, bytes(name)), mode, 0);
            if (result < 0) {
                throw new LinuxException(
                        "fchmodat(" + dir.procPathOrName(name) + ", " + Integer.toOctalString(mode) + ")", -result);
            }
        }
    }

    /**
     * Sets the mode of {@code name} in {@code dir} itself: fchmodat(2) follows a symlink in the last component, and
     * its AT_SYMLINK_NOFOLLOW needs glibc 2.32 or Linux 6.6. So, as glibc does it: open the entry itself (O_PATH,
     * no symlinks) and chmod it through its magic link. A symlink fails with EOPNOTSUPP (Linux has no symlink modes).
     */
    public static void chmodNoFollow(Fd dir, byte[] name, int mode) throws LinuxException {
        try (Fd entry = openat2(dir, name, O_PATH | O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)) {
            String what = "chmod(" + dir.procPathOrName(text(name)) + ", " + Integer.toOctalString(mode) + ")";
            if (stat(entry).type() == S_IFLNK) {
                throw new LinuxException(what, Errno.EOPNOTSUPP);
            }
            try (Arena arena = Arena.ofConfined()) {
                int result = Libc.fchmodat(Libc.callState(arena), AT_FDCWD, cString(arena, entry.procPath()), mode, 0);
                if (result < 0) {
                    throw new LinuxException(what, -result);
                }
            }
        }
    }

    /**
     * Swaps two existing entries atomically (renameat2 RENAME_EXCHANGE): a reader sees one or the other, never neither.
     */
    public static void renameExchange(Fd fromDir, String from, Fd toDir, String to) throws LinuxException {
        renameat2(fromDir, from, toDir, to, 2 /* RENAME_EXCHANGE */);
    }

    /** Renames, failing with EEXIST rather than replacing what is at {@code to} (renameat2 RENAME_NOREPLACE). */
    public static void renameNoReplace(Fd fromDir, String from, Fd toDir, String to) throws LinuxException {
        renameNoReplace(fromDir, bytes(from), toDir, bytes(to));
    }

    /** As {@link #renameNoReplace(Fd, String, Fd, String)}, for names as the kernel has them. */
    public static void renameNoReplace(Fd fromDir, byte[] from, Fd toDir, byte[] to) throws LinuxException {
        renameat2(fromDir, from, toDir, to, 1 /* RENAME_NOREPLACE */);
    }

    private static void renameat2(Fd fromDir, String from, Fd toDir, String to, int flags) throws LinuxException {
        renameat2(fromDir, bytes(from), toDir, bytes(to), flags);
    }

    private static void renameat2(Fd fromDir, byte[] from, Fd toDir, byte[] to, int flags) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            int result = Libc.renameat2(
                    Libc.callState(arena),
                    fromDir.value(),
                    cString(arena, from),
                    toDir.value(),
                    cString(arena, to),
                    flags);
            if (result < 0) {
                throw new LinuxException(
                        "renameat2(" + fromDir.procPathOrName(text(from)) + ", " + toDir.procPathOrName(text(to)) + ")",
                        -result);
            }
        }
    }

    /** mknodat(2) with a full mode (file type included) and device number: devices, fifos, overlay whiteouts. */
    public static void mknodAt(Fd dir, String name, int mode, long dev) throws LinuxException {
        mknodAt(dir, bytes(name), mode, dev);
    }

    /** As {@link #mknodAt(Fd, String, int, long)}, for a name as the kernel has it. */
    public static void mknodAt(Fd dir, byte[] name, int mode, long dev) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            int result = Libc.mknodat(Libc.callState(arena), dir.value(), cString(arena, name), mode, dev);
            if (result < 0) {
                throw new LinuxException(
                        "mknodat(" + dir.procPathOrName(text(name)) + ", " + Integer.toOctalString(mode) + ")",
                        -result);
            }
        }
    }

    public static void symlinkAt(String target, Fd dir, String name) throws LinuxException {
        symlinkAt(bytes(target), dir, bytes(name));
    }

    /**
     * As {@link #symlinkAt(String, Fd, String)}, with target and name as the kernel has them (a target is bytes too).
     */
    public static void symlinkAt(byte[] target, Fd dir, byte[] name) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            int result =
                    Libc.symlinkat(Libc.callState(arena), cString(arena, target), dir.value(), cString(arena, name));
            if (result < 0) {
                throw new LinuxException("symlinkat(" + dir.procPathOrName(text(name)) + ")", -result);
            }
        }
    }

    /** The target of the symlink {@code name} in {@code dir}, as bytes (never resolved). */
    public static byte[] readlinkAt(Fd dir, String name) throws LinuxException {
        return readlinkAt(dir, bytes(name));
    }

    /** As {@link #readlinkAt(Fd, String)}, for a name as the kernel has it. */
    public static byte[] readlinkAt(Fd dir, byte[] name) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(4096); // PATH_MAX: no target is longer than 4095 bytes
            long length = Libc.readlinkat(Libc.callState(arena), dir.value(), cString(arena, name), buffer);
            if (length < 0) {
                throw new LinuxException("readlinkat(" + dir.procPathOrName(text(name)) + ")", (int) -length);
            }
            return buffer.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** A hard link {@code toDir/to} to {@code fromDir/from} (never following a symlink). */
    public static void linkAt(Fd fromDir, String from, Fd toDir, String to) throws LinuxException {
        linkAt(fromDir, bytes(from), toDir, bytes(to));
    }

    /** As {@link #linkAt(Fd, String, Fd, String)}, for names as the kernel has them. */
    public static void linkAt(Fd fromDir, byte[] from, Fd toDir, byte[] to) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            int result = Libc.linkat(
                    Libc.callState(arena), fromDir.value(), cString(arena, from), toDir.value(), cString(arena, to), 0);
            if (result < 0) {
                throw new LinuxException(
                        "linkat(" + fromDir.procPathOrName(text(from)) + ", " + toDir.procPathOrName(text(to)) + ")",
                        -result);
            }
        }
    }

    /**
     * Sets atime and mtime (ns since the epoch) of {@code name} in {@code dir} ("" for dir), not following a symlink.
     */
    public static void setTimesNoFollow(Fd dir, String name, long atimeNanos, long mtimeNanos) throws LinuxException {
        setTimesNoFollow(dir, bytes(name), atimeNanos, mtimeNanos);
    }

    /**
     * As {@link #setTimesNoFollow(Fd, String, long, long)}, for a name as the kernel has it (empty: {@code dir} itself,
     * any descriptor but O_PATH of a symlink, through its magic link: glibc refuses utimensat with a null path).
     */
    public static void setTimesNoFollow(Fd dir, byte[] name, long atimeNanos, long mtimeNanos) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment times = arena.allocate(32, 8); // struct timespec[2]
            times.set(ValueLayout.JAVA_LONG, 0, Math.floorDiv(atimeNanos, 1_000_000_000L));
            times.set(ValueLayout.JAVA_LONG, 8, Math.floorMod(atimeNanos, 1_000_000_000L));
            times.set(ValueLayout.JAVA_LONG, 16, Math.floorDiv(mtimeNanos, 1_000_000_000L));
            times.set(ValueLayout.JAVA_LONG, 24, Math.floorMod(mtimeNanos, 1_000_000_000L));
            MemorySegment state = Libc.callState(arena);
            int result = name.length == 0
                    ? Libc.utimensat(state, AT_FDCWD, cString(arena, dir.procPath()), times, 0)
                    : Libc.utimensat(state, dir.value(), cString(arena, name), times, AT_SYMLINK_NOFOLLOW);
            if (result < 0) {
                throw new LinuxException("utimensat(" + dir.procPathOrName(text(name)) + ")", -result);
            }
        }
    }

    /** The names of the extended attributes of {@code name} in {@code dir} ("" for dir itself); a symlink's own. */
    public static List<String> listXattrs(Fd dir, String name) throws LinuxException {
        return listXattrs(dir, bytes(name)).stream()
                .map(xattr -> new String(xattr, StandardCharsets.UTF_8))
                .toList();
    }

    /** As {@link #listXattrs(Fd, String)}, for a name as the kernel has it, with the xattr names as bytes. */
    public static List<byte[]> listXattrs(Fd dir, byte[] name) throws LinuxException {
        byte[] path = xattrPath(dir, name);
        byte[] list;
        long size;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            MemorySegment pathString = cString(arena, path);
            MemorySegment buffer;
            do { // ERANGE: an xattr was added between the two calls
                size = Libc.llistxattr(state, pathString, MemorySegment.NULL);
                if (size < 0) {
                    throw new LinuxException("llistxattr(" + text(path) + ")", (int) -size);
                }
                if (size == 0) {
                    return List.of();
                }
                buffer = arena.allocate(size);
                size = Libc.llistxattr(state, pathString, buffer);
            } while (size == -Errno.ERANGE);
            if (size < 0) {
                throw new LinuxException("llistxattr(" + text(path) + ")", (int) -size);
            }
            list = buffer.asSlice(0, size).toArray(ValueLayout.JAVA_BYTE);
        }
        List<byte[]> names = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < size; i++) {
            if (list[i] != 0) {
                continue;
            }
            if (i > start) {
                names.add(Arrays.copyOfRange(list, start, i));
            }
            start = i + 1;
        }
        return names;
    }

    /** The value of the extended attribute {@code xattr} of {@code name} in {@code dir} ("" for dir), if it has one. */
    public static Optional<byte[]> getXattr(Fd dir, String name, String xattr) throws LinuxException {
        return getXattr(dir, bytes(name), bytes(xattr));
    }

    /** As {@link #getXattr(Fd, String, String)}, for names as the kernel has them. */
    public static Optional<byte[]> getXattr(Fd dir, byte[] name, byte[] xattr) throws LinuxException {
        final int enodata = 61;
        byte[] path = xattrPath(dir, name);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            MemorySegment pathString = cString(arena, path);
            MemorySegment attribute = cString(arena, xattr);
            MemorySegment value;
            long size;
            do { // ERANGE: the value grew between the two calls
                size = Libc.lgetxattr(state, pathString, attribute, MemorySegment.NULL);
                if (size < 0) {
                    if (size == -enodata) {
                        return Optional.empty();
                    }
                    throw new LinuxException("lgetxattr(" + text(path) + ", " + text(xattr) + ")", (int) -size);
                }
                value = arena.allocate(size);
                size = Libc.lgetxattr(state, pathString, attribute, value);
            } while (size == -Errno.ERANGE);
            if (size < 0) {
                throw new LinuxException("lgetxattr(" + text(path) + ", " + text(xattr) + ")", (int) -size);
            }
            return Optional.of(value.asSlice(0, size).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    public static void setXattr(Fd dir, String name, String xattr, byte[] value) throws LinuxException {
        setXattr(dir, bytes(name), bytes(xattr), value);
    }

    /** As {@link #setXattr(Fd, String, String, byte[])}, for names as the kernel has them. */
    public static void setXattr(Fd dir, byte[] name, byte[] xattr, byte[] value) throws LinuxException {
        byte[] path = xattrPath(dir, name);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment valueBytes = arena.allocate(value.length);
            MemorySegment.copy(value, 0, valueBytes, ValueLayout.JAVA_BYTE, 0, value.length);
            int result =
                    Libc.lsetxattr(Libc.callState(arena), cString(arena, path), cString(arena, xattr), valueBytes, 0);
            if (result < 0) {
                throw new LinuxException("lsetxattr(" + text(path) + ", " + text(xattr) + ")", -result);
            }
        }
    }

    /**
     * The l*xattr calls take a path: the fd's magic link, then a single name, which they do not follow ("." for the
     * directory itself: the magic link as the last component would be the link, not the directory).
     */
    private static byte[] xattrPath(Fd dir, byte[] name) {
        byte[] prefix = ("/proc/self/fd/" + dir.value() + "/").getBytes(StandardCharsets.US_ASCII);
        byte[] last = name.length == 0 ? DOT : name;
        byte[] path = Arrays.copyOf(prefix, prefix.length + last.length);
        System.arraycopy(last, 0, path, prefix.length, last.length);
        return path;
    }

    /**
     * Copies the first {@code length} bytes of {@code from} into the empty file {@code to}, keeping holes: only the
     * data
     * ranges lseek(SEEK_DATA/SEEK_HOLE) finds are copied, at their offsets, and {@code to} is then truncated to
     * {@code length}. So a sparse file stays sparse: a {@code truncate -s 4G} file a container made takes no block in
     * its copy, where copying its zeros would write 4 GiB. A filesystem without SEEK_DATA (EINVAL) is copied as one
     * range. Each range is copied in the kernel: copy_file_range (which may share extents), else sendfile (files on
     * different filesystems). A file that shrinks during the copy is copied as far as it went. {@code stop} is asked
     * before each chunk (64 MiB at most): once it answers true the copy ends where it is, {@code to} left shorter.
     */
    public static void copyContents(Fd from, Fd to, long length, BooleanSupplier stop) throws LinuxException {
        final long chunkMax = 64L << 20;
        boolean sameFilesystemCopy = true;
        long size = length;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            MemorySegment fromOffset = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment toOffset = arena.allocate(ValueLayout.JAVA_LONG);
            long offset = 0;
            while (offset < size) {
                long data = seekData(from, offset);
                if (data < 0 || data >= size) {
                    break; // no data left: the rest is a hole
                }
                long end = Math.min(size, seekHole(from, data, size));
                offset = data;
                while (offset < end) {
                    if (stop.getAsBoolean()) {
                        return;
                    }
                    long chunk = Math.min(end - offset, chunkMax);
                    long copied;
                    fromOffset.set(ValueLayout.JAVA_LONG, 0, offset);
                    if (sameFilesystemCopy) {
                        toOffset.set(ValueLayout.JAVA_LONG, 0, offset);
                        copied = Libc.copyFileRange(state, from.value(), fromOffset, to.value(), toOffset, chunk, 0);
                        if (copied < 0) {
                            int errno = (int) -copied;
                            if (errno == Errno.EXDEV
                                    || errno == Errno.EINVAL
                                    || errno == Errno.EOPNOTSUPP
                                    || errno == Errno.ENOSYS) {
                                sameFilesystemCopy = false;
                                continue;
                            }
                            throw new LinuxException(
                                    "copy_file_range(" + from + ", " + to + ", at " + offset + ")", errno);
                        }
                    } else { // sendfile writes at the file position: move it to the range
                        lseek(to, offset, SEEK_SET);
                        copied = Libc.sendfile(state, to.value(), from.value(), fromOffset, chunk);
                        if (copied < 0) {
                            throw new LinuxException(
                                    "sendfile(" + from + ", " + to + ", at " + offset + ")", (int) -copied);
                        }
                    }
                    if (copied == 0) { // the file shrank meanwhile: it ends here
                        end = offset;
                        size = offset;
                    }
                    offset += copied;
                }
            }
            int truncated = Libc.ftruncate(state, to.value(), size);
            if (truncated < 0) {
                throw new LinuxException("ftruncate(" + to + ", " + size + ")", -truncated);
            }
        }
    }

    public static final int SEEK_SET = 0;
    public static final int SEEK_DATA = 3;
    public static final int SEEK_HOLE = 4;

    /** lseek(2): the new file offset. */
    public static long lseek(Fd fd, long offset, int whence) throws LinuxException {
        long result = lseekOrErrno(fd, offset, whence);
        if (result < 0) {
            throw new LinuxException("lseek(" + fd + ", " + offset + ", " + whence + ")", (int) -result);
        }
        return result;
    }

    /** lseek(2): the new file offset, or minus errno. */
    private static long lseekOrErrno(Fd fd, long offset, int whence) {
        try (Arena arena = Arena.ofConfined()) {
            return Libc.lseek(Libc.callState(arena), fd.value(), offset, whence);
        }
    }

    /**
     * The start of the first data at or after {@code offset}; -1 if there is none (ENXIO); {@code offset} if the
     * filesystem cannot tell (EINVAL).
     */
    private static long seekData(Fd fd, long offset) throws LinuxException {
        long data = lseekOrErrno(fd, offset, SEEK_DATA);
        if (data >= 0) {
            return data;
        }
        int errno = (int) -data;
        if (errno == Errno.ENXIO) {
            return -1;
        }
        if (errno == Errno.EINVAL) {
            return offset;
        }
        throw new LinuxException("lseek(" + fd + ", " + offset + ", SEEK_DATA)", errno);
    }

    /**
     * The start of the first hole after the data at {@code data}; {@code length} if the filesystem cannot tell, {@code
     * data} if the file shrank.
     */
    private static long seekHole(Fd fd, long data, long length) throws LinuxException {
        long hole = lseekOrErrno(fd, data, SEEK_HOLE);
        if (hole >= 0) {
            return hole;
        }
        int errno = (int) -hole;
        if (errno == Errno.ENXIO) {
            return data;
        }
        if (errno == Errno.EINVAL) {
            return length;
        }
        throw new LinuxException("lseek(" + fd + ", " + data + ", SEEK_HOLE)", errno);
    }

    /**
     * Opens again the file {@code fd} is open on (an O_PATH descriptor, say), through its magic link, with
     * {@code flags}: the very inode {@code fd} holds, whatever its name has become since. How to read a file only once
     * it is proven what it should be: an O_PATH open runs no driver's open, and a device or fifo is never opened.
     */
    public static Fd reopen(Fd fd, int flags) throws LinuxException {
        return openat2(null, fd.procPath().toString(), flags, 0);
    }

    /** The size of a filesystem and what is free on it for any writer (statvfs f_bavail, as df's Avail), in bytes. */
    public record FilesystemSpace(long totalBytes, long availableBytes) {}

    /** statvfs(2) of the filesystem {@code fd} is on. */
    public static FilesystemSpace filesystemSpace(Fd fd) throws LinuxException {
        final int fragmentSizeAt = 8; // struct statvfs (LP64): f_bsize, f_frsize, f_blocks, f_bfree, f_bavail, …
        final int blocksAt = 16;
        final int availableAt = 32;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment statvfs = arena.allocate(128, 8);
            int result = Libc.fstatvfs(Libc.callState(arena), fd.value(), statvfs);
            if (result < 0) {
                throw new LinuxException("fstatvfs(" + fd.procPathOrName("") + ")", -result);
            }
            long fragment = statvfs.get(ValueLayout.JAVA_LONG, fragmentSizeAt);
            return new FilesystemSpace(
                    statvfs.get(ValueLayout.JAVA_LONG, blocksAt) * fragment,
                    statvfs.get(ValueLayout.JAVA_LONG, availableAt) * fragment);
        }
    }

    /** A pidfd for {@code pid}: it becomes readable when the process exits, and never names a reused pid. */
    public static Fd pidfdOpen(long pid) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            return new Fd(checkedSyscall(arena, "pidfd_open(" + pid + ")", Arch.SYS_PIDFD_OPEN, pid));
        }
    }

    /** A duplicate of descriptor {@code fd} of the process {@code process} (a pidfd) names: pidfd_getfd(2), ≥ 5.6. */
    public static Fd pidfdGetfd(Fd process, int fd) throws LinuxException {
        try (Arena arena = Arena.ofConfined()) {
            return new Fd(checkedSyscall(
                    arena, "pidfd_getfd(" + process + ", " + fd + ")", Arch.SYS_PIDFD_GETFD, process.value(), fd));
        }
    }

    /** Blocks the calling thread until {@code fd} is readable (for a pidfd: until the process has exited). */
    public static void awaitReadable(Fd fd) throws LinuxException {
        int events;
        while ((events = Libc.poll(fd.value(), -1)) < 0) {
            if (events != -Errno.EINTR) {
                throw new LinuxException("poll(" + fd + ")", -events);
            }
        }
    }

    /**
     * Sends {@code message} as one datagram to the unix socket at {@code address} (a path, or {@code @name} for the
     * abstract namespace, as systemd's NOTIFY_SOCKET and ss(8) write it), with {@code fds} attached (SCM_RIGHTS):
     * the receiver gets its own descriptors of the same open files. The JDK's unix channels are streams only.
     */
    public static void sendDatagram(String address, byte[] message, int... fds) throws LinuxException {
        final int afUnix = 1;
        final int sockDgram = 2;
        final int solSocket = 1;
        final int scmRights = 1;
        final int msgNoSignal = 0x4000;
        byte[] sockaddr = unixSocketAddress(address);
        int rightsLength = 16 + 4 * fds.length; // CMSG_LEN: struct cmsghdr, then the descriptors
        int controlLength = fds.length == 0 ? 0 : (rightsLength + 7) & ~7; // CMSG_SPACE
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            int socket = Libc.socket(state, afUnix, sockDgram | O_CLOEXEC, 0);
            if (socket < 0) {
                throw new LinuxException("socket(AF_UNIX, SOCK_DGRAM)", -socket);
            }
            try {
                MemorySegment name = arena.allocate(sockaddr.length);
                MemorySegment.copy(sockaddr, 0, name, ValueLayout.JAVA_BYTE, 0, sockaddr.length);
                MemorySegment data = arena.allocate(Math.max(1, message.length));
                MemorySegment.copy(message, 0, data, ValueLayout.JAVA_BYTE, 0, message.length);
                MemorySegment iovec = arena.allocate(16, 8); // struct iovec
                iovec.set(ValueLayout.ADDRESS, 0, data);
                iovec.set(ValueLayout.JAVA_LONG, 8, message.length);
                MemorySegment control = arena.allocate(Math.max(1, controlLength), 8); // zeroed
                if (fds.length > 0) {
                    control.set(ValueLayout.JAVA_LONG, 0, rightsLength);
                    control.set(ValueLayout.JAVA_INT, 8, solSocket);
                    control.set(ValueLayout.JAVA_INT, 12, scmRights);
                    MemorySegment.copy(fds, 0, control, ValueLayout.JAVA_INT, 16, fds.length);
                }
                MemorySegment header = arena.allocate(56, 8); // struct msghdr (LP64), zeroed
                header.set(ValueLayout.ADDRESS, 0, name);
                header.set(ValueLayout.JAVA_INT, 8, sockaddr.length);
                header.set(ValueLayout.ADDRESS, 16, iovec);
                header.set(ValueLayout.JAVA_LONG, 24, 1);
                if (fds.length > 0) {
                    header.set(ValueLayout.ADDRESS, 32, control);
                    header.set(ValueLayout.JAVA_LONG, 40, controlLength);
                }
                long sent = Libc.sendmsg(state, socket, header, msgNoSignal);
                if (sent < 0) {
                    throw new LinuxException(
                            "sendmsg(" + address + (fds.length == 0 ? "" : ", " + fds.length + " fd(s)") + ")",
                            (int) -sent);
                }
            } finally {
                Libc.close(socket);
            }
        }
    }

    /**
     * A struct sockaddr_un for {@code address}, as long as the kernel must be told: a path NUL-terminated, an abstract
     * name ({@code @name}) after a NUL byte and not terminated (its length delimits it). Pure.
     */
    static byte[] unixSocketAddress(String address) {
        final int pathMax = 108; // sizeof(sun_path)
        boolean abstractName = address.startsWith("@");
        if (!abstractName && !address.startsWith("/")) {
            throw new IllegalArgumentException(
                    "unix socket address " + address + " is neither an absolute path nor @name");
        }
        byte[] path = abstractName ? address.substring(1).getBytes(NAMES) : address.getBytes(NAMES);
        if (1 + path.length > pathMax) {
            throw new IllegalArgumentException(
                    "unix socket address " + address + " is longer than " + (pathMax - 1) + " bytes");
        }
        byte[] sockaddr = new byte[2 + 1 + path.length];
        sockaddr[0] = 1; // sun_family = AF_UNIX, little-endian (x86_64 and aarch64)
        System.arraycopy(path, 0, sockaddr, abstractName ? 3 : 2, path.length);
        return sockaddr; // a path's last byte, an abstract name's first, stays 0
    }

    private static final byte[] NO_NAME = {};
    private static final byte[] DOT = {'.'};
    private static final byte[] DOT_DOT = {'.', '.'};

    private static byte[] bytes(String name) {
        return name.getBytes(NAMES);
    }

    /** {@code name} NUL-terminated in {@code arena}, as C takes it. */
    private static MemorySegment cString(Arena arena, byte[] name) {
        return Libc.cString(arena, name);
    }

    /** {@code path} in {@link #NAMES}, NUL-terminated in {@code arena}. */
    private static MemorySegment cString(Arena arena, Path path) {
        return Libc.cString(arena, bytes(path.toString()));
    }

    /** {@code text} in {@link #NAMES}, NUL-terminated in {@code arena}; C's NULL for null. */
    private static MemorySegment cStringOrNull(Arena arena, String text) {
        return text == null ? MemorySegment.NULL : Libc.cString(arena, bytes(text));
    }

    /** For messages. */
    private static String text(byte[] name) {
        int length = name.length > 0 && name[name.length - 1] == 0 ? name.length - 1 : name.length;
        return new String(name, 0, length, NAMES);
    }

    /**
     * syscall(2) {@code number} with {@code args} (each a long, a pointer as its address: the kernel reads each as a
     * long), its call state in {@code arena}: the result, a LinuxException for {@code what} if it failed.
     */
    private static int checkedSyscall(Arena arena, String what, long number, long... args) throws LinuxException {
        long[] six = Arrays.copyOf(args, 6);
        long result = Libc.syscall(Libc.callState(arena), number, six[0], six[1], six[2], six[3], six[4], six[5]);
        if (result < 0) {
            throw new LinuxException(what, (int) -result);
        }
        return (int) result;
    }

    private static String abbreviate(String data) {
        return data.length() <= 300 ? data : data.substring(0, 300) + "…(" + data.length() + " bytes)";
    }
}
