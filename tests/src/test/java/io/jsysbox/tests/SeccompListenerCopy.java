package io.jsysbox.tests;

import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Libc;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * A copy of another process's seccomp notify descriptor (pidfd_getfd: host root), to receive one notification as that
 * process would: the test stands in for a daemon that took a notification and died before answering it, and receives
 * as jsysbox-fs does, through linux-native's Libc: a poll with a timeout, then the ioctl.
 */
final class SeccompListenerCopy implements AutoCloseable {
    /** SECCOMP_IOCTL_NOTIF_RECV; struct seccomp_notif is 80 bytes, its u64 id first. */
    private static final long NOTIF_RECV = 0xc0502100L;

    private static final int NOTIFICATION_BYTES = 80;

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
        int events = Libc.poll(fd.value(), (int) wait.toMillis());
        if (events <= 0 || (events & Libc.POLLIN) == 0) {
            return OptionalLong.empty();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment notification = arena.allocate(NOTIFICATION_BYTES, 8);
            if (Libc.ioctl(fd.value(), NOTIF_RECV, notification) < 0) {
                return OptionalLong.empty(); // its caller was interrupted since the poll
            }
            return OptionalLong.of(notification.get(ValueLayout.JAVA_LONG, 0));
        }
    }

    @Override
    public void close() {
        fd.close();
    }
}
