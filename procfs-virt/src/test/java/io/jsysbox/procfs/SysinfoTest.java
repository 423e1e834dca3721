package io.jsysbox.procfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class SysinfoTest {
    private static final long KB = 1024;
    private static final Function<String, Optional<String>> NO_CGROUP_FILES = name -> Optional.empty();
    private final String meminfo = Samples.host("meminfo");
    private final String uptime = Samples.host("uptime");
    private final String loadavg = Samples.host("loadavg");

    @Test
    void memoryIsWhatTheContainersMeminfoShows() {
        Sysinfo v1 = Sysinfo.of(Samples.v1Limited(), meminfo, uptime, loadavg, NO_CGROUP_FILES);
        assertEquals(524_288 * KB, v1.totalRam(), "MemTotal: the 512 MiB limit");
        assertEquals((524_288 - 42_816) * KB, v1.freeRam(), "MemFree: limit minus usage");
        assertEquals(0, v1.sharedRam(), "Shmem: total_shmem");
        assertEquals(0, v1.bufferRam(), "Buffers: cgroups count none");
        assertEquals(0, v1.totalSwap(), "SwapTotal: min(256 MiB swap limit, the host's 0)");

        String hostWithSwap = meminfo.replace("SwapTotal:             0 kB", "SwapTotal:       4194300 kB")
                .replace("SwapFree:              0 kB", "SwapFree:        4194300 kB");
        Sysinfo v2 = Sysinfo.of(Samples.v2Limited(), hostWithSwap, uptime, loadavg, NO_CGROUP_FILES);
        assertEquals((524_288 - 90_600) * KB, v2.freeRam());
        assertEquals(2_048 * KB, v2.sharedRam(), "Shmem: memory.stat shmem");
        assertEquals(262_144 * KB, v2.totalSwap(), "the 256 MiB swap limit");
        assertEquals((262_144 - 4_096) * KB, v2.freeSwap(), "less the 4 MiB in use");
    }

    @Test
    void withoutALimitTheHostsMemory() {
        Sysinfo unlimited = Sysinfo.of(Samples.unlimited(), meminfo, uptime, loadavg, NO_CGROUP_FILES);
        assertEquals(24_684_084 * KB, unlimited.totalRam());
        assertEquals(23_013_956 * KB, unlimited.freeRam());
        assertEquals(8_872 * KB, unlimited.sharedRam());
        assertEquals(15_604 * KB, unlimited.bufferRam());
    }

    @Test
    void uptimeFromTheContainersStartRoundedUpAndTheLoadsInFixedPoint() {
        Sysinfo sysinfo = Sysinfo.of(Samples.v1Limited(), meminfo, uptime, loadavg, NO_CGROUP_FILES);
        assertEquals(188, sysinfo.uptimeSeconds(), "host 1187.26 s, the container started 1000 s after boot");
        assertEquals(
                new Sysinfo.Loads(42 * 65_536 / 100, 23 * 65_536 / 100, 13 * 65_536 / 100),
                sysinfo.loads(),
                "the host's 0.42 0.23 0.13: the kernel keeps no load per cgroup");
    }

    @Test
    void procsCountsTheContainersTasks() {
        Map<String, String> pids = Map.of(Sysinfo.TASKS_FILE, "7\n");
        assertEquals(
                7,
                Sysinfo.of(Samples.v1Limited(), meminfo, uptime, loadavg, name -> Optional.ofNullable(pids.get(name)))
                        .procs(),
                "pids.current");
        assertEquals(
                142,
                Sysinfo.of(Samples.v1Limited(), meminfo, uptime, loadavg, NO_CGROUP_FILES)
                        .procs(),
                "no pids controller: what /proc/loadavg shows");
        assertEquals(
                65_535,
                Sysinfo.of(Samples.v1Limited(), meminfo, uptime, loadavg, name -> Optional.of("70000"))
                        .procs(),
                "procs is 16 bits wide");

        ContainerView sampled = ContainerView.of(
                "c",
                CgroupV1Reader.read(NO_CGROUP_FILES),
                Duration.ZERO,
                Samples.TWO_CPUS,
                Optional.of(new LoadAverage(0.5, 0.25, 1.0, 1, 37, 4242)));
        Sysinfo fromLoad = Sysinfo.of(sampled, meminfo, uptime, loadavg, name -> Optional.ofNullable(pids.get(name)));
        assertEquals(37, fromLoad.procs(), "the container's own load average counts its tasks");
        assertEquals(new Sysinfo.Loads(32_768, 16_384, 65_536), fromLoad.loads());
    }

    @Test
    void encodesTheX8664StructLittleEndian() {
        Sysinfo sysinfo = new Sysinfo(
                188,
                new Sysinfo.Loads(27_525, 15_073, 8_519),
                536_870_912,
                493_027_328,
                2_097_152,
                0,
                268_435_456,
                264_241_152,
                7);
        byte[] bytes = sysinfo.encode();
        assertEquals(112, bytes.length);
        ByteBuffer struct = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(188, struct.getLong(0), "uptime");
        assertEquals(27_525, struct.getLong(8), "loads[0]");
        assertEquals(15_073, struct.getLong(16), "loads[1]");
        assertEquals(8_519, struct.getLong(24), "loads[2]");
        assertEquals(536_870_912, struct.getLong(32), "totalram");
        assertEquals(493_027_328, struct.getLong(40), "freeram");
        assertEquals(2_097_152, struct.getLong(48), "sharedram");
        assertEquals(0, struct.getLong(56), "bufferram");
        assertEquals(268_435_456, struct.getLong(64), "totalswap");
        assertEquals(264_241_152, struct.getLong(72), "freeswap");
        assertEquals(7, struct.getShort(80), "procs");
        assertEquals(0, struct.getShort(82), "pad");
        assertEquals(0, struct.getLong(88), "totalhigh");
        assertEquals(0, struct.getLong(96), "freehigh");
        assertEquals(1, struct.getInt(104), "mem_unit");
        assertArrayEquals(new byte[4], Arrays.copyOfRange(bytes, 108, 112), "tail padding");
        assertArrayEquals(new byte[4], Arrays.copyOfRange(bytes, 84, 88), "alignment after pad");
    }

    @Test
    void procsAbove32767StayUnsigned() {
        byte[] bytes = new Sysinfo(1, new Sysinfo.Loads(0, 0, 0), 0, 0, 0, 0, 0, 0, 65_535).encode();
        assertEquals(
                65_535,
                Short.toUnsignedInt(
                        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getShort(80)));
    }

    @Test
    void aLoadavgWithoutTasksIsRefused() {
        assertThrows(
                IllegalArgumentException.class,
                () -> Sysinfo.of(Samples.v1Limited(), meminfo, uptime, "0.00 0.00\n", NO_CGROUP_FILES));
    }
}
