package io.jsysbox.mgr;

import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the manager when a container's init process exits. Why: a stopped container needs nothing from the
 * manager any more, so its range is freed at once and the runtime's {@code delete} (called several times per
 * container by containerd) stays a plain runc call. A pidfd never confuses a reused pid with the init.
 */
final class InitExitWatcher {
    private static final Logger LOG = LoggerFactory.getLogger(InitExitWatcher.class);

    private final BiConsumer<String, Long> onExit;

    /** {@code onExit} receives the container id and the pid that exited. */
    InitExitWatcher(BiConsumer<String, Long> onExit) {
        this.onExit = onExit;
    }

    /** Starts watching; if the process is already gone, reports its exit right away on the watcher thread. */
    void watch(String id, long pid) {
        Fd pidfd;
        try {
            pidfd = Linux.pidfdOpen(pid);
        } catch (LinuxException e) {
            LOG.info("{}: init pid {} is already gone ({})", id, pid, e.getMessage());
            exited(id, pid);
            return;
        }
        // A blocking poll(2) pins its thread, so each watch gets a small platform thread of its own.
        Thread.ofPlatform().daemon().name("exit-" + pid).stackSize(256 * 1024).start(() -> {
            try (pidfd) {
                Linux.awaitReadable(pidfd);
            } catch (LinuxException e) {
                LOG.error("{}: cannot wait for pid {}: {}", id, pid, e.getMessage());
                return;
            }
            report(id, pid);
        });
    }

    /**
     * Reports an exit known already (an init found dead, or its pid reused, at the manager's start) on a thread of its
     * own.
     */
    void exited(String id, long pid) {
        Thread.ofPlatform().daemon().name("exit-" + pid).start(() -> report(id, pid));
    }

    /**
     * Calls {@code onExit}; whatever it throws is logged here, with the container named: a watcher thread that died
     * silently once left a container's range, marker and mounts behind until the manager restarted.
     */
    private void report(String id, long pid) {
        try {
            onExit.accept(id, pid);
        } catch (Throwable t) {
            LOG.error("{}: handling the exit of init pid {} failed: {}", id, pid, t.toString(), t);
        }
    }
}
