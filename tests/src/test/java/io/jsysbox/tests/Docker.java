package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The tests' handle on the host's Docker engine, and a JUnit extension that removes every container it started.
 * Register it as a static field: containers started inside a test are removed after that test, containers
 * started in {@code @BeforeAll} after the class. Every container is named by this extension and labelled
 * {@code jsysbox.test=<run>}, so even a {@code docker run} that failed half-way is found and removed.
 */
public final class Docker implements BeforeEachCallback, AfterEachCallback, AfterAllCallback {
    public static final String DIND_IMAGE = "jsysbox/dind:latest";
    public static final String BUSYBOX_IMAGE = "jsysbox/busybox:latest";
    public static final String TEST_LABEL = "jsysbox.test";
    /** Label value of this JVM's containers; other users of the engine (other test runs) are left alone. */
    public static final String RUN = UUID.randomUUID().toString().substring(0, 8);

    public static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(2);
    /** Inner dockerd start plus the image import of the dind image's CMD, on a slow 2-core machine. */
    public static final Duration INNER_DOCKER_READY = Duration.ofMinutes(3);

    private static final AtomicInteger NAMES = new AtomicInteger();

    private final List<String> classContainers = new ArrayList<>();
    private final List<String> testContainers = new ArrayList<>();
    private boolean inTest;

    /** A {@code docker run} that may fail; {@code name} is what the container is (or would be) called. */
    public record Attempt(String name, Command.Result result) {}

    public static Command.Result docker(String... args) {
        return Command.run(
                COMMAND_TIMEOUT,
                Stream.concat(Stream.of("docker"), Stream.of(args)).toList());
    }

    /** Runs a docker command that must succeed; returns its trimmed stdout. */
    public static String dockerOk(String... args) {
        return docker(args).assertOk().out();
    }

    /** {@code docker run --name N --label jsysbox.test=RUN ARGS}: foreground, may fail; the container is tracked. */
    public Attempt tryRun(String... args) {
        return tracked("run", args);
    }

    /** {@code docker create} of an image that must succeed; returns the (tracked) container's name. */
    public String create(String image) {
        Attempt created = tracked("create", image);
        created.result().assertOk();
        return created.name();
    }

    private Attempt tracked(String verb, String... args) {
        String name = "jsysbox-test-" + RUN + "-" + NAMES.incrementAndGet();
        (inTest ? testContainers : classContainers).add(name);
        List<String> command =
                new ArrayList<>(List.of("docker", verb, "--name", name, "--label", TEST_LABEL + "=" + RUN));
        command.addAll(List.of(args));
        return new Attempt(name, Command.run(COMMAND_TIMEOUT, command));
    }

    /** {@code docker run -d ...} that must succeed; returns the full container id. */
    public String runDetached(String... args) {
        String[] detached = Stream.concat(Stream.of("-d"), Stream.of(args)).toArray(String[]::new);
        return tryRun(detached).result().assertOk().out();
    }

    /**
     * Runs {@code command} as the entrypoint of a fresh jsysbox container of {@code image}, which is removed
     * afterwards: {@code docker run --rm --runtime=jsysbox RUNARGS --entrypoint COMMAND[0] IMAGE COMMAND[1..]}.
     * Returns its trimmed stdout; the command must succeed.
     */
    public String runOnce(String image, List<String> runArgs, String... command) {
        List<String> args = new ArrayList<>(List.of("--rm", "--runtime=jsysbox"));
        args.addAll(runArgs);
        args.addAll(List.of("--entrypoint", command[0], image));
        args.addAll(List.of(command).subList(1, command.length));
        return tryRun(args.toArray(String[]::new)).result().assertOk().out();
    }

    /** Fills {@code dir} with the files of {@code image} (a container created and exported, as an OCI bundle's rootfs). */
    public void exportImage(String image, Path dir) {
        Command.run(
                        COMMAND_TIMEOUT,
                        "sh",
                        "-c",
                        "docker export \"$0\" | tar -x -C \"$1\"",
                        create(image),
                        dir.toString())
                .assertOk();
    }

