package io.jsysbox.fs;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    private final Path mountPoint;
    private final FuseDevice device;
    private final FuseFileSystem fs;
    private final boolean ownsMount;
    /** Reader 0 adds the others after a takeover: see {@link #readersAfterLost}. */
    private final List<Thread> readers = new CopyOnWriteArrayList<>();
    /**
     * Whether a reader watches the device for the next request (spinning, then asleep in poll). One at most: the
     * kernel wakes every reader asleep in poll for each request queued, and a reader woken for a request another one
     * took costs a context switch the caller waits behind (on two CPUs, one reader answered open+read+close loops
     * 1.1-1.9x faster than two watching, bench/fuse-reads.sh). The others park ({@link #idle}) until a reader takes
     * a request with another queued behind it, or a write: they serve a backlog, not every request.
     */
    private final AtomicBoolean watching = new AtomicBoolean();
    /** Wakes parked readers: a permit per reader wanted for a backlog, or for all of them at the end. */
    private final Semaphore idle = new Semaphore(0);
    /** How many readers are parked on {@link #idle}. */
    private final AtomicInteger parked = new AtomicInteger();
    /**
     * How long a reader spins for the next request before it sleeps. A caller's requests come in quick runs (open,
     * read, read at EOF, release; or top's pread of several files): the next one usually follows within a few
     * microseconds of our reply, and catching it spinning saves the two wake-ups (ours, then the caller's) a
     * sleeping reader costs. Idle, nothing spins.
     */
    private static final long SPIN_NANOS = 50_000;
    /** How many requests before the first one a daemon reads after a takeover may be lost ones: see answerLost. */
    private static final int LOST_WINDOW = 4096;
    /**
     * After a takeover the kernel could not resend in, the readers that start once reader 0 has answered the lost
     * requests; -1 otherwise. Only reader 0 reads and writes it while it is not -1.
     */
    private int readersAfterLost = -1;

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
            Linux.mount(
                    "jsysbox-fs",
                    mountPoint,
                    FS_TYPE,
                    Linux.MS_NOSUID | Linux.MS_NODEV | Linux.MS_NOEXEC,
                    "fd=" + device.fd() + ",rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions");
        } catch (LinuxException e) {
            device.close();
            throw new IOException(e.getMessage(), e);
        }
        return new FuseSession(mountPoint, device, fs, ownsMount).start(threads);
    }

    /**
     * Serves {@code device}, which a previous daemon mounted at {@code mountPoint} (its INIT is done). That daemon may
     * have ended holding requests it had read and not answered (killed, or stopped between a read and its reply):
     * their callers wait in the kernel for an answer no signal interrupts, and a container with such a process cannot
     * even be stopped. Linux 6.9 and later queue those requests again when asked, and they are answered like any other;
     * on older kernels the first reader answers them EINTR before the others start ({@link #answerLost}).
     */
    static FuseSession takeOver(Path mountPoint, FuseDevice device, FuseFileSystem fs, int threads) throws IOException {
        return takeOver(mountPoint, device, fs, threads, true);
    }

    /** {@link #takeOver}; {@code askResend} false does as on a kernel without FUSE_NOTIFY_RESEND. */
    static FuseSession takeOver(Path mountPoint, FuseDevice device, FuseFileSystem fs, int threads, boolean askResend)
            throws IOException {
        FuseSession session = new FuseSession(mountPoint, device, fs, false);
        if (askResend && device.resendUnanswered()) {
            LOG.info("the kernel sends again the requests the previous daemon took and did not answer");
            return session.start(threads);
        }
        session.readersAfterLost = threads - 1;
        session.start(1);
        // A request of our own, so that the lost ones are answered now, not at a container's next read. A name no
        // lookup has asked before: the kernel caches a missing one.
        Thread.ofPlatform()
                .daemon()
                .name("fuse-takeover-probe")
                .start(() -> Files.exists(mountPoint.resolve(
                        ".takeover-" + ProcessHandle.current().pid())));
        return session;
    }

    private FuseSession start(int threads) throws IOException {
        device.nonBlocking();
        startReaders(threads);
        return this;
    }

    private void startReaders(int count) {
        for (int i = 0; i < count; i++) {
            readers.add(
                    Thread.ofPlatform().daemon().name("fuse-" + readers.size()).start(this::serve));
        }
    }

    private void serve() {
        try (FuseDevice.Buffers buffers = new FuseDevice.Buffers()) {
            serve(buffers);
        } finally {
            idle.release(readers.size()); // the connection ended, or this reader failed: a parked one carries on
        }
    }

    private void serve(FuseDevice.Buffers buffers) {
        while (true) {
            long n = device.read(buffers);
            if (n == -Errno.EAGAIN) {
                n = nextRequest(buffers);
            }
            if (n < 0) {
                int errno = (int) -n;
                // ENOENT: the request was interrupted before we read it; EINTR: try again; EAGAIN: woken from the
                // parked readers after the backlog was taken.
                if (errno == Errno.EINTR || errno == Errno.EAGAIN || errno == Errno.ENOENT) {
                    continue;
                }
                if (errno != Errno.ENODEV) {
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
            if (wantsAnotherReader(request, buffers)) {
                idle.release(); // a parked reader watches the device while this one answers
            }
            if (readersAfterLost >= 0 && isQueuedInOrder(request)) {
                int answered = answerLost(request.unique(), buffers);
                LOG.info("answered EINTR to {} request(s) the previous daemon took and did not answer", answered);
                int others = readersAfterLost;
                readersAfterLost = -1;
                startReaders(others);
            }
            if (answer(fs, request, buffers.replyView, buffers.notificationView)
                    && device.writeNotification(buffers) < 0) {
                LOG.debug("notification before the reply to FUSE request {} refused", request.unique());
            }
            // ENOENT on write: the caller was interrupted and no longer waits for this reply.
            if (buffers.replyView.limit() > 0 && device.write(buffers) < 0 && LOG.isDebugEnabled()) {
                LOG.debug("reply to FUSE request {} dropped", request.unique());
            }
        }
    }

    /** Whether a parked reader is to watch the device while this one answers {@code request}. */
    private boolean wantsAnotherReader(FuseRequest request, FuseDevice.Buffers buffers) {
        if (parked.get() <= idle.availablePermits()) {
            return false; // none parked, or each already woken
        }
        return switch (request.opcode()) {
            // A sysctl write saves the daemon's state (a file written): no request should wait behind it.
            case FuseProtocol.WRITE -> true;
            // A read renders a file: worth another reader for a request queued behind it already.
            case FuseProtocol.READ -> device.hasRequest(buffers);
            // The rest answer in a few microseconds, and a release comes just before its caller's next open: a
            // parked reader woken for that open would cost more than it saves.
            default -> false;
        };
    }

    /**
     * Whether the kernel numbered {@code request} as it queued it: INTERRUPTs, FORGETs and BATCH_FORGETs jump the
     * queue (an INTERRUPT carries the number of the request it interrupts; a forget is numbered when read).
     */
    private static boolean isQueuedInOrder(FuseRequest request) {
        return switch (request.opcode()) {
            case FuseProtocol.INTERRUPT, FuseProtocol.FORGET, FuseProtocol.BATCH_FORGET -> false;
            default -> true;
        };
    }

    /**
     * Answers EINTR to the requests the previous daemon may have read and not answered, on a kernel that cannot send
     * them again. The kernel numbers requests by 2 (the low bit marks an INTERRUPT) in the order it queues them, and
     * readers take them in that order: each such request has a lower number than {@code firstUnique}, the first
     * queued request this daemon read, and lies among the {@link #LOST_WINDOW} before it (the previous daemon
     * answered the others in between within the moment it took to die). A number that is answered or not yet read
     * gets ENOENT from the kernel, harmless; no other reader of ours runs yet, so none is a request we are answering.
     * Returns how many the kernel took.
     */
    private int answerLost(long firstUnique, FuseDevice.Buffers buffers) {
        int answered = 0;
        long first = firstUnique & ~1L;
        for (long unique = first - 2; unique > 0 && unique >= first - 2L * LOST_WINDOW; unique -= 2) {
            FuseReply.error(buffers.replyView, unique, Errno.EINTR);
            if (device.write(buffers) >= 0) {
                answered++;
            }
        }
        return answered;
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
            FuseReply.error(reply, request.unique(), Errno.EIO);
            return false;
        }
    }

    /**
     * The next request, or -EAGAIN once this reader is woken from the parked ones. The reader that watches the device
     * spins for it briefly, then sleeps in poll until one is queued; any other reader parks meanwhile.
     */
    private long nextRequest(FuseDevice.Buffers buffers) {
        if (!watching.compareAndSet(false, true)) {
            parked.incrementAndGet();
            idle.acquireUninterruptibly();
            parked.decrementAndGet();
            return -Errno.EAGAIN;
        }
        try {
            long deadline = System.nanoTime() + SPIN_NANOS;
            long n;
            do {
                Thread.onSpinWait();
                n = device.read(buffers);
            } while (n == -Errno.EAGAIN && System.nanoTime() < deadline);
            while (n == -Errno.EAGAIN || n == -Errno.EINTR) {
                device.awaitRequest();
                n = device.read(buffers);
            }
            return n;
        } finally {
            watching.set(false);
        }
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
