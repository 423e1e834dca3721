package io.jsysbox.procfs;

import java.time.Duration;
import java.util.BitSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a renderer needs about one container besides the host's file text: its cgroup values, when
 * it started (as time since host boot: the start time of its init in /proc/PID/stat divided by CLK_TCK),
 * the host's online CPUs (/sys/devices/system/cpu/online) and, when something samples the container's
 * tasks, its own load average.
 */
public record ContainerView(
        String containerId,
        MemoryState memory,
        CpuState cpu,
        Map<String, IoCounters> io,
        Duration startedAfterBoot,
        BitSet hostOnlineCpus,
        Optional<LoadAverage> loadAverage) {

    public ContainerView {
        Objects.requireNonNull(containerId);
        Objects.requireNonNull(memory);
        Objects.requireNonNull(cpu);
        io = Map.copyOf(io);
        Objects.requireNonNull(startedAfterBoot);
        hostOnlineCpus = (BitSet) Objects.requireNonNull(hostOnlineCpus).clone();
        Objects.requireNonNull(loadAverage);
    }

    public static ContainerView of(
            String containerId,
            CgroupStats cgroup,
            Duration startedAfterBoot,
            BitSet hostOnlineCpus,
            Optional<LoadAverage> loadAverage) {
        return new ContainerView(
                containerId, cgroup.memory(), cgroup.cpu(), cgroup.io(), startedAfterBoot, hostOnlineCpus, loadAverage);
    }

    @Override
    public BitSet hostOnlineCpus() {
        return (BitSet) hostOnlineCpus.clone();
    }

    /** The host CPUs shown to the container; see {@link CpuState#visibleCpus}. */
    public BitSet visibleCpus() {
        return cpu.visibleCpus(hostOnlineCpus);
    }

    /** The host CPUs the container may run on; see {@link CpuState#allowedCpus}. */
    public BitSet allowedCpus() {
        return cpu.allowedCpus(hostOnlineCpus);
    }
}
