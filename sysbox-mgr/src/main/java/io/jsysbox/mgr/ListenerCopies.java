package io.jsysbox.mgr;

import io.jsysbox.api.ListenerIndex;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies of jsysbox-fs's seccomp listeners, for a jsysbox-fs that restarts after a crash to take back
 * ({@link ListenerIndex}): without them, the kernel fails a running container's mount and sysinfo calls with ENOSYS
 * until it restarts. Under systemd the unit's file descriptor store keeps them too; the plain supervisor has none.
 * A container's listener reaches jsysbox-fs while runc creates it (runc hands it to the seccomp agent), so it is taken
 * once the container has started, waiting a little for the agent; released when the container is.
 */
final class ListenerCopies {
    private static final Logger LOG = LoggerFactory.getLogger(ListenerCopies.class);
    private static final long WAIT_MILLIS = 10_000;
    private static final long POLL_MILLIS = 50;

    private final Path filesystemDir;
    private final Path index;
    private final Map<String, List<Fd>> copies = new HashMap<>();

    /** jsysbox-fs's pid file and index are in {@code filesystemDir}; the copies are listed in {@code index}. */
    ListenerCopies(Path filesystemDir, Path index) {
        this.filesystemDir = filesystemDir;
        this.index = index;
    }

    /**
     * At the manager's start: lists no copy (the numbers a previous manager listed name nothing here), then takes
     * copies of every listener jsysbox-fs lists, in the background.
     */
    synchronized void start() {
        writeIndex();
        Thread.ofVirtual().name("listener-copies").start(() -> take(null, 0));
    }

    /** Takes copies of container {@code id}'s listeners once jsysbox-fs lists them, in the background. */
    void takeLater(String id) {
        Thread.ofVirtual().name("listener-copies-" + id).start(() -> take(id, WAIT_MILLIS));
    }

    /** Closes the copies of container {@code id}'s listeners. */
    synchronized void release(String id) {
        List<Fd> released = copies.remove(id);
        if (released == null) {
            return;
        }
        released.forEach(Fd::close);
        writeIndex();
    }

    /** Takes {@code id}'s listeners (null: all), waiting up to {@code waitMillis} for jsysbox-fs to list some. */
    private void take(String id, long waitMillis) {
        long deadline = System.currentTimeMillis() + waitMillis;
        try {
            while (true) {
                Path filesystemIndex = filesystemDir.resolve(ListenerIndex.FILESYSTEM);
                Map<Integer, String> listed = new TreeMap<>(ListenerIndex.read(filesystemIndex));
                if (id != null) {
                    listed.values().removeIf(owner -> !owner.equals(id));
                }
                if (!listed.isEmpty()) {
                    copy(listed);
                    return;
                }
                if (System.currentTimeMillis() >= deadline) {
                    if (id != null) {
                        LOG.debug("{}: jsysbox-fs lists no seccomp listener of it", id);
                    }
                    return;
                }
                Thread.sleep(POLL_MILLIS);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn(
                    "copying jsysbox-fs's seccomp listeners{} failed ({}): a crash of jsysbox-fs would end their "
                            + "mount and sysinfo answers",
                    id == null ? "" : " of " + id,
                    e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void copy(Map<Integer, String> listed) throws IOException {
        long filesystem =
                Long.parseLong(Files.readString(filesystemDir.resolve("fs.pid")).strip());
        try (Fd process = Linux.pidfdOpen(filesystem)) {
            for (var listener : listed.entrySet()) {
                Fd copy = Linux.pidfdGetfd(process, listener.getKey());
                if (!Files.readSymbolicLink(copy.procPath()).toString().equals(ListenerIndex.NOTIFY_LINK)) {
                    copy.close(); // jsysbox-fs let it go since it wrote its list
                    continue;
                }
                copies.computeIfAbsent(listener.getValue(), owner -> new ArrayList<>())
                        .add(copy);
            }
        }
        writeIndex();
    }

    private void writeIndex() {
        Map<Integer, String> listed = new TreeMap<>();
        copies.forEach((id, fds) -> fds.forEach(fd -> listed.put(fd.value(), id)));
        try {
            ListenerIndex.write(index, listed);
        } catch (IOException e) {
            LOG.warn("writing {} failed ({}): a restarted jsysbox-fs would not find the copies", index, e.getMessage());
        }
    }
}
