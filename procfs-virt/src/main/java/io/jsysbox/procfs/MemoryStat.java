package io.jsysbox.procfs;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.OptionalLong;

/** The memory.stat counters of one cgroup, in bytes; a counter the cgroup version lacks is absent. */
public final class MemoryStat {
    private static final long ABSENT = CgroupText.ABSENT;
    private static final MemoryCounter[] COUNTERS = MemoryCounter.values();

    private final long[] bytes;

    private MemoryStat(long[] bytes) {
        this.bytes = bytes;
    }

    /**
     * The counters from {@code bytes}, indexed by {@link MemoryCounter#ordinal()} (entries past the last counter are
     * ignored), {@link CgroupText#ABSENT} for one the cgroup lacks.
     */
    static MemoryStat of(long[] bytes) {
        return new MemoryStat(Arrays.copyOf(bytes, COUNTERS.length));
    }

    public static MemoryStat empty() {
        long[] bytes = new long[COUNTERS.length];
        Arrays.fill(bytes, ABSENT);
        return new MemoryStat(bytes);
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
