package io.jsysbox.mgr;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.LinuxException;
import io.jsysbox.linux.MountCalls;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Unmounting by subtree: the manager owns everything mounted under a container's slot dir. */
final class Mounts {
    private Mounts() {}

    /** Detaches every mount at or under {@code dir}, deepest first; returns what it detached. */
    static List<Path> unmountAllUnder(Path dir) throws IOException {
        return unmountAllUnder(MountCalls.HOST, dir);
    }

    /** {@link #unmountAllUnder(Path)} through {@code calls}. */
    static List<Path> unmountAllUnder(MountCalls calls, Path dir) throws IOException {
        List<Path> points = calls.mountPointsUnder(dir);
        for (Path point : points) {
            try {
                calls.umountDetach(point);
            } catch (LinuxException e) {
                // EINVAL: already gone (a stacked mount detached with the one below it).
                if (e.errno() != Errno.EINVAL && e.errno() != Errno.ENOENT) {
                    throw e;
                }
            }
        }
        return points;
    }
}
