package io.jsysbox.mgr;

import io.jsysbox.linux.Libc;
import io.jsysbox.linux.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * Tells whether a file was opened for real (read or write; inotify IN_OPEN) while it was watched: an O_PATH open, which
 * runs no driver's open, is not one. How tests prove the manager never opened a device or fifo a container planted.
 * jsysbox makes no inotify call: the two are bound here, as linux-native binds its own.
 */
final class OpenWatch implements AutoCloseable {
    private static final MethodHandle INOTIFY_INIT1 =
            Libc.downcall("inotify_init1", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle INOTIFY_ADD_WATCH = Libc.downcall(
            "inotify_add_watch",
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private static final int IN_OPEN = 0x20;
    private static final int IN_NONBLOCK = 0x800;
    private static final int IN_CLOEXEC = 0x80000;
    private final int fd;

    OpenWatch(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            fd = (int) INOTIFY_INIT1.invokeExact(state, IN_NONBLOCK | IN_CLOEXEC);
            if (fd < 0 || (int) INOTIFY_ADD_WATCH.invokeExact(state, fd, path(arena, file), IN_OPEN) < 0) {
                throw new IllegalStateException("inotify on " + file + ": errno " + Libc.errno(state));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static MemorySegment path(Arena arena, Path file) {
        return Libc.cString(arena, file.toString().getBytes(Linux.NAMES));
    }

    /** Whether the file was opened since the watch began (or the last call). */
    boolean opened() {
        try (Arena arena = Arena.ofConfined()) {
            return Libc.read(Libc.callState(arena), fd, arena.allocate(4096), 4096) > 0;
        }
    }

    @Override
    public void close() {
        Libc.close(fd);
    }
}
