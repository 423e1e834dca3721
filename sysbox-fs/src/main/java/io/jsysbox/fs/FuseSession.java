package io.jsysbox.fs;

import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A mounted jsysbox-fs: a /dev/fuse connection mounted at {@code mountPoint}, and reader threads answering
 * requests. {@link #close} unmounts when this session made the mount; the kernel then ends the connection
 * (once no descriptor or bind mount of it is left) and the readers stop. A session that took over a
 * connection from a previous daemon leaves the mount to whoever holds the connection (the supervisor).
 */
final class FuseSession implements AutoCloseable {
    static final String FS_TYPE = "fuse.jsysbox-fs";
    private static final Logger LOG = LoggerFactory.getLogger(FuseSession.class);

    private final Path mountPoint;
    private final FuseDevice device;
    private final FuseFileSystem fs;
    private final boolean ownsMount;
    private final List<Thread> readers = new ArrayList<>();

    private FuseSession(Path mountPoint, FuseDevice device, FuseFileSystem fs, boolean ownsMount) {
        this.mountPoint = mountPoint;
        this.device = device;
        this.fs = fs;
        this.ownsMount = ownsMount;
    }

    /** Mounts {@code device} at {@code mountPoint} and serves it; {@code ownsMount}: unmount at {@link #close}. */
    static FuseSession mount(Path mountPoint, FuseDevice device, FuseFileSystem fs, int threads, boolean ownsMount)
            throws IOException {
        try {
            // allow_other: containers' processes run as other uids; no default_permissions: the daemon checks
            // writes itself (container root is not host root, yet may write its own sysctls).
            Linux.mount("jsysbox-fs", mountPoint, FS_TYPE, Linux.MS_NOSUID | Linux.MS_NODEV | Linux.MS_NOEXEC,
                    "fd=" + device.fd() + ",rootmode=40000,user_id=0,group_id=0,allow_other");
        } catch (LinuxException e) {
            device.close();
            throw new IOException(e.getMessage(), e);
        }
        return new FuseSession(mountPoint, device, fs, ownsMount).start(threads);
    }

    /** Serves {@code device}, which a previous daemon mounted at {@code mountPoint} (its INIT is done). */
    static FuseSession takeOver(Path mountPoint, FuseDevice device, FuseFileSystem fs, int threads) {
        return new FuseSession(mountPoint, device, fs, false).start(threads);
    }

    private FuseSession start(int threads) {
        for (int i = 0; i < threads; i++) {
            readers.add(Thread.ofPlatform().daemon().name("fuse-" + i).start(this::serve));
        }
        return this;
    }

    private void serve() {
        try (FuseDevice.Buffers buffers = new FuseDevice.Buffers()) {
            while (true) {
                long n = device.read(buffers);
                if (n < 0) {
                    int errno = (int) -n;
                    // ENOENT: the request was interrupted before we read it; EINTR/EAGAIN: try again.
                    if (errno == Libc.EINTR || errno == Libc.EAGAIN || errno == Libc.ENOENT) {
                        continue;
                    }
                    if (errno != Libc.ENODEV) {
                        LOG.error("reading /dev/fuse failed with errno {}; this reader stops", errno);
                    }
                    return; // ENODEV: unmounted
                }
                FuseRequest request = FuseRequest.parse(buffers.requestView, (int) n);
                boolean reply;
                try {
                    reply = fs.handle(request, buffers.replyView, buffers.notificationView);
                    if (buffers.notificationView.limit() > 0 && device.writeNotification(buffers) < 0) {
                        LOG.debug("notification before the reply to FUSE request {} refused", request.unique());
                    }
                } catch (RuntimeException e) {
                    LOG.error("FUSE request {} on node {} failed", request.opcode(), request.nodeId(), e);
                    FuseReply.error(buffers.replyView, request.unique(), 5); // EIO
                    reply = true;
                }
                // ENOENT on write: the caller was interrupted and no longer waits for this reply.
                if (reply && device.write(buffers) < 0 && LOG.isDebugEnabled()) {
                    LOG.debug("reply to FUSE request {} dropped", request.unique());
                }
            }
        }
    }

    Path mountPoint() {
        return mountPoint;
    }

    @Override
    public void close() {
        if (!ownsMount) {
            return; // the readers are daemon threads; the connection stays with its holder
        }
        try {
            Linux.umountDetach(mountPoint);
        } catch (LinuxException e) {
            LOG.warn("unmounting {}: {}", mountPoint, e.getMessage());
        }
        for (Thread reader : readers) {
            try {
                reader.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        device.close();
    }
}
