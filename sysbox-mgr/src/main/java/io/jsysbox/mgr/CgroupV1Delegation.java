package io.jsysbox.mgr;

import io.jsysbox.linux.MountInfo;
import io.jsysbox.linux.ProcCgroup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * cgroup v1: the process's dir in every hierarchy (cpu, memory, …, name=systemd) and the files that manage
 * membership. Limit files (memory.limit_in_bytes, cpu.cfs_quota_us…) stay host-owned: in v1 a file's owner may
 * write it, and the container must not lift the limits Docker set on it. Children it creates are its own.
 */
public final class CgroupV1Delegation implements CgroupDelegation {
    @Override
    public List<Path> directories(ProcCgroup cgroups, MountInfo mounts) {
        List<Path> dirs = new ArrayList<>();
        for (ProcCgroup.Line line : cgroups.lines()) {
            if (line.controllers().isEmpty()) {
                continue;
            }
            for (MountInfo.Entry mount : mounts.ofType("cgroup")) {
                if (line.controllers().stream().allMatch(mount::hasSuperOption)) {
                    Path dir = ProcCgroup.hostDir(mount, line.path());
                    if (dir != null && !dirs.contains(dir)) {
                        dirs.add(dir);
                    }
                    break;
                }
            }
        }
        return dirs;
    }

    @Override
    public List<String> delegatedFiles() {
        return List.of("cgroup.procs", "tasks", "cgroup.clone_children", "notify_on_release");
    }
}
