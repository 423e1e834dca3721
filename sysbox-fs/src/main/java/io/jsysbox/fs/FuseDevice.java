package io.jsysbox.fs;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Libc;
import io.jsysbox.linux.Linux;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** An open /dev/fuse: one read(2) takes one whole request, one write(2) sends one whole reply. */
final class FuseDevice implements AutoCloseable {
    private final int fd;

    private FuseDevice(int fd) {
        this.fd = fd;
    }

    static FuseDevice open() throws IOException {
        int fd = Libc.open("/dev/fuse", Linux.O_RDWR | Linux.O_CLOEXEC);
        if (fd < 0) {
            throw new IOException("cannot open /dev/fuse: errno " + -fd
                    + " (load the fuse module with 'modprobe fuse'; jsysbox-fs must run as root)");
        }
        return new FuseDevice(fd);
    }

    /**
     * A /dev/fuse descriptor this process inherited: its supervisor (or systemd's file descriptor store) holds it
     * across restarts of the daemon, so the connection, and every container's bind mount of it, outlives a daemon
     * that exits.
     */
    static FuseDevice inherited(int fd) throws IOException {
        if (Libc.poll(fd, 0) < 0) {
            throw new IOException("inherited /dev/fuse descriptor " + fd
                    + " is not open: whoever holds the connection must pass it on that fd");
        }
        return new FuseDevice(fd);
    }

    /**
     * Whether a mount uses this connection already (a daemon before us mounted it): the kernel reports an error
     * on a /dev/fuse descriptor no mount uses yet.
     */
    boolean isMounted() {
        return (Libc.poll(fd, 0) & Libc.POLLERR) == 0;
    }

    /** Makes {@link #read} answer -EAGAIN instead of waiting when no request is queued (see {@link #awaitRequest}). */
    void nonBlocking() throws IOException {
        int result = Libc.setNonBlocking(fd);
        if (result < 0) {
            throw new IOException("cannot make /dev/fuse non-blocking: errno " + -result);
        }
    }

    /** Whether a request is queued now, without taking it (asked on every read a reader takes: see FuseSession). */
    boolean hasRequest(Buffers buffers) {
        int revents = Libc.poll(buffers.state, buffers.pollFd, fd, 0);
        return revents > 0 && (revents & Libc.POLLIN) != 0;
    }

    /** Waits until a request is queued (or the connection ended: the next read says so). */
    void awaitRequest() {
        int result;
        do {
            result = Libc.poll(fd, -1);
        } while (result == -Errno.EINTR);
    }

    /** The descriptor number, for mount's "fd=" option and for handing the connection to whoever keeps it. */
    int fd() {
        return fd;
    }

    /** The request and reply buffers of one reader thread, in native memory the calls use directly. */
    static final class Buffers implements AutoCloseable {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment request = arena.allocate(FuseProtocol.REQUEST_BUFFER_SIZE, 8);
        private final MemorySegment reply = arena.allocate(FuseProtocol.REPLY_BUFFER_SIZE, 8);
        private final MemorySegment notification =
                arena.allocate(FuseProtocol.OUT_HEADER_SIZE + FuseProtocol.NOTIFY_STORE_OUT_SIZE + 8, 8);
        private final MemorySegment state = arena.allocate(Libc.CALL_STATE);
        private final MemorySegment pollFd = arena.allocate(Libc.POLL_FD);
        final ByteBuffer requestView = request.asByteBuffer();
        final ByteBuffer replyView = reply.asByteBuffer();
        final ByteBuffer notificationView = notification.asByteBuffer();

        @Override
        public void close() {
            arena.close();
        }
    }

    /** Reads one request into {@code buffers.requestView}: its length, or minus the errno. */
    long read(Buffers buffers) {
        return Libc.read(buffers.state, fd, buffers.request, FuseProtocol.REQUEST_BUFFER_SIZE);
    }

    /** Writes the reply in {@code buffers.replyView} (position 0 to its limit): its length, or minus the errno. */
    long write(Buffers buffers) {
        return Libc.write(buffers.state, fd, buffers.reply, buffers.replyView.limit());
    }

    /** Writes the notification in {@code buffers.notificationView}: its length, or minus the errno. */
    long writeNotification(Buffers buffers) {
        return Libc.write(buffers.state, fd, buffers.notification, buffers.notificationView.limit());
    }

    /**
     * Asks the kernel to queue again every request a reader of this connection took and did not answer (Linux 6.9's
     * FUSE_NOTIFY_RESEND); false when it cannot (older kernels answer EINVAL).
     */
    boolean resendUnanswered() {
        try (Buffers buffers = new Buffers()) {
            FuseReply.notifyResend(buffers.notificationView);
            return writeNotification(buffers) >= 0;
        }
    }

    @Override
    public void close() {
        Libc.close(fd);
    }
}
