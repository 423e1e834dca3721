package io.jsysbox.linux;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The C library's functions jsysbox calls, as java.lang.foreign downcalls: the one native binding. Why FFM: it is in
 * the JDK (no library to extract and load at start, as JNA's libjnidispatch was), and a downcall costs tens of ns
 * where JNA's interface mapping cost microseconds; jsysbox-fs makes several per FUSE request.
 *
 * <p>Each function returns C's result, or minus errno when the result says it failed. errno is captured into a
 * call-state segment ({@link #CALL_STATE}): the hot-path calls ({@link #read}, {@link #pread}, {@link #write}) take
 * one the caller keeps (no allocation per call), and so do the calls {@link Linux} makes with memory of its own; the
 * others allocate their state for the call. Nothing here throws on failure: {@link Linux} turns minus errno into a
 * {@link LinuxException}. A call acts on the calling thread, as C's does (setns, unshare, setfsuid, capset).
 */
public final class Libc {
    public static final short POLLIN = 0x1;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;

    /** The layout of a call-state segment, which every downcall here captures errno into. */
    public static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    /** A struct pollfd: int fd, short events, short revents. */
    public static final StructLayout POLL_FD =
            MemoryLayout.structLayout(ValueLayout.JAVA_INT, ValueLayout.JAVA_SHORT, ValueLayout.JAVA_SHORT);

    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker LINKER = Linker.nativeLinker();

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final AddressLayout POINTER = ValueLayout.ADDRESS;

    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;

    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    /** LP64 struct msghdr: name, namelen (+4 padding), iov, iovlen, control, controllen, flags (+4). */
    private static final int MSGHDR_SIZE = 56;
    /** LP64 struct cmsghdr: size_t len, int level, int type; data after, each cmsg 8-aligned. */
    private static final int CMSG_HEADER_SIZE = 16;
    /** LP64 struct iovec: base, len. */
    private static final int IOVEC_SIZE = 16;

    private static final long SYS_SECCOMP = 317;

    // Each function is bound (a downcall handle, a few ms each) when first called, in a holder class of its own: a
    // JVM binds only the functions it calls, where binding all of them at class initialization took ~400 ms of a
    // start. A holder's static final handle is a constant to the JIT: a call costs the same as through a field here.

    private static final class Open {
        static final MethodHandle CALL = downcall("open", FunctionDescriptor.of(INT, POINTER, INT));
    }

    private static final class Close {
        static final MethodHandle CALL = downcall("close", FunctionDescriptor.of(INT, INT));
    }

    private static final class Read {
        static final MethodHandle CALL = downcall("read", FunctionDescriptor.of(LONG, INT, POINTER, LONG));
    }

    private static final class Pread {
        static final MethodHandle CALL = downcall("pread", FunctionDescriptor.of(LONG, INT, POINTER, LONG, LONG));
    }

    private static final class Write {
        static final MethodHandle CALL = downcall("write", FunctionDescriptor.of(LONG, INT, POINTER, LONG));
    }
    /** ioctl(2) with no argument; ioctl and fcntl are variadic from their third argument. */
    private static final class Ioctl {
        static final MethodHandle CALL = downcall("ioctl", FunctionDescriptor.of(INT, INT, LONG));
    }

    private static final class IoctlWithArgument {
        static final MethodHandle CALL = variadicDowncall("ioctl", 2, FunctionDescriptor.of(INT, INT, LONG, POINTER));
    }

    private static final class Fcntl {
        static final MethodHandle CALL = variadicDowncall("fcntl", 2, FunctionDescriptor.of(INT, INT, INT, INT));
    }

    private static final class Poll {
        static final MethodHandle CALL = downcall("poll", FunctionDescriptor.of(INT, POINTER, LONG, INT));
    }
    /**
     * syscall(2), variadic after the number: every argument as a long (a pointer as its address), as the kernel reads
     * each; six of them, those a call does not take are 0 and ignored.
     */
    private static final class Syscall {
        static final MethodHandle CALL =
                variadicDowncall("syscall", 1, FunctionDescriptor.of(LONG, LONG, LONG, LONG, LONG, LONG, LONG, LONG));
    }

    private static final class ProcessVmWritev {
        static final MethodHandle CALL =
                downcall("process_vm_writev", FunctionDescriptor.of(LONG, INT, POINTER, LONG, POINTER, LONG, LONG));
    }

    private static final class ProcessVmReadv {
        static final MethodHandle CALL =
                downcall("process_vm_readv", FunctionDescriptor.of(LONG, INT, POINTER, LONG, POINTER, LONG, LONG));
    }

    private static final class Socket {
        static final MethodHandle CALL = downcall("socket", FunctionDescriptor.of(INT, INT, INT, INT));
    }

    private static final class Bind {
        static final MethodHandle CALL = downcall("bind", FunctionDescriptor.of(INT, INT, POINTER, INT));
    }

    private static final class Listen {
        static final MethodHandle CALL = downcall("listen", FunctionDescriptor.of(INT, INT, INT));
    }

    private static final class Accept4 {
        static final MethodHandle CALL = downcall("accept4", FunctionDescriptor.of(INT, INT, POINTER, POINTER, INT));
    }

    private static final class Recvmsg {
        static final MethodHandle CALL = downcall("recvmsg", FunctionDescriptor.of(LONG, INT, POINTER, INT));
    }

    private static final class Sendmsg {
        static final MethodHandle CALL = downcall("sendmsg", FunctionDescriptor.of(LONG, INT, POINTER, INT));
    }

    private static final class Mount {
        static final MethodHandle CALL =
                downcall("mount", FunctionDescriptor.of(INT, POINTER, POINTER, POINTER, LONG, POINTER));
    }

    private static final class Umount2 {
        static final MethodHandle CALL = downcall("umount2", FunctionDescriptor.of(INT, POINTER, INT));
    }

    private static final class Fchownat {
        static final MethodHandle CALL = downcall("fchownat", FunctionDescriptor.of(INT, INT, POINTER, INT, INT, INT));
    }

    private static final class Fchmod {
        static final MethodHandle CALL = downcall("fchmod", FunctionDescriptor.of(INT, INT, INT));
    }

    private static final class Fchmodat {
        static final MethodHandle CALL = downcall("fchmodat", FunctionDescriptor.of(INT, INT, POINTER, INT, INT));
    }

    private static final class Unlinkat {
        static final MethodHandle CALL = downcall("unlinkat", FunctionDescriptor.of(INT, INT, POINTER, INT));
    }

    private static final class Mkdirat {
        static final MethodHandle CALL = downcall("mkdirat", FunctionDescriptor.of(INT, INT, POINTER, INT));
    }

    private static final class Mknodat {
        static final MethodHandle CALL = downcall("mknodat", FunctionDescriptor.of(INT, INT, POINTER, INT, LONG));
    }

    private static final class Renameat2 {
        static final MethodHandle CALL =
                downcall("renameat2", FunctionDescriptor.of(INT, INT, POINTER, INT, POINTER, INT));
    }

    private static final class Symlinkat {
        static final MethodHandle CALL = downcall("symlinkat", FunctionDescriptor.of(INT, POINTER, INT, POINTER));
    }

    private static final class Readlinkat {
        static final MethodHandle CALL =
                downcall("readlinkat", FunctionDescriptor.of(LONG, INT, POINTER, POINTER, LONG));
    }

    private static final class Linkat {
        static final MethodHandle CALL =
                downcall("linkat", FunctionDescriptor.of(INT, INT, POINTER, INT, POINTER, INT));
    }

    private static final class Utimensat {
        static final MethodHandle CALL = downcall("utimensat", FunctionDescriptor.of(INT, INT, POINTER, POINTER, INT));
    }

    private static final class Lgetxattr {
        static final MethodHandle CALL =
                downcall("lgetxattr", FunctionDescriptor.of(LONG, POINTER, POINTER, POINTER, LONG));
    }

    private static final class Lsetxattr {
        static final MethodHandle CALL =
                downcall("lsetxattr", FunctionDescriptor.of(INT, POINTER, POINTER, POINTER, LONG, INT));
    }

    private static final class Llistxattr {
        static final MethodHandle CALL = downcall("llistxattr", FunctionDescriptor.of(LONG, POINTER, POINTER, LONG));
    }
    /** statx(2) (glibc 2.28): a struct statx of 256 bytes into its last argument. */
    private static final class Statx {
        static final MethodHandle CALL = downcall("statx", FunctionDescriptor.of(INT, INT, POINTER, INT, INT, POINTER));
    }
    /** getdents64(2) (glibc 2.30): struct linux_dirent64 records; 0 at the end. */
    private static final class Getdents64 {
        static final MethodHandle CALL = downcall("getdents64", FunctionDescriptor.of(LONG, INT, POINTER, LONG));
    }

    private static final class Sendfile {
        static final MethodHandle CALL = downcall("sendfile", FunctionDescriptor.of(LONG, INT, INT, POINTER, LONG));
    }

    private static final class CopyFileRange {
        static final MethodHandle CALL =
                downcall("copy_file_range", FunctionDescriptor.of(LONG, INT, POINTER, INT, POINTER, LONG, INT));
    }

    private static final class Lseek {
        static final MethodHandle CALL = downcall("lseek", FunctionDescriptor.of(LONG, INT, LONG, INT));
    }

    private static final class Ftruncate {
        static final MethodHandle CALL = downcall("ftruncate", FunctionDescriptor.of(INT, INT, LONG));
    }

    private static final class Fstatvfs {
        static final MethodHandle CALL = downcall("fstatvfs", FunctionDescriptor.of(INT, INT, POINTER));
    }

    private static final class Setfsuid {
        static final MethodHandle CALL = downcall("setfsuid", FunctionDescriptor.of(INT, INT));
    }

    private static final class Setfsgid {
        static final MethodHandle CALL = downcall("setfsgid", FunctionDescriptor.of(INT, INT));
    }

    private static final class Capget {
        static final MethodHandle CALL = downcall("capget", FunctionDescriptor.of(INT, POINTER, POINTER));
    }

    private static final class Capset {
        static final MethodHandle CALL = downcall("capset", FunctionDescriptor.of(INT, POINTER, POINTER));
    }

    private static final class Unshare {
        static final MethodHandle CALL = downcall("unshare", FunctionDescriptor.of(INT, INT));
    }

    private static final class Setns {
        static final MethodHandle CALL = downcall("setns", FunctionDescriptor.of(INT, INT, INT));
    }

    private static final class Fchdir {
        static final MethodHandle CALL = downcall("fchdir", FunctionDescriptor.of(INT, INT));
    }

    private static final class Strerror {
        static final MethodHandle CALL = downcall("strerror", FunctionDescriptor.of(POINTER, INT));
    }

    private Libc() {}

    /** A call-state segment in {@code arena}, for the calls that take one. */
    public static MemorySegment callState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    /** {@code name} NUL-terminated in {@code arena}, as C takes a name. */
    public static MemorySegment cString(Arena arena, byte[] name) {
        MemorySegment string = arena.allocate(name.length + 1L);
        MemorySegment.copy(name, 0, string, ValueLayout.JAVA_BYTE, 0, name.length);
        return string;
    }

    // jsysbox-fs's calls.

    /** open(2) of {@code path} (in {@link Linux#NAMES}, as every name given as a String): a descriptor, or minus errno. */
    public static int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState(arena);
            MemorySegment name = cString(arena, path.getBytes(Linux.NAMES));
            return (int) orErrno(state, (int) Open.CALL.invokeExact(state, name, flags));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static long read(MemorySegment state, int fd, MemorySegment buffer, long size) {
        try {
            return orErrno(state, (long) Read.CALL.invokeExact(state, fd, buffer, size));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static long pread(MemorySegment state, int fd, MemorySegment buffer, long size, long offset) {
        try {
            return orErrno(state, (long) Pread.CALL.invokeExact(state, fd, buffer, size, offset));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static long write(MemorySegment state, int fd, MemorySegment buffer, long size) {
        try {
            return orErrno(state, (long) Write.CALL.invokeExact(state, fd, buffer, size));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** close(2): 0, or minus errno (the descriptor is gone either way). */
    public static int close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState(arena);
            return (int) orErrno(state, (int) Close.CALL.invokeExact(state, fd));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** ioctl(2) with no argument (NS_GET_PARENT, NS_GET_USERNS: they return a new descriptor). */
    public static int ioctl(int fd, long request) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState(arena);
            return (int) orErrno(state, (int) Ioctl.CALL.invokeExact(state, fd, request));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** ioctl(2) whose argument is a pointer to {@code argument}: its result, or minus errno. */
    public static int ioctl(int fd, long request, MemorySegment argument) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState(arena);
            return (int) orErrno(state, (int) IoctlWithArgument.CALL.invokeExact(state, fd, request, argument));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /**
     * poll(2) of one descriptor for input, waiting up to {@code timeoutMillis} (-1: no limit): its revents (0 when
     * the time ran out), or minus errno.
     */
    public static int poll(int fd, int timeoutMillis) {
        try (Arena arena = Arena.ofConfined()) {
            return poll(callState(arena), arena.allocate(POLL_FD), fd, timeoutMillis);
        }
    }

    /**
     * {@link #poll(int, int)} with the caller's call state and {@link #POLL_FD} (a reader's own, allocated once): for
     * a poll on every request, as {@link #read} is.
     */
    public static int poll(MemorySegment state, MemorySegment pollFd, int fd, int timeoutMillis) {
        pollFd.set(ValueLayout.JAVA_INT, 0, fd);
        pollFd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
        try {
            int result = (int) Poll.CALL.invokeExact(state, pollFd, 1L, timeoutMillis);
            return result >= 0 ? pollFd.get(ValueLayout.JAVA_SHORT, 6) : -errno(state);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** Sets O_NONBLOCK on {@code fd}: 0, or minus errno. */
    public static int setNonBlocking(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState(arena);
            int flags = (int) Fcntl.CALL.invokeExact(state, fd, F_GETFL, 0);
            if (flags < 0) {
                return -errno(state);
            }
            return (int) Fcntl.CALL.invokeExact(state, fd, F_SETFL, flags | Linux.O_NONBLOCK) < 0 ? -errno(state) : 0;
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** seccomp(2) {@code operation} with {@code flags} and {@code argument}: its result, or minus errno. */
    public static long seccomp(int operation, int flags, MemorySegment argument) {
        try (Arena arena = Arena.ofConfined()) {
            return syscall(callState(arena), SYS_SECCOMP, operation, flags, argument.address(), 0, 0, 0);
        }
    }

    /**
     * process_vm_writev(2) of {@code data} to {@code remoteAddress} in process {@code pid}: the bytes written, or minus
     * errno (EFAULT for an address the process cannot write, as the kernel's own copy to it would fail).
     */
    public static long processVmWritev(long pid, MemorySegment data, long remoteAddress) {
        return processVm(ProcessVmWritev.CALL, pid, data, remoteAddress);
    }

    /**
     * process_vm_readv(2) of {@code into}'s size from {@code remoteAddress} in process {@code pid}: the bytes read
     * (fewer when the range runs into memory the process cannot read), or minus errno.
     */
    public static long processVmReadv(long pid, MemorySegment into, long remoteAddress) {
        return processVm(ProcessVmReadv.CALL, pid, into, remoteAddress);
    }

    /** {@code call} (process_vm_readv or _writev) between {@code local} and as many bytes at {@code remoteAddress}. */
    private static long processVm(MethodHandle call, long pid, MemorySegment local, long remoteAddress) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState(arena);
            MemorySegment localVector = iovec(arena, local.address(), local.byteSize());
            MemorySegment remoteVector = iovec(arena, remoteAddress, local.byteSize());
            return orErrno(state, (long) call.invokeExact(state, (int) pid, localVector, 1L, remoteVector, 1L, 0L));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** A struct iovec of {@code length} bytes at {@code address}, allocated in {@code arena}. */
    private static MemorySegment iovec(Arena arena, long address, long length) {
        MemorySegment iovec = arena.allocate(IOVEC_SIZE, 8);
        iovec.set(ValueLayout.JAVA_LONG, 0, address);
        iovec.set(ValueLayout.JAVA_LONG, 8, length);
        return iovec;
    }

    /**
     * A close-on-exec unix stream socket bound to {@code path} (an absolute path or @name, as
     * {@link Linux#unixSocketAddress} takes it; not yet listening): its descriptor, or minus errno.
     */
    public static int boundUnixSocket(String path) {
        byte[] sockaddr = Linux.unixSocketAddress(path);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState(arena);
            int fd = socket(state, AF_UNIX, SOCK_STREAM | Linux.O_CLOEXEC, 0);
            if (fd < 0) {
                return fd;
            }
            MemorySegment address = arena.allocate(sockaddr.length, 2);
            MemorySegment.copy(sockaddr, 0, address, ValueLayout.JAVA_BYTE, 0, sockaddr.length);
            int bound = bind(state, fd, address, sockaddr.length);
            if (bound < 0) {
                close(fd);
                return bound;
            }
            return fd;
        }
    }

    /** listen(2): 0, or minus errno. */
    public static int listen(int fd, int backlog) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState(arena);
            return (int) orErrno(state, (int) Listen.CALL.invokeExact(state, fd, backlog));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** accept4(2) of the next connection, close-on-exec: its descriptor, or minus errno. */
    public static int accept(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState(arena);
            return (int) orErrno(state, (int)
                    Accept4.CALL.invokeExact(state, fd, MemorySegment.NULL, MemorySegment.NULL, Linux.O_CLOEXEC));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /**
     * What one recvmsg(2) brought: {@code bytes} of data (0 at the end of the stream, minus errno on failure) and the
     * descriptors passed with them (now ours, close-on-exec); {@code fdsTruncated} when more came than there was room
     * for (the kernel closed those).
     */
    public record Received(long bytes, int[] fds, boolean fdsTruncated) {}

    /**
     * recvmsg(2) of up to {@code buffer}'s size, with room for {@code maxFds} descriptors (SCM_RIGHTS, which Java's
     * socket channels cannot receive).
     */
    public static Received receive(int fd, MemorySegment buffer, int maxFds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = callState(arena);
            MemorySegment iov = iovec(arena, buffer.address(), buffer.byteSize());
            long controlSize = CMSG_HEADER_SIZE + ((4L * maxFds + 7) & ~7L);
            MemorySegment control = arena.allocate(controlSize, 8);
            MemorySegment message = arena.allocate(MSGHDR_SIZE, 8);
            message.set(ValueLayout.ADDRESS, 16, iov);
            message.set(ValueLayout.JAVA_LONG, 24, 1L);
            message.set(ValueLayout.ADDRESS, 32, control);
            message.set(ValueLayout.JAVA_LONG, 40, controlSize);
            long n = (long) Recvmsg.CALL.invokeExact(state, fd, message, MSG_CMSG_CLOEXEC);
            if (n < 0) {
                return new Received(-errno(state), new int[0], false);
            }
            long controlLength = message.get(ValueLayout.JAVA_LONG, 40);
            List<Integer> fds = new ArrayList<>();
            for (long at = 0; at + CMSG_HEADER_SIZE <= controlLength; ) {
                long length = control.get(ValueLayout.JAVA_LONG, at);
                if (length < CMSG_HEADER_SIZE || at + length > controlLength) {
                    break;
                }
                if (control.get(ValueLayout.JAVA_INT, at + 8) == SOL_SOCKET
                        && control.get(ValueLayout.JAVA_INT, at + 12) == SCM_RIGHTS) {
                    for (long i = at + CMSG_HEADER_SIZE; i + 4 <= at + length; i += 4) {
                        fds.add(control.get(ValueLayout.JAVA_INT, i));
                    }
                }
                at += (length + 7) & ~7L;
            }
            boolean truncated = (message.get(ValueLayout.JAVA_INT, 48) & MSG_CTRUNC) != 0;
            return new Received(n, fds.stream().mapToInt(Integer::intValue).toArray(), truncated);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    // The calls Linux makes, with a call state and memory of its own.

    /** syscall(2) {@code number} with its arguments, each a long (a pointer as its address; 0 where none). */
    public static long syscall(MemorySegment state, long number, long a, long b, long c, long d, long e, long f) {
        try {
            return orErrno(state, (long) Syscall.CALL.invokeExact(state, number, a, b, c, d, e, f));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** mount(2); a null argument ({@link MemorySegment#NULL}) where C takes NULL. */
    public static int mount(
            MemorySegment state,
            MemorySegment source,
            MemorySegment target,
            MemorySegment fsType,
            long flags,
            MemorySegment data) {
        try {
            return (int) orErrno(state, (int) Mount.CALL.invokeExact(state, source, target, fsType, flags, data));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int umount2(MemorySegment state, MemorySegment target, int flags) {
        try {
            return (int) orErrno(state, (int) Umount2.CALL.invokeExact(state, target, flags));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int fchownat(MemorySegment state, int dirFd, MemorySegment path, int uid, int gid, int flags) {
        try {
            return (int) orErrno(state, (int) Fchownat.CALL.invokeExact(state, dirFd, path, uid, gid, flags));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int fchmod(MemorySegment state, int fd, int mode) {
        try {
            return (int) orErrno(state, (int) Fchmod.CALL.invokeExact(state, fd, mode));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int fchmodat(MemorySegment state, int dirFd, MemorySegment path, int mode, int flags) {
        try {
            return (int) orErrno(state, (int) Fchmodat.CALL.invokeExact(state, dirFd, path, mode, flags));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int unlinkat(MemorySegment state, int dirFd, MemorySegment path, int flags) {
        try {
            return (int) orErrno(state, (int) Unlinkat.CALL.invokeExact(state, dirFd, path, flags));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int mkdirat(MemorySegment state, int dirFd, MemorySegment path, int mode) {
        try {
            return (int) orErrno(state, (int) Mkdirat.CALL.invokeExact(state, dirFd, path, mode));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int mknodat(MemorySegment state, int dirFd, MemorySegment path, int mode, long dev) {
        try {
            return (int) orErrno(state, (int) Mknodat.CALL.invokeExact(state, dirFd, path, mode, dev));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int renameat2(
            MemorySegment state, int oldDirFd, MemorySegment oldPath, int newDirFd, MemorySegment newPath, int flags) {
        try {
            return (int) orErrno(
                    state, (int) Renameat2.CALL.invokeExact(state, oldDirFd, oldPath, newDirFd, newPath, flags));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int symlinkat(MemorySegment state, MemorySegment target, int dirFd, MemorySegment linkPath) {
        try {
            return (int) orErrno(state, (int) Symlinkat.CALL.invokeExact(state, target, dirFd, linkPath));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static long readlinkat(MemorySegment state, int dirFd, MemorySegment path, MemorySegment buffer) {
        try {
            return orErrno(state, (long) Readlinkat.CALL.invokeExact(state, dirFd, path, buffer, buffer.byteSize()));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int linkat(
            MemorySegment state, int oldDirFd, MemorySegment oldPath, int newDirFd, MemorySegment newPath, int flags) {
        try {
            return (int)
                    orErrno(state, (int) Linkat.CALL.invokeExact(state, oldDirFd, oldPath, newDirFd, newPath, flags));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** utimensat(2); {@code times}: struct timespec[2], atime then mtime. */
    public static int utimensat(MemorySegment state, int dirFd, MemorySegment path, MemorySegment times, int flags) {
        try {
            return (int) orErrno(state, (int) Utimensat.CALL.invokeExact(state, dirFd, path, times, flags));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** lgetxattr(2) into {@code value} ({@link MemorySegment#NULL}: the size it needs). */
    public static long lgetxattr(MemorySegment state, MemorySegment path, MemorySegment name, MemorySegment value) {
        try {
            return orErrno(state, (long) Lgetxattr.CALL.invokeExact(state, path, name, value, value.byteSize()));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int lsetxattr(
            MemorySegment state, MemorySegment path, MemorySegment name, MemorySegment value, int flags) {
        try {
            return (int)
                    orErrno(state, (int) Lsetxattr.CALL.invokeExact(state, path, name, value, value.byteSize(), flags));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** llistxattr(2) into {@code list} ({@link MemorySegment#NULL}: the size it needs). */
    public static long llistxattr(MemorySegment state, MemorySegment path, MemorySegment list) {
        try {
            return orErrno(state, (long) Llistxattr.CALL.invokeExact(state, path, list, list.byteSize()));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** statx(2) into {@code statx}, a struct statx (256 bytes). */
    public static int statx(
            MemorySegment state, int dirFd, MemorySegment path, int flags, int mask, MemorySegment statx) {
        try {
            return (int) orErrno(state, (int) Statx.CALL.invokeExact(state, dirFd, path, flags, mask, statx));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** getdents64(2) into {@code buffer}: the bytes of struct linux_dirent64 records, 0 at the end. */
    public static long getdents64(MemorySegment state, int fd, MemorySegment buffer) {
        try {
            return orErrno(state, (long) Getdents64.CALL.invokeExact(state, fd, buffer, buffer.byteSize()));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** sendfile(2); {@code offset}: a loff_t, read and advanced. */
    public static long sendfile(MemorySegment state, int outFd, int inFd, MemorySegment offset, long count) {
        try {
            return orErrno(state, (long) Sendfile.CALL.invokeExact(state, outFd, inFd, offset, count));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** copy_file_range(2); the offsets: loff_t each, read and advanced. */
    public static long copyFileRange(
            MemorySegment state,
            int inFd,
            MemorySegment inOffset,
            int outFd,
            MemorySegment outOffset,
            long length,
            int flags) {
        try {
            return orErrno(state, (long)
                    CopyFileRange.CALL.invokeExact(state, inFd, inOffset, outFd, outOffset, length, flags));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static long lseek(MemorySegment state, int fd, long offset, int whence) {
        try {
            return orErrno(state, (long) Lseek.CALL.invokeExact(state, fd, offset, whence));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int ftruncate(MemorySegment state, int fd, long length) {
        try {
            return (int) orErrno(state, (int) Ftruncate.CALL.invokeExact(state, fd, length));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** fstatvfs(2) into {@code statvfs}, a struct statvfs (LP64: 11 longs, then 6 ints of padding). */
    public static int fstatvfs(MemorySegment state, int fd, MemorySegment statvfs) {
        try {
            return (int) orErrno(state, (int) Fstatvfs.CALL.invokeExact(state, fd, statvfs));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** setfsuid(2): the previous fsuid (it reports no error). */
    public static int setfsuid(MemorySegment state, int uid) {
        try {
            return (int) Setfsuid.CALL.invokeExact(state, uid);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** setfsgid(2): the previous fsgid (it reports no error). */
    public static int setfsgid(MemorySegment state, int gid) {
        try {
            return (int) Setfsgid.CALL.invokeExact(state, gid);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** capget(2): {@code header} a struct __user_cap_header_struct, {@code data} its version's data. */
    public static int capget(MemorySegment state, MemorySegment header, MemorySegment data) {
        try {
            return (int) orErrno(state, (int) Capget.CALL.invokeExact(state, header, data));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int capset(MemorySegment state, MemorySegment header, MemorySegment data) {
        try {
            return (int) orErrno(state, (int) Capset.CALL.invokeExact(state, header, data));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int socket(MemorySegment state, int domain, int type, int protocol) {
        try {
            return (int) orErrno(state, (int) Socket.CALL.invokeExact(state, domain, type, protocol));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int bind(MemorySegment state, int fd, MemorySegment address, int length) {
        try {
            return (int) orErrno(state, (int) Bind.CALL.invokeExact(state, fd, address, length));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static long sendmsg(MemorySegment state, int fd, MemorySegment message, int flags) {
        try {
            return orErrno(state, (long) Sendmsg.CALL.invokeExact(state, fd, message, flags));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int unshare(MemorySegment state, int flags) {
        try {
            return (int) orErrno(state, (int) Unshare.CALL.invokeExact(state, flags));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int setns(MemorySegment state, int fd, int nsType) {
        try {
            return (int) orErrno(state, (int) Setns.CALL.invokeExact(state, fd, nsType));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    public static int fchdir(MemorySegment state, int fd) {
        try {
            return (int) orErrno(state, (int) Fchdir.CALL.invokeExact(state, fd));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** strerror(3): the text of {@code errno}, in the locale's language and charset. */
    public static String strerror(int errno) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = (MemorySegment) Strerror.CALL.invokeExact(callState(arena), errno);
            return text.reinterpret(Integer.MAX_VALUE).getString(0, Linux.NAMES);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** {@code result}, or minus the errno in {@code state} when it is negative (C's -1: failed). */
    private static long orErrno(MemorySegment state, long result) {
        return result >= 0 ? result : -errno(state);
    }

    /** The errno a downcall captured into {@code state}. */
    public static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** What a downcall threw (nothing checked: invokeExact declares Throwable), unchecked. */
    private static RuntimeException rethrow(Throwable e) {
        if (e instanceof RuntimeException r) {
            return r;
        }
        if (e instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(e);
    }

    /** A C function whose arguments from {@code firstVariadic} on are its "..." (ioctl's, fcntl's, syscall's). */
    private static MethodHandle variadicDowncall(String name, int firstVariadic, FunctionDescriptor descriptor) {
        return downcall(name, descriptor, Linker.Option.firstVariadicArg(firstVariadic));
    }

    /**
     * The C function {@code name}, its errno captured into a call-state segment, its first argument: how every
     * function here is bound, and how a test binds one jsysbox does not call.
     */
    public static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(options, 0, all, 1, options.length);
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, all);
    }
}
