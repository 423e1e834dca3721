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

    int fchownat(int dirFd, String path, int uid, int gid, int flags);

    int fchmod(int fd, int mode);

    int unlinkat(int dirFd, String path, int flags);

    int mkdirat(int dirFd, String path, int mode);

    int mknodat(int dirFd, String path, int mode, long dev);

    int fchmodat(int dirFd, String path, int mode, int flags);

    int renameat2(int oldDirFd, String oldPath, int newDirFd, String newPath, int flags);

    int symlinkat(String target, int dirFd, String linkPath);

    long readlinkat(int dirFd, String path, byte[] buffer, long size);

    int linkat(int oldDirFd, String oldPath, int newDirFd, String newPath, int flags);

    int utimensat(int dirFd, String path, Pointer times, int flags);

    long lgetxattr(String path, String name, byte[] value, long size);

    int lsetxattr(String path, String name, byte[] value, long size, int flags);

    long llistxattr(String path, byte[] list, long size);

    long sendfile(int outFd, int inFd, Pointer offset, long count);

    long copy_file_range(int inFd, Pointer inOffset, int outFd, Pointer outOffset, long length, int flags);

    int close(int fd);

    int setfsuid(int uid);

    int setfsgid(int gid);

    int capget(Pointer header, Pointer data);

    int capset(Pointer header, Pointer data);

    int poll(Pointer fds, long nfds, int timeoutMillis);

    int unshare(int flags);

    int setns(int fd, int nsType);

    String strerror(int errno);

    static String strerrorOf(int errno) {
        return INSTANCE.strerror(errno);
    }
}
