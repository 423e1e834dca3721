package io.jsysbox.installer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Keeps jsysbox-mgr running: a systemd unit where systemd is PID 1, a plain supervisor process otherwise. */
sealed interface Supervision permits Supervision.Systemd, Supervision.Plain {

    static Supervision forHost() {
        // The check sd_booted(3) makes: this directory exists only when systemd is the init system.
        return Files.isDirectory(Path.of("/run/systemd/system")) ? new Systemd() : new Plain();
    }

    /** Writes what the supervision needs (unit file or supervisor script). */
    void install();

    /** Starts the manager unless it is already supervised. */
    void start();

    /** Stops the manager and its supervision; no-op when stopped. */
    void stop();

    /** Removes what {@link #install} wrote; the manager must be stopped. */
    void uninstall();

    /** The manager process, when one runs. */
    Optional<ProcessHandle> manager();

    String describe();

    /** Restarts the manager when it runs an older build than the one installed now. */
    default void startOrRefresh() {
        Optional<Instant> startedAt = manager().flatMap(p -> p.info().startInstant());
        if (startedAt.isPresent() && startedAt.get().isBefore(installedAt())) {
            stop();
        }
        start();
    }

    private static Instant installedAt() {
        try {
            return Files.getLastModifiedTime(HostLayout.LIB.resolve("mgr")).toInstant();
        } catch (IOException e) {
            throw new InstallException(HostLayout.LIB.resolve("mgr") + " missing: run installer/install.sh");
        }
    }

    record Systemd() implements Supervision {
        private static final String UNIT = "jsysbox-mgr.service";

        @Override public void install() {
            HostFiles.writeAtomically(HostLayout.SYSTEMD_UNIT, HostFiles.resource("jsysbox-mgr.service"), "rw-r--r--");
            systemctl("daemon-reload");
            systemctl("enable", UNIT);
        }

        @Override public void start() {
            systemctl("start", UNIT);
        }

        @Override public void stop() {
            systemctl("stop", UNIT);
        }

        @Override public void uninstall() {
            if (Files.exists(HostLayout.SYSTEMD_UNIT)) {
                systemctl("disable", UNIT);
                HostFiles.delete(HostLayout.SYSTEMD_UNIT);
                systemctl("daemon-reload");
            }
        }

        @Override public Optional<ProcessHandle> manager() {
            Commands.Result pid = Commands.run("systemctl", "show", "--property=MainPID", "--value", UNIT);
            return pid.ok() && pid.out().strip().matches("[1-9]\\d*") ? ProcessHandle.of(Long.parseLong(pid.out().strip())) : Optional.empty();
        }

        @Override public String describe() {
            return "systemd unit " + UNIT;
        }

        private static void systemctl(String... args) {
            List<String> command = new java.util.ArrayList<>(List.of("systemctl"));
            command.addAll(List.of(args));
            Commands.Result r = Commands.run(Duration.ofSeconds(60), command);
            if (!r.ok()) {
                throw new InstallException(String.join(" ", command) + " failed: " + r.reason());
            }
        }
    }

    record Plain() implements Supervision {
        private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

        @Override public void install() {
            HostFiles.writeAtomically(HostLayout.SUPERVISOR, HostFiles.resource("jsysbox-supervise"), "rwxr-xr-x");
        }

        @Override public void start() {
            if (supervisor().isPresent()) {
                return;
            }
            try {
                Files.createDirectories(HostLayout.LOG_DIR);
                Files.createDirectories(HostLayout.RUN_DIR);
            } catch (IOException e) {
                throw new InstallException("cannot create " + HostLayout.LOG_DIR + " or " + HostLayout.RUN_DIR + ": " + e.getMessage());
            }
            // setsid --fork: the supervisor gets its own session, so it outlives this CLI and its terminal. Its output
            // goes to the log, never to our pipes: a caller reading our output would otherwise wait for it forever.
            try {
                int exit = new ProcessBuilder("setsid", "--fork", HostLayout.SUPERVISOR.toString())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(HostLayout.MGR_LOG.toFile()))
                        .redirectErrorStream(true)
                        .start().waitFor();
                if (exit != 0) {
                    throw new InstallException("cannot start " + HostLayout.SUPERVISOR + " (setsid exit " + exit + "): see " + HostLayout.MGR_LOG);
                }
            } catch (IOException e) {
                throw new InstallException("cannot start " + HostLayout.SUPERVISOR + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InstallException("interrupted while starting the supervisor");
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (supervisor().isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new InstallException("the supervisor did not start: see " + HostLayout.MGR_LOG);
                }
                DockerEngine.sleep(Duration.ofMillis(50));
            }
        }

        @Override public void stop() {
            supervisor().ifPresent(s -> terminate(s, "supervisor"));
            // A manager without a supervisor (started by hand, or its supervisor was killed) is stopped too.
            manager().ifPresent(m -> terminate(m, "jsysbox-mgr"));
        }

        @Override public void uninstall() {
            HostFiles.delete(HostLayout.SUPERVISOR);
        }

        @Override public Optional<ProcessHandle> manager() {
            return liveProcess(HostLayout.MGR_PID, "io.jsysbox.mgr.Main");
        }

        @Override public String describe() {
            return "plain supervisor " + HostLayout.SUPERVISOR + supervisor().map(p -> " (pid " + p.pid() + ")").orElse(" (not running)");
        }

        private Optional<ProcessHandle> supervisor() {
            return liveProcess(HostLayout.SUPERVISOR_PID, HostLayout.SUPERVISOR.getFileName().toString());
        }

        /** The process named in {@code pidFile} if it is alive and its command line mentions {@code marker} (pids get reused). */
        private static Optional<ProcessHandle> liveProcess(Path pidFile, String marker) {
            try {
                long pid = Long.parseLong(Files.readString(pidFile).strip());
                String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"));
                return cmdline.contains(marker) ? ProcessHandle.of(pid) : Optional.empty();
            } catch (IOException | NumberFormatException absent) {
                return Optional.empty();
            }
        }

        private static void terminate(ProcessHandle process, String what) {
            process.destroy();
            try {
                process.onExit().get(STOP_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                System.err.println(what + " (pid " + process.pid() + ") ignored SIGTERM for " + STOP_TIMEOUT.toSeconds() + "s: killing it");
                process.destroyForcibly();
                process.onExit().join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InstallException("interrupted while stopping " + what);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
