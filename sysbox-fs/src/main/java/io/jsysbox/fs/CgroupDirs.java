package io.jsysbox.fs;

import io.jsysbox.api.ContainerCgroup;
import io.jsysbox.linux.MountInfo;
import io.jsysbox.linux.ProcCgroup;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where a container's cgroup files are on the host: for cgroup v1, the directory of each controller
 * (memory, cpu, cpuacct, cpuset, blkio, pids) in its hierarchy; for v2, the one unified directory. v1 is used when
 * the memory controller is on a v1 hierarchy (hybrid hosts), v2 otherwise.
 */
record CgroupDirs(boolean v2, Map<String, Path> byController) {
    private static final List<String> V1_CONTROLLERS = List.of("memory", "cpu", "cpuacct", "cpuset", "blkio", "pids");

    CgroupDirs {
        byController = Map.copyOf(byController);
    }

    /**
     * Parses a process's /proc/PID/cgroup ({@code cgroupText}) against the host's mount table
     * ({@code mountinfoText}, of the daemon, which lives in the host's cgroup namespace).
     */
    static CgroupDirs parse(String cgroupText, String mountinfoText) {
        List<MountInfo.Entry> mounts = MountInfo.parse(mountinfoText).entries().stream()
                .filter(mount ->
                        mount.fsType().equals("cgroup") || mount.fsType().equals("cgroup2"))
                .toList();
        Map<String, Path> v1 = new HashMap<>();
        Path unified = null;
        for (ProcCgroup.Line line : ProcCgroup.parse(cgroupText).lines()) {
            if (line.controllers().isEmpty()) {
                unified = dirIn(mounts, "cgroup2", null, containerTop(line.path()));
                continue;
            }
            for (String controller : line.controllers()) {
                if (V1_CONTROLLERS.contains(controller)) {
                    Path dir = dirIn(mounts, "cgroup", controller, line.path());
                    if (dir != null) {
                        v1.put(controller, dir);
                    }
                }
            }
        }
        if (v1.containsKey("memory") || unified == null) {
            if (v1.isEmpty()) {
                throw new IllegalArgumentException("no cgroup v1 controller nor cgroup2 mount found for the process");
            }
            return new CgroupDirs(false, v1);
        }
        return new CgroupDirs(true, Map.of("", unified));
    }

    /** The container's own cgroup, where its limits are: the manager moves its processes one level down (v2). */
    private static String containerTop(String path) {
        String leaf = "/" + ContainerCgroup.INIT_LEAF;
        return path.endsWith(leaf) && path.length() > leaf.length()
                ? path.substring(0, path.length() - leaf.length())
                : path;
    }

    /** The host dir of {@code path} in a mounted hierarchy of {@code type} (with {@code controller} for v1). */
    private static Path dirIn(List<MountInfo.Entry> mounts, String type, String controller, String path) {
        for (MountInfo.Entry mount : mounts) {
            if (mount.fsType().equals(type) && (controller == null || mount.hasSuperOption(controller))) {
                Path dir = ProcCgroup.hostDir(mount, path);
                if (dir != null) {
                    return dir;
                }
            }
        }
        return null;
    }

    /** "v1" or "v2". */
    String version() {
        return v2 ? "v2" : "v1";
    }

    /** The host path of cgroup file {@code name} ("memory.stat"…), empty when its controller has no dir. */
    Optional<String> path(String name) {
        Path dir = byController.get(v2 ? "" : name.substring(0, Math.max(0, name.indexOf('.'))));
        return dir == null ? Optional.empty() : Optional.of(dir.resolve(name).toString());
    }
}
