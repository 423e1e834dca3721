package io.jsysbox.procfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class CgroupReadersTest {

    @Test
    void v1LimitedContainer() {
        CgroupStats stats = CgroupV1Reader.read(Samples.cgroup("cgroup-v1-limited"));
        MemoryState memory = stats.memory();
        assertEquals(OptionalLong.of(536_870_912), memory.limitBytes());
        assertEquals(43_843_584, memory.usageBytes());
        assertEquals(OptionalLong.of(41_947_136), memory.stat().get(MemoryCounter.FILE));
        assertEquals(OptionalLong.of(41_947_136), memory.stat().get(MemoryCounter.ACTIVE_FILE));
        assertTrue(memory.stat().get(MemoryCounter.SLAB).isEmpty(), "cgroup v1 has no slab counter");
        // --memory-swap 768m is memory + swap: 256 MiB of swap.
        assertEquals(Optional.of(new MemoryState.Swap(OptionalLong.of(268_435_456), 0)), memory.swap());

        CpuState cpu = stats.cpu();
        assertEquals("{0, 1}", cpu.cpuset().toString());
        assertEquals(OptionalLong.of(150_000), cpu.quotaMicros());
        assertEquals(100_000, cpu.periodMicros());
        CpuUsage usage = cpu.usage().orElseThrow();
        assertArrayEquals(new long[] {175_997_817, 4_000_000}, usage.perCpuUserNanos());
        assertArrayEquals(new long[] {19_981_792, 108_000_000}, usage.perCpuSystemNanos());
        assertEquals(179_997_817, usage.userNanos());

        assertEquals(Map.of("254:0", new IoCounters(41_943_040, 41_943_040, 41_943_040, 40, 41, 3)), stats.io());
    }

    @Test
    void v1RootCgroupIsUnlimited() {
        CgroupStats stats = CgroupV1Reader.read(Samples.cgroup("cgroup-v1-unlimited"));
        assertTrue(stats.memory().limitBytes().isEmpty(), "9223372036854771712 means no limit");
        assertTrue(stats.memory().swap().orElseThrow().limitBytes().isEmpty());
        assertTrue(stats.cpu().quotaMicros().isEmpty(), "cfs_quota_us -1 means no quota");
        assertTrue(stats.io().isEmpty(), "'Total 0' only");
        assertFalse(stats.cpu().usage().orElseThrow().hasPerCpu(), "no usage_all sample: totals from cpuacct.stat");
    }

    @Test
    void v2LimitedContainer() {
        CgroupStats stats = CgroupV2Reader.read(Samples.cgroup("cgroup-v2-limited"));
        MemoryState memory = stats.memory();
        assertEquals(OptionalLong.of(536_870_912), memory.limitBytes());
        assertEquals(92_774_400, memory.usageBytes());
        assertEquals(OptionalLong.of(62_914_560), memory.stat().get(MemoryCounter.FILE));
        assertEquals(OptionalLong.of(3_407_872), memory.stat().get(MemoryCounter.SLAB_RECLAIMABLE));
        assertEquals(Optional.of(new MemoryState.Swap(OptionalLong.of(268_435_456), 4_194_304)), memory.swap());
        assertEquals(OptionalLong.of(150_000), stats.cpu().quotaMicros());
        assertEquals(
                CpuUsage.totals(3_410_221_000L, 1_820_196_000L).userNanos(),
                stats.cpu().usage().orElseThrow().userNanos());
        assertEquals(
                new IoCounters(41_943_040, 83_886_080, 4096, 40, 82, 1),
                stats.io().get("254:0"));
        assertEquals(2, stats.io().size());
    }

    @Test
    void v2MaxMeansUnlimited() {
        CgroupStats stats = CgroupV2Reader.read(Samples.cgroup("cgroup-v2-unlimited"));
        assertTrue(stats.memory().limitBytes().isEmpty());
        assertTrue(stats.memory().swap().orElseThrow().limitBytes().isEmpty());
        assertTrue(stats.cpu().quotaMicros().isEmpty());
        assertEquals(100_000, stats.cpu().periodMicros());
    }

    @Test
    void missingFilesMeanNoLimitAndNoKnowledge() {
        CgroupStats v1 = CgroupV1Reader.read(name -> Optional.empty());
        assertTrue(v1.memory().limitBytes().isEmpty());
        assertTrue(v1.memory().swap().isEmpty(), "no memsw files: swap not accounted");
        assertTrue(v1.cpu().cpuset().isEmpty());
        assertTrue(v1.cpu().usage().isEmpty());
        CgroupStats v2 = CgroupV2Reader.read(name -> Optional.empty());
        assertTrue(v2.memory().swap().isEmpty());
        assertTrue(v2.io().isEmpty());
    }

    @Test
    void malformedFileSaysWhichFile() {
        var error = assertThrows(
                IllegalArgumentException.class,
                () -> CgroupV2Reader.read(
                        name -> name.equals("memory.current") ? Optional.of("lots") : Optional.empty()));
        assertTrue(error.getMessage().contains("memory.current"), error.getMessage());
    }

    @Test
    void keyedFileReadsWholeKeysOnly() {
        long[] values = CgroupText.parseKeyed(
                "memory.stat",
                "total_rss_huge 4096\ntotal_rss 8192 \n\nswap 1\n",
                "total_rss",
                "total_rss_huge",
                "total_swap",
                null);
        assertArrayEquals(new long[] {8192, 4096, CgroupText.ABSENT, CgroupText.ABSENT}, values);
        var error = assertThrows(
                IllegalArgumentException.class,
                () -> CgroupText.parseKeyed("memory.stat", "total_rss x\n", "total_rss"));
        assertEquals("cgroup file memory.stat: not a number: 'x'", error.getMessage());
    }

    @Test
    void quotaCutsTheVisibleCpus() {
        CpuState cpu = new CpuState(CpuList.parse("0-3,6"), OptionalLong.of(150_000), 100_000, Optional.empty());
        assertEquals("{0, 1}", cpu.visibleCpus(CpuList.parse("0-7")).toString());
        assertEquals("{1, 2}", cpu.visibleCpus(CpuList.parse("1-2")).toString(), "offline CPUs are never shown");
        CpuState tiny = new CpuState(CpuList.parse("2-3"), OptionalLong.of(1_000), 100_000, Optional.empty());
        assertEquals("{2}", tiny.visibleCpus(CpuList.parse("0-7")).toString(), "any quota shows at least one CPU");
        assertEquals(
                "{0, 1, 2, 3, 4, 5, 6, 7}",
                CpuState.unlimited().visibleCpus(CpuList.parse("0-7")).toString());
    }
}
