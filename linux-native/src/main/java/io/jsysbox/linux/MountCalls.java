package io.jsysbox.linux;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The privileged kernel calls of the manager's mount logic (ID-mapped clones, mounts with a container root's fs ids,
 * detaching, the mount table), as an interface: {@link #HOST} makes them; a test passes one that records them, and
 * tests the logic around them without root (youki's Syscall trait is the model).
 */
public interface MountCalls {
    /** The kernel's, through {@link Linux}, {@link UserNamespaces}, {@link FsCredentials} and {@link MountInfo}. */
    MountCalls HOST = new HostMountCalls();

    /** Host ids {@code uidStart}.. and {@code gidStart}.. seen as 0..size-1: a container's range. */
    record IdMapping(long uidStart, long gidStart, long size) {}

    /**
     * Attaches at {@code target} (an existing file or dir) a clone of {@code source} (with the mounts under it when
     * {@code recursive}) seen through {@code mapping}; {@code readOnly} makes the clone read-only, locked so.
     */
    void attachIdMapped(Path source, Path target, IdMapping mapping, boolean recursive, boolean readOnly)
            throws IOException;

    /** Makes {@code mapping}'s user namespace now, so that a later attach with it finds it made. */
    void prepareIdMapping(IdMapping mapping) throws IOException;

    /** Drops the user namespace kept for {@code mapping} (its range was released). */
    void forgetIdMapping(IdMapping mapping);

    /** mount(2) with the calling thread's fs uid and gid set to {@code fsUid} and {@code fsGid} for the call. */
    void mountAs(int fsUid, int fsGid, String source, Path target, String fsType, String data) throws IOException;

    /** umount2(MNT_DETACH). */
    void umountDetach(Path target) throws IOException;

    /** The mount points at or under {@code dir}, deepest first. */
    List<Path> mountPointsUnder(Path dir) throws IOException;
}
