package io.jsysbox.procfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class MeminfoRendererTest {
    private final MeminfoRenderer renderer = new MeminfoRenderer();
    private final String host = Samples.host("meminfo");
    /** The host sample with a 4 GiB swap area (this machine has none). */
    private final String hostWithSwap = host.replace("SwapTotal:             0 kB", "SwapTotal:       4194300 kB")
            .replace("SwapFree:              0 kB", "SwapFree:        4194300 kB");

    @Test
    void v1LimitShowsTheContainersMemory() {
        String text = renderer.render(Samples.v1Limited(), host);
        Map<String, Long> kb = values(text);
        assertEquals(524_288, kb.get("MemTotal"), "512 MiB limit");
        assertEquals(524_288 - 42_816, kb.get("MemFree"), "limit minus usage_in_bytes (43843584 B)");
        assertEquals(524_288 - 42_816 + 40_964, kb.get("MemAvailable"), "free plus file LRU pages");
        assertEquals(0, kb.get("Buffers"));
        assertEquals(40_964, kb.get("Cached"), "total_cache");
        assertEquals(40_968, kb.get("Active"), "total_active_anon + total_active_file");
        assertEquals(44, kb.get("Inactive(anon)"));
        assertEquals(0, kb.get("Dirty"), "total_dirty");
        assertEquals(48, kb.get("AnonPages"), "total_rss");
        assertEquals(values(host).get("Slab"), kb.get("Slab"), "no slab counter in v1: the host's line");
        assertEquals(
                0,
                kb.get("SReclaimable"),
                "but no reclaimable slab, as in MemAvailable: free(1) counts it as "
                        + "cache, and the host's would exceed what the container uses");
        assertEquals(0, kb.get("KReclaimable"));
        assertTrue(
                text.contains("\nMemTotal:         524288 kB\n") || text.startsWith("MemTotal:         524288 kB\n"),
                text);
        assertTrue(text.contains("\nMemFree:          481472 kB\n"), text);
    }

    @Test
    void keepsEveryLineAndTheKernelLayout() {
        String text = renderer.render(Samples.v1Limited(), host);
        assertEquals(
                List.copyOf(values(host).keySet()), List.copyOf(values(text).keySet()));
        assertEquals(host.endsWith("\n"), text.endsWith("\n"));
        for (String line : text.split("\n")) {
            if (line.endsWith(" kB") && !line.startsWith("VmallocTotal") && !line.startsWith("DirectMap")) {
                assertEquals(27, line.length(), "16-column label + 8-column value + \" kB\": '" + line + "'");
            }
        }
        assertTrue(text.contains("\nVmallocTotal:   34359738367 kB\n"), "lines without a counter stay the host's");
        assertTrue(text.contains("\nHugePages_Total:       0\n"));
    }

    @Test
    void v2CountersAndSwap() {
        Map<String, Long> kb = values(renderer.render(Samples.v2Limited(), hostWithSwap));
        assertEquals(524_288, kb.get("MemTotal"));
        assertEquals(524_288 - 90_600, kb.get("MemFree"));
        assertEquals(524_288 - 90_600 + 62_720, kb.get("MemAvailable"), "+ active/inactive file + reclaimable slab");
        assertEquals(61_440, kb.get("Cached"));
        assertEquals(2_048, kb.get("Shmem"));
        assertEquals(4_048, kb.get("Slab"));
        assertEquals(320, kb.get("KernelStack"));
        assertEquals(262_144, kb.get("SwapTotal"), "256 MiB swap limit below the host's 4 GiB");
        assertEquals(262_144 - 4_096, kb.get("SwapFree"));
    }

    @Test
    void swapLimitNeverExceedsTheHostsSwap() {
        Map<String, Long> kb = values(renderer.render(Samples.v1Limited(), host));
        assertEquals(0, kb.get("SwapTotal"), "host has no swap");
        assertEquals(0, kb.get("SwapFree"));
    }

    @Test
    void unlimitedContainerSeesTheHost() {
        assertEquals(host, renderer.render(Samples.unlimited(), host));
        assertEquals(hostWithSwap, renderer.render(Samples.unlimited(), hostWithSwap));
    }

    @Test
    void limitAboveHostMemoryIsNoLimit() {
        ContainerView huge = Samples.view(new CgroupStats(
                new MemoryState(OptionalLong.of(1L << 40), 1 << 30, MemoryStat.empty(), Optional.empty()),
                CpuState.unlimited(),
                Map.of()));
        assertEquals(host, renderer.render(huge, host));
    }

    @Test
    void usageAboveLimitShowsNoFreeMemory() {
        ContainerView full = Samples.view(new CgroupStats(
                new MemoryState(OptionalLong.of(1 << 20), 2 << 20, MemoryStat.empty(), Optional.empty()),
                CpuState.unlimited(),
                Map.of()));
        Map<String, Long> kb = values(renderer.render(full, host));
        assertEquals(1024, kb.get("MemTotal"));
        assertEquals(0, kb.get("MemFree"));
        assertEquals(0, kb.get("MemAvailable"));
    }

    /** Label → number of every line, in order. */
    static Map<String, Long> values(String meminfo) {
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : meminfo.split("\n")) {
            String[] fields = line.split(":\\s+");
            values.put(fields[0], Long.parseLong(fields[1].replace(" kB", "")));
        }
        return values;
    }
}
