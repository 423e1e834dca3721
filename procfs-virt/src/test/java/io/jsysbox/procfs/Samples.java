package io.jsysbox.procfs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.BitSet;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The test samples in src/test/resources: host/ holds this machine's /proc files (Debian 12, kernel 6.18,
 * 2 CPUs, no swap); cgroup-v1-limited/ the cgroup v1 files of a Docker container run with --memory 512m
 * --memory-swap 768m --cpus 1.5 --cpuset-cpus 0-1 (blkio throttling set up so the kernel counts its I/O);
 * cgroup-v1-unlimited/ the host's root cgroup v1 files; cgroup-v2-* hand-written cgroup v2 files in the
 * kernel 6.x format for the same limits and for none.
 */
final class Samples {
    static final BitSet TWO_CPUS = CpuList.parse("0-1");

    private Samples() {}

    static String text(String resource) {
        return resource(resource).orElseThrow(() -> new IllegalArgumentException("no test resource " + resource));
    }

    static String host(String file) {
        return text("host/" + file);
    }

    static Function<String, Optional<String>> cgroup(String directory) {
        return name -> resource(directory + "/" + name);
    }

    static ContainerView view(CgroupStats stats) {
        return ContainerView.of("c3241ef7957a", stats, Duration.ofSeconds(1000), TWO_CPUS, Optional.empty());
    }

    static ContainerView v1Limited() {
        return view(CgroupV1Reader.read(cgroup("cgroup-v1-limited")));
    }

    static ContainerView v2Limited() {
        return view(CgroupV2Reader.read(cgroup("cgroup-v2-limited")));
    }

    static ContainerView unlimited() {
        return view(CgroupV1Reader.read(cgroup("cgroup-v1-unlimited")));
    }

    /** A view with just this CPU state and no memory or I/O information. */
    static ContainerView withCpu(CpuState cpu) {
        return view(new CgroupStats(MemoryState.unknown(), cpu, Map.of()));
    }

    private static Optional<String> resource(String resource) {
        try (InputStream in = Samples.class.getClassLoader().getResourceAsStream(resource)) {
            return in == null ? Optional.empty() : Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
