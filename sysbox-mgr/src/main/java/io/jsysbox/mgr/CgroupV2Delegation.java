package io.jsysbox.mgr;

import io.jsysbox.linux.MountInfo;
import java.nio.file.Path;
import java.util.List;

/**
 * cgroup v2 (pure, or the hybrid "unified" mount): the leaf dir plus the files the kernel's delegation model
 * names (cgroup.procs, cgroup.threads, cgroup.subtree_control); controller files stay the parent's.
 */
public final class CgroupV2Delegation implements CgroupDelegation {
    @Override
    public List<Path> directories(ProcCgroup cgroups, MountInfo mounts) {
        for (ProcCgroup.Line line : cgroups.lines()) {
            if (line.hierarchy() != 0 || !line.controllers().isEmpty()) continue;
            for (MountInfo.Entry mount : mounts.ofType("cgroup2")) {
                Path dir = ProcCgroup.hostDir(mount, line.path());
                if (dir != null) return List.of(dir);
            }
        }
        return List.of();
    }

    @Override
    public List<String> delegatedFiles() { return List.of("cgroup.procs", "cgroup.threads", "cgroup.subtree_control"); }
}