    /** Starts a jsysbox/dind container and waits until the engine inside it can run the busybox image. */
    public String startDind(String... extraRunArgs) {
        return startEngine(DIND_IMAGE, extraRunArgs);
    }

    /**
     * As {@link #startDind}, for an image made from jsysbox/dind (whose init starts the engine and imports busybox).
     */
    public String startEngine(String image, String... extraRunArgs) {
        List<String> args = new ArrayList<>(List.of("--runtime=jsysbox"));
        args.addAll(List.of(extraRunArgs));
        args.add(image);
        String id = runDetached(args.toArray(String[]::new));
        awaitInnerDocker(id);
        return id;
    }

    /**
     * Starts a jsysbox container of {@code image} whose entrypoint only sleeps (whatever the image's own is), for
     * probes with {@link #exec}; returns its full id.
     */
    public String startIdle(String image, String... extraRunArgs) {
        List<String> args = new ArrayList<>(List.of("--runtime=jsysbox"));
        args.addAll(List.of(extraRunArgs));
        args.addAll(List.of("--entrypoint", "sleep", image, "1000000"));
        return runDetached(args.toArray(String[]::new));
    }

    /** Waits until dockerd inside the container answers and holds the busybox image its CMD imports. */
    public static void awaitInnerDocker(String id) {
        Await.success(
                "docker inside " + shortId(id) + " to answer and hold busybox:latest",
                INNER_DOCKER_READY,
                () -> exec(id, "sh", "-c", "docker info >/dev/null && docker image inspect busybox:latest >/dev/null"));
    }

    public static Command.Result exec(String id, String... command) {
        return docker(Stream.concat(Stream.of("exec", id), Stream.of(command)).toArray(String[]::new));
    }

    public static String execOk(String id, String... command) {
        return exec(id, command).assertOk().out();
    }

    public static String inspect(String container, String format) {
        return dockerOk("inspect", "-f", format, container);
    }

    /** The full id of a container, e.g. of a failed {@link Attempt}; empty when Docker never created it. */
    public static Optional<String> findId(String name) {
        Command.Result inspected = docker("inspect", "-f", "{{.Id}}", name);
        return inspected.ok() ? Optional.of(inspected.out()) : Optional.empty();
    }

    /** Host pid of the container's init process. */
    public static long pid(String container) {
        long pid = Long.parseLong(inspect(container, "{{.State.Pid}}"));
        assertFalse(pid <= 0, "container " + container + " has no running init process");
        return pid;
    }

    public static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }

    /** {@code docker rm -f -v}; a container that is already gone is fine. */
    public static void remove(String container) {
        Command.Result result = docker("rm", "-f", "-v", container);
        if (!result.ok() && !result.stderr().contains("No such container")) {
            throw new AssertionError("cannot remove test container: " + result);
        }
    }

    /** Removes every container this extension started so far (e.g. before deleting their bind-mount sources). */
    public void removeAll() {
        List<String> names = new ArrayList<>(testContainers);
        names.addAll(classContainers);
        testContainers.clear();
        classContainers.clear();
        removeEach(names);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        inTest = true;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        inTest = false;
        List<String> names = List.copyOf(testContainers);
        testContainers.clear();
        removeEach(names);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        removeAll();
        // Anything of this run that slipped past the bookkeeping (it should not exist).
        String stray = docker("ps", "-aq", "--filter", "label=" + TEST_LABEL + "=" + RUN)
                .out();
        removeEach(stray.lines().filter(line -> !line.isBlank()).toList());
    }

    /** Tries every container even when one fails, then reports all failures. */
    private static void removeEach(List<String> containers) {
        List<String> failures = new ArrayList<>();
        for (String container : containers) {
            try {
                remove(container);
            } catch (AssertionError e) {
                failures.add(e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new AssertionError(String.join("\n", failures));
        }
    }
}
