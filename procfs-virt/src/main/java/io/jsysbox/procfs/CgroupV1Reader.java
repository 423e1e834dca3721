package io.jsysbox.procfs;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * Reads a container's cgroup v1 values. {@code files} maps a cgroup file name ("memory.limit_in_bytes",
 * "cpuacct.usage_all", …) to its content, or empty when the file does not exist; the caller resolves the
 * name in the hierarchy of the controller the name starts with (memory, cpu, cpuacct, cpuset, blkio).
 */
public final class CgroupV1Reader {
    private static final long NANOS_PER_USER_HZ_TICK = 10_000_000;
    /** memory.stat's keys read: the {@link MemoryCounter}s' v1 names, then total_swap (swap in use). */
    private static final String[] STAT_KEYS = CgroupText.memoryStatKeys(MemoryCounter::v1Name, "total_swap");

    private static final int TOTAL_SWAP = STAT_KEYS.length - 1;

    private CgroupV1Reader() {}

    public static CgroupStats read(Function<String, Optional<String>> files) {
        return new CgroupStats(memory(files), cpu(files), io(files));
    }

    static MemoryState memory(Function<String, Optional<String>> files) {
        OptionalLong limit = files.apply("memory.limit_in_bytes")
                .map(text -> CgroupText.parseLimit("memory.limit_in_bytes", text))
                .orElse(OptionalLong.empty());
        long usage = files.apply("memory.usage_in_bytes")
                .map(text -> CgroupText.parseLong("memory.usage_in_bytes", text))
                .orElse(0L);
        long[] keyed =
                CgroupText.parseKeyed("memory.stat", files.apply("memory.stat").orElse(""), STAT_KEYS);
        MemoryStat stat = MemoryStat.of(keyed);
        // memsw files exist only with swap accounting on; memsw.* count memory plus swap.
        Optional<MemoryState.Swap> swap = files.apply("memory.memsw.limit_in_bytes")
                .map(memswText -> {
                    OptionalLong memsw = CgroupText.parseLimit("memory.memsw.limit_in_bytes", memswText);
                    OptionalLong swapLimit = memsw.isEmpty()
                            ? OptionalLong.empty()
                            : OptionalLong.of(Math.max(0, memsw.getAsLong() - limit.orElse(0)));
                    long swapUsage = keyed[TOTAL_SWAP] != CgroupText.ABSENT
                            ? keyed[TOTAL_SWAP]
                            : Math.max(
                                    0,
                                    files.apply("memory.memsw.usage_in_bytes")
                                                    .map(text ->
                                                            CgroupText.parseLong("memory.memsw.usage_in_bytes", text))
                                                    .orElse(usage)
                                            - usage);
                    return new MemoryState.Swap(swapLimit, swapUsage);
                });
        return new MemoryState(limit, usage, stat, swap);
    }

    static CpuState cpu(Function<String, Optional<String>> files) {
        BitSet cpuset = files.apply("cpuset.effective_cpus")
                .or(() -> files.apply("cpuset.cpus"))
                .map(CpuList::parse)
                .orElseGet(BitSet::new);
        long quota = files.apply("cpu.cfs_quota_us")
                .map(text -> CgroupText.parseLong("cpu.cfs_quota_us", text))
                .orElse(-1L);
        long period = files.apply("cpu.cfs_period_us")
                .map(text -> CgroupText.parseLong("cpu.cfs_period_us", text))
                .orElse(100_000L);
        OptionalLong quotaMicros = quota < 0 ? OptionalLong.empty() : OptionalLong.of(quota);
        Optional<CpuUsage> usage = files.apply("cpuacct.usage_all")
                .map(CgroupV1Reader::perCpuUsage)
                .or(() -> files.apply("cpuacct.stat").map(CgroupV1Reader::totalUsage));
        return new CpuState(cpuset, quotaMicros, period, usage);
    }

    /** cpuacct.usage_all: a "cpu user system" header, then "N userNanos systemNanos" per CPU. */
    private static CpuUsage perCpuUsage(String text) {
        String[] lines = text.strip().split("\n");
        long[][] rows = new long[lines.length - 1][];
        int cpus = 0;
        for (int i = 1; i < lines.length; i++) {
            rows[i - 1] = Fields.longs(lines[i], 0);
            if (rows[i - 1].length != 3) {
                throw new IllegalArgumentException("cgroup file cpuacct.usage_all: bad line '" + lines[i] + "'");
            }
            cpus = Math.max(cpus, (int) rows[i - 1][0] + 1);
        }
        long[] user = new long[cpus];
        long[] system = new long[cpus];
        long userTotal = 0;
        long systemTotal = 0;
        for (long[] row : rows) {
            user[(int) row[0]] = row[1];
            system[(int) row[0]] = row[2];
            userTotal += row[1];
            systemTotal += row[2];
        }
        return new CpuUsage(userTotal, systemTotal, user, system);
    }

    /** cpuacct.stat: "user TICKS" and "system TICKS" in USER_HZ (100 per second). */
    private static CpuUsage totalUsage(String text) {
        long[] ticks = CgroupText.parseKeyed("cpuacct.stat", text, "user", "system");
        return CpuUsage.totals(
                Math.max(0, ticks[0]) * NANOS_PER_USER_HZ_TICK, Math.max(0, ticks[1]) * NANOS_PER_USER_HZ_TICK);
    }

    /**
     * blkio.throttle.io_service_bytes and io_serviced: "MAJ:MIN Op value" lines (Op = Read, Write, Sync, Async,
     * Discard, Total) and a final "Total value". The kernel fills them only for devices with throttling set up.
     */
    static Map<String, IoCounters> io(Function<String, Optional<String>> files) {
        Map<String, long[]> bytes =
                opsByDevice(files.apply("blkio.throttle.io_service_bytes").orElse(""));
        Map<String, long[]> ios =
                opsByDevice(files.apply("blkio.throttle.io_serviced").orElse(""));
        Map<String, IoCounters> io = new HashMap<>();
        for (String device : bytes.keySet()) {
            long[] b = bytes.get(device);
            long[] n = ios.getOrDefault(device, new long[3]);
            io.put(device, new IoCounters(b[0], b[1], b[2], n[0], n[1], n[2]));
        }
        return io;
    }

    /** Per device: {Read, Write, Discard}. */
    private static Map<String, long[]> opsByDevice(String text) {
        Map<String, long[]> ops = new HashMap<>();
        for (String line : text.split("\n")) {
            String[] fields = line.strip().split(" ");
            if (fields.length != 3) {
                continue;
            }
            int op = switch (fields[1]) {
                case "Read" -> 0;
                case "Write" -> 1;
                case "Discard" -> 2;
                default -> -1;
            };
            if (op >= 0) {
                ops.computeIfAbsent(fields[0], device -> new long[3])[op] = CgroupText.parseLong("blkio", fields[2]);
            }
        }
        return ops;
    }
}
