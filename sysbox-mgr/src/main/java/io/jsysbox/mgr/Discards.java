package io.jsysbox.mgr;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes released containers' dirs in the background. Why: a container's dirs can hold whatever its tenant put there
 * (a CRI pod's special dirs: its inner images, gigabytes and hundreds of thousands of files), and removing them while
 * the manager held its lock held every other container's create and stop as long. A dir is renamed at once to a
 * hidden name in the same parent, made host root's alone (0700), then removed by one background thread; what a stopped
 * manager left is removed after its next start ({@link #resume}).
 */
final class Discards {
    private static final Logger LOG = LoggerFactory.getLogger(Discards.class);
    private static final String PREFIX = ".discarded-";

    private final ExecutorService remover = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("discard").factory());
    private final AtomicLong names = new AtomicLong();

    /** Takes {@code dir} away from its path now and removes it in the background; nothing if it is gone. */
    void discard(Path dir) throws IOException {
        Path parent = dir.getParent();
        String hidden =
                PREFIX + dir.getFileName() + "-" + ProcessHandle.current().pid() + "-" + names.incrementAndGet();
        try (Fd parentFd = Linux.openDirectoryNoSymlinks(parent)) {
            Linux.renameNoReplace(parentFd, dir.getFileName().toString(), parentFd, hidden);
            Linux.chmodAt(parentFd, hidden, 0700); // its container's root (gid) passed it; no one but host root now
        } catch (LinuxException e) {
            if (e.errno() == Errno.ENOENT) {
                return;
            }
            throw e;
        }
        remover.execute(() -> remove(parent, hidden));
    }

    /** Queues the removal of what an earlier manager discarded in {@code parent} and did not remove. */
    void resume(Path parent) throws IOException {
        if (!Files.isDirectory(parent, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var leftovers = Files.newDirectoryStream(parent, PREFIX + "*")) {
            for (Path leftover : leftovers) {
                remover.execute(() -> remove(parent, leftover.getFileName().toString()));
            }
        }
    }

    private static void remove(Path parent, String name) {
        long began = System.nanoTime();
        try {
            NoFollowTree.delete(parent, name);
            LOG.debug("removed {} in {} ms", parent.resolve(name), (System.nanoTime() - began) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            LOG.error(
                    "cannot remove {}: {} (tried again at the manager's next start)",
                    parent.resolve(name),
                    e.toString());
        }
    }
}
