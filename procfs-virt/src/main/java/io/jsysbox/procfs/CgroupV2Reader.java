package io.jsysbox.procfs;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * Reads a container's cgroup v2 values. {@code files} maps a file name of the container's cgroup directory
 * ("memory.max", "cpu.stat", …) to its content, or empty when the file does not exist (controller not
 * enabled for the cgroup).
 */
public final class CgroupV2Reader {
    private static final long NANOS_PER_MICRO = 1_000;
    private static final String[] STAT_KEYS = CgroupText.memoryStatKeys(MemoryCounter::v2Name);

    private CgroupV2Reader() {}

    public static CgroupStats read(Function<String, Optional<String>> files) {
        return new CgroupStats(memory(files), cpu(files), io(files));
    }

    static MemoryState memory(Function<String, Optional<String>> files) {
        OptionalLong limit = files.apply("memory.max")
                .map(text -> CgroupText.parseLimit("memory.max", text))
                .orElse(OptionalLong.empty());
        long usage = files.apply("memory.current")
                .map(text -> CgroupText.parseLong("memory.current", text))
                .orElse(0L);
        MemoryStat stat = files.apply("memory.stat")
                .map(text -> MemoryStat.of(CgroupText.parseKeyed("memory.stat", text, STAT_KEYS)))
                .orElseGet(MemoryStat::empty);
        Optional<MemoryState.Swap> swap = files.apply("memory.swap.max")
                .map(swapMax -> new MemoryState.Swap(
                        CgroupText.parseLimit("memory.swap.max", swapMax),
                        files.apply("memory.swap.current")
                                .map(text -> CgroupText.parseLong("memory.swap.current", text))
                                .orElse(0L)));
        return new MemoryState(limit, usage, stat, swap);
    }

    /** cpu.max is "QUOTA PERIOD" with QUOTA "max" when unlimited. */
    static CpuState cpu(Function<String, Optional<String>> files) {
        BitSet cpuset = files.apply("cpuset.cpus.effective").map(CpuList::parse).orElseGet(BitSet::new);
        OptionalLong quota = OptionalLong.empty();
        long period = 100_000;
        Optional<String> cpuMax = files.apply("cpu.max");
        if (cpuMax.isPresent()) {
            String text = cpuMax.get().strip();
            int space = text.indexOf(' ');
            if (space < 0) {
                throw new IllegalArgumentException("cgroup file cpu.max: expected 'QUOTA PERIOD', got '" + text + "'");
            }
            quota = CgroupText.parseLimit("cpu.max", text.substring(0, space));
            period = CgroupText.parseLong("cpu.max", text.substring(space + 1));
        }
        Optional<CpuUsage> usage = files.apply("cpu.stat").map(text -> {
            long[] micros = CgroupText.parseKeyed("cpu.stat", text, "user_usec", "system_usec");
            return CpuUsage.totals(Math.max(0, micros[0]) * NANOS_PER_MICRO, Math.max(0, micros[1]) * NANOS_PER_MICRO);
        });
        return new CpuState(cpuset, quota, period, usage);
    }

    /** io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" per device. */
    static Map<String, IoCounters> io(Function<String, Optional<String>> files) {
        Map<String, IoCounters> io = new HashMap<>();
        for (String line : files.apply("io.stat").orElse("").split("\n")) {
            String[] fields = line.strip().split(" ");
            if (fields.length < 2) {
                continue;
            }
            Map<String, Long> counters = new HashMap<>();
            for (int i = 1; i < fields.length; i++) {
                int equals = fields[i].indexOf('=');
                if (equals > 0) {
                    counters.put(
                            fields[i].substring(0, equals),
                            CgroupText.parseLong("io.stat", fields[i].substring(equals + 1)));
                }
            }
            io.put(
                    fields[0],
                    new IoCounters(
                            counters.getOrDefault("rbytes", 0L),
                            counters.getOrDefault("wbytes", 0L),
                            counters.getOrDefault("dbytes", 0L),
                            counters.getOrDefault("rios", 0L),
                            counters.getOrDefault("wios", 0L),
                            counters.getOrDefault("dios", 0L)));
        }
        return io;
    }
}
