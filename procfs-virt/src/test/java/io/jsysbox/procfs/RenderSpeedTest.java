package io.jsysbox.procfs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Renderers run on every read of a virtual file; the FUSE daemon aims at ≥ 4,000 reads/s end to end
 * (twice lxcfs). Rendering must be a small part of that: this checks each renderer alone does well over
 * 40,000 renders/s on the real samples (a bound loose enough for a busy shared machine; typical figures
 * are printed).
 */
class RenderSpeedTest {
    private static final int ROUNDS = 100_000;

    @Test
    void everyRendererIsFarFasterThanTheReadPath() {
        ContainerView view = Samples.v1Limited();
        Map<String, ProcFileRenderer> renderers = Map.of(
                "meminfo", new MeminfoRenderer(), "cpuinfo", new CpuinfoRenderer(), "stat", new ProcStatRenderer(),
                "uptime", new UptimeRenderer(), "loadavg", new LoadavgRenderer(), "swaps", new SwapsRenderer(),
                "diskstats", new DiskstatsRenderer());
        renderers.forEach((file, renderer) -> {
            String host = Samples.host(file);
            long sink = 0;
            for (int i = 0; i < ROUNDS; i++) {
                sink += renderer.render(view, host).length();
            }
            long start = System.nanoTime();
            for (int i = 0; i < ROUNDS; i++) {
                sink += renderer.render(view, host).length();
            }
            double perSecond = ROUNDS / ((System.nanoTime() - start) / 1e9);
            System.out.printf("%-10s %,12.0f renders/s (%d)%n", file, perSecond, sink % 10);
            assertTrue(perSecond > 40_000, file + ": only " + perSecond + " renders/s");
        });
    }
}
