package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 13's load test: 30 containers started and removed concurrently in waves of 10, first alone, then while a
 * neighbour's copy-out (2 GiB and 200000 files of its /var/lib/docker into its layer, at its stop) is in progress.
 * Every container
 * must start, with ranges disjoint, and leave nothing after a concurrent {@code docker rm}, nor must the neighbour
 * (a copy-out Docker waited on past ~30 s left its shim on the host: now it stops at 15 s). The copy-out ran under
 * the manager's global lock, so no create finished until it was done; now some must finish while it runs (an order,
 * not a time: nothing here is timed against a bound). The create latencies (p50/p99, {@code docker run -d} until it
 * returns) are printed for both rounds, for people to compare. Likewise a wave during a neighbour's create that fills
 * its special dirs from its image.
 */
@EndToEnd
class NeighbourCopyOutLoadTest {
    private static final int WAVES = 3;
    private static final int PER_WAVE = 10;

    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void createsGoOnWhileANeighboursCopyOutRuns() throws Exception {
        Round alone = waves(WAVES, () -> false);

        String neighbour = docker.startIdle(Docker.DIND_IMAGE);
        // What makes a copy-out long: bytes, and more so entries (each one some syscalls). ~25 s here; the first wave
        // ~6 s.
        Docker.execOk(neighbour, "dd", "if=/dev/zero", "of=/var/lib/docker/big", "bs=1M", "count=2048", "status=none");
        Docker.execOk(
                neighbour,
                "perl",
                "-e",
                "for my $d (1..1000) { mkdir \"/var/lib/docker/d$d\" or die $!;"
                        + " for (1..200) { open(F, \">/var/lib/docker/d$d/f$_\") or die $!; print F 'x'; close F } }");
        Path marker = Jsysbox.syncMarker(neighbour);
        CompletableFuture<Command.Result> stopping =
                CompletableFuture.supplyAsync(() -> Docker.docker("stop", "-t", "1", neighbour));
        // Not `docker inspect`: it waits for the container's lock, which dockerd holds until the delete, after the
        // copy-out.
        Await.until(
                "the neighbour's copy-out to begin (" + marker + " naming a dead init)",
                Duration.ofMinutes(1),
                () -> Jsysbox.copyOutRunning(neighbour),
                running -> running);
        Round duringCopy = waves(WAVES, () -> Files.exists(marker));
        stopping.join().assertOk();
        // However long the copy would have taken, the delete was Docker's in time: nothing of the neighbour stays.
        Leftovers neighbourLeftovers = Leftovers.of(neighbour);
        Docker.dockerOk("rm", neighbour);
        neighbourLeftovers.awaitNone();

        print("alone", alone);
        print("while a neighbour copies 2 GiB and 200000 files out", duringCopy);
        assertTrue(
                duringCopy.finishedDuring() > 0,
                "no create finished while the neighbour's copy-out ran: "
                        + "creates wait for another container's copy-out ("
                        + duringCopy.millis().size() + " creates)");
    }

    /**
     * The other long work on a container's files: its create filling its special dirs from its image (a private copy
     * of 100000 files of /var/lib/containerd, 30-60 s here under load). It ran under the global lock too; now a wave
     * of creates started with it finishes before it does.
     */
    @Test
    void createsGoOnWhileANeighboursCreateFillsItsSpecialDirs(@org.junit.jupiter.api.io.TempDir Path context)
            throws Exception {
        Files.writeString(
                context.resolve("Dockerfile"),
                "FROM " + Docker.DIND_IMAGE + "\n"
                        + "RUN mkdir -p /var/lib/containerd && perl -e 'for my $d (1..500) { mkdir "
                        + "\"/var/lib/containerd/d$d\" or die $!; for (1..200) { open(F, "
                        + "\">/var/lib/containerd/d$d/f$_\") or die $!; print F \"x\"; close F } }'\n");
        String image = "jsysbox-test-big-store:" + Docker.RUN;
        Docker.dockerOk("build", "-q", "-t", image, context.toString());
        try {
            CompletableFuture<String> neighbour = CompletableFuture.supplyAsync(() -> docker.startIdle(image));
            Await.until(
                    "the neighbour's create to reach the manager",
                    Duration.ofMinutes(1),
                    () -> Command.run(
                                    Duration.ofSeconds(10),
                                    "sh",
                                    "-c",
                                    "ls -d /var/lib/docker/overlay2/*/jsysbox/.*.filling 2>/dev/null")
                            .out(),
                    found -> !found.isEmpty());
            Round wave = waves(1, () -> !neighbour.isDone());
            String id = neighbour.join();
            assertEquals(
                    "200",
                    Docker.execOk(id, "sh", "-c", "ls /var/lib/containerd/d500 | wc -l"),
                    "the neighbour's filled special dir");
            print("while a neighbour's create fills 100000 files", wave);
            assertTrue(
                    wave.finishedDuring() > 0,
                    "no create finished while the neighbour's create filled its special dir: "
                            + "creates wait for another container's fill");
        } finally {
            docker.removeAll();
            Docker.docker("rmi", "-f", image);
        }
    }

