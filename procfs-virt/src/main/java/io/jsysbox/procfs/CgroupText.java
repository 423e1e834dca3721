package io.jsysbox.procfs;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Function;

/** Parsing shared by the cgroup v1 and v2 readers: numbers, limits and "key value" files. */
final class CgroupText {
    /**
     * cgroup v1 reports "no limit" as the largest page-aligned counter (9223372036854771712 with 4 KiB pages);
     * anything above 2^62 bytes is treated as unlimited, whatever the page size.
     */
    private static final long UNLIMITED_ABOVE = 1L << 62;

    private CgroupText() {}

    static long parseLong(String name, String text) {
        String value = text.strip();
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cgroup file " + name + ": not a number: '" + value + "'", e);
        }
    }

    /** A v1 byte limit or a v2 limit ("max" = unlimited). */
    static OptionalLong parseLimit(String name, String text) {
        String value = text.strip();
        if (value.equals("max")) {
            return OptionalLong.empty();
        }
        long limit = parseLong(name, value);
        return limit > UNLIMITED_ABOVE ? OptionalLong.empty() : OptionalLong.of(limit);
    }

    /** The numbers of a flat keyed file ("key value" lines, as memory.stat and cpu.stat). */
    static Map<String, Long> parseKeyed(String name, String text) {
        Map<String, Long> values = new HashMap<>();
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            int space = text.indexOf(' ', start);
            if (space > start && space < end) {
                values.put(text.substring(start, space), parseLong(name, text.substring(space + 1, end)));
            }
            start = end + 1;
        }
        return values;
    }

    static MemoryStat memoryStat(Map<String, Long> keyed, Function<MemoryCounter, String> nameOf) {
        Map<MemoryCounter, Long> counters = new HashMap<>();
        for (MemoryCounter counter : MemoryCounter.values()) {
            String key = nameOf.apply(counter);
            if (key != null && keyed.containsKey(key)) {
                counters.put(counter, keyed.get(key));
            }
        }
        return MemoryStat.of(counters);
    }
}
