package io.jsysbox.tests;

import static io.jsysbox.tests.CriPods.KUBELET_NAMESPACES;

import io.jsysbox.tests.CriPods.Pod;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Not a test: bench/pod-start.sh runs it. Pod start latency through containerd's CRI, as the kubelet sees it
 * (RunPodSandbox, then CreateContainer + StartContainer of one busybox container, then an ExecSync answering),
 * with the jsysbox handler against containerd's runc handler, interleaved in one run; prints medians (of the whole and of
 * each CRI call) and the ratio.
 * Removal is not timed. No assertion on time: the numbers are for people to compare.
 */
@EnabledIfSystemProperty(named = "jsysbox.bench", matches = "pod-start")
class PodStartBench {
    private static final String RUNC = "runc";

    @RegisterExtension
    static final Containerd containerd = new Containerd();

    @Test
    void podStartJsysboxAgainstRunc() throws IOException {
        int rounds = Integer.getInteger("jsysbox.bench.rounds", 10);
        Map<String, List<Long>> millis = new TreeMap<>();
        Map<String, List<long[]>> phases = new TreeMap<>();
        startAndRemove(RUNC, "warm-up");
        startAndRemove(Containerd.HANDLER, "warm-up");
        for (int round = 0; round < rounds; round++) {
            for (String handler :
                    round % 2 == 0 ? List.of(RUNC, Containerd.HANDLER) : List.of(Containerd.HANDLER, RUNC)) {
                long[] steps = startAndRemove(handler, "round-" + round);
                phases.computeIfAbsent(handler, h -> new ArrayList<>()).add(steps);
                millis.computeIfAbsent(handler, h -> new ArrayList<>())
                        .add(LongStream.of(steps).sum());
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%npod start (RunPodSandbox + CreateContainer + StartContainer + ExecSync true), %d rounds%n",
                rounds);
        System.out.printf(Locale.ROOT, "%-10s %10s %10s %10s%n", "handler", "median ms", "min ms", "max ms");
        for (var entry : millis.entrySet()) {
            List<Long> sorted = entry.getValue().stream().sorted().toList();
            System.out.printf(
                    Locale.ROOT,
                    "%-10s %10d %10d %10d%n",
                    entry.getKey(),
                    median(sorted),
                    sorted.getFirst(),
                    sorted.getLast());
        }
        System.out.printf(Locale.ROOT, "%-10s", "step (ms)");
        for (String step : STEPS) {
            System.out.printf(Locale.ROOT, " %16s", step);
        }
        System.out.println();
        for (var entry : phases.entrySet()) {
            System.out.printf(Locale.ROOT, "%-10s", entry.getKey());
            for (int i = 0; i < STEPS.size(); i++) {
                int step = i;
                System.out.printf(
                        Locale.ROOT,
                        " %16d",
                        median(entry.getValue().stream()
                                .map(steps -> steps[step])
                                .sorted()
                                .toList()));
            }
            System.out.println();
        }
        System.out.printf(
                Locale.ROOT,
                "ratio jsysbox/runc (median): %.2f%n",
                (double) median(millis.get(Containerd.HANDLER).stream().sorted().toList())
                        / median(millis.get(RUNC).stream().sorted().toList()));
    }

    /** The CRI calls the bench times, in order. */
    private static final List<String> STEPS = List.of("RunPodSandbox", "CreateContainer", "StartContainer", "ExecSync");

    /**
     * Milliseconds of each of {@link #STEPS} from RunPodSandbox until the pod's container answers an exec; the pod is
     * then removed.
     */
    private static long[] startAndRemove(String handler, String name) throws IOException {
        long began = System.nanoTime();
        long[] steps = new long[STEPS.size()];
        try (Pod pod = new Pod(containerd, handler, handler + "-" + name, KUBELET_NAMESPACES)) {
            steps[0] = System.nanoTime() - began;
            String id =
                    pod.create(pod.container("main", Containerd.SANDBOX_IMAGE).build());
            steps[1] = System.nanoTime() - began;
            pod.startCreated(id);
            steps[2] = System.nanoTime() - began;
            pod.execOk(id, "true");
            steps[3] = System.nanoTime() - began;
        }
        for (int i = steps.length - 1; i > 0; i--) {
            steps[i] -= steps[i - 1];
        }
        return LongStream.of(steps).map(nanos -> nanos / 1_000_000).toArray();
    }

    private static long median(List<Long> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
