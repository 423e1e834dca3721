package io.jsysbox.procfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class OtherRenderersTest {
    private static final String SWAPS_HEADER = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";

    @Test
    void loadavgIsTheHostsWithoutAContainerValue() {
        String host = Samples.host("loadavg");
        assertEquals(host, new LoadavgRenderer().render(Samples.v1Limited(), host));
    }

    @Test
    void loadavgUsesTheContainersValueInTheKernelsFormat() {
        ContainerView view = ContainerView.of(
                "c",
                CgroupV1Reader.read(name -> Optional.empty()),
                Duration.ZERO,
                Samples.TWO_CPUS,
                Optional.of(new LoadAverage(0.125, 1.5, 12.004, 1, 37, 4242)));
        assertEquals("0.13 1.50 12.00 1/37 4242\n", new LoadavgRenderer().render(view, Samples.host("loadavg")));
    }

    @Test
    void swapsShowsOneAreaOfTheContainersSize() {
        // v2 sample: 256 MiB swap limit, 4 MiB in use; the host has 6 GiB in two areas.
        String text = new SwapsRenderer().render(Samples.v2Limited(), Samples.host("swaps-two-areas"));
        assertEquals(SWAPS_HEADER + "/dev/zram0                              partition\t262144\t\t4096\t\t100\n", text);
    }

    @Test
    void swapsHeaderOnlyWithoutSwap() {
        // v1 sample: 256 MiB swap limit, but this host has no swap.
        assertEquals(SWAPS_HEADER, new SwapsRenderer().render(Samples.v1Limited(), Samples.host("swaps")));
        ContainerView noSwap = withSwap(new MemoryState.Swap(OptionalLong.of(0), 0));
        assertEquals(SWAPS_HEADER, new SwapsRenderer().render(noSwap, Samples.host("swaps-two-areas")));
    }

    @Test
    void swapsKeepsFileAreasAlignedAndWideNumbers() {
        String host = SWAPS_HEADER + "/swapfile                               file\t\t20971480\t0\t\t-2\n";
        ContainerView big = withSwap(new MemoryState.Swap(OptionalLong.of(12L << 30), 11L << 30));
        assertEquals(
                SWAPS_HEADER + "/swapfile                               file\t\t12582912\t11534336\t-2\n",
                new SwapsRenderer().render(big, host));
    }

    @Test
    void swapsUnlimitedIsTheHosts() {
        String host = Samples.host("swaps-two-areas");
        assertEquals(host, new SwapsRenderer().render(Samples.unlimited(), host));
        assertEquals(host, new SwapsRenderer().render(withSwap(null), host), "swap not accounted");
    }

    @Test
    void diskstatsShowsTheContainersDevicesAndCounts() {
        String text = new DiskstatsRenderer().render(Samples.v1Limited(), Samples.host("diskstats"));
        // blkio: 40 reads / 40 MiB, 41 writes / 40 MiB, 3 discards / 40 MiB on 254:0 (vda).
        assertEquals(" 254       0 vda 40 0 81920 0 41 0 81920 0 0 0 0 3 0 81920 0 0 0\n", text);
    }

    @Test
    void diskstatsV2SkipsDevicesTheHostDoesNotList() {
        String text = new DiskstatsRenderer().render(Samples.v2Limited(), Samples.host("diskstats"));
        assertEquals(
                "   7       0 loop0 16 0 2048 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
                        + " 254       0 vda 40 0 81920 0 82 0 163840 0 0 0 0 1 0 8 0 0 0\n",
                text);
    }

    @Test
    void diskstatsWithoutIoStatsIsTheHosts() {
        String host = Samples.host("diskstats");
        assertEquals(host, new DiskstatsRenderer().render(Samples.unlimited(), host));
    }

    @Test
    void productUuidIsStablePerContainer() {
        String uuid = ProductUuid.render(Samples.v1Limited());
        assertEquals(uuid, ProductUuid.render(Samples.v2Limited()), "same container id");
        assertEquals(37, uuid.length());
        assertEquals('\n', uuid.charAt(36));
        assertEquals(uuid.toLowerCase(), uuid);
        assertEquals(3, ProductUuid.forContainer("c3241ef7957a").version(), "name-based");
        assertNotEquals(ProductUuid.forContainer("a"), ProductUuid.forContainer("b"));
    }

    private static ContainerView withSwap(MemoryState.Swap swap) {
        MemoryState memory =
                new MemoryState(OptionalLong.of(1L << 30), 0, MemoryStat.empty(), Optional.ofNullable(swap));
        return Samples.view(new CgroupStats(memory, CpuState.unlimited(), Map.of()));
    }
}
