package io.jsysbox.fs;

import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A mounted jsysbox-fs: a /dev/fuse connection mounted at {@code mountPoint}, and reader threads answering
 * requests. {@link #close} unmounts when this session owns the mount; the kernel then ends the connection
 * (once no descriptor or bind mount of it is left) and the readers stop. A session whose connection someone else
 * keeps across restarts (the plain supervisor, or systemd's file descriptor store) leaves the mount to them: the
 * next daemon takes it over.
 */
final class FuseSession implements AutoCloseable {
    static final String FS_TYPE = "fuse.jsysbox-fs";
    private static final Logger LOG = LoggerFactory.getLogger(FuseSession.class);
    private static final int EIO = 5;

    private final Path mountPoint;
    private final FuseDevice device;
    private final FuseFileSystem fs;
    private final boolean ownsMount;
    private final List<Thread> readers = new ArrayList<>();
    /** At most one reader spins at a time: on a small host a second spinner would take the caller's CPU. */
    private final java.util.concurrent.atomic.AtomicBoolean spinning = new java.util.concurrent.atomic.AtomicBoolean();
    /**
     * How long a reader spins for the next request before it sleeps. A caller's requests come in quick runs (open,
     * read, read at EOF, release; or top's pread of several files): the next one usually follows within a few
     * microseconds of our reply, and catching it spinning saves the two wake-ups (ours, then the caller's) a
     * sleeping reader costs. Idle, nothing spins.
     */
    private static final long SPIN_NANOS = 50_000;

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
            // allow_other: containers' processes run as other uids. default_permissions: the kernel checks the
            // modes and owners we report against the caller's host fsuid and fsgid, as procfs does: a container's
            // files belong to its root (who may write its own 0644 sysctls), the mount root is host root's alone
            // (0700), product_uuid is root-only (0400). FuseFileSystem checks the same on each request too: a
            // mount taken over from an older daemon lacks this option until the next full restart mounts afresh.
            Linux.mount("jsysbox-fs", mountPoint, FS_TYPE, Linux.MS_NOSUID | Linux.MS_NODEV | Linux.MS_NOEXEC,
                    "fd=" + device.fd() + ",rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions");
        } catch (LinuxException e) {
            device.close();
            throw new IOException(e.getMessage(), e);
        }
        return new FuseSession(mountPoint, device, fs, ownsMount).start(threads);
    }

    /** Serves {@code device}, which a previous daemon mounted at {@code mountPoint} (its INIT is done). */
    static FuseSession takeOver(Path mountPoint, FuseDevice device, FuseFileSystem fs, int threads) throws IOException {
        return new FuseSession(mountPoint, device, fs, false).start(threads);
    }

    private FuseSession start(int threads) throws IOException {
        device.nonBlocking();
        for (int i = 0; i < threads; i++) {
            readers.add(Thread.ofPlatform().daemon().name("fuse-" + i).start(this::serve));
        }
        return this;
    }

    private void serve() {
        try (FuseDevice.Buffers buffers = new FuseDevice.Buffers()) {
            while (true) {
                long n = device.read(buffers);
                if (n == -Libc.EAGAIN) {
                    n = nextRequest(buffers);
                }
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
                FuseRequest request;
                try {
                    request = FuseRequest.parse(buffers.requestView, (int) n);
                } catch (RuntimeException e) {
                    LOG.error("unreadable FUSE request of {} bytes dropped: {}", n, e.getMessage());
                    continue; // no unique id to answer to
                }
                if (answer(fs, request, buffers.replyView, buffers.notificationView) && device.writeNotification(buffers) < 0) {
                    LOG.debug("notification before the reply to FUSE request {} refused", request.unique());
                }
                // ENOENT on write: the caller was interrupted and no longer waits for this reply.
                if (buffers.replyView.limit() > 0 && device.write(buffers) < 0 && LOG.isDebugEnabled()) {
                    LOG.debug("reply to FUSE request {} dropped", request.unique());
                }
            }
        }
    }

    /**
     * Fills {@code reply} with the answer to {@code request} (limit 0: the request takes none); true when
     * {@code notification} is to go before it. Anything thrown, an Error too, is logged and answered with EIO: a
     * reader that died of one would leave the daemon looking healthy with fewer readers, and with none, every
     * container's reads of its /proc files would hang. An OutOfMemoryError is worth going on after: what ran out
     * was one request's rendering, and it is garbage once we return.
     */
    static boolean answer(FuseFileSystem fs, FuseRequest request, ByteBuffer reply, ByteBuffer notification) {
        try {
            if (!fs.handle(request, reply, notification)) {
                reply.clear().limit(0);
            }
            return notification.limit() > 0;
        } catch (Throwable e) {
            try {
                LOG.error("FUSE request {} on node {} failed", request.opcode(), request.nodeId(), e);
            } catch (Throwable ignored) {
                // logging an OutOfMemoryError can fail for the same reason: the EIO still goes out
            }
            notification.clear().limit(0);
            FuseReply.error(reply, request.unique(), EIO);
            return false;
        }
    }

    /** A request once one is queued: spinning for it briefly if no other reader does, else after sleeping in poll. */
    private long nextRequest(FuseDevice.Buffers buffers) {
        if (spinning.compareAndSet(false, true)) {
            try {
                long deadline = System.nanoTime() + SPIN_NANOS;
                do {
                    Thread.onSpinWait();
                    long n = device.read(buffers);
                    if (n != -Libc.EAGAIN) {
                        return n;
                    }
                } while (System.nanoTime() < deadline);
            } finally {
                spinning.set(false);
            }
        }
        device.awaitRequest();
        return device.read(buffers);
    }

    Path mountPoint() {
        return mountPoint;
    }

    /** The connection's /dev/fuse descriptor, for keeping it open across this daemon's restarts. */
    int deviceFd() {
        return device.fd();
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
