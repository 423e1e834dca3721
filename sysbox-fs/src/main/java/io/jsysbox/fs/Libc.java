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

/**
 * The few libc calls jsysbox-fs makes per request, as java.lang.foreign downcalls: no JNI glue and no
 * per-call marshalling (JNA's interface mapping costs microseconds per call; these cost tens of ns). Each
 * returns the call's result, or minus errno on failure; {@code state} is a segment of {@link #CALL_STATE}.
 */
final class Libc {
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENODEV = 19;
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;
    static final int O_NONBLOCK = 0x800;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;

    static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle READ = downcall("read",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle PREAD = downcall("pread",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG));
    private static final MethodHandle WRITE = downcall("write",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle IOCTL = downcall("ioctl",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    private static final MethodHandle FCNTL = LINKER.downcallHandle(LINKER.defaultLookup().find("fcntl").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle POLL = downcall("poll",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    static final short POLLERR = 0x8;
    private static final MethodHandle CLOSE = downcall("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private Libc() {
    }

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

    /** poll(2) of one descriptor for input, waiting up to {@code timeoutMillis} (-1: no limit): its revents, or minus errno. */
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

    static void close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) CLOSE.invokeExact(arena.allocate(CALL_STATE), fd);
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

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor,
                Linker.Option.captureCallState("errno"));
    }
}
