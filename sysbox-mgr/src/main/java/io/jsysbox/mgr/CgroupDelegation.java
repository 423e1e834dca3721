package io.jsysbox.mgr;

import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Hands a container's cgroup over to its root user, so engines inside it can create child cgroups. */
public interface CgroupDelegation {
    /** The host dirs of the process's cgroups this delegation covers (pure). */
    List<Path> directories(ProcCgroup cgroups, MountInfo mounts);

    /** The files in a cgroup dir its owner must own to manage children; empty: every file directly in it. */
    List<String> delegatedFiles();

    /** Chowns each dir and its delegated files to uid:gid, never following a symlink. */
    default List<Path> delegate(ProcCgroup cgroups, MountInfo mounts, int uid, int gid) throws IOException {
        List<Path> dirs = directories(cgroups, mounts);
        for (Path dir : dirs) {
            try (Fd fd = Linux.openDirectoryNoSymlinks(dir)) {
                Linux.chownNoFollow(fd, "", uid, gid);
                List<String> files = delegatedFiles();
                if (files.isEmpty()) {
                    try (var entries = java.nio.file.Files.newDirectoryStream(fd.procPath(), p -> java.nio.file.Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))) {
                        for (Path entry : entries) Linux.chownNoFollow(fd, entry.getFileName().toString(), uid, gid);
                    }
                } else {
                    for (String file : files) Linux.chownNoFollow(fd, file, uid, gid);
                }
            }
        }
        return dirs;
    }
}
