package io.jsysbox.procfs;

import java.util.function.Function;

/** How the FUSE daemon produces one virtual file. */
public sealed interface VirtualFile {

    /** Read {@code hostPath} on the host and pass its text through {@code renderer}; read-only. */
    record Rendered(String hostPath, ProcFileRenderer renderer) implements VirtualFile {}

    /** A per-container value kept in the container's {@link SysctlStore}; the host's file is at the same path. */
    record Sysctl(SysctlKey key) implements VirtualFile {}

    /** Content computed from the container alone, with no host file; read-only. */
    record Generated(Function<ContainerView, String> content) implements VirtualFile {}
}
