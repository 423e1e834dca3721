package io.jsysbox.fs;

import io.jsysbox.api.ListenerIndex;
import io.jsysbox.api.RuntimeDirs;
import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Libc;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import io.jsysbox.linux.Systemd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seccomp agent: the unix socket a system container's spec names as its seccomp listenerPath. runc connects when it
 * creates the container and at each exec, sends one {@link ContainerProcessState} with the filter's notify descriptor
 * (SCM_RIGHTS); each descriptor gets a {@link SeccompSupervisor} thread, which answers sysinfo with the container's
 * values and makes its procfs and sysfs mounts. Connections are taken one at a time: runc does not wait for an answer,
 * its message is in the socket's buffer once its send returns. A message is read until its JSON value is complete,
 * within {@value #RECEIVE_MILLIS} ms and {@value #MAX_MESSAGE} bytes; one that is not a runtime's message is logged and
 * dropped with its descriptors, and the agent goes on. The socket is host root's alone (0600): bound, made private,
 * then listened on, so that no one else ever connects.
 *
 * <p>The notify descriptors live in this process: when jsysbox-fs exits, the filters of running containers have no
 * listener and the kernel fails their notified calls with ENOSYS until the containers are restarted, unless a copy is
 * kept elsewhere: in systemd's file descriptor store, or else by the manager ({@link ListenerIndex}), from which the
 * next jsysbox-fs takes them back. What a dying daemon had received and not answered, it finds in {@link
 * HeldNotifications}, and answers EINTR.
 */
final class SeccompAgent {
    private static final Logger LOG = LoggerFactory.getLogger(SeccompAgent.class);
    /** runc's message is well under 64 KiB; a container's annotations (in its state) could make it larger. */
    static final int MAX_MESSAGE = 1 << 20;

    private static final int RECEIVE_MILLIS = 5_000;
    /** runc passes one descriptor; room for more, so that extra ones are received and closed, not left half-sent. */
    private static final int MAX_FDS = 16;

    private static final int BACKLOG = 128;
    /** Names of the listeners kept in systemd's store: seccomp.ID.N (N tells a container's listeners apart in logs). */
    private static final String STORED_PREFIX = "seccomp.";

    private final int listening;
    /** This daemon's listeners, by descriptor, as {@link #index} lists them for the manager. */
    private final Map<Integer, String> held = new TreeMap<>();

    private final Path index;
    private final SeccompSupervisor.StructSizes sizes;
    private final SeccompSupervisor.SysinfoSource source;
    private final KernelFsMounter mounts;
    private final MountGuard guard;
    private final HeldNotifications heldNotifications;
    private final Warnings warnings = new Warnings();
    /** Numbers the stored listeners: a container has one per process runc started (its init, each exec). */
    private final AtomicLong stored = new AtomicLong();

    private SeccompAgent(
            int listening,
            Path index,
            SeccompSupervisor.StructSizes sizes,
            SeccompSupervisor.SysinfoSource source,
            KernelFsMounter mounts,
            MountGuard guard,
            HeldNotifications heldNotifications) {
        this.listening = listening;
        this.index = index;
        this.sizes = sizes;
        this.source = source;
        this.mounts = mounts;
        this.guard = guard;
        this.heldNotifications = heldNotifications;
    }

    /**
     * Listens on {@code socket} (a stale file there is replaced) and serves it on a daemon thread: sysinfo from {@code
     * source}, procfs mounts by {@code mounts}, unmounts, moves and remounts by {@code guard}.
     */
    static void serve(Path socket, SeccompSupervisor.SysinfoSource source, KernelFsMounter mounts, MountGuard guard)
            throws IOException {
        SeccompSupervisor.StructSizes sizes;
        try {
            sizes = SeccompSupervisor.StructSizes.ofKernel();
        } catch (IllegalStateException e) {
            throw new IOException("no seccomp agent: " + e.getMessage(), e);
        }
        RuntimeDirs.createIfMissing(socket.getParent(), RuntimeDirs.PASSED_BY_CONTAINERS);
        Files.deleteIfExists(socket);
        int fd = Libc.boundUnixSocket(socket.toString());
        if (fd < 0) {
            throw new IOException("cannot bind the seccomp agent's socket " + socket + ": errno " + -fd);
        }
        try {
            Files.setPosixFilePermissions(socket, RuntimeDirs.permissions(RuntimeDirs.HOST_ROOT_ONLY_FILE));
            int listened = Libc.listen(fd, BACKLOG);
            if (listened < 0) {
                throw new IOException("cannot listen on " + socket + ": errno " + -listened);
            }
        } catch (IOException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
        Path index = socket.resolveSibling(ListenerIndex.FILESYSTEM);
        HeldNotifications heldNotifications;
        try {
            heldNotifications = HeldNotifications.open(socket.resolveSibling(HeldNotifications.FILE));
        } catch (IOException e) {
            Libc.close(fd);
            throw new IOException(
                    "cannot map " + socket.resolveSibling(HeldNotifications.FILE) + ": " + e.getMessage(), e);
        }
        SeccompAgent agent = new SeccompAgent(fd, index, sizes, source, mounts, guard, heldNotifications);
        agent.resumeStored();
        Thread.ofPlatform().daemon().name("seccomp-agent").start(agent::acceptConnections);
    }

    private void acceptConnections() {
        while (true) {
            int connection = Libc.accept(listening);
            if (connection < 0) {
                if (connection != -Errno.EINTR) {
                    LOG.warn("accepting a connection to the seccomp agent failed with errno {}", -connection);
                    pause(); // EMFILE and the like: let descriptors be freed rather than spin
                }
                continue;
            }
            try {
                take(connection);
            } catch (Throwable e) {
                LOG.error("a connection to the seccomp agent failed", e);
            } finally {
                Libc.close(connection);
            }
        }
    }

    /**
     * Answers the notifications on {@code notifyFd}, of container {@code id}, on a thread of its own; {@code resumed}:
     * a previous daemon served it.
     */
    private void supervise(String id, int notifyFd, boolean resumed) {
        warnings.serving(id);
        indexed(notifyFd, id);
        Thread.ofPlatform().daemon().name("seccomp-" + abbreviated(id)).start(() -> {
            try {
                new SeccompSupervisor(notifyFd, id, sizes, source, warnings, mounts, guard, heldNotifications, resumed)
                        .run();
            } finally {
                indexed(notifyFd, null);
                warnings.served(id);
            }
        });
    }

    /** Lists {@code fd} as {@code id}'s listener in the index file (null: no longer held). */
    private synchronized void indexed(int fd, String id) {
        if (id == null) {
            held.remove(fd);
        } else {
            held.put(fd, id);
        }
        try {
            ListenerIndex.write(index, held);
        } catch (IOException e) {
            LOG.warn("writing {} failed ({}): the manager keeps no copy of new listeners", index, e.getMessage());
        }
    }

    /**
     * Under systemd, keeps a duplicate of {@code notifyFd} in the unit's file descriptor store (jsysbox-fs.service:
     * FileDescriptorStoreMax) for the next jsysbox-fs after a restart or a crash: the kernel fails a container's
     * sysinfo with ENOSYS once no process holds its listener, for as long as the container runs. systemd drops the
     * duplicate by itself when the descriptor hangs up (the container's processes are all gone). Done before the
     * supervisor starts: it closes the descriptor when it ends, and its number could then name another file.
     */
    private void storeForRestart(String id, int notifyFd) {
        String name = STORED_PREFIX + id + "." + stored.incrementAndGet();
        if (!Systemd.isValidName(name)) {
            LOG.warn(
                    "container {}: its id cannot name a stored descriptor: a restart of jsysbox-fs ends its sysinfo",
                    id);
            return;
        }
        try {
            Systemd.notify(Systemd.Notification.store(name, notifyFd));
        } catch (LinuxException e) {
            LOG.warn(
                    "container {}: keeping its seccomp listener in systemd's store failed ({}): a restart of "
                            + "jsysbox-fs ends its sysinfo",
                    id,
                    e.getMessage());
        }
    }

    /**
     * Takes up the listeners a previous jsysbox-fs stored ({@link #storeForRestart}), which systemd passed back;
     * without those, the manager's copies ({@link ListenerIndex}).
     */
    private void resumeStored() {
        List<Systemd.Passed> stored = Systemd.passedDescriptors(STORED_PREFIX);
        if (stored.isEmpty()) {
            resumeFromManager();
            return;
        }
        for (Systemd.Passed passed : stored) {
            String id = passed.name()
                    .substring(STORED_PREFIX.length(), passed.name().lastIndexOf('.'));
            if (!isSeccompNotify(passed.fd())) {
                LOG.warn("stored descriptor {} is not a seccomp listener: left alone", passed.name());
                continue;
            }
            LOG.info("container {}: answering sysinfo again, with the listener a previous jsysbox-fs kept", id);
            supervise(id, passed.fd(), true);
        }
    }

    /** Takes copies of the listeners the manager lists (mgr.listeners beside its pid file), while it runs. */
    private void resumeFromManager() {
        try {
            Map<Integer, String> copies = ListenerIndex.read(index.resolveSibling(ListenerIndex.MANAGER));
            if (copies.isEmpty()) {
                return;
            }
            long manager = Long.parseLong(
                    Files.readString(index.resolveSibling("mgr.pid")).strip());
            try (Fd process = Linux.pidfdOpen(manager)) {
                for (var copy : copies.entrySet()) {
                    Fd listener = Linux.pidfdGetfd(process, copy.getKey());
                    if (!isSeccompNotify(listener.value())) {
                        listener.close(); // the manager let it go since it wrote the list
                        continue;
                    }
                    LOG.info(
                            "container {}: answering its notifications again, with the listener the manager kept",
                            copy.getValue());
                    supervise(copy.getValue(), listener.release(), true);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn(
                    "taking back the seccomp listeners the manager kept failed ({}): running containers' mount and "
                            + "sysinfo fail with ENOSYS until they restart",
                    e.toString());
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads one message and starts a supervisor for its notify descriptor; every other descriptor is closed. */
    private void take(int connection) {
        List<Integer> fds = new ArrayList<>();
        int kept = -1;
        try {
            ContainerProcessState state = receive(connection, fds);
            if (state == null) {
                LOG.debug("a connection to the seccomp agent closed without a message (a check that it listens)");
                return;
            }
            int index = state.seccompFdIndex();
            if (index < 0 || index >= fds.size()) {
                throw new IllegalArgumentException("no " + ContainerProcessState.SECCOMP_FD_NAME + " among the "
                        + fds.size() + " descriptors passed (names " + state.fdNames() + ")");
            }
            int notifyFd = fds.get(index);
            if (!isSeccompNotify(notifyFd)) {
                throw new IllegalArgumentException(
                        ContainerProcessState.SECCOMP_FD_NAME + " is not a seccomp notify descriptor");
            }
            String id = state.containerId();
            kept = notifyFd;
            storeForRestart(id, notifyFd);
            supervise(id, notifyFd, false);
            // One per container start, and one per exec (the CRI's exec probes make many: those only at debug level).
            if (state.pid() == state.initPid()) {
                LOG.info("container {}: answering sysinfo for its init (pid {}) and its descendants", id, state.pid());
            } else {
                LOG.debug("container {}: answering sysinfo for exec'd process {}", id, state.pid());
            }
        } catch (IllegalArgumentException e) {
            LOG.warn("a message to the seccomp agent was dropped: {}", e.getMessage());
        } finally {
            for (int fd : fds) {
                if (fd != kept) {
                    Libc.close(fd);
                }
            }
        }
    }

    /**
     * The message on {@code connection}, read until its JSON value is complete (runc does not close the connection),
     * or null when the peer closed it without sending anything. The descriptors that came with it are added to
     * {@code fds}, also when IllegalArgumentException says the message is malformed, too slow or too large.
     */
    private static ContainerProcessState receive(int connection, List<Integer> fds) {
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + RECEIVE_MILLIS * 1_000_000L;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(64 * 1024);
            while (true) {
                int left = (int) Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
                int events = left == 0 ? 0 : Libc.poll(connection, left);
                if (events == -Errno.EINTR) {
                    continue;
                }
                if (events == 0) {
                    throw new IllegalArgumentException("no complete message within " + RECEIVE_MILLIS + " ms");
                }
                Libc.Received received = Libc.receive(connection, buffer, MAX_FDS);
                for (int fd : received.fds()) {
                    fds.add(fd);
                }
                if (received.fdsTruncated()) {
                    throw new IllegalArgumentException("more than " + MAX_FDS + " descriptors passed");
                }
                if (received.bytes() == -Errno.EINTR || received.bytes() == -Errno.EAGAIN) {
                    continue;
                }
                if (received.bytes() < 0) {
                    throw new IllegalArgumentException("reading it failed with errno " + -received.bytes());
                }
                if (received.bytes() == 0) {
                    boolean nothing = message.size() == 0 && fds.isEmpty();
                    return nothing ? null : ContainerProcessState.parse(message.toByteArray());
                }
                if (message.size() + received.bytes() > MAX_MESSAGE) {
                    throw new IllegalArgumentException("longer than " + MAX_MESSAGE + " bytes");
                }
                message.writeBytes(buffer.asSlice(0, received.bytes()).toArray(ValueLayout.JAVA_BYTE));
                var complete = ContainerProcessState.parseIfComplete(message.toByteArray());
                if (complete.isPresent()) {
                    return complete.get();
                }
            }
        }
    }

    /** Whether {@code fd} is a seccomp filter's notify descriptor (what a peer passed could be anything). */
    private static boolean isSeccompNotify(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd))
                    .toString()
                    .equals(ListenerIndex.NOTIFY_LINK);
        } catch (IOException e) {
            return false;
        }
    }

    private static String abbreviated(String id) {
        return id.length() <= 12 ? id : id.substring(0, 12);
    }

    /**
     * Which containers a warning was logged for: once per container while any of its descriptors is served (a
     * container not registered would otherwise log at every sysinfo call of every process), again after a restart.
     */
    private static final class Warnings implements SeccompSupervisor.Warnings {
        private final Map<String, Integer> served = new HashMap<>();
        private final Set<String> warned = new HashSet<>();

        synchronized void serving(String id) {
            served.merge(id, 1, Integer::sum);
        }

        synchronized void served(String id) {
            if (served.merge(id, -1, Integer::sum) <= 0) {
                served.remove(id);
                warned.remove(id);
            }
        }

        @Override
        public void once(String containerId, String message) {
            boolean first;
            synchronized (this) {
                first = warned.add(containerId);
            }
            if (first) {
                LOG.warn("container {}: {}", containerId, message);
            }
        }
    }
}
