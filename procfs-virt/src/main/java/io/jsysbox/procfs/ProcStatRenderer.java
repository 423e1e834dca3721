package io.jsysbox.procfs;

import java.util.BitSet;
import java.util.Optional;

/**
 * /proc/stat inside a container: "cpuN" lines only for the CPUs it is shown, renumbered 0..n-1, and the
 * "cpu" line the column sum of those; every other line (intr, ctxt, btime, processes…) is the host's.
 * <p>
 * When the cgroup reports the container's CPU time, each shown CPU's user and system columns are the
 * container's own (in USER_HZ ticks), idle is the rest of that host CPU's time (so per-interval deltas add
 * up to wall time, as tools like top expect) and the other columns are 0. cgroup v1 reports time per host
 * CPU: the time of every allowed CPU is folded onto the shown ones round-robin (a quota can hide CPUs the
 * container still runs on). cgroup v2 reports totals only: they are split evenly over the shown CPUs.
 * Without usage, the shown CPUs' host lines are used as they are.
 */
public final class ProcStatRenderer implements ProcFileRenderer {
    private static final long NANOS_PER_TICK = 10_000_000;
    /** user nice system idle iowait irq softirq steal: guest and guest_nice are already counted in user and nice. */
    private static final int TIME_COLUMNS = 8;

    private static final int USER = 0;
    private static final int SYSTEM = 2;
    private static final int IDLE = 3;

    @Override
    public String render(ContainerView view, String hostText) {
        BitSet visible = view.visibleCpus();
        long[][] hostCpuLines = hostCpuLines(hostText, visible);
        int[] shown = visible.stream().filter(cpu -> hostCpuLines[cpu] != null).toArray();
        long[][] lines = new long[shown.length][];
        for (int i = 0; i < shown.length; i++) {
            lines[i] = hostCpuLines[shown[i]];
        }
        Optional<CpuUsage> usage = view.cpu().usage();
        if (usage.isEmpty() && shown.length == hostCpuLineCount(hostText)) {
            return hostText; // every CPU shown as the host has it: keep the kernel's own aggregate line
        }
        if (usage.isPresent() && shown.length > 0) {
            lines = withContainerTime(lines, usage.get(), view.allowedCpus(), shown);
        }
        StringBuilder out = new StringBuilder(hostText.length());
        int start = 0;
        while (start < hostText.length()) {
            int end = Fields.lineEnd(hostText, start);
            if (hostText.startsWith("cpu ", start)) {
                appendCpuLines(out, lines);
            } else if (!isPerCpuLine(hostText, start)) {
                out.append(hostText, start, end).append('\n');
            }
            start = end + 1;
        }
        if (!hostText.endsWith("\n")) {
            out.setLength(out.length() - 1);
        }
        return out.toString();
    }

    /** The columns of the host's "cpuN" lines for the visible CPUs, indexed by host CPU number. */
    private static long[][] hostCpuLines(String hostText, BitSet visible) {
        long[][] lines = new long[Math.max(visible.length(), 1)][];
        int start = 0;
        while (start < hostText.length() && hostText.startsWith("cpu", start)) {
            int end = Fields.lineEnd(hostText, start);
            if (isPerCpuLine(hostText, start)) {
                int space = hostText.indexOf(' ', start);
                int cpu = Integer.parseInt(hostText, start + 3, space, 10);
                if (visible.get(cpu)) {
                    lines[cpu] = Fields.longs(hostText, space, end);
                }
            }
            start = end + 1;
        }
        return lines;
    }

    private static int hostCpuLineCount(String hostText) {
        int count = 0;
        for (int start = 0;
                start < hostText.length() && hostText.startsWith("cpu", start);
                start = Fields.lineEnd(hostText, start) + 1) {
            if (isPerCpuLine(hostText, start)) {
                count++;
            }
        }
        return count;
    }

    private static boolean isPerCpuLine(String text, int start) {
        return text.startsWith("cpu", start) && start + 3 < text.length() && Character.isDigit(text.charAt(start + 3));
    }

    private static long[][] withContainerTime(long[][] hostLines, CpuUsage usage, BitSet allowed, int[] shown) {
        long[] userNanos = new long[shown.length];
        long[] systemNanos = new long[shown.length];
        if (usage.hasPerCpu()) {
            int next = 0;
            for (int cpu = allowed.nextSetBit(0); cpu >= 0; cpu = allowed.nextSetBit(cpu + 1)) {
                if (cpu < usage.perCpuUserNanos().length) {
                    userNanos[next % shown.length] += usage.perCpuUserNanos()[cpu];
                    systemNanos[next % shown.length] += usage.perCpuSystemNanos()[cpu];
                }
                next++;
            }
        } else {
            for (int i = 0; i < shown.length; i++) {
                userNanos[i] = usage.userNanos() / shown.length;
                systemNanos[i] = usage.systemNanos() / shown.length;
            }
        }
        long[][] lines = new long[shown.length][];
        for (int i = 0; i < shown.length; i++) {
            long[] host = hostLines[i];
            long hostTime = 0;
            for (int column = 0; column < Math.min(TIME_COLUMNS, host.length); column++) {
                hostTime += host[column];
            }
            long[] line = new long[host.length];
            line[USER] = userNanos[i] / NANOS_PER_TICK;
            line[SYSTEM] = systemNanos[i] / NANOS_PER_TICK;
            line[IDLE] = Math.max(0, hostTime - line[USER] - line[SYSTEM]);
            lines[i] = line;
        }
        return lines;
    }

    private static void appendCpuLines(StringBuilder out, long[][] lines) {
        int columns = 0;
        for (long[] line : lines) {
            columns = Math.max(columns, line.length);
        }
        long[] sum = new long[columns];
        for (long[] line : lines) {
            for (int column = 0; column < line.length; column++) {
                sum[column] += line[column];
            }
        }
        out.append("cpu ");
        appendColumns(out, sum);
        for (int i = 0; i < lines.length; i++) {
            out.append("cpu").append(i);
            appendColumns(out, lines[i]);
        }
    }

    private static void appendColumns(StringBuilder out, long[] columns) {
        for (long value : columns) {
            out.append(' ').append(value);
        }
        out.append('\n');
    }
}
