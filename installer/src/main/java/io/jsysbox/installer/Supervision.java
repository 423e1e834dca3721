package io.jsysbox.installer;

import io.jsysbox.api.RuntimeDirs;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Keeps the jsysbox daemons running, each on its own: a systemd unit per daemon where systemd is PID 1, a plain
 * supervisor process per daemon otherwise. Callers decide the order ({@link Daemon#startOrder()}).
 */
sealed interface Supervision permits Supervision.Systemd, Supervision.Plain {

    static Supervision forHost() {
        // The check sd_booted(3) makes: this directory exists only when systemd is the init system.
        return Files.isDirectory(Path.of("/run/systemd/system")) ? new Systemd() : new Plain();
    }

    /** Writes what the supervision of every daemon needs (unit files or the supervisor script). */
    void install();

    /** Starts {@code daemon} unless it is already supervised. */
    void start(Daemon daemon);

    /** Stops {@code daemon} and its supervision; no-op when stopped. */
    void stop(Daemon daemon);

    /** Removes what {@link #install} wrote; every daemon must be stopped. */
    void uninstall();

    /** The daemon's process, when one runs. */
    Optional<ProcessHandle> process(Daemon daemon);

    String describe(Daemon daemon);

    /** Restarts {@code daemon} when it runs an older build than the one installed now, else starts it if needed. */
    default void startOrRefresh(Daemon daemon) {
        if (outdated(daemon)) {
            stop(daemon);
        }
        start(daemon);
    }

    /** Whether what runs for {@code daemon} predates what is installed. */
    default boolean outdated(Daemon daemon) {
        Instant jars = modified(daemon.installDir());
        Instant launcher = modified(daemon.launcher()); // its JVM flags
        return startedBefore(process(daemon), jars.isAfter(launcher) ? jars : launcher);
    }

    private static boolean startedBefore(Optional<ProcessHandle> process, Instant instant) {
        return process.flatMap(p -> p.info().startInstant())
                .map(started -> started.isBefore(instant))
                .orElse(false);
    }

    private static Instant modified(Path path) {
        try {
            return Files.getLastModifiedTime(path).toInstant();
        } catch (IOException e) {
            throw new InstallException(path + " missing: run installer/install.sh");
        }
    }

    /**
     * The process named in {@code pidFile} if it is alive and its command line mentions {@code marker} (pids get
     * reused).
     */
    private static Optional<ProcessHandle> liveProcess(Path pidFile, String marker) {
        try {
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"));
            return cmdline.contains(marker) ? ProcessHandle.of(pid) : Optional.empty();
        } catch (IOException | NumberFormatException absent) {
            return Optional.empty();
        }
    }

    record Systemd() implements Supervision {
        /**
         * Longer than the units' TimeoutStartSec (300 s): `systemctl start` of a Type=notify unit returns once the
         * daemon
         * is ready, and a start that fails is better reported in systemd's words than as our timeout.
         */
        private static final Duration SYSTEMCTL_TIMEOUT = Duration.ofMinutes(6);

        @Override
        public void install() {
            try {
                // StandardOutput=append: opens the log but does not create its directory.
                Files.createDirectories(HostLayout.LOG_DIR);
            } catch (IOException e) {
                throw new InstallException("cannot create " + HostLayout.LOG_DIR + ": " + e.getMessage());
            }
            boolean changed = false;
            for (Daemon daemon : Daemon.startOrder()) {
                changed |=
                        HostFiles.replaceIfDifferent(daemon.unitFile(), HostFiles.resource(daemon.unit()), "rw-r--r--");
            }
            if (changed) {
                systemctl("daemon-reload");
            }
            for (Daemon daemon : Daemon.startOrder()) {
                systemctl("enable", daemon.unit());
            }
        }

        @Override
        public void start(Daemon daemon) {
            systemctl(daemon, "start");
        }

        @Override
        public void stop(Daemon daemon) {
            systemctl(daemon, "stop");
        }

        /**
         * A restart, never a stop and a start: systemd keeps jsysbox-fs's FUSE connection in the unit's file descriptor
         * store across a restart (a stop drops it), so running containers keep their files through an upgrade.
         */
        @Override
        public void startOrRefresh(Daemon daemon) {
            systemctl(daemon, outdated(daemon) ? "restart" : "start");
        }

        /** Also when its unit file changed since it started (install rewrites a unit only when its text changed). */
        @Override
        public boolean outdated(Daemon daemon) {
            return Supervision.super.outdated(daemon) || startedBefore(process(daemon), modified(daemon.unitFile()));
        }

        @Override
        public void uninstall() {
            boolean removed = false;
            for (Daemon daemon : Daemon.stopOrder()) {
                if (Files.exists(daemon.unitFile())) {
                    systemctl("disable", daemon.unit());
                    HostFiles.delete(daemon.unitFile());
                    removed = true;
                }
            }
            if (removed) {
                systemctl("daemon-reload");
            }
        }

        @Override
        public Optional<ProcessHandle> process(Daemon daemon) {
            Commands.Result pid = Commands.run("systemctl", "show", "--property=MainPID", "--value", daemon.unit());
            return pid.ok() && pid.out().strip().matches("[1-9]\\d*")
                    ? ProcessHandle.of(Long.parseLong(pid.out().strip()))
                    : Optional.empty();
        }

        @Override
        public String describe(Daemon daemon) {
            return "systemd unit " + daemon.unit();
        }

        private static void systemctl(String... args) {
            runSystemctl(List.of(args), "");
        }

        /** {@code verb} on {@code daemon}'s unit: a failure points at the daemon's log too. */
        private static void systemctl(Daemon daemon, String verb) {
            runSystemctl(List.of(verb, daemon.unit()), " (see " + daemon.log() + ")");
        }

        private static void runSystemctl(List<String> args, String hint) {
            List<String> command = new ArrayList<>(List.of("systemctl"));
            command.addAll(args);
            Commands.Result r = Commands.run(SYSTEMCTL_TIMEOUT, command);
            if (!r.ok()) {
                throw new InstallException(String.join(" ", command) + " failed: " + r.reason() + hint);
            }
        }
    }

    record Plain() implements Supervision {
        /**
         * How long a daemon may take to exit on SIGTERM before it is killed: a JVM's exit on a slow (emulated) host.
         */
        private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
        /** How long a freshly started supervisor (bash) may take to write its pid file on a slow host. */
        private static final Duration SUPERVISOR_START_TIMEOUT = Duration.ofSeconds(60);

        @Override
        public void install() {
            // Rewritten only when its text changed: a newer script is what makes outdated() replace running
            // supervisors.
            HostFiles.replaceIfDifferent(HostLayout.SUPERVISOR, HostFiles.resource("jsysbox-supervise"), "rwxr-xr-x");
            // Earlier installs ran one argument-less supervisor for jsysbox-mgr alone; left running, it would restart
            // its manager behind the back of the per-daemon supervisor started next.
            liveProcess(
                            HostLayout.LEGACY_SUPERVISOR_PID,
                            HostLayout.SUPERVISOR.getFileName().toString())
                    .ifPresent(legacy -> terminate(legacy, "the supervisor of an earlier install"));
            HostFiles.delete(HostLayout.LEGACY_SUPERVISOR_PID);
        }

        @Override
        public void start(Daemon daemon) {
            if (supervisor(daemon).isPresent()) {
                return;
            }
            try {
                Files.createDirectories(HostLayout.LOG_DIR);
                // Its pid files go there before the manager first sets its mode: never listable meanwhile.
                RuntimeDirs.createIfMissing(HostLayout.RUN_DIR, RuntimeDirs.PASSED_BY_CONTAINERS);
            } catch (IOException e) {
                throw new InstallException(
                        "cannot create " + HostLayout.LOG_DIR + " or " + HostLayout.RUN_DIR + ": " + e.getMessage());
            }
            // setsid --fork: the supervisor gets its own session, so it outlives this CLI and its terminal. Its output
            // goes to the log, never to our pipes: a caller reading our output would otherwise wait for it forever.
            List<String> command = new ArrayList<>(List.of("setsid", "--fork"));
            command.addAll(daemon.supervisorCommand());
            try {
                int exit = new ProcessBuilder(command)
                        .directory(new File("/"))
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(
                                ProcessBuilder.Redirect.appendTo(daemon.log().toFile()))
                        .redirectErrorStream(true)
                        .start()
                        .waitFor();
                if (exit != 0) {
                    throw new InstallException("cannot start " + HostLayout.SUPERVISOR + " (setsid exit " + exit
                            + "): see " + daemon.log());
                }
            } catch (IOException e) {
                throw new InstallException("cannot start " + HostLayout.SUPERVISOR + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InstallException("interrupted while starting the supervisor of " + daemon.binary());
            }
            long deadline = System.nanoTime() + SUPERVISOR_START_TIMEOUT.toNanos();
            while (supervisor(daemon).isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new InstallException(
                            "the supervisor of " + daemon.binary() + " did not start: see " + daemon.log());
                }
                DockerEngine.sleep(Duration.ofMillis(50));
            }
        }

        @Override
        public void stop(Daemon daemon) {
            supervisor(daemon).ifPresent(s -> terminate(s, "the supervisor of " + daemon.binary()));
            // A daemon without a supervisor (started by hand, or its supervisor was killed) is stopped too.
            process(daemon).ifPresent(p -> terminate(p, daemon.binary()));
        }

        @Override
        public void uninstall() {
            HostFiles.delete(HostLayout.SUPERVISOR);
        }

        @Override
        public Optional<ProcessHandle> process(Daemon daemon) {
            return liveProcess(daemon.pidFile(), daemon.mainClass());
        }

        /** A supervisor runs an older script than the installed one: replace it, and its daemon with it. */
        @Override
        public boolean outdated(Daemon daemon) {
            return Supervision.super.outdated(daemon) || supervisorOutdated(daemon);
        }

        /**
         * An outdated daemon whose supervisor is current is restarted by its supervisor: the supervisor, and the FUSE
         * connection it may hold, stay, so running containers keep their virtual files through an upgrade.
         */
        @Override
        public void startOrRefresh(Daemon daemon) {
            if (Supervision.super.outdated(daemon) && supervisor(daemon).isPresent() && !supervisorOutdated(daemon)) {
                Optional<ProcessHandle> old = process(daemon);
                old.ifPresent(p -> terminate(p, daemon.binary()));
                long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
                while (process(daemon)
                        .filter(p -> old.map(o -> o.pid() != p.pid()).orElse(true))
                        .isEmpty()) {
                    if (System.nanoTime() > deadline) {
                        throw new InstallException(
                                "the supervisor did not restart " + daemon.binary() + ": see " + daemon.log());
                    }
                    DockerEngine.sleep(Duration.ofMillis(50));
                }
                return;
            }
            Supervision.super.startOrRefresh(daemon);
        }

        private static boolean supervisorOutdated(Daemon daemon) {
            return startedBefore(supervisor(daemon), modified(HostLayout.SUPERVISOR));
        }

        @Override
        public String describe(Daemon daemon) {
            return "plain supervisor " + HostLayout.SUPERVISOR
                    + supervisor(daemon).map(p -> " (pid " + p.pid() + ")").orElse(" (not running)");
        }

        private static Optional<ProcessHandle> supervisor(Daemon daemon) {
            // The supervisor's own pid file is its first argument, which tells one daemon's supervisor from another's.
            return liveProcess(
                    daemon.supervisorPidFile(), daemon.supervisorPidFile().toString());
        }

        private static void terminate(ProcessHandle process, String what) {
            process.destroy();
            if (!awaitExit(process, STOP_TIMEOUT)) {
                System.err.println(what + " (pid " + process.pid() + ") ignored SIGTERM for " + STOP_TIMEOUT.toSeconds()
                        + "s: killing it");
                process.destroyForcibly();
                awaitExit(process, STOP_TIMEOUT);
            }
        }

        /**
         * Polls every 20 ms. Not onExit(): for a process that is not our child it polls too, but from 300 ms up,
         * which made a stop wait up to half a second more than the daemon took to exit.
         */
        private static boolean awaitExit(ProcessHandle process, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (process.isAlive()) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                DockerEngine.sleep(Duration.ofMillis(20));
            }
            return true;
        }
    }
}
