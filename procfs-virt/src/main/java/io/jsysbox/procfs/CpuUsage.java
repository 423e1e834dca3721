package io.jsysbox.procfs;

import java.util.Objects;

/**
 * CPU time the container's cgroup has used, in nanoseconds: user and system totals, and per host CPU when
 * the cgroup version reports it (cgroup v1 cpuacct.usage_all; cgroup v2 has totals only, so the per-CPU
 * arrays are empty).
 */
public record CpuUsage(long userNanos, long systemNanos, long[] perCpuUserNanos, long[] perCpuSystemNanos) {

    public CpuUsage {
        Objects.requireNonNull(perCpuUserNanos);
        Objects.requireNonNull(perCpuSystemNanos);
        if (perCpuUserNanos.length != perCpuSystemNanos.length) {
            throw new IllegalArgumentException("per-CPU user and system arrays differ in length");
        }
    }

    public static CpuUsage totals(long userNanos, long systemNanos) {
        return new CpuUsage(userNanos, systemNanos, new long[0], new long[0]);
    }

    public boolean hasPerCpu() {
        return perCpuUserNanos.length > 0;
    }
}
