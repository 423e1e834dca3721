package io.jsysbox.mgr;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.LinuxException;
import io.jsysbox.linux.MountCalls;
import io.jsysbox.spec.HostRange;
import java.io.IOException;
import java.nio.file.Path;

/** ID-mapped clones of host trees, mapping on-disk id 0 to the container root's host id. */
public final class IdMappedMounts {
    private final MountCalls calls;

    /** Made through {@code calls}: {@link MountCalls#HOST}, or a test's. */
    public IdMappedMounts(MountCalls calls) {
        this.calls = calls;
    }

    /** The calls it makes, for the mount logic built on it. */
    MountCalls calls() {
        return calls;
    }

    /**
     * Attaches at {@code target} (an existing file or dir) a clone of {@code source} seen through the range mapping.
     */
    public void attach(Path source, Path target, HostRange uids, HostRange gids, boolean recursive) throws IOException {
        attach(source, target, uids, gids, recursive, false);
    }

    /**
     * As {@link #attach(Path, Path, HostRange, HostRange, boolean)}; {@code readOnly} makes the clone read-only. Made
     * here, on the host, the flag is locked in every copy inside the container's user namespace: its root cannot
     * remount it writable (runc's own "ro" remount, made inside, could be undone there).
     */
    public void attach(Path source, Path target, HostRange uids, HostRange gids, boolean recursive, boolean readOnly)
            throws IOException {
        calls.attachIdMapped(source, target, mapping(uids, gids), recursive, readOnly);
    }

    /**
     * Makes the range's user namespace now (a helper process, a few ms), so that an {@link #attach} with that range
     * later finds it made: for the range the next container will get, off its create's critical path.
     */
    public void prepareFor(HostRange uids, HostRange gids) throws IOException {
        calls.prepareIdMapping(mapping(uids, gids));
    }

    /** Drops the cached user namespace of a released range. */
    public void forget(HostRange uids, HostRange gids) {
        calls.forgetIdMapping(mapping(uids, gids));
    }

    private static MountCalls.IdMapping mapping(HostRange uids, HostRange gids) {
        return new MountCalls.IdMapping(uids.start(), gids.start(), uids.size());
    }

    /** Errors that mean "this kernel or filesystem cannot do ID-mapped mounts here", as opposed to a real failure. */
    public static boolean unsupported(LinuxException e) {
        return switch (e.errno()) {
            case Errno.EINVAL, Errno.EPERM, Errno.ENOSYS, Errno.EOPNOTSUPP -> true;
            default -> false;
        };
    }
}
