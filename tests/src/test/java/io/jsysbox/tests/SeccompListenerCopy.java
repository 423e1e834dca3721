package io.jsysbox.tests;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * A copy of another process's seccomp notify descriptor (pidfd_getfd: host root), to receive one notification as that
 * process would: the test stands in for a daemon that took a notification and died before answering it.
 */
final class SeccompListenerCopy implements AutoCloseable {
    private static final long SYS_PIDFD_OPEN = 434;
    private static final long SYS_PIDFD_GETFD = 438;
    /** SECCOMP_IOCTL_NOTIF_RECV; struct seccomp_notif is 80 bytes, its u64 id first. */
    private static final long NOTIF_RECV = 0xc0502100L;

    private static final int NOTIFICATION_BYTES = 80;
    private static final short POLLIN = 1;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SYSCALL = function(
            "syscall",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG),
            1);
    private static final MethodHandle IOCTL = function(
            "ioctl",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
            2);
    private static final MethodHandle POLL = function(
            "poll",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT),
            -1);
    private static final MethodHandle CLOSE =
            function("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), -1);

    private final int fd;

    private SeccompListenerCopy(int fd) {
        this.fd = fd;
    }

    /** A copy of descriptor {@code fd} of process {@code pid}. */
    static SeccompListenerCopy of(long pid, int fd) {
        long pidfd = call(SYSCALL, SYS_PIDFD_OPEN, pid, 0L, 0L);
        if (pidfd < 0) {
            throw new IllegalStateException("pidfd_open(" + pid + ") failed");
        }
        try {
            long copy = call(SYSCALL, SYS_PIDFD_GETFD, pidfd, (long) fd, 0L);
            if (copy < 0) {
                throw new IllegalStateException("pidfd_getfd(" + pid + ", " + fd + ") failed");
            }
            return new SeccompListenerCopy((int) copy);
        } finally {
            call(CLOSE, (int) pidfd);
        }
    }

    /** Receives the next notification and leaves it unanswered: its id, or empty when none came within {@code wait}. */
    OptionalLong receive(Duration wait) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfd = arena.allocate(8, 4);
            pollfd.set(ValueLayout.JAVA_INT, 0, fd);
            pollfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
            long ready = call(POLL, pollfd, 1L, (int) wait.toMillis());
            if (ready <= 0 || (pollfd.get(ValueLayout.JAVA_SHORT, 6) & POLLIN) == 0) {
                return OptionalLong.empty();
            }
            MemorySegment notification = arena.allocate(NOTIFICATION_BYTES, 8);
            if (call(IOCTL, fd, NOTIF_RECV, notification) < 0) {
                return OptionalLong.empty(); // its caller was interrupted since the poll
            }
            return OptionalLong.of(notification.get(ValueLayout.JAVA_LONG, 0));
        }
    }

    @Override
    public void close() {
        call(CLOSE, fd);
    }

    private static MethodHandle function(String name, FunctionDescriptor descriptor, int firstVariadic) {
        MemorySegment address = LINKER.defaultLookup().find(name).orElseThrow();
        return firstVariadic < 0
                ? LINKER.downcallHandle(address, descriptor)
                : LINKER.downcallHandle(address, descriptor, Linker.Option.firstVariadicArg(firstVariadic));
    }

    private static long call(MethodHandle function, Object... args) {
        try {
            return ((Number) function.invokeWithArguments(args)).longValue();
        } catch (Throwable e) {
            throw new IllegalStateException("native call failed: " + e, e);
        }
    }
}
