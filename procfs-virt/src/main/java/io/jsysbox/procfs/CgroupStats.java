package io.jsysbox.procfs;

import java.util.Map;
import java.util.Objects;

/**
 * What a container's cgroup says about it. {@code io} is keyed by block device "major:minor"; it is empty
 * when the I/O controller reports nothing for the container.
 */
public record CgroupStats(MemoryState memory, CpuState cpu, Map<String, IoCounters> io) {
    public CgroupStats {
        Objects.requireNonNull(memory);
        Objects.requireNonNull(cpu);
        io = Map.copyOf(io);
    }
}
