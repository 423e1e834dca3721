package io.jsysbox.procfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class CpuRenderersTest {
    private final String hostCpuinfo = Samples.host("cpuinfo");
    private final String hostStat = Samples.host("stat");

    @Test
    void cpuinfoShowsOnlyTheCpusetRenumbered() {
        ContainerView onlyCpu1 =
                Samples.withCpu(new CpuState(CpuList.parse("1"), OptionalLong.empty(), 100_000, Optional.empty()));
        String text = new CpuinfoRenderer().render(onlyCpu1, hostCpuinfo);
        assertEquals(1, count(text, "processor\t: "));
        assertTrue(text.startsWith("processor\t: 0\n"), text);
        assertTrue(text.contains("\ncore id\t\t: 1\n"), "other fields are host CPU 1's");
        assertTrue(text.endsWith("power management:\n\n"), "blocks keep their blank-line separator");
        String hostBlock1 = hostCpuinfo.substring(hostCpuinfo.indexOf("processor\t: 1"));
        assertEquals(hostBlock1.replace("processor\t: 1", "processor\t: 0"), text);
    }

    @Test
    void cpuinfoQuotaOfOneCpuShowsOne() {
        ContainerView oneCpu =
                Samples.withCpu(new CpuState(CpuList.parse("0-1"), OptionalLong.of(80_000), 100_000, Optional.empty()));
        String text = new CpuinfoRenderer().render(oneCpu, hostCpuinfo);
        assertEquals(hostCpuinfo.substring(0, hostCpuinfo.indexOf("processor\t: 1")), text);
    }

    @Test
    void cpuinfoUnlimitedIsTheHosts() {
        assertEquals(hostCpuinfo, new CpuinfoRenderer().render(Samples.unlimited(), hostCpuinfo));
        assertEquals(
                hostCpuinfo,
                new CpuinfoRenderer().render(Samples.v1Limited(), hostCpuinfo),
                "1.5 CPUs of 0-1 shows both");
    }

    @Test
    void cpuinfoWithoutProcessorBlocksPassesThrough() {
        String trailer = "processor\t: 0\nBogoMIPS\t: 50.00\n\nprocessor\t: 1\nBogoMIPS\t: 50.00\n\nHardware\t: fake\n";
        ContainerView onlyCpu1 =
                Samples.withCpu(new CpuState(CpuList.parse("1"), OptionalLong.empty(), 100_000, Optional.empty()));
        assertEquals(
                "processor\t: 0\nBogoMIPS\t: 50.00\n\nHardware\t: fake\n",
                new CpuinfoRenderer().render(onlyCpu1, trailer));
    }

    @Test
    void statWithoutUsageKeepsTheShownCpusLines() {
        ContainerView onlyCpu1 =
                Samples.withCpu(new CpuState(CpuList.parse("1"), OptionalLong.empty(), 100_000, Optional.empty()));
        String text = new ProcStatRenderer().render(onlyCpu1, hostStat);
        String[] lines = text.split("\n");
        String cpu1 = line(hostStat, "cpu1 ").substring("cpu1".length());
        assertEquals("cpu " + cpu1, lines[0], "the aggregate is the sum of the shown CPUs");
        assertEquals("cpu0" + cpu1, lines[1]);
        assertTrue(lines[2].startsWith("intr "));
        assertEquals(
                hostStat.substring(hostStat.indexOf("intr ")),
                text.substring(text.indexOf("intr ")),
                "intr, ctxt, btime, processes, procs_*, softirq stay the host's");
    }

    @Test
    void statUnlimitedWithoutUsageIsTheHosts() {
        assertEquals(hostStat, new ProcStatRenderer().render(Samples.withCpu(CpuState.unlimited()), hostStat));
    }

    @Test
    void statUsesTheContainersCpuTime() {
        String text = new ProcStatRenderer().render(Samples.v1Limited(), hostStat);
        long[] host0 = Fields.longs(line(hostStat, "cpu0 "), 4);
        long[] cpu0 = Fields.longs(line(text, "cpu0 "), 4);
        long[] cpu1 = Fields.longs(line(text, "cpu1 "), 4);
        long[] all = Fields.longs(line(text, "cpu "), 4);
        // cpuacct.usage_all: cpu0 user 175997817 ns, system 19981792 ns; USER_HZ ticks are 10 ms.
        assertEquals(17, cpu0[0]);
        assertEquals(1, cpu0[2]);
        assertEquals(sum(host0, 8) - 17 - 1, cpu0[3], "idle is the rest of the host CPU's time");
        assertEquals(0, cpu0[1] + cpu0[4] + cpu0[5] + cpu0[6] + cpu0[7]);
        assertEquals(10, cpu1[2], "cpu1 system 108000000 ns");
        for (int column = 0; column < all.length; column++) {
            assertEquals(cpu0[column] + cpu1[column], all[column]);
        }
    }

    @Test
    void statFoldsHiddenCpusOntoShownOnes() {
        CpuUsage usage = new CpuUsage(3_000_000_000L, 0, new long[] {1_000_000_000L, 2_000_000_000L}, new long[2]);
        ContainerView oneCpu = Samples.withCpu(
                new CpuState(CpuList.parse("0-1"), OptionalLong.of(100_000), 100_000, Optional.of(usage)));
        String text = new ProcStatRenderer().render(oneCpu, hostStat);
        assertEquals(300, Fields.longs(line(text, "cpu0 "), 4)[0], "both CPUs' 3 s of user time on the one shown");
        assertEquals(-1, text.indexOf("cpu1 "));
    }

    @Test
    void statSplitsV2TotalsEvenly() {
        String text = new ProcStatRenderer().render(Samples.v2Limited(), hostStat);
        // cpu.stat user_usec 3410221, system_usec 1820196 over 2 CPUs.
        assertEquals(170, Fields.longs(line(text, "cpu0 "), 4)[0]);
        assertEquals(91, Fields.longs(line(text, "cpu1 "), 4)[2]);
    }

    @Test
    void uptimeCountsFromTheContainersStart() {
        // Host "1187.26 2197.81"; the sample container started 1000 s after boot.
        String text = new UptimeRenderer().render(Samples.v1Limited(), Samples.host("uptime"));
        assertEquals("187.26 346.64\n", text, "idle scaled by 187.26 / 1187.26 of the host's, all CPUs shown");
        ContainerView oneOfTwo =
                Samples.withCpu(new CpuState(CpuList.parse("1"), OptionalLong.empty(), 100_000, Optional.empty()));
        assertEquals("187.26 173.32\n", new UptimeRenderer().render(oneOfTwo, Samples.host("uptime")));
    }

    @Test
    void uptimeNeverNegativeNorIdlerThanItsCpus() {
        ContainerView future = ContainerView.of(
                "x",
                CgroupV1Reader.read(name -> Optional.empty()),
                Duration.ofSeconds(5000),
                Samples.TWO_CPUS,
                Optional.empty());
        assertEquals("0.00 0.00\n", new UptimeRenderer().render(future, "1159.75 2148.89\n"));
        assertEquals("159.75 319.50\n", new UptimeRenderer().render(Samples.v1Limited(), "1159.75 9999999.99\n"));
    }

    private static String line(String text, String prefix) {
        int start = text.startsWith(prefix) ? 0 : text.indexOf("\n" + prefix) + 1;
        assertTrue(start >= 0 && text.startsWith(prefix, start), "no line " + prefix + " in\n" + text);
        return text.substring(start, Fields.lineEnd(text, start));
    }

    private static long sum(long[] values, int count) {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum += values[i];
        }
        return sum;
    }

    private static int count(String text, String needle) {
        int count = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            count++;
        }
        return count;
    }
}
