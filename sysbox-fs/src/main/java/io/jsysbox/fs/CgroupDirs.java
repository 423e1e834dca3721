package io.jsysbox.fs;

import io.jsysbox.api.ContainerCgroup;

import java.nio.file.Path;
import java.util.ArrayList;
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
        List<String[]> mounts = new ArrayList<>();
        for (String line : mountinfoText.split("\n")) {
            String[] f = line.split(" ");
            int separator = List.of(f).indexOf("-");
            if (separator >= 6 && f.length >= separator + 4
                    && (f[separator + 1].equals("cgroup") || f[separator + 1].equals("cgroup2"))) {
                // fs type, root within the hierarchy, mount point, super options
                mounts.add(new String[]{f[separator + 1], unescape(f[3]), unescape(f[4]), f[separator + 3]});
            }
        }
        Map<String, Path> v1 = new HashMap<>();
        Path unified = null;
        for (String line : cgroupText.split("\n")) {
            String[] f = line.split(":", 3);
            if (f.length != 3) {
                continue;
            }
            if (f[1].isEmpty()) {
                unified = dirIn(mounts, "cgroup2", null, containerTop(f[2]));
                continue;
            }
            for (String controller : f[1].split(",")) {
                if (V1_CONTROLLERS.contains(controller)) {
                    Path dir = dirIn(mounts, "cgroup", controller, f[2]);
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
        return path.endsWith(leaf) && path.length() > leaf.length() ? path.substring(0, path.length() - leaf.length()) : path;
    }

    /** The host dir of {@code path} in a mounted hierarchy of {@code type} (with {@code controller} for v1). */
    private static Path dirIn(List<String[]> mounts, String type, String controller, String path) {
        for (String[] mount : mounts) {
            if (!mount[0].equals(type) || (controller != null && !List.of(mount[3].split(",")).contains(controller))) {
                continue;
            }
            String root = mount[1];
            if (!root.equals("/") && !path.equals(root) && !path.startsWith(root + "/")) {
                continue;
            }
            String relative = root.equals("/") ? path : path.substring(root.length());
            relative = relative.replaceAll("^/+", "");
            if (List.of(relative.split("/")).contains("..")) {
                continue;
            }
            return Path.of(mount[2]).resolve(relative);
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

    /** mountinfo escapes space, tab, newline and backslash as \ooo. */
    private static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
