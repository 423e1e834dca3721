package io.jsysbox.procfs;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.OptionalLong;

/** The memory.stat counters of one cgroup, in bytes; a counter the cgroup version lacks is absent. */
public final class MemoryStat {
    private static final long ABSENT = -1;
    private static final MemoryCounter[] COUNTERS = MemoryCounter.values();

    private final long[] bytes;

    private MemoryStat(long[] bytes) {
        this.bytes = bytes;
    }

    /** A stat with the given counters; every other counter absent. */
    public static MemoryStat of(Map<MemoryCounter, Long> counters) {
        long[] bytes = new long[COUNTERS.length];
        Arrays.fill(bytes, ABSENT);
        counters.forEach((counter, value) -> bytes[counter.ordinal()] = value);
        return new MemoryStat(bytes);
    }

    public static MemoryStat empty() {
        return of(Map.of());
    }

    public OptionalLong get(MemoryCounter counter) {
        long value = bytes[counter.ordinal()];
        return value == ABSENT ? OptionalLong.empty() : OptionalLong.of(value);
    }

    /** The counter, or 0 when absent. */
    public long getOrZero(MemoryCounter counter) {
        return Math.max(0, bytes[counter.ordinal()]);
    }

    public Map<MemoryCounter, Long> asMap() {
        Map<MemoryCounter, Long> map = new EnumMap<>(MemoryCounter.class);
        for (MemoryCounter counter : COUNTERS) {
            if (bytes[counter.ordinal()] != ABSENT) {
                map.put(counter, bytes[counter.ordinal()]);
            }
        }
        return map;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof MemoryStat stat && Arrays.equals(bytes, stat.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "MemoryStat" + asMap();
    }
}
