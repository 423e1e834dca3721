package io.jsysbox.linux;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** Raw libc entry points; everything above this interface turns -1 into a {@link LinuxException}. */
interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    /** Numeric arguments must be passed as {@code Long}: the kernel reads every variadic argument as a long. */
    long syscall(long number, Object... args);

    int mount(String source, String target, String fsType, long flags, String data);

    int umount2(String target, int flags);

    // File names go as NUL-terminated bytes: a name is bytes, whatever the locale (Linux encodes the names it is
    // given as Strings with Linux.NAMES, as JNA did; names read from a directory pass through unchanged).

    int fchownat(int dirFd, byte[] path, int uid, int gid, int flags);

    int fchmod(int fd, int mode);

    int unlinkat(int dirFd, byte[] path, int flags);

    int mkdirat(int dirFd, byte[] path, int mode);

    int mknodat(int dirFd, byte[] path, int mode, long dev);

    int fchmodat(int dirFd, byte[] path, int mode, int flags);

    int renameat2(int oldDirFd, byte[] oldPath, int newDirFd, byte[] newPath, int flags);

    int symlinkat(byte[] target, int dirFd, byte[] linkPath);

    long readlinkat(int dirFd, byte[] path, byte[] buffer, long size);

    int linkat(int oldDirFd, byte[] oldPath, int newDirFd, byte[] newPath, int flags);

    int utimensat(int dirFd, byte[] path, Pointer times, int flags);

    long lgetxattr(byte[] path, byte[] name, byte[] value, long size);

    int lsetxattr(byte[] path, byte[] name, byte[] value, long size, int flags);

    long llistxattr(byte[] path, byte[] list, long size);

    /** statx(2) (glibc 2.28): a struct statx of 256 bytes into {@code buffer}. */
    int statx(int dirFd, byte[] path, int flags, int mask, Pointer buffer);

    /** getdents64(2) (glibc 2.30): struct linux_dirent64 records into {@code buffer}; 0 at the end. */
    long getdents64(int fd, Pointer buffer, long size);

    long sendfile(int outFd, int inFd, Pointer offset, long count);

    long copy_file_range(int inFd, Pointer inOffset, int outFd, Pointer outOffset, long length, int flags);

    long lseek(int fd, long offset, int whence);

    int ftruncate(int fd, long length);

    /** fstatvfs(2): a struct statvfs (LP64: 11 longs, then 6 ints of padding) into {@code buffer}. */
    int fstatvfs(int fd, Pointer buffer);

    /** ioctl(2) with no argument (NS_GET_USERNS and the like). */
    int ioctl(int fd, long request);

    int close(int fd);

    int setfsuid(int uid);

    int setfsgid(int gid);

    int capget(Pointer header, Pointer data);

    int capset(Pointer header, Pointer data);

    int poll(Pointer fds, long nfds, int timeoutMillis);

    int socket(int domain, int type, int protocol);

    long sendmsg(int socket, Pointer message, int flags);

    int unshare(int flags);

    int setns(int fd, int nsType);

    int fchdir(int fd);

    String strerror(int errno);

    static String strerrorOf(int errno) {
        return INSTANCE.strerror(errno);
    }
}
