package io.jsysbox.procfs;

import java.util.Map;

/**
 * /proc/diskstats inside a container. When the cgroup reports the container's I/O per device, only those
 * devices are listed, with the container's own counts: reads, sectors read, writes, sectors written,
 * discards and sectors discarded (bytes / 512); the columns the cgroup does not track (merges, times,
 * in-flight, flushes) are 0 rather than the host's, which would not match the counts. Without I/O stats
 * the host's file is shown unchanged. Lines keep the kernel's "%4d %7d name" layout and the host's number
 * of columns.
 */
public final class DiskstatsRenderer implements ProcFileRenderer {
    private static final int SECTOR_BYTES = 512;
    private static final int READS = 0;
    private static final int SECTORS_READ = 2;
    private static final int WRITES = 4;
    private static final int SECTORS_WRITTEN = 6;
    private static final int DISCARDS = 11;
    private static final int SECTORS_DISCARDED = 13;

    @Override
    public String render(ContainerView view, String hostText) {
        Map<String, IoCounters> io = view.io();
        if (io.isEmpty()) {
            return hostText;
        }
        StringBuilder out = new StringBuilder(io.size() * 128);
        int start = 0;
        while (start < hostText.length()) {
            int end = Fields.lineEnd(hostText, start);
            int majorStart = Fields.skipBlanks(hostText, start, end);
            int majorEnd = Fields.skipToBlank(hostText, majorStart, end);
            int minorStart = Fields.skipBlanks(hostText, majorEnd, end);
            int minorEnd = Fields.skipToBlank(hostText, minorStart, end);
            int nameStart = Fields.skipBlanks(hostText, minorEnd, end);
            int nameEnd = Fields.skipToBlank(hostText, nameStart, end);
            if (nameEnd > nameStart) {
                String device =
                        hostText.substring(majorStart, majorEnd) + ':' + hostText.substring(minorStart, minorEnd);
                IoCounters counters = io.get(device);
                if (counters != null) {
                    long[] columns = new long[Fields.longs(hostText, nameEnd, end).length];
                    set(columns, READS, counters.reads());
                    set(columns, SECTORS_READ, counters.readBytes() / SECTOR_BYTES);
                    set(columns, WRITES, counters.writes());
                    set(columns, SECTORS_WRITTEN, counters.writeBytes() / SECTOR_BYTES);
                    set(columns, DISCARDS, counters.discards());
                    set(columns, SECTORS_DISCARDED, counters.discardBytes() / SECTOR_BYTES);
                    Fields.appendPadded(out, Long.parseLong(hostText, majorStart, majorEnd, 10), 4);
                    out.append(' ');
                    Fields.appendPadded(out, Long.parseLong(hostText, minorStart, minorEnd, 10), 7);
                    out.append(' ').append(hostText, nameStart, nameEnd);
                    for (long column : columns) {
                        out.append(' ').append(column);
                    }
                    out.append('\n');
                }
            }
            start = end + 1;
        }
        return out.toString();
    }

    private static void set(long[] columns, int index, long value) {
        if (index < columns.length) {
            columns[index] = value;
        }
    }
}
