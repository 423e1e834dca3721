package io.jsysbox.installer;

import io.jsysbox.api.v1.ContainerStatus;
import io.jsysbox.api.v1.FsContainer;
import io.jsysbox.api.v1.FsStatusResponse;
import io.jsysbox.api.v1.IdRange;
import io.jsysbox.api.v1.StatusResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The lines of {@code jsysbox status}, from the daemons' Status answers. Pure. For people: the tests rely only on
 * the manager's one line per container, which comes before anything jsysbox-fs prints about the same container.
 */
final class StatusReport {
    private StatusReport() {}

    static List<String> manager(StatusResponse status, String supervision) {
        List<String> lines = new ArrayList<>();
        lines.add("manager: up (version " + status.getVersion() + ", " + supervision + ")");
        lines.add("pool: uid " + range(status.getUidPool()) + ", gid " + range(status.getGidPool()) + ", "
                + status.getFreeRanges() + " free ranges");
        lines.add("containers: " + status.getContainersCount());
        for (ContainerStatus c : status.getContainersList()) {
            // The container whose range it shares is not named: a line names one container only (the tests find lines
            // by id).
            lines.add(String.format(
                    "  %s  uid %s  gid %s  pid %d  rootfs %s%s",
                    c.getId(),
                    range(c.getUidRange()),
                    range(c.getGidRange()),
                    c.getPid(),
                    c.getRootfsShift(),
                    c.getSharesRangeOf().isEmpty() ? "" : "  shares another container's range"));
        }
        var cache = status.getInnerImageCache();
        lines.add(String.format(
                "inner image cache: %d entries, %s (%s)",
                cache.getEntriesCount(), mebibytes(cache.getBytes()), cache.getDir()));
        for (var entry : cache.getEntriesList()) {
            lines.add(String.format(
                    "  %s  %d shared layers  used by %d running  from %s",
                    entry.getKey(), entry.getSharedLayers(), entry.getUsers(), entry.getSource()));
        }
        return lines;
    }

    private static String mebibytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    static List<String> filesystem(FsStatusResponse status, String supervision) {
        List<String> lines = new ArrayList<>();
        lines.add("jsysbox-fs: up (version " + status.getVersion() + ", mounted at " + status.getMountDir() + ", "
                + supervision + ")");
        lines.add("registered: " + status.getContainersCount());
        for (FsContainer c : status.getContainersList()) {
            StringBuilder line = new StringBuilder(
                    "  " + c.getId() + "  init " + c.getInitPid() + "  cgroup " + c.getCgroupVersion());
            // Sorted: the map's order is the daemon's, which would make two runs print the same state differently.
            Map<String, String> sysctls = new TreeMap<>(c.getSysctlsMap());
            sysctls.forEach(
                    (path, value) -> line.append("  ").append(path).append('=').append(value.strip()));
            lines.add(line.toString());
        }
        return lines;
    }

    /** One line for a daemon that does not answer. */
    static String down(String what, String reason, Daemon daemon) {
        return what + ": down (" + reason + "; log: " + daemon.log() + ")";
    }

    private static String range(IdRange r) {
        return r.getHostStart() + "-" + (r.getHostStart() + r.getSize() - 1);
    }
}
