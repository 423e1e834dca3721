package io.jsysbox.procfs;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A container's memory: limit (empty = unlimited), usage including page cache (as the cgroup charges it),
 * memory.stat counters, and swap (empty when the kernel does not account swap for cgroups).
 */
public record MemoryState(OptionalLong limitBytes, long usageBytes, MemoryStat stat, Optional<Swap> swap) {

    /** Swap beyond the memory limit: limit empty = unlimited; usage = swap in use by the cgroup. */
    public record Swap(OptionalLong limitBytes, long usageBytes) {
        public Swap {
            Objects.requireNonNull(limitBytes);
        }
    }

    public MemoryState {
        Objects.requireNonNull(limitBytes);
        Objects.requireNonNull(stat);
        Objects.requireNonNull(swap);
    }

    /** No limits and nothing known: every memory line shows the host's values. */
    public static MemoryState unknown() {
        return new MemoryState(OptionalLong.empty(), 0, MemoryStat.empty(), Optional.empty());
    }
}
