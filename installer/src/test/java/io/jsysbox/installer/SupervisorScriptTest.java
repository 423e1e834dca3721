package io.jsysbox.installer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jsysbox-supervise run for real (no root needed) with a stand-in daemon: restart after a crash, clean stop on SIGTERM.
 */
class SupervisorScriptTest {
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    @Test
    void restartsAKilledDaemonAndStopsItOnSigterm(@TempDir Path dir) throws Exception {
        Path script = executable(dir.resolve("jsysbox-supervise"), HostFiles.resource("jsysbox-supervise"));
        // exec: the pid the supervisor records is the daemon's own, as with the real launchers.
        Path launcher = executable(dir.resolve("jsysbox-fake"), "#!/bin/sh\nexec sleep 600\n");
        Path supervisorPid = dir.resolve("run/fake-supervisor.pid");
        Path daemonPid = dir.resolve("run/fake.pid");
        Path log = dir.resolve("log/fake.log");
        Process supervisor = new ProcessBuilder(
                        script.toString(),
                        supervisorPid.toString(),
                        daemonPid.toString(),
                        log.toString(),
                        launcher.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("supervisor.out").toFile())
                .start();
        try {
            long first = await("the daemon to start", () -> livePid(daemonPid));
            assertEquals(
                    supervisor.pid(),
                    Long.parseLong(Files.readString(supervisorPid).strip()));

            ProcessHandle.of(first).orElseThrow().destroyForcibly();
            long second =
                    await("the daemon to be restarted", () -> livePid(daemonPid).filter(pid -> pid != first));
            assertNotEquals(first, second);

            supervisor.destroy(); // SIGTERM
            assertTrue(supervisor.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS), "the supervisor ignored SIGTERM");
            assertFalse(
                    ProcessHandle.of(second).map(ProcessHandle::isAlive).orElse(false),
                    "the daemon outlived its supervisor");
            assertFalse(Files.exists(daemonPid));
            assertFalse(Files.exists(supervisorPid));
            String text = Files.readString(log);
            assertEquals(
                    2,
                    text.lines()
                            .filter(l -> l.endsWith("jsysbox-supervise: starting jsysbox-fake"))
                            .count(),
                    text);
            assertTrue(text.contains("jsysbox-fake exited with status 137"), text);
        } finally {
            supervisor.descendants().forEach(ProcessHandle::destroyForcibly);
            supervisor.destroyForcibly();
        }
    }

    @Test
    void refusesToGuessItsArguments(@TempDir Path dir) throws Exception {
        Path script = executable(dir.resolve("jsysbox-supervise"), HostFiles.resource("jsysbox-supervise"));
        Process run = new ProcessBuilder(script.toString(), "/tmp/only-one")
                .redirectErrorStream(true)
                .start();
        String output = new String(run.getInputStream().readAllBytes());
        assertTrue(run.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertEquals(2, run.exitValue());
        assertTrue(output.startsWith("usage: jsysbox-supervise"), output);
    }

    private static Optional<Long> livePid(Path pidFile) {
        try {
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
        } catch (IOException | NumberFormatException notYet) {
            return Optional.empty();
        }
    }

    private static long await(String what, Supplier<Optional<Long>> probe) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Long> value = probe.get();
            if (value.isPresent()) {
                return value.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    private static Path executable(Path file, String text) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }
}
