package io.jsysbox.fs;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The few libc calls jsysbox-fs makes per request, as java.lang.foreign downcalls: no JNI glue and no
 * per-call marshalling (JNA's interface mapping costs microseconds per call; these cost tens of ns). Each
 * returns the call's result, or minus errno on failure; {@code state} is a segment of {@link #CALL_STATE}.
 * Also the seccomp agent's: a unix socket that receives descriptors (SCM_RIGHTS, which Java's socket channels
 * cannot), the seccomp notify ioctls and process_vm_writev(2).
 */
final class Libc {
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;
    static final int O_NONBLOCK = 0x800;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;

    static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle OPEN =
            downcall("open", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle READ = downcall(
            "read",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle PREAD = downcall(
            "pread",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG));
    private static final MethodHandle WRITE = downcall(
            "write",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle IOCTL =
            downcall("ioctl", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    private static final MethodHandle FCNTL = variadicDowncall(
            "fcntl",
            2,
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle POLL = downcall(
            "poll",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    static final short POLLIN = 0x1;
    static final short POLLERR = 0x8;
    static final short POLLHUP = 0x10;
    private static final MethodHandle IOCTL_WITH_ARGUMENT = variadicDowncall(
            "ioctl",
            2,
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    private static final MethodHandle SYSCALL = variadicDowncall(
            "syscall",
            1,
            FunctionDescriptor.of(
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS));
    private static final MethodHandle PROCESS_VM_WRITEV = downcall(
            "process_vm_writev",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG));
    private static final MethodHandle PROCESS_VM_READV = downcall(
            "process_vm_readv",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG));
    private static final MethodHandle SOCKET = downcall(
            "socket",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle BIND = downcall(
            "bind",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle LISTEN =
            downcall("listen", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle ACCEPT4 = downcall(
            "accept4",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_INT));
    private static final MethodHandle RECVMSG = downcall(
            "recvmsg",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    /** sizeof(struct sockaddr_un): sa_family_t, then 108 bytes of NUL-terminated path. */
    private static final int SOCKADDR_UN_SIZE = 110;

    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    /** x86_64 struct msghdr: name, namelen (+4 padding), iov, iovlen, control, controllen, flags (+4). */
    private static final int MSGHDR_SIZE = 56;
    /** x86_64 struct cmsghdr: size_t len, int level, int type; data after, each cmsg 8-aligned. */
    private static final int CMSG_HEADER_SIZE = 16;
    /** x86_64 struct iovec: base, len. */
    private static final int IOVEC_SIZE = 16;

    private static final long SYS_SECCOMP = 317;
    private static final MethodHandle CLOSE =
            downcall("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private Libc() {}

    static int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path), flags);
            return fd >= 0 ? fd : -errno(state);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    static long read(MemorySegment state, int fd, MemorySegment buffer, long size) {
        try {
            long n = (long) READ.invokeExact(state, fd, buffer, size);
            return n >= 0 ? n : -errno(state);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    static long pread(MemorySegment state, int fd, MemorySegment buffer, long size, long offset) {
        try {
            long n = (long) PREAD.invokeExact(state, fd, buffer, size, offset);
            return n >= 0 ? n : -errno(state);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    static long write(MemorySegment state, int fd, MemorySegment buffer, long size) {
        try {
            long n = (long) WRITE.invokeExact(state, fd, buffer, size);
            return n >= 0 ? n : -errno(state);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** ioctl(2) with no argument (e.g. NS_GET_PARENT, which returns a new descriptor). */
    static int ioctl(int fd, long request) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int result = (int) IOCTL.invokeExact(state, fd, request);
            return result >= 0 ? result : -errno(state);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /**
     * poll(2) of one descriptor for input, waiting up to {@code timeoutMillis} (-1: no limit): its revents, or minus
     * errno.
     */
    static int poll(int fd, int timeoutMillis) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment pollFd = arena.allocate(8, 4);
            pollFd.set(ValueLayout.JAVA_INT, 0, fd);
            pollFd.set(ValueLayout.JAVA_SHORT, 4, (short) 1); // POLLIN
            int result = (int) POLL.invokeExact(state, pollFd, 1L, timeoutMillis);
            return result >= 0 ? pollFd.get(ValueLayout.JAVA_SHORT, 6) : -errno(state);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** Sets O_NONBLOCK on {@code fd}: 0, or minus errno. */
    static int setNonBlocking(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int flags = (int) FCNTL.invokeExact(state, fd, F_GETFL, 0);
            if (flags < 0) {
                return -errno(state);
            }
            return (int) FCNTL.invokeExact(state, fd, F_SETFL, flags | O_NONBLOCK) < 0 ? -errno(state) : 0;
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** ioctl(2) whose argument is a pointer to {@code argument}: its result, or minus errno. */
    static int ioctl(int fd, long request, MemorySegment argument) {
        return (int) resultOrErrno(state -> (int) IOCTL_WITH_ARGUMENT.invokeExact(state, fd, request, argument));
    }

    /** seccomp(2) {@code operation} with {@code flags} and {@code argument}: its result, or minus errno. */
    static long seccomp(int operation, int flags, MemorySegment argument) {
        return resultOrErrno(
                state -> (long) SYSCALL.invokeExact(state, SYS_SECCOMP, (long) operation, (long) flags, argument));
    }

    /**
     * process_vm_writev(2) of {@code data} to {@code remoteAddress} in process {@code pid}: the bytes written, or minus
     * errno (EFAULT for an address the process cannot write, as the kernel's own copy to it would fail).
     */
    static long processVmWritev(long pid, MemorySegment data, long remoteAddress) {
        return processVm(PROCESS_VM_WRITEV, pid, data, remoteAddress);
    }

    /**
     * process_vm_readv(2) of {@code into}'s size from {@code remoteAddress} in process {@code pid}: the bytes read
     * (fewer when the range runs into memory the process cannot read), or minus errno.
     */
    static long processVmReadv(long pid, MemorySegment into, long remoteAddress) {
        return processVm(PROCESS_VM_READV, pid, into, remoteAddress);
    }

    /** {@code call} (process_vm_readv or _writev) between {@code local} and as many bytes at {@code remoteAddress}. */
    private static long processVm(MethodHandle call, long pid, MemorySegment local, long remoteAddress) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment localVector = iovec(arena, local.address(), local.byteSize());
            MemorySegment remoteVector = iovec(arena, remoteAddress, local.byteSize());
            return resultOrErrno(
                    state -> (long) call.invokeExact(state, (int) pid, localVector, 1L, remoteVector, 1L, 0L));
        }
    }

    /** A struct iovec of {@code length} bytes at {@code address}, allocated in {@code arena}. */
    private static MemorySegment iovec(Arena arena, long address, long length) {
        MemorySegment iovec = arena.allocate(IOVEC_SIZE, 8);
        iovec.set(ValueLayout.JAVA_LONG, 0, address);
        iovec.set(ValueLayout.JAVA_LONG, 8, length);
        return iovec;
    }

    /** A close-on-exec unix stream socket bound to {@code path} (not yet listening): its descriptor, or minus errno. */
    static int boundUnixSocket(String path) {
        byte[] name = path.getBytes(StandardCharsets.UTF_8);
        if (name.length >= SOCKADDR_UN_SIZE - 2) {
            throw new IllegalArgumentException("a unix socket path has at most 107 bytes: " + path);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = (int) SOCKET.invokeExact(state, AF_UNIX, SOCK_STREAM | O_CLOEXEC, 0);
            if (fd < 0) {
                return -errno(state);
            }
            MemorySegment address = arena.allocate(SOCKADDR_UN_SIZE, 2);
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(name, 0, address, ValueLayout.JAVA_BYTE, 2, name.length);
            if ((int) BIND.invokeExact(state, fd, address, SOCKADDR_UN_SIZE) < 0) {
                int errno = errno(state);
                close(fd);
                return -errno;
            }
            return fd;
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** listen(2): 0, or minus errno. */
    static int listen(int fd, int backlog) {
        return (int) resultOrErrno(state -> (int) LISTEN.invokeExact(state, fd, backlog));
    }

    /** accept4(2) of the next connection, close-on-exec: its descriptor, or minus errno. */
    static int accept(int fd) {
        return (int) resultOrErrno(
                state -> (int) ACCEPT4.invokeExact(state, fd, MemorySegment.NULL, MemorySegment.NULL, O_CLOEXEC));
    }

    /**
     * What one recvmsg(2) brought: {@code bytes} of data (0 at the end of the stream, minus errno on failure) and the
     * descriptors passed with them (now ours, close-on-exec); {@code fdsTruncated} when more came than there was room
     * for (the kernel closed those).
     */
    record Received(long bytes, int[] fds, boolean fdsTruncated) {}

    /** recvmsg(2) of up to {@code buffer}'s size, with room for {@code maxFds} descriptors (SCM_RIGHTS). */
    static Received receive(int fd, MemorySegment buffer, int maxFds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment iov = iovec(arena, buffer.address(), buffer.byteSize());
            long controlSize = CMSG_HEADER_SIZE + ((4L * maxFds + 7) & ~7L);
            MemorySegment control = arena.allocate(controlSize, 8);
            MemorySegment message = arena.allocate(MSGHDR_SIZE, 8);
            message.set(ValueLayout.ADDRESS, 16, iov);
            message.set(ValueLayout.JAVA_LONG, 24, 1L);
            message.set(ValueLayout.ADDRESS, 32, control);
            message.set(ValueLayout.JAVA_LONG, 40, controlSize);
            long n = (long) RECVMSG.invokeExact(state, fd, message, MSG_CMSG_CLOEXEC);
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

    static void close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) CLOSE.invokeExact(arena.allocate(CALL_STATE), fd);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** A downcall made with {@code state}, a segment of {@link #CALL_STATE}: the C function's result. */
    @FunctionalInterface
    private interface Downcall {
        long call(MemorySegment state) throws Throwable;
    }

    /** Makes {@code downcall}: its result, or minus errno when the result says it failed (below 0). */
    private static long resultOrErrno(Downcall downcall) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            long result = downcall.call(state);
            return result >= 0 ? result : -errno(state);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static RuntimeException rethrow(Throwable e) {
        if (e instanceof RuntimeException r) {
            return r;
        }
        if (e instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(e);
    }

    /** A C function whose arguments from {@code firstVariadic} on are its "..." (ioctl's, syscall's). */
    private static MethodHandle variadicDowncall(String name, int firstVariadic, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(
                LINKER.defaultLookup().find(name).orElseThrow(),
                descriptor,
                Linker.Option.captureCallState("errno"),
                Linker.Option.firstVariadicArg(firstVariadic));
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(
                LINKER.defaultLookup().find(name).orElseThrow(), descriptor, Linker.Option.captureCallState("errno"));
    }
}
