package io.jsysbox.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;

import java.nio.file.Path;
import java.util.List;

/** The kernel calls jsysbox needs, each failing with a {@link LinuxException} that says what was attempted. */
public final class Linux {
    public static final int AT_FDCWD = -100;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_REMOVEDIR = 0x200;
    public static final int AT_EMPTY_PATH = 0x1000;
    public static final int AT_RECURSIVE = 0x8000;

    public static final int O_RDONLY = 0;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final int O_PATH = 0x200000;
    public static final int O_DIRECTORY = Arch.O_DIRECTORY;
    public static final int O_NOFOLLOW = Arch.O_NOFOLLOW;

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
    public static final long MS_BIND = 4096;
    public static final long MS_REC = 16384;
    public static final long MS_PRIVATE = 1 << 18;

    public static final int MNT_DETACH = 2;
    public static final int UMOUNT_NOFOLLOW = 8;

    private static final LibC C = LibC.INSTANCE;

    private Linux() {}

    /** A detached copy of the mount tree at {@code path} (with its submounts if {@code recursive}). */
    public static Fd openTreeClone(Path path, boolean recursive) throws LinuxException {
        long flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
        return new Fd(checkedSyscall("open_tree(" + path + (recursive ? ", recursive" : "") + ")",
                Arch.SYS_OPEN_TREE, (long) AT_FDCWD, path.toString(), flags));
    }

