package io.jsysbox.tests;

import static io.jsysbox.tests.CriPods.KUBELET_NAMESPACES;

import io.jsysbox.tests.CriPods.Pod;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Not a test: bench/pod-start.sh runs it. Pod start latency through containerd's CRI, as the kubelet sees it
 * (RunPodSandbox, then CreateContainer + StartContainer of one busybox container, then an ExecSync answering),
 * with the jsysbox handler against containerd's runc handler, interleaved in one run; prints medians and the ratio.
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
        startAndRemove(RUNC, "warm-up");
        startAndRemove(Containerd.HANDLER, "warm-up");
        for (int round = 0; round < rounds; round++) {
            for (String handler :
                    round % 2 == 0 ? List.of(RUNC, Containerd.HANDLER) : List.of(Containerd.HANDLER, RUNC)) {
                millis.computeIfAbsent(handler, h -> new ArrayList<>()).add(startAndRemove(handler, "round-" + round));
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
        System.out.printf(
                Locale.ROOT,
                "ratio jsysbox/runc (median): %.2f%n",
                (double) median(millis.get(Containerd.HANDLER).stream().sorted().toList())
                        / median(millis.get(RUNC).stream().sorted().toList()));
    }

    /** Milliseconds from RunPodSandbox until the pod's container answers an exec; the pod is then removed. */
    private static long startAndRemove(String handler, String name) throws IOException {
        long began = System.nanoTime();
        try (Pod pod = new Pod(containerd, handler, handler + "-" + name, KUBELET_NAMESPACES)) {
            pod.execOk(pod.start("main", Containerd.SANDBOX_IMAGE), "true");
            return (System.nanoTime() - began) / 1_000_000;
        }
    }

    private static long median(List<Long> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
