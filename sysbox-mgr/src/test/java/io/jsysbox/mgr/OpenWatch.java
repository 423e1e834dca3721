package io.jsysbox.mgr;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.nio.file.Path;

/**
 * Tells whether a file was opened for real (read or write; inotify IN_OPEN) while it was watched: an O_PATH open, which
 * runs no driver's open, is not one. How tests prove the manager never opened a device or fifo a container planted.
 */
final class OpenWatch implements AutoCloseable {
    private interface Inotify extends Library {
        Inotify C = Native.load("c", Inotify.class);

        int inotify_init1(int flags);

        int inotify_add_watch(int fd, String path, int mask);

        long read(int fd, byte[] buffer, long count);

        int close(int fd);
    }

    private static final int IN_OPEN = 0x20;
    private static final int IN_NONBLOCK = 0x800;
    private static final int IN_CLOEXEC = 0x80000;
    private final int fd;

    OpenWatch(Path file) {
        fd = Inotify.C.inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0 || Inotify.C.inotify_add_watch(fd, file.toString(), IN_OPEN) < 0) {
            throw new IllegalStateException("inotify on " + file + ": errno " + Native.getLastError());
        }
    }

    /** Whether the file was opened since the watch began (or the last call). */
    boolean opened() {
        return Inotify.C.read(fd, new byte[4096], 4096) > 0;
    }

    @Override
    public void close() {
        Inotify.C.close(fd);
    }
}
