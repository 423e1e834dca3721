package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Inner images preloaded with docker commit, and shared across containers through the host's inner image cache:
 * one read-only copy, ID-mapped into each container, each container's writes its own.
 */
@EndToEnd
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InnerImagesTest {
    private static final String PRELOADED = "jsysbox-test-preloaded:" + Docker.RUN;
    private static final String INNER_IMAGE = "inner-preloaded";
    private static final Path CACHE = Jsysbox.STATE_DIR.resolve("inner-images");

    @RegisterExtension
    static final Docker docker = new Docker();

    /** The cache entry's source: the committed image's top layer's copy of /var/lib/docker. */
    private static String source;

    /**
     * A dind container builds an inner image (a 64 MB layer, and a file deleted from busybox: a whiteout the inner
     * engine's layer must keep), then is committed while running: docker commit pauses it, and the runtime copies
     * /var/lib/docker into its rootfs then.
     */
    @BeforeAll
    static void commitAContainerHoldingAnInnerImage() {
        String builder = docker.startDind();
        Docker.execOk(
                builder,
                "sh",
                "-c",
                "mkdir -p /tmp/ctx && printf '"
                        + "FROM busybox\\nRUN rm /bin/vi && echo preloaded > /marker && head -c 67108864 /dev/urandom "
                        + "> /big\\n'"
                        + " > /tmp/ctx/Dockerfile && DOCKER_BUILDKIT=0 docker build -q -t " + INNER_IMAGE
                        + " /tmp/ctx");
        Docker.dockerOk("commit", builder, PRELOADED);
        Docker.remove(builder);
        source = Docker.dockerOk("image", "inspect", "--format", "{{.GraphDriver.Data.UpperDir}}", PRELOADED)
                + "/var/lib/docker";
    }

    @AfterAll
    static void removeImage() {
        docker.removeAll();
        Docker.docker("rmi", "-f", PRELOADED);
    }

    @Test
    @Order(1)
    void aCommittedContainersInnerImagesAreThereInItsImagesContainers() {
        String id = startPreloaded();
        assertTrue(
                Docker.execOk(id, "docker", "images", "--format", "{{.Repository}}")
                        .lines()
                        .anyMatch(INNER_IMAGE::equals),
                "the inner image is not listed");
        assertEquals(
                "preloaded 0",
                Docker.execOk(
                        id,
                        "docker",
                        "run",
                        "--rm",
                        INNER_IMAGE,
                        "sh",
                        "-c",
                        "echo $(cat /marker) $(stat -c %u /marker)"));
        assertEquals(
                "gone",
                Docker.execOk(id, "docker", "run", "--rm", INNER_IMAGE, "sh", "-c", "test ! -e /bin/vi && echo gone"),
                "a file the inner image deleted shows again: its whiteout was lost");
    }

    @Test
    @Order(2)
    void containersOfTheImageShareOneReadOnlyCopyAndKeepTheirWritesPrivate() {
        String first = startPreloaded();
        String second = startPreloaded();
        CacheEntry entry =
                cacheEntry().orElseThrow(() -> new AssertionError("no cache entry from " + source + ":\n" + status()));
        assertEquals(2, entry.users(), "both containers should use the entry: " + entry.line());

        String layer = Docker.execOk(
                first,
                "sh",
                "-c",
                "awk '$5 ~ \"^/var/lib/docker/overlay2/.*/diff$\" {print $5}' /proc/self/mountinfo | head -n 1");
        assertFalse(layer.isEmpty(), "no shared layer is mounted in the container");
        assertFalse(Docker.exec(first, "touch", layer + "/written").ok(), "a shared layer is writable");
        Docker.exec(first, "mount", "-o", "remount,rw,bind", layer);
        assertFalse(Docker.exec(first, "touch", layer + "/written").ok(), "a shared layer could be remounted writable");

        Docker.execOk(first, "docker", "tag", INNER_IMAGE, "private-to-first");
        assertFalse(
                Docker.exec(second, "docker", "image", "inspect", "private-to-first")
                        .ok(),
                "one container's image showed in another");
        assertEquals("preloaded", Docker.execOk(second, "docker", "run", "--rm", INNER_IMAGE, "cat", "/marker"));
    }

    @Test
    @Order(3)
    void fiveContainersStartingAtOnceFillOneEntry() throws IOException {
        removeEntry();
        List<CompletableFuture<String>> starts = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            starts.add(CompletableFuture.supplyAsync(InnerImagesTest::startPreloaded));
        }
        List<String> ids = starts.stream().map(CompletableFuture::join).toList();
        CacheEntry entry = cacheEntry().orElseThrow(() -> new AssertionError("no cache entry:\n" + status()));
        assertEquals(5, entry.users(), entry.line());
        assertEquals(
                1,
                status().lines().filter(line -> line.endsWith("from " + source)).count(),
                status());
        assertEquals(List.of(), temporaryEntries());
        assertEquals("preloaded", Docker.execOk(ids.get(4), "docker", "run", "--rm", INNER_IMAGE, "cat", "/marker"));
    }

    @Test
    @Order(4)
    void aManagerKilledWhileFillingLeavesNoCorruptEntry() throws Exception {
        removeEntry();
        long manager = Long.parseLong(
                Files.readString(Jsysbox.RUN_DIR.resolve("mgr.pid")).strip());
        CompletableFuture<Command.Result> interrupted;
        // inotify: the fill of a few tens of MB takes well under a second, too short to poll for.
        try (WatchService watcher = FileSystems.getDefault().newWatchService()) {
            CACHE.register(watcher, StandardWatchEventKinds.ENTRY_CREATE);
            interrupted = CompletableFuture.supplyAsync(
                    () -> docker.tryRun("-d", "--runtime=jsysbox", PRELOADED).result());
            awaitCreation(watcher, ".tmp-");
            Command.run(Duration.ofSeconds(10), "kill", "-KILL", Long.toString(manager))
                    .assertOk();
        }
        interrupted.join();
        Jsysbox.awaitManager();

        assertEquals(List.of(), temporaryEntries(), "the restarted manager left the half-filled entry");
        assertTrue(cacheEntry().isEmpty(), "an entry from an interrupted fill is listed:\n" + status());
        String id = startPreloaded();
        assertEquals("preloaded", Docker.execOk(id, "docker", "run", "--rm", INNER_IMAGE, "cat", "/marker"));
        assertEquals("67108864", Docker.execOk(id, "docker", "run", "--rm", INNER_IMAGE, "stat", "-c", "%s", "/big"));
    }

    @Test
    @Order(5)
    void withTheCacheOffAContainerGetsItsOwnCopy() {
        String id = docker.startEngine(PRELOADED, "-e", "JSYSBOX_INNER_IMAGE_CACHE=off");
        assertEquals("preloaded", Docker.execOk(id, "docker", "run", "--rm", INNER_IMAGE, "cat", "/marker"));
        assertEquals(
                "0",
                Docker.execOk(
                        id, "sh", "-c", "grep -c ' /var/lib/docker/overlay2/.*/diff ' /proc/self/mountinfo || true"));
    }

    @Test
    @Order(6)
    void aStoppedContainersInnerImagesGoIntoItsCommit() {
        String id = startPreloaded();
        Docker.execOk(id, "docker", "tag", INNER_IMAGE, "tagged-before-stop");
        Docker.dockerOk("stop", id);
        String committed = "jsysbox-test-stopped:" + Docker.RUN;
        Docker.dockerOk("commit", id, committed);
        try {
            String next = docker.startEngine(committed);
            assertEquals(
                    "preloaded", Docker.execOk(next, "docker", "run", "--rm", "tagged-before-stop", "cat", "/marker"));
        } finally {
            docker.removeAll();
            Docker.docker("rmi", "-f", committed);
        }
    }

    @Test
    @Order(7)
    void anEntryWhoseImageIsGoneIsCollected() {
        docker.removeAll();
        Docker.dockerOk("rmi", "-f", PRELOADED);
        Jsysbox.restartManager(); // collects at start
        assertTrue(cacheEntry().isEmpty(), "the entry of a removed image is still there:\n" + status());
    }

    private static String startPreloaded() {
        return docker.startEngine(PRELOADED);
    }

    private record CacheEntry(String line, int users) {}

    private static String status() {
        return Jsysbox.status().assertOk().stdout();
    }

    /** The cache entry copied from this class's image, as `jsysbox status` lists it. */
    private static Optional<CacheEntry> cacheEntry() {
        return status().lines()
                .filter(line -> line.endsWith("from " + source))
                .findFirst()
                .map(line -> {
                    var users = Pattern.compile("used by (\\d+) running").matcher(line);
                    if (!users.find()) {
                        throw new AssertionError("unexpected status line: " + line);
                    }
                    return new CacheEntry(line, Integer.parseInt(users.group(1)));
                });
    }

    /** No container of the image runs: its entry is removed, so the next start fills it again. */
    private static void removeEntry() throws IOException {
        docker.removeAll();
        Optional<CacheEntry> entry = cacheEntry();
        if (entry.isEmpty()) {
            return;
        }
        String key = entry.get().line().strip().split("\\s+")[0];
        Command.run(Duration.ofMinutes(1), "rm", "-rf", CACHE.resolve(key).toString())
                .assertOk();
    }

    /**
     * Waits (at most two minutes) until {@code watcher} reports the creation of an entry whose name starts with {@code
     * prefix}.
     */
    private static void awaitCreation(WatchService watcher, String prefix) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            WatchKey key = watcher.poll(1, TimeUnit.SECONDS);
            if (key == null) {
                continue;
            }
            for (WatchEvent<?> event : key.pollEvents()) {
                if (event.context() instanceof Path created
                        && created.toString().startsWith(prefix)) {
                    return;
                }
            }
            key.reset();
        }
        throw new AssertionError("the manager did not start filling a cache entry within two minutes:\n" + status());
    }

    private static List<String> temporaryEntries() {
        try (Stream<Path> entries = Files.list(CACHE)) {
            return entries.map(path -> path.getFileName().toString())
                    .filter(name -> name.startsWith(".tmp-"))
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
