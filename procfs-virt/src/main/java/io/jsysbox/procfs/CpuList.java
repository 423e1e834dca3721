package io.jsysbox.procfs;

import java.util.BitSet;

/** The kernel's CPU list format ("0-3,6", as in cpuset.cpus and /sys/devices/system/cpu/online). */
public final class CpuList {
    private CpuList() {}

    /** Parses a CPU list; surrounding whitespace is ignored and an empty list is an empty set. */
    public static BitSet parse(String text) {
        BitSet cpus = new BitSet();
        String list = text.strip();
        int start = 0;
        while (start < list.length()) {
            int comma = list.indexOf(',', start);
            int end = comma < 0 ? list.length() : comma;
            int dash = list.indexOf('-', start);
            if (dash >= 0 && dash < end) {
                int first = parseCpu(list, start, dash);
                int last = parseCpu(list, dash + 1, end);
                if (last < first) {
                    throw new IllegalArgumentException("CPU range backwards in '" + text + "'");
                }
                cpus.set(first, last + 1);
            } else {
                cpus.set(parseCpu(list, start, end));
            }
            start = end + 1;
        }
        return cpus;
    }

    private static int parseCpu(String list, int from, int to) {
        try {
            return Integer.parseInt(list, from, to, 10);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a CPU list: '" + list + "'", e);
        }
    }
}