    /**
     * What one round of waves measured: each create's milliseconds, and how many finished while the neighbour's work
     * ran.
     */
    private record Round(List<Long> millis, int finishedDuring) {}

    /**
     * Starts {@code waves} waves of PER_WAVE idle containers at once, checks their ranges are disjoint, removes each
     * wave at
     * once and checks nothing of it is left. {@code neighbourBusy} tells, as each create returns, whether the
     * neighbour's
     * long work still runs.
     */
    private static Round waves(int waves, BooleanSupplier neighbourBusy) throws Exception {
        List<Long> millis = new ArrayList<>();
        int during = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(PER_WAVE)) {
            for (int wave = 0; wave < waves; wave++) {
                List<CompletableFuture<Create>> creates = new ArrayList<>();
                for (int i = 0; i < PER_WAVE; i++) {
                    creates.add(CompletableFuture.supplyAsync(
                            () -> {
                                long began = System.nanoTime();
                                String id = docker.startIdle(Docker.BUSYBOX_IMAGE);
                                long took = (System.nanoTime() - began) / 1_000_000;
                                return new Create(id, took, neighbourBusy.getAsBoolean());
                            },
                            pool));
                }
                List<Create> made =
                        creates.stream().map(CompletableFuture::join).toList();
                for (Create create : made) {
                    millis.add(create.millis());
                    if (create.during()) {
                        during++;
                    }
                }
                assertDisjointRanges(made);
                List<CompletableFuture<Void>> removals = made.stream()
                        .map(create -> CompletableFuture.runAsync(() -> Docker.remove(create.id()), pool))
                        .toList();
                removals.forEach(CompletableFuture::join);
                for (Create create : made) {
                    Leftovers.of(create.id()).awaitNone();
                }
            }
        }
        return new Round(millis, during);
    }

    private record Create(String id, long millis, boolean during) {}

    private static void assertDisjointRanges(List<Create> made) {
        String status = Jsysbox.status().assertOk().stdout();
        Set<String> ranges = new HashSet<>();
        for (Create create : made) {
            String line = Jsysbox.statusLine(status, create.id())
                    .orElseThrow(
                            () -> new AssertionError("`jsysbox status` does not list " + create.id() + ":\n" + status));
            var range = Pattern.compile("uid (\\d+)-").matcher(line);
            assertTrue(range.find(), "no uid range in: " + line);
            assertTrue(ranges.add(range.group(1)), "two containers share uid range " + range.group(1) + ":\n" + status);
        }
        assertEquals(made.size(), ranges.size());
    }

    private static void print(String round, Round measured) {
        List<Long> sorted = measured.millis().stream().sorted().toList();
        System.out.printf(
                Locale.ROOT,
                "create latency (docker run -d, %d containers in waves of %d) %s: p50 %d ms, p99 %d ms, max %d ms;"
                        + " %d finished while the neighbour's work ran%n",
                sorted.size(),
                PER_WAVE,
                round,
                percentile(sorted, 50),
                percentile(sorted, 99),
                sorted.getLast(),
                measured.finishedDuring());
    }

    private static long percentile(List<Long> sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
