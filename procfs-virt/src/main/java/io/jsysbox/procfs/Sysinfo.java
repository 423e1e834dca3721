package io.jsysbox.procfs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * What sysinfo(2) answers inside a container (busybox {@code free}, libuv, glibc's {@code sysconf(_SC_PHYS_PAGES)}).
 * The numbers are read back from the container's own /proc/meminfo, /proc/uptime and /proc/loadavg as their
 * renderers produce them, so that sysinfo and those files never disagree: totalram is MemTotal, freeram MemFree,
 * sharedram Shmem, bufferram Buffers, totalswap SwapTotal, freeswap SwapFree (in bytes: mem_unit 1, as a 64-bit
 * kernel reports them); uptime is /proc/uptime's first number rounded up to whole seconds (as the kernel rounds);
 * loads are /proc/loadavg's three averages in SI_LOAD_SHIFT fixed point; procs is the container's number of tasks.
 * A memory or swap line the rendered text lacks counts 0.
 *
 * @param loads the 1, 5 and 15 minute load averages times 2^16 (the kernel's unsigned long loads[3])
 * @param procs tasks (threads) of the container: the total of its /proc/loadavg when that is the container's own,
 *              else its cgroup's pids.current; without either, the total /proc/loadavg shows (the host's)
 */
public record Sysinfo(
        long uptimeSeconds,
        Loads loads,
        long totalRam,
        long freeRam,
        long sharedRam,
        long bufferRam,
        long totalSwap,
        long freeSwap,
        int procs) {
    /** sizeof(struct sysinfo) on x86_64. */
    public static final int SIZE = 112;
    /** The cgroup file (v1 pids controller, v2 unified dir) counting the container's tasks, nested ones included. */
    public static final String TASKS_FILE = "pids.current";

    private static final int SI_LOAD_SHIFT = 16;
    private static final long BYTES_PER_KB = 1024;
    private static final MeminfoRenderer MEMINFO = new MeminfoRenderer();
    private static final UptimeRenderer UPTIME = new UptimeRenderer();
    private static final LoadavgRenderer LOADAVG = new LoadavgRenderer();

    /** The load averages over 1, 5 and 15 minutes, in SI_LOAD_SHIFT fixed point. */
    public record Loads(long oneMinute, long fiveMinutes, long fifteenMinutes) {}

    public Sysinfo {
        Objects.requireNonNull(loads);
    }

    /**
     * The container's sysinfo. {@code host*}: the host's /proc/meminfo, /proc/uptime and /proc/loadavg text;
     * {@code cgroupFiles}: the container's cgroup files by name, as for the cgroup readers (only
     * {@value #TASKS_FILE} is read).
     */
    public static Sysinfo of(
            ContainerView view,
            String hostMeminfo,
            String hostUptime,
            String hostLoadavg,
            Function<String, Optional<String>> cgroupFiles) {
        String meminfo = MEMINFO.render(view, hostMeminfo);
        String uptime = UPTIME.render(view, hostUptime);
        String loadavg = LOADAVG.render(view, hostLoadavg);
        String[] load = Fields.words(loadavg, 0, Fields.lineEnd(loadavg, 0));
        if (load.length < 4 || load[3].indexOf('/') < 0) {
            throw new IllegalArgumentException(
                    "loadavg: expected 'L1 L5 L15 RUNNING/TOTAL LASTPID', got '" + loadavg.strip() + "'");
        }
        Loads loads = new Loads(fixedPoint(load[0]), fixedPoint(load[1]), fixedPoint(load[2]));
        long tasks = Long.parseLong(load[3].substring(load[3].indexOf('/') + 1));
        if (view.loadAverage().isEmpty()) {
            tasks = cgroupFiles
                    .apply(TASKS_FILE)
                    .map(text -> CgroupText.parseLong(TASKS_FILE, text))
                    .orElse(tasks);
        }
        String uptimeText = uptime.strip();
        int space = uptimeText.indexOf(' ');
        long uptimeHundredths = Fields.parseHundredths(uptimeText, 0, space < 0 ? uptimeText.length() : space);
        return new Sysinfo(
                (uptimeHundredths + 99) / 100,
                loads,
                bytes(meminfo, "MemTotal"),
                bytes(meminfo, "MemFree"),
                bytes(meminfo, "Shmem"),
                bytes(meminfo, "Buffers"),
                bytes(meminfo, "SwapTotal"),
                bytes(meminfo, "SwapFree"),
                (int) Math.min(tasks, 0xffff));
    }

    /** "0.42" → 0.42 × 2^16. */
    private static long fixedPoint(String hundredths) {
        return (Fields.parseHundredths(hundredths, 0, hundredths.length()) << SI_LOAD_SHIFT) / 100;
    }

    private static long bytes(String meminfo, String label) {
        return Math.max(0, Fields.labelledNumber(meminfo, label)) * BYTES_PER_KB;
    }

    /**
     * The x86_64 struct sysinfo, little endian: long uptime; unsigned long loads[3], totalram, freeram, sharedram,
     * bufferram, totalswap, freeswap; unsigned short procs, pad; (4 bytes of alignment); unsigned long totalhigh,
     * freehigh (no high memory on 64-bit: 0); unsigned int mem_unit; padding up to {@value #SIZE} bytes.
     */
    public byte[] encode() {
        ByteBuffer out = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(0, uptimeSeconds);
        out.putLong(8, loads.oneMinute()).putLong(16, loads.fiveMinutes()).putLong(24, loads.fifteenMinutes());
        out.putLong(32, totalRam).putLong(40, freeRam).putLong(48, sharedRam).putLong(56, bufferRam);
        out.putLong(64, totalSwap).putLong(72, freeSwap);
        out.putShort(80, (short) procs);
        out.putInt(104, 1); // mem_unit: the byte counts above are in bytes
        return out.array();
    }
}