    /**
     * Makes the detached mount {@code mount} show on-disk ids through the mapping of {@code userNamespace}, and
     * private: a clone of a shared mount would otherwise join its peer group.
     */
    public static void setIdmap(Fd mount, Fd userNamespace, boolean recursive, boolean readOnly) throws LinuxException {
        try (Memory attr = new Memory(32)) { // struct mount_attr (MOUNT_ATTR_SIZE_VER0)
            attr.clear();
            attr.setLong(0, MOUNT_ATTR_IDMAP | (readOnly ? MOUNT_ATTR_RDONLY : 0)); // attr_set
            attr.setLong(16, MS_PRIVATE);             // propagation
            attr.setLong(24, userNamespace.value());  // userns_fd
            checkedSyscall("mount_setattr(MOUNT_ATTR_IDMAP, " + mount + ")", Arch.SYS_MOUNT_SETATTR,
                    (long) mount.value(), "", (long) (AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0)), attr, 32L);
        }
    }

    /** Attaches the detached mount {@code mount} at {@code target}. */
    public static void moveMount(Fd mount, Path target) throws LinuxException {
        checkedSyscall("move_mount(" + mount + " -> " + target + ")", Arch.SYS_MOVE_MOUNT,
                (long) mount.value(), "", (long) AT_FDCWD, target.toString(), (long) MOVE_MOUNT_F_EMPTY_PATH);
    }

    /** Attaches the detached mount {@code mount} on the file or directory {@code target} (an O_PATH descriptor). */
    public static void moveMount(Fd mount, Fd target) throws LinuxException {
        checkedSyscall("move_mount(" + mount + " -> " + target + ")", Arch.SYS_MOVE_MOUNT, (long) mount.value(), "",
                (long) target.value(), "", (long) (MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
    }

    /**
     * Moves the calling thread into the mount namespace of {@code process} (a pidfd); its root and
     * working directory become that namespace's. The kernel allows this only to a thread that does not share its
     * fs_struct, so the thread first unshares it: other threads of the process stay where they are. Use a thread
     * that ends afterwards.
     */
    public static void enterMountNamespace(Fd process) throws LinuxException {
        if (C.unshare(CLONE_FS) != 0) throw new LinuxException("unshare(CLONE_FS)", Native.getLastError());
        if (C.setns(process.value(), CLONE_NEWNS) != 0) {
            throw new LinuxException("setns(pidfd " + process.value() + ", CLONE_NEWNS)", Native.getLastError());
        }
    }

    public static void mount(String source, Path target, String fsType, long flags, String data) throws LinuxException {
        if (C.mount(source, target.toString(), fsType, flags, data) != 0) {
            throw new LinuxException("mount(" + source + " -> " + target + ", type " + fsType
                    + (data == null ? "" : ", " + abbreviate(data)) + ")", Native.getLastError());
        }
    }

    /** Lazily detaches the mount at {@code target}, not following a symlink in its last component. */
    public static void umountDetach(Path target) throws LinuxException {
        if (C.umount2(target.toString(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
            throw new LinuxException("umount2(" + target + ", MNT_DETACH)", Native.getLastError());
        }
    }

    /**
     * openat2(2): opens {@code path} relative to {@code dir} (or the cwd if null) with {@code resolve} flags,
     * e.g. {@link #RESOLVE_IN_ROOT} to treat {@code dir} as the root or {@link #RESOLVE_NO_SYMLINKS}.
     */
    public static Fd openat2(Fd dir, String path, int flags, long resolve) throws LinuxException {
        return openat2(dir, path, flags, 0, resolve);
    }

    /** Creates the regular file {@code name} in {@code dir} for writing; fails if anything (a symlink too) is there. */
    public static Fd createFile(Fd dir, String name, int mode) throws LinuxException {
        final int oWronly = 1;
        final int oCreat = 0100;
        final int oExcl = 0200;
        return openat2(dir, name, oWronly | oCreat | oExcl | O_NOFOLLOW, mode, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    }

    private static Fd openat2(Fd dir, String path, int flags, int mode, long resolve) throws LinuxException {
        try (Memory how = new Memory(24)) { // struct open_how
            how.setLong(0, flags | O_CLOEXEC);
            how.setLong(8, mode);
            how.setLong(16, resolve);
            int dirFd = dir == null ? AT_FDCWD : dir.value();
            return new Fd(checkedSyscall("openat2(" + (dir == null ? "" : dir + ", ") + path + ")",
                    Arch.SYS_OPENAT2, (long) dirFd, path, how, 24L));
        }
    }

    /** Opens a directory by absolute path, refusing any symlink on the way. */
    public static Fd openDirectoryNoSymlinks(Path dir) throws LinuxException {
        return openat2(null, dir.toString(), O_RDONLY | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
    }

    /** fchownat(2) of {@code name} in {@code dir} without following a symlink; empty name: {@code dir} itself. */
    public static void chownNoFollow(Fd dir, String name, int uid, int gid) throws LinuxException {
        int flags = name.isEmpty() ? AT_EMPTY_PATH : AT_SYMLINK_NOFOLLOW;
        if (C.fchownat(dir.value(), name, uid, gid, flags) != 0) {
            throw new LinuxException("fchownat(" + dir.procPathOrName(name) + ", " + uid + ":" + gid + ")", Native.getLastError());
        }
    }

    /** lchown(2): changes the owner of {@code path} itself, never a symlink's target. */
    public static void lchown(Path path, int uid, int gid) throws LinuxException {
        if (C.fchownat(AT_FDCWD, path.toString(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
            throw new LinuxException("lchown(" + path + ", " + uid + ":" + gid + ")", Native.getLastError());
        }
    }

    public static void fchmod(Fd fd, int mode) throws LinuxException {
        if (C.fchmod(fd.value(), mode) != 0) {
            throw new LinuxException("fchmod(" + fd + ", " + Integer.toOctalString(mode) + ")", Native.getLastError());
        }
    }

    /** unlinkat(2) of {@code name} in {@code dir}: a directory if {@code directory}, else any other entry. */
    public static void unlinkAt(Fd dir, String name, boolean directory) throws LinuxException {
        if (C.unlinkat(dir.value(), name, directory ? AT_REMOVEDIR : 0) != 0) {
            throw new LinuxException("unlinkat(" + dir.procPathOrName(name) + ")", Native.getLastError());
        }
    }

    public static void mkdirAt(Fd dir, String name, int mode) throws LinuxException {
        if (C.mkdirat(dir.value(), name, mode) != 0) {
            throw new LinuxException("mkdirat(" + dir.procPathOrName(name) + ")", Native.getLastError());
        }
    }

    /** mknodat(2) of the character device {@code major:minor} named {@code name} in {@code dir}, with {@code mode}. */
    public static void mknodCharAt(Fd dir, String name, int major, int minor, int mode) throws LinuxException {
        final int sIfChr = 0020000;
        long dev = ((long) (major & 0xfffff000) << 32) | ((major & 0xfff) << 8) | ((long) (minor & 0xffffff00) << 12) | (minor & 0xff);
        if (C.mknodat(dir.value(), name, sIfChr | mode, dev) != 0) {
            throw new LinuxException("mknodat(" + dir.procPathOrName(name) + ", c " + major + ":" + minor + ")", Native.getLastError());
        }
    }

    /** fchmodat(2) of {@code name} in {@code dir}: sets the exact mode (mknod and mkdir are cut by the umask). */
    public static void chmodAt(Fd dir, String name, int mode) throws LinuxException {
        if (C.fchmodat(dir.value(), name, mode, 0) != 0) {
            throw new LinuxException("fchmodat(" + dir.procPathOrName(name) + ", " + Integer.toOctalString(mode) + ")", Native.getLastError());
        }
    }

    /** Swaps two existing entries atomically (renameat2 RENAME_EXCHANGE): a reader sees one or the other, never neither. */
    public static void renameExchange(Fd fromDir, String from, Fd toDir, String to) throws LinuxException {
        renameat2(fromDir, from, toDir, to, 2 /* RENAME_EXCHANGE */);
    }

    /** Renames, failing with EEXIST rather than replacing what is at {@code to} (renameat2 RENAME_NOREPLACE). */
    public static void renameNoReplace(Fd fromDir, String from, Fd toDir, String to) throws LinuxException {
        renameat2(fromDir, from, toDir, to, 1 /* RENAME_NOREPLACE */);
    }

    private static void renameat2(Fd fromDir, String from, Fd toDir, String to, int flags) throws LinuxException {
        if (C.renameat2(fromDir.value(), from, toDir.value(), to, flags) != 0) {
            throw new LinuxException("renameat2(" + fromDir.procPathOrName(from) + ", " + toDir.procPathOrName(to) + ")", Native.getLastError());
        }
    }

    /** mknodat(2) with a full mode (file type included) and device number: devices, fifos, overlay whiteouts. */
    public static void mknodAt(Fd dir, String name, int mode, long dev) throws LinuxException {
        if (C.mknodat(dir.value(), name, mode, dev) != 0) {
            throw new LinuxException("mknodat(" + dir.procPathOrName(name) + ", " + Integer.toOctalString(mode) + ")", Native.getLastError());
        }
    }

    public static void symlinkAt(String target, Fd dir, String name) throws LinuxException {
        if (C.symlinkat(target, dir.value(), name) != 0) {
            throw new LinuxException("symlinkat(" + dir.procPathOrName(name) + ")", Native.getLastError());
        }
    }

    /** The target of the symlink {@code name} in {@code dir}, as bytes (never resolved). */
    public static byte[] readlinkAt(Fd dir, String name) throws LinuxException {
        byte[] buffer = new byte[4096];
        long length = C.readlinkat(dir.value(), name, buffer, buffer.length);
        if (length < 0) throw new LinuxException("readlinkat(" + dir.procPathOrName(name) + ")", Native.getLastError());
        return java.util.Arrays.copyOf(buffer, (int) length);
    }

    /** A hard link {@code toDir/to} to {@code fromDir/from} (never following a symlink). */
    public static void linkAt(Fd fromDir, String from, Fd toDir, String to) throws LinuxException {
        if (C.linkat(fromDir.value(), from, toDir.value(), to, 0) != 0) {
            throw new LinuxException("linkat(" + fromDir.procPathOrName(from) + ", " + toDir.procPathOrName(to) + ")", Native.getLastError());
        }
    }

    /** Sets atime and mtime (ns since the epoch) of {@code name} in {@code dir} ("" for dir), not following a symlink. */
    public static void setTimesNoFollow(Fd dir, String name, long atimeNanos, long mtimeNanos) throws LinuxException {
        try (Memory times = new Memory(32)) { // struct timespec[2]
            times.setLong(0, Math.floorDiv(atimeNanos, 1_000_000_000L));
            times.setLong(8, Math.floorMod(atimeNanos, 1_000_000_000L));
            times.setLong(16, Math.floorDiv(mtimeNanos, 1_000_000_000L));
            times.setLong(24, Math.floorMod(mtimeNanos, 1_000_000_000L));
            int result = name.isEmpty() ? C.utimensat(AT_FDCWD, dir.procPath().toString(), times, 0)
                    : C.utimensat(dir.value(), name, times, AT_SYMLINK_NOFOLLOW);
            if (result != 0) {
                throw new LinuxException("utimensat(" + dir.procPathOrName(name) + ")", Native.getLastError());
            }
        }
    }

    /** The names of the extended attributes of {@code name} in {@code dir} ("" for dir itself); a symlink's own. */
    public static List<String> listXattrs(Fd dir, String name) throws LinuxException {
        String path = xattrPath(dir, name);
        long size = C.llistxattr(path, null, 0);
        if (size < 0) throw new LinuxException("llistxattr(" + path + ")", Native.getLastError());
        if (size == 0) return List.of();
        byte[] list = new byte[(int) size];
        size = C.llistxattr(path, list, list.length);
        if (size < 0) throw new LinuxException("llistxattr(" + path + ")", Native.getLastError());
        List<String> names = new java.util.ArrayList<>();
        int start = 0;
        for (int i = 0; i < size; i++) {
            if (list[i] != 0) continue;
            if (i > start) names.add(new String(list, start, i - start, java.nio.charset.StandardCharsets.UTF_8));
            start = i + 1;
        }
        return names;
    }

    /** The value of the extended attribute {@code xattr} of {@code name} in {@code dir} ("" for dir), if it has one. */
    public static java.util.Optional<byte[]> getXattr(Fd dir, String name, String xattr) throws LinuxException {
        final int enodata = 61;
        String path = xattrPath(dir, name);
        long size = C.lgetxattr(path, xattr, null, 0);
        if (size < 0) {
            int errno = Native.getLastError();
            if (errno == enodata) return java.util.Optional.empty();
            throw new LinuxException("lgetxattr(" + path + ", " + xattr + ")", errno);
        }
        byte[] value = new byte[(int) size];
        size = C.lgetxattr(path, xattr, value, value.length);
        if (size < 0) throw new LinuxException("lgetxattr(" + path + ", " + xattr + ")", Native.getLastError());
        return java.util.Optional.of(java.util.Arrays.copyOf(value, (int) size));
    }

    public static void setXattr(Fd dir, String name, String xattr, byte[] value) throws LinuxException {
        String path = xattrPath(dir, name);
        if (C.lsetxattr(path, xattr, value, value.length, 0) != 0) {
            throw new LinuxException("lsetxattr(" + path + ", " + xattr + ")", Native.getLastError());
        }
    }

    /**
     * The l*xattr calls take a path: the fd's magic link, then a single name, which they do not follow ("." for the
     * directory itself: the magic link as the last component would be the link, not the directory).
     */
    private static String xattrPath(Fd dir, String name) {
        return dir.procPath().resolve(name.isEmpty() ? "." : name).toString();
    }

    /**
     * Copies {@code length} bytes from the start of {@code from} to {@code to} in the kernel: copy_file_range (which
     * may share extents), else sendfile, for files on different filesystems.
     */
    public static void copyContents(Fd from, Fd to, long length) throws LinuxException {
        long left = length;
        boolean sameFilesystemCopy = true;
        while (left > 0) {
            long chunk = Math.min(left, 1L << 30);
            long copied;
            if (sameFilesystemCopy) {
                copied = C.copy_file_range(from.value(), null, to.value(), null, chunk, 0);
                if (copied < 0) {
                    int errno = Native.getLastError();
                    if (errno == Errno.EXDEV || errno == Errno.EINVAL || errno == Errno.EOPNOTSUPP || errno == Errno.ENOSYS) {
                        sameFilesystemCopy = false;
                        continue;
                    }
                    throw new LinuxException("copy_file_range(" + from + ", " + to + ")", errno);
                }
            } else {
                copied = C.sendfile(to.value(), from.value(), null, chunk);
                if (copied < 0) throw new LinuxException("sendfile(" + from + ", " + to + ")", Native.getLastError());
            }
            if (copied == 0) break; // the file shrank meanwhile
            left -= copied;
        }
    }

    /** A pidfd for {@code pid}: it becomes readable when the process exits, and never names a reused pid. */
    public static Fd pidfdOpen(long pid) throws LinuxException {
        return new Fd(checkedSyscall("pidfd_open(" + pid + ")", Arch.SYS_PIDFD_OPEN, pid, 0L));
    }

    /** Blocks the calling thread until {@code fd} is readable (for a pidfd: until the process has exited). */
    public static void awaitReadable(Fd fd) throws LinuxException {
        final short pollIn = 1;
        try (Memory pollFd = new Memory(8)) {
            pollFd.setInt(0, fd.value());
            pollFd.setShort(4, pollIn);
            pollFd.setShort(6, (short) 0);
            while (C.poll(pollFd, 1, -1) < 0) {
                int errno = Native.getLastError();
                if (errno != 4 /* EINTR */) throw new LinuxException("poll(" + fd + ")", errno);
            }
        }
    }

    private static int checkedSyscall(String what, long number, Object... args) throws LinuxException {
        long result = C.syscall(number, args);
        if (result < 0) throw new LinuxException(what, Native.getLastError());
        return (int) result;
    }

    private static String abbreviate(String data) {
        return data.length() <= 300 ? data : data.substring(0, 300) + "…(" + data.length() + " bytes)";
    }
}
