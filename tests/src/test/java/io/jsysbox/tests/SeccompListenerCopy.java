package io.jsysbox.tests;

import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
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
 * process would: the test stands in for a daemon that took a notification and died before answering it. The receive
 * (a poll with a timeout, then the ioctl) has no call in linux-native: it is made here through java.lang.foreign.
 */
final class SeccompListenerCopy implements AutoCloseable {
    /** SECCOMP_IOCTL_NOTIF_RECV; struct seccomp_notif is 80 bytes, its u64 id first. */
    private static final long NOTIF_RECV = 0xc0502100L;

    private static final int NOTIFICATION_BYTES = 80;
    private static final short POLLIN = 1;

    private static final MethodHandle IOCTL = function(
            "ioctl",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle POLL = function(
            "poll",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));

    private final Fd fd;

    private SeccompListenerCopy(Fd fd) {
        this.fd = fd;
    }

    /** A copy of descriptor {@code fd} of process {@code pid}. */
    static SeccompListenerCopy of(long pid, int fd) throws LinuxException {
        try (Fd process = Linux.pidfdOpen(pid)) {
            return new SeccompListenerCopy(Linux.pidfdGetfd(process, fd));
        }
    }

    /** Receives the next notification and leaves it unanswered: its id, or empty when none came within {@code wait}. */
    OptionalLong receive(Duration wait) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfd = arena.allocate(8, 4);
            pollfd.set(ValueLayout.JAVA_INT, 0, fd.value());
            pollfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
            int ready = (int) POLL.invokeExact(pollfd, 1L, (int) wait.toMillis());
            if (ready <= 0 || (pollfd.get(ValueLayout.JAVA_SHORT, 6) & POLLIN) == 0) {
                return OptionalLong.empty();
            }
            MemorySegment notification = arena.allocate(NOTIFICATION_BYTES, 8);
            if ((int) IOCTL.invokeExact(fd.value(), NOTIF_RECV, notification) < 0) {
                return OptionalLong.empty(); // its caller was interrupted since the poll
            }
            return OptionalLong.of(notification.get(ValueLayout.JAVA_LONG, 0));
        } catch (Throwable e) {
            throw new IllegalStateException("receiving a seccomp notification failed: " + e, e);
        }
    }

    @Override
    public void close() {
        fd.close();
    }

    private static MethodHandle function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), descriptor, options);
    }
}
