package io.jsysbox.tests;

import java.util.Arrays;
import java.util.List;

/** One line of /proc/PID/uid_map or gid_map: {@code count} ids from {@code inside} map to ids from {@code outside}. */
public record IdMapping(long inside, long outside, long count) {
    public static List<IdMapping> parseMap(String mapText) {
        return mapText.lines()
                .map(String::strip)
                .filter(line -> !line.isEmpty())
                .map(line -> {
                    long[] f = Arrays.stream(line.split("\\s+"))
                            .mapToLong(Long::parseLong)
                            .toArray();
                    if (f.length != 3) {
                        throw new IllegalArgumentException("not an id map line: " + line);
                    }
                    return new IdMapping(f[0], f[1], f[2]);
                })
                .toList();
    }

    /** The host ids this line covers. */
    public IdRange outsideRange() {
        return new IdRange(outside, count);
    }

    @Override
    public String toString() {
        return inside + " " + outside + " " + count;
    }
}
