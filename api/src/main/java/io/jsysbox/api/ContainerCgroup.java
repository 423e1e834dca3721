package io.jsysbox.api;

/**
 * The layout of a container's cgroup v2 subtree, shared by the manager (which makes it) and jsysbox-fs (which reads
 * the container's limits at its top).
 */
public final class ContainerCgroup {
    /**
     * The child cgroup the container's processes live in, below the container's own cgroup (where runc puts its
     * limits).
     * cgroup v2 lets a cgroup with processes have children only with thread-mode controllers enabled, and such a
     * cgroup's new children come up "domain invalid": an inner runc then turns them threaded, and every reader of
     * their cgroup.procs (runc ps, containerd at its restart) fails. With no process at the top, an inner engine's
     * cgroups are ordinary domains, as on a host. The name is the one systemd gives PID 1's cgroup: systemd inside
     * takes the cgroup above it for its root.
     */
    public static final String INIT_LEAF = "init.scope";

    private ContainerCgroup() {}
}
