package io.jsysbox.procfs;

import java.util.BitSet;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A container's CPU limits and usage: the cpuset (empty = no cpuset restriction), the CFS quota per period
 * (quota empty = unlimited) and the cgroup's CPU time when known.
 */
public record CpuState(BitSet cpuset, OptionalLong quotaMicros, long periodMicros, Optional<CpuUsage> usage) {

    public CpuState {
        cpuset = (BitSet) Objects.requireNonNull(cpuset).clone();
        Objects.requireNonNull(quotaMicros);
        Objects.requireNonNull(usage);
        if (periodMicros <= 0) {
            throw new IllegalArgumentException("CFS period must be positive, got " + periodMicros);
        }
    }

    public static CpuState unlimited() {
        return new CpuState(new BitSet(), OptionalLong.empty(), 100_000, Optional.empty());
    }

    @Override
    public BitSet cpuset() {
        return (BitSet) cpuset.clone();
    }

    /** The host CPUs the container may run on: its cpuset within the online CPUs (all online without a cpuset). */
    public BitSet allowedCpus(BitSet hostOnline) {
        BitSet allowed = (BitSet) hostOnline.clone();
        if (!cpuset.isEmpty()) {
            allowed.and(cpuset);
        }
        return allowed;
    }

    /**
     * The host CPUs the container is shown: the allowed CPUs, cut to the first ceil(quota / period) of them,
     * because a quota of 1.5 CPUs can keep at most 2 CPUs busy.
     */
    public BitSet visibleCpus(BitSet hostOnline) {
        BitSet allowed = allowedCpus(hostOnline);
        if (quotaMicros.isEmpty()) {
            return allowed;
        }
        long quotaCpus = Math.max(1, (quotaMicros.getAsLong() + periodMicros - 1) / periodMicros);
        if (allowed.cardinality() <= quotaCpus) {
            return allowed;
        }
        BitSet visible = new BitSet();
        for (int cpu = allowed.nextSetBit(0);
                cpu >= 0 && visible.cardinality() < quotaCpus;
                cpu = allowed.nextSetBit(cpu + 1)) {
            visible.set(cpu);
        }
        return visible;
    }
}
