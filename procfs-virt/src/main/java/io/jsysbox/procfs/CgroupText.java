package io.jsysbox.procfs;

import java.util.Arrays;
import java.util.OptionalLong;
import java.util.function.Function;

/** Parsing shared by the cgroup v1 and v2 readers: numbers, limits and "key value" files. */
final class CgroupText {
    /**
     * cgroup v1 reports "no limit" as the largest page-aligned counter (9223372036854771712 with 4 KiB pages);
     * anything above 2^62 bytes is treated as unlimited, whatever the page size.
     */
    private static final long UNLIMITED_ABOVE = 1L << 62;

    /** What {@link #parseKeyed} gives a key the file lacks: the files' counters are never negative. */
    static final long ABSENT = -1;

    private CgroupText() {}

    static long parseLong(String name, String text) {
        return parseLong(name, text, 0, text.length());
    }

    /** The number in {@code text} from {@code begin} to {@code end}, white space around it ignored. */
    private static long parseLong(String name, String text, int begin, int end) {
        int first = begin;
        while (first < end && Character.isWhitespace(text.charAt(first))) {
            first++;
        }
        int last = end;
        while (last > first && Character.isWhitespace(text.charAt(last - 1))) {
            last--;
        }
        try {
            return Long.parseLong(text, first, last, 10);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "cgroup file " + name + ": not a number: '" + text.substring(first, last) + "'", e);
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

    /**
     * The numbers of {@code keys} in a flat keyed file ("key value" lines, as memory.stat and cpu.stat), in the keys'
     * order; {@link #ABSENT} for a key the file lacks (and for a null key). No String is made per line: memory.stat
     * has ~40 lines, and every /proc/meminfo read of a container reads it.
     */
    static long[] parseKeyed(String name, String text, String... keys) {
        long[] values = new long[keys.length];
        Arrays.fill(values, ABSENT);
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            int space = text.indexOf(' ', start);
            if (space > start && space < end) {
                int length = space - start;
                for (int i = 0; i < keys.length; i++) {
                    String key = keys[i];
                    if (key != null && key.length() == length && text.regionMatches(start, key, 0, length)) {
                        values[i] = parseLong(name, text, space + 1, end);
                        break;
                    }
                }
            }
            start = end + 1;
        }
        return values;
    }

    /**
     * The names memory.stat gives {@link MemoryCounter}s in one cgroup version (null: it has none), in order, then
     * {@code more} keys.
     */
    static String[] memoryStatKeys(Function<MemoryCounter, String> nameOf, String... more) {
        MemoryCounter[] counters = MemoryCounter.values();
        String[] keys = new String[counters.length + more.length];
        for (int i = 0; i < counters.length; i++) {
            keys[i] = nameOf.apply(counters[i]);
        }
        System.arraycopy(more, 0, keys, counters.length, more.length);
        return keys;
    }
}
