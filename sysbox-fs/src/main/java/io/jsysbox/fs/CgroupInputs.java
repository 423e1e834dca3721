package io.jsysbox.fs;

import io.jsysbox.procfs.Sysinfo;
import java.util.function.Predicate;

/**
 * Which cgroup files each virtual file (and sysinfo) depends on. The cgroup readers ask for every file they know;
 * reading
 * only those a file needs keeps an open+read of /proc/uptime from costing a dozen cgroup reads.
 */
final class CgroupInputs {
    private static final Predicate<String> NONE = name -> false;
    private static final Predicate<String> MEMORY = name -> name.startsWith("memory.");
    /** The shown CPUs: cpuset and quota (v1 cpu.cfs_*, v2 cpu.max). */
    private static final Predicate<String> CPUS =
            name -> name.startsWith("cpuset.") || name.startsWith("cpu.cfs_") || name.equals("cpu.max");
    /** The shown CPUs and their usage (v1 cpuacct.*, v2 cpu.stat). */
    private static final Predicate<String> CPU_TIMES =
            CPUS.or(name -> name.startsWith("cpuacct.") || name.equals("cpu.stat"));

    private static final Predicate<String> IO = name -> name.startsWith("blkio.") || name.equals("io.stat");
    /** sysinfo(2): memory (meminfo's numbers) and the task count; its uptime needs no CPU file. */
    static final Predicate<String> SYSINFO = MEMORY.or(Sysinfo.TASKS_FILE::equals);

    private CgroupInputs() {}

    static Predicate<String> of(String path) {
        return switch (path) {
            case "/proc/meminfo", "/proc/swaps" -> MEMORY;
            case "/proc/cpuinfo", "/proc/uptime" -> CPUS;
            case "/proc/stat" -> CPU_TIMES;
            case "/proc/diskstats" -> IO;
            default -> NONE;
        };
    }
}
