package io.jsysbox.installer;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** The host's Docker engine, through the docker CLI and signals to dockerd. */
final class DockerEngine {
    private static final Path PID_FILE = Path.of("/run/docker.pid");
    /**
     * For one docker CLI call; an engine that is down fails it at once, so only a slow (emulated) host waits this long.
     */
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);
    /** For dockerd to show a reloaded daemon.json: well under a second here, far longer on a slow host. */
    private static final Duration RELOAD_TIMEOUT = Duration.ofMinutes(2);

    private DockerEngine() {}

    /**
     * Why a docker CLI call failed, and what to do: a missing CLI is its own package on Debian 13 and later
     * (docker-cli,
     * split out of docker.io), which a host with only the engine installed lacks.
     */
    private static InstallException failed(String call, Commands.Result result) {
        if (result.exit() == 127) {
            return new InstallException(
                    call + " failed: the docker CLI is not installed (Debian 13 and later: apt-get install "
                            + "docker-cli; Debian 12: docker.io)");
        }
        return new InstallException(call + " failed (" + result.reason() + "): start dockerd and retry");
    }

    static boolean answers() {
        return Commands.run(CLI_TIMEOUT, List.of("docker", "info", "--format", "{{.ServerVersion}}"))
                .ok();
    }

    /** Names of the runtimes the engine knows, as {@code docker info} reports them. */
    static Set<String> runtimes() {
        Commands.Result info = Commands.run(CLI_TIMEOUT, List.of("docker", "info", "--format", "{{json .Runtimes}}"));
        if (!info.ok()) {
            throw failed("docker info", info);
        }
        try {
            Set<String> names = new HashSet<>();
            new ObjectMapper().readTree(info.out()).fieldNames().forEachRemaining(names::add);
            return names;
        } catch (IOException e) {
            throw new InstallException(
                    "cannot read the runtimes from docker info: " + info.out().strip());
        }
    }

    /** The engine's default runtime, as `docker info` reports it. */
    static String defaultRuntime() {
        Commands.Result info = Commands.run(CLI_TIMEOUT, List.of("docker", "info", "--format", "{{.DefaultRuntime}}"));
        if (!info.ok()) {
            throw failed("docker info", info);
        }
        return info.out().strip();
    }

    /** Makes dockerd re-read daemon.json and waits until it reports {@code name} as its default runtime. */
    static void reloadUntilDefault(String name) {
        reload("make " + name + " its default runtime", () -> defaultRuntime().equals(name));
    }

    /** Makes dockerd re-read daemon.json (SIGHUP; "runtimes" is reloadable) and waits until it shows the change. */
    static void reloadUntil(boolean registered) {
        reload(
                (registered ? "pick up" : "drop") + " the jsysbox runtime",
                () -> runtimes().contains(HostLayout.RUNTIME_NAME) == registered);
    }

    private static void reload(String what, BooleanSupplier done) {
        long pid = dockerdPid()
                .orElseThrow(() -> new InstallException(
                        "no dockerd process found to reload: start dockerd, then run jsysbox install again"));
        Commands.Result hup = Commands.run("kill", "-HUP", Long.toString(pid));
        if (!hup.ok()) {
            throw new InstallException("cannot signal dockerd (pid " + pid + "): " + hup.reason());
        }
        long deadline = System.nanoTime() + RELOAD_TIMEOUT.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new InstallException("dockerd (pid " + pid + ") did not " + what + " after SIGHUP: check "
                        + HostLayout.DAEMON_JSON + " and restart dockerd");
            }
            sleep(Duration.ofMillis(250));
        }
    }

    /** Names of running containers that use the jsysbox runtime. */
    static List<String> runningJsysboxContainers() {
        Commands.Result ids = Commands.run("docker", "ps", "-q", "--no-trunc");
        if (!ids.ok()) {
            throw failed("docker ps", ids);
        }
        List<String> idList = ids.out().lines().filter(l -> !l.isBlank()).toList();
        if (idList.isEmpty()) {
            return List.of();
        }
        List<String> command =
                new ArrayList<>(List.of("docker", "inspect", "--format", "{{.Name}} {{.HostConfig.Runtime}}"));
        command.addAll(idList);
        Commands.Result inspect = Commands.run(Duration.ofSeconds(30), command);
        return inspect.out()
                .lines()
                .map(l -> l.split(" "))
                .filter(f -> f.length == 2 && f[1].equals(HostLayout.RUNTIME_NAME))
                .map(f -> f[0].replaceFirst("^/", ""))
                .toList();
    }

    static void removeContainers(List<String> names) {
        List<String> command = new ArrayList<>(List.of("docker", "rm", "-f"));
        command.addAll(names);
        Commands.Result rm = Commands.run(Duration.ofSeconds(120), command);
        if (!rm.ok()) {
            throw new InstallException("docker rm -f " + String.join(" ", names) + " failed: " + rm.reason());
        }
    }

    /**
     * dockerd's pid from its pid file, else the first process named dockerd in our pid namespace (not one inside a
     * container).
     */
    private static Optional<Long> dockerdPid() {
        try {
            if (Files.exists(PID_FILE)) {
                long pid = Long.parseLong(Files.readString(PID_FILE).strip());
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    return Optional.of(pid);
                }
            }
        } catch (IOException | NumberFormatException stale) {
            // fall back to the process table
        }
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .filter(p -> "dockerd".equals(readComm(p)) && sharesPidNamespace(p))
                    .map(p -> Long.parseLong(p.getFileName().toString()))
                    .min(Long::compare);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static boolean sharesPidNamespace(Path proc) {
        try {
            return Files.readSymbolicLink(proc.resolve("ns/pid"))
                    .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")));
        } catch (IOException gone) {
            return false;
        }
    }

    private static String readComm(Path proc) {
        try {
            return Files.readString(proc.resolve("comm")).strip();
        } catch (IOException gone) {
            return "";
        }
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InstallException("interrupted");
        }
    }
}
