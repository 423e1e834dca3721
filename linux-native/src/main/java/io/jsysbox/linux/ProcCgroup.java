package io.jsysbox.linux;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The lines of /proc/<pid>/cgroup: {@code hierarchy-id:controllers:path}. */
public record ProcCgroup(List<Line> lines) {
    /** {@code controllers} is empty for the cgroup2 line ("0::/path"). */
    public record Line(int hierarchy, List<String> controllers, String path) {}

    public static ProcCgroup parse(String text) {
        List<Line> lines = new ArrayList<>();
        for (String raw : text.split("\n")) {
            if (raw.isBlank()) {
                continue;
            }
            String[] f = raw.split(":", 3);
            if (f.length != 3) {
                throw new IllegalArgumentException("malformed /proc/<pid>/cgroup line: " + raw);
            }
            List<String> controllers = f[1].isEmpty() ? List.of() : List.of(f[1].split(","));
            lines.add(new Line(Integer.parseInt(f[0]), controllers, f[2]));
        }
        return new ProcCgroup(List.copyOf(lines));
    }

    /**
     * The host dir of cgroup {@code path} in a hierarchy mounted at {@code mount} (whose root within the hierarchy is
     * {@code mount.root()}); null when the mount does not show it. Never a hierarchy's root (a process in the host's
     * root cgroup) nor a path escaping it: what this names is handed to, or read for, a container.
     */
    public static Path hostDir(MountInfo.Entry mount, String path) {
        String root = mount.root();
        String relative;
        if (root.equals("/")) {
            relative = path;
        } else if (path.startsWith(root + "/")) {
            relative = path.substring(root.length());
        } else {
            return null;
        }
        relative = relative.replaceAll("^/+", "");
        if (relative.isEmpty() || List.of(relative.split("/")).contains("..")) {
            return null;
        }
        return mount.mountPoint().resolve(relative);
    }
}
