package io.jsysbox.mgr;

import io.jsysbox.api.ContainerCgroup;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.MountInfo;
import io.jsysbox.linux.ProcCgroup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * cgroup v2 (pure, or the hybrid "unified" mount): the leaf dir plus the files the kernel's delegation model
 * names (cgroup.procs, cgroup.threads, cgroup.subtree_control); controller files stay the parent's. Where the
 * container's cgroup has controllers, its processes move one level down, into {@link ContainerCgroup#INIT_LEAF}, and
 * every controller is enabled for its children: the container's root cgroup then holds no process, as a host's does
 * not (the official Docker-in-Docker entrypoint and systemd do the same inside; other images do not, hence here).
 */
public final class CgroupV2Delegation implements CgroupDelegation {
    private static final Logger LOG = LoggerFactory.getLogger(CgroupV2Delegation.class);
    /** Processes forking while they are moved: a few passes empty the cgroup (runc's init alone is there at create). */
    private static final int MOVE_PASSES = 5;

    @Override
    public List<Path> directories(ProcCgroup cgroups, MountInfo mounts) {
        for (ProcCgroup.Line line : cgroups.lines()) {
            if (line.hierarchy() != 0 || !line.controllers().isEmpty()) {
                continue;
            }
            for (MountInfo.Entry mount : mounts.ofType("cgroup2")) {
                Path dir = ProcCgroup.hostDir(mount, line.path());
                if (dir != null) {
                    return List.of(dir);
                }
            }
        }
        return List.of();
    }

    @Override
    public List<String> delegatedFiles() {
        return List.of("cgroup.procs", "cgroup.threads", "cgroup.subtree_control");
    }

    @Override
    public List<Path> delegate(ProcCgroup cgroups, MountInfo mounts, int uid, int gid) throws IOException {
        List<Path> dirs = CgroupDelegation.super.delegate(cgroups, mounts, uid, gid);
        for (Path dir : dirs) {
            List<String> controllers = words(Files.readString(dir.resolve("cgroup.controllers")));
            // A hybrid host's unified hierarchy has no controllers: no rule about processes in inner nodes applies.
            if (!controllers.isEmpty()) {
                moveProcessesDown(dir, controllers, uid, gid);
            }
        }
        return dirs;
    }

    /** Moves the processes of {@code dir} into its leaf, enables {@code controllers} below it, gives the leaf away. */
    private static void moveProcessesDown(Path dir, List<String> controllers, int uid, int gid) throws IOException {
        Path leaf = dir.resolve(ContainerCgroup.INIT_LEAF);
        try {
            Files.createDirectory(leaf);
        } catch (FileAlreadyExistsException e) {
            // started again for the same cgroup (a retried request): the leaf is already there
        }
        for (int pass = 0; pass < MOVE_PASSES; pass++) {
            List<String> pids = words(Files.readString(dir.resolve("cgroup.procs")));
            if (pids.isEmpty()) {
                break;
            }
            for (String pid : pids) {
                try {
                    Files.writeString(leaf.resolve("cgroup.procs"), pid, StandardCharsets.US_ASCII);
                } catch (IOException e) {
                    // exited meanwhile (ESRCH): nothing to move
                }
            }
        }
        enable(dir, controllers);
        try (Fd fd = Linux.openDirectoryNoSymlinks(leaf)) {
            // the container's root owns the leaf as it would a cgroup it made itself
            Linux.chownNoFollow(fd, "", uid, gid);
            for (byte[] name : Linux.listDirectory(fd)) {
                Linux.chownNoFollow(fd, name, uid, gid);
            }
        }
    }

    /** All at once; if the kernel refuses one (a controller busy above), each alone, keeping those it takes. */
    private static void enable(Path dir, List<String> controllers) {
        Path control = dir.resolve("cgroup.subtree_control");
        try {
            Files.writeString(control, "+" + String.join(" +", controllers), StandardCharsets.US_ASCII);
            return;
        } catch (IOException e) {
            LOG.debug("{}: enabling {} at once failed ({}); one by one", dir, controllers, e.getMessage());
        }
        List<String> refused = new ArrayList<>();
        for (String controller : controllers) {
            try {
                Files.writeString(control, "+" + controller, StandardCharsets.US_ASCII);
            } catch (IOException e) {
                refused.add(controller);
            }
        }
        if (!refused.isEmpty()) {
            LOG.warn("{}: controllers {} not enabled for the container's inner cgroups", dir, refused);
        }
    }

    private static List<String> words(String text) {
        String trimmed = text.strip();
        return trimmed.isEmpty() ? List.of() : List.of(trimmed.split("\\s+"));
    }
}
