package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad input fails with a one-line explanation and leaves nothing behind. */
@EndToEnd
class BadInputTest {
    @RegisterExtension
    static final Docker docker = new Docker();

    @TempDir
    static Path work;

    private static Path bundle;
    private static String validConfig;

    /** An OCI bundle made by hand: busybox's files as rootfs and `runc spec`'s config.json. */
    @BeforeAll
    static void makeBundle() throws IOException {
        bundle = Files.createDirectories(work.resolve("bundle"));
        Path rootfs = Files.createDirectories(bundle.resolve("rootfs"));
        docker.exportImage(Docker.BUSYBOX_IMAGE, rootfs);
        Command.run(Docker.COMMAND_TIMEOUT, "runc", "spec", "--bundle", bundle.toString())
                .assertOk();
        validConfig = Files.readString(bundle.resolve("config.json"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"truncated", "not an object", "empty"})
    void malformedConfigJsonFailsWithOneLineAndLeavesNothing(String damage) throws IOException {
        String config = switch (damage) {
            case "truncated" -> validConfig.substring(0, validConfig.length() / 2);
            case "not an object" -> "[\"ociVersion\"]";
            case "empty" -> "";
            default -> throw new IllegalArgumentException(damage);
        };
        Files.writeString(bundle.resolve("config.json"), config);
        Path runcRoot = work.resolve("runc-root");
        String id = "jsysbox-test-" + Docker.RUN + "-bad-config";
        Set<String> mountsBefore = Leftovers.jsysboxMounts();

        Command.Result create = Command.run(
                Docker.COMMAND_TIMEOUT,
                "jsysbox-runc",
                "--root",
                runcRoot.toString(),
                "create",
                "--bundle",
                bundle.toString(),
                id);

        assertNotEquals(0, create.exitCode(), "create with a " + damage + " config.json succeeded: " + create);
        List<String> lines =
                create.stderr().lines().filter(line -> !line.isBlank()).toList();
        assertEquals(1, lines.size(), "stderr should be one line: " + create);
        assertTrue(lines.getFirst().startsWith("jsysbox:"), "stderr should start with 'jsysbox:': " + create);
        assertTrue(lines.getFirst().contains("config.json"), "stderr should name config.json: " + create);
        Leftovers.of(id).withRuncRoot(runcRoot).withMountsBefore(mountsBefore).awaitNone();
    }

    @Test
    void runWithoutTheManagerFailsNamingJsysboxMgr() {
        Set<String> mountsBefore = Leftovers.jsysboxMounts();
        Docker.Attempt run;
        Jsysbox.stopManager();
        try {
            run = docker.tryRun("--runtime=jsysbox", Docker.BUSYBOX_IMAGE, "true");
        } finally {
            Jsysbox.startManager();
        }
        assertFalse(run.result().ok(), "docker run succeeded with the manager stopped: " + run.result());
        assertTrue(run.result().stderr().contains("jsysbox-mgr"), "the error should name jsysbox-mgr: " + run.result());
        assertNothingLeftOf(run, mountsBefore);
    }

    /** A container Docker created but could not start must leave nothing; one it never created never ran. */
    private static void assertNothingLeftOf(Docker.Attempt run, Set<String> mountsBefore) {
        Docker.findId(run.name())
                .ifPresent(id -> Leftovers.of(id).withMountsBefore(mountsBefore).awaitNone());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"--privileged, --privileged", "--pid=host, --pid=host"})
    void unsupportedRunFlagIsRejectedByName(String flag, String mention) {
        Set<String> mountsBefore = Leftovers.jsysboxMounts();
        Docker.Attempt run = docker.tryRun("--runtime=jsysbox", flag, Docker.BUSYBOX_IMAGE, "true");
        assertFalse(run.result().ok(), "docker run " + flag + " succeeded: " + run.result());
        assertTrue(
                run.result().stderr().contains(mention), "the error should mention " + mention + ": " + run.result());
        assertNothingLeftOf(run, mountsBefore);
    }
}
