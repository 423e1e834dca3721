package io.jsysbox.mgr;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** cgroup v1: the process's dir in every hierarchy (cpu, memory, …, name=systemd), with every file in it. */
public final class CgroupV1Delegation implements CgroupDelegation {
    @Override
    public List<Path> directories(ProcCgroup cgroups, MountInfo mounts) {
        List<Path> dirs = new ArrayList<>();
        for (ProcCgroup.Line line : cgroups.lines()) {
            if (line.controllers().isEmpty()) continue;
            for (MountInfo.Entry mount : mounts.ofType("cgroup")) {
                if (line.controllers().stream().allMatch(mount::hasSuperOption)) {
                    Path dir = ProcCgroup.hostDir(mount, line.path());
                    if (dir != null && !dirs.contains(dir)) dirs.add(dir);
                    break;
                }
            }
        }
        return dirs;
    }

    @Override
    public List<String> delegatedFiles() { return List.of(); }
}
