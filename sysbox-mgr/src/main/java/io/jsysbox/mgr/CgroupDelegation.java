package io.jsysbox.mgr;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import io.jsysbox.linux.MountInfo;
import io.jsysbox.linux.ProcCgroup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Hands a container's cgroup over to its root user, so engines inside it can create child cgroups. */
public interface CgroupDelegation {
    /** The host dirs of the process's cgroups this delegation covers (pure). */
    List<Path> directories(ProcCgroup cgroups, MountInfo mounts);

    /** The files in a cgroup dir its owner must own to manage children (those the kernel lacks are skipped). */
    List<String> delegatedFiles();

    /** Chowns each dir and its delegated files to uid:gid, never following a symlink. */
    default List<Path> delegate(ProcCgroup cgroups, MountInfo mounts, int uid, int gid) throws IOException {
        List<Path> dirs = directories(cgroups, mounts);
        for (Path dir : dirs) {
            try (Fd fd = Linux.openDirectoryNoSymlinks(dir)) {
                Linux.chownNoFollow(fd, "", uid, gid);
                for (String file : delegatedFiles()) {
                    try {
                        Linux.chownNoFollow(fd, file, uid, gid);
                    } catch (LinuxException e) {
                        if (e.errno() != Errno.ENOENT) {
                            throw e;
                        }
                    }
                }
            }
        }
        return dirs;
    }
}
