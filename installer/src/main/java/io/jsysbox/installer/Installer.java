package io.jsysbox.installer;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Registers jsysbox with the host (subordinate ids, Docker runtime, manager supervision) and takes it back out.
 * Every step checks before it changes, so running it twice is harmless.
 */
final class Installer {
    private static final Duration MANAGER_START_TIMEOUT = Duration.ofSeconds(30);
    private final PrintStream out;
    private final Supervision supervision = Supervision.forHost();

    Installer(PrintStream out) {
        this.out = out;
    }

    void install() {
        requireRoot();
        addSubIds();
        registerRuntime();
        supervision.install();
        supervision.startOrRefresh();
        var status = ManagerClient.awaitUp(MANAGER_START_TIMEOUT);
        out.println("manager: up (" + supervision.describe() + "), " + status.getFreeRanges() + " free ranges");
        out.println("jsysbox is installed: docker run --runtime=jsysbox IMAGE");
    }

    void uninstall(boolean force) {
        requireRoot();
        if (DockerEngine.answers()) {
            List<String> running = DockerEngine.runningJsysboxContainers();
            if (!running.isEmpty() && !force) {
                throw new InstallException("jsysbox containers are running (" + String.join(", ", running)
                        + "): remove them (docker rm -f ...) or uninstall with --force, which removes them");
            }
            if (!running.isEmpty()) {
                out.println("removing running jsysbox containers: " + String.join(", ", running));
                DockerEngine.removeContainers(running);
            }
        }
        supervision.stop();
        supervision.uninstall();
        out.println("manager: stopped");
        unregisterRuntime();
        removeSubIds();
        removeRunDir();
    }

    void start() {
        requireRoot();
        supervision.start();
        ManagerClient.awaitUp(MANAGER_START_TIMEOUT);
        out.println("manager: up (" + supervision.describe() + ")");
    }

    void stop() {
        requireRoot();
        supervision.stop();
        out.println("manager: stopped");
    }

    private void addSubIds() {
        String subuid = HostFiles.readOrEmpty(HostLayout.SUBUID);
        String subgid = HostFiles.readOrEmpty(HostLayout.SUBGID);
        SubIdPlan.Result plan = SubIdPlan.plan(subuid, subgid);
        writeIfChanged(HostLayout.SUBUID, subuid, plan.subuid());
        writeIfChanged(HostLayout.SUBGID, subgid, plan.subgid());
        out.println("subuid/subgid: " + plan.pool().line());
    }

    private void removeSubIds() {
        for (Path file : List.of(HostLayout.SUBUID, HostLayout.SUBGID)) {
            String text = HostFiles.readOrEmpty(file);
            writeIfChanged(file, text, SubIdPlan.withoutEntry(text));
        }
        out.println("subuid/subgid: jsysbox entries removed");
    }

    private void registerRuntime() {
        String current = HostFiles.readOrEmpty(HostLayout.DAEMON_JSON);
        String runc = HostLayout.RUNC.toString();
        if (!DaemonConfig.hasRuntime(current, HostLayout.RUNTIME_NAME, runc)) {
            if (Files.exists(HostLayout.DAEMON_JSON) && !Files.exists(HostLayout.DAEMON_JSON_BACKUP)) {
                copy(HostLayout.DAEMON_JSON, HostLayout.DAEMON_JSON_BACKUP);
                out.println("daemon.json: original kept as " + HostLayout.DAEMON_JSON_BACKUP);
            }
            HostFiles.writeAtomically(HostLayout.DAEMON_JSON, DaemonConfig.withRuntime(current, HostLayout.RUNTIME_NAME, runc), "rw-r--r--");
        }
        if (!DockerEngine.runtimes().contains(HostLayout.RUNTIME_NAME)) {
            DockerEngine.reloadUntil(true);
        }
        out.println("docker: runtime jsysbox -> " + runc);
    }

    private void unregisterRuntime() {
        String current = HostFiles.readOrEmpty(HostLayout.DAEMON_JSON);
        String without = DaemonConfig.withoutRuntime(current, HostLayout.RUNTIME_NAME);
        writeIfChanged(HostLayout.DAEMON_JSON, current, without);
        if (DockerEngine.answers() && DockerEngine.runtimes().contains(HostLayout.RUNTIME_NAME)) {
            DockerEngine.reloadUntil(false);
        }
        Optional<String> tidy = DaemonConfig.tidy(without);
        if (tidy.isEmpty()) {
            HostFiles.delete(HostLayout.DAEMON_JSON);
        } else {
            writeIfChanged(HostLayout.DAEMON_JSON, without, tidy.get());
        }
        out.println("docker: runtime jsysbox removed");
    }

    /**
     * Removes /run/jsysbox (socket, pid files, mount dirs). With the manager stopped and no jsysbox container left,
     * a mount below it is a leftover (the manager's own private bind of mnt/, or a stale ID-mapped clone):
     * detach those first, deepest first, and delete nothing while any remains, so the walk never enters a mount.
     */
    private void removeRunDir() {
        Path run = HostLayout.RUN_DIR;
        if (!Files.exists(run)) {
            return;
        }
        List<String> mounts = mountsBelow(run);
        mounts.stream().sorted(java.util.Comparator.comparing(String::length).reversed())
                .forEach(point -> Commands.run("umount", "--lazy", point));
        List<String> left = mountsBelow(run);
        if (!left.isEmpty()) {
            out.println("left " + run + " in place: still mounted below it: " + String.join(", ", left));
            return;
        }
        try (var paths = Files.walk(run)) {
            // Files.walk does not follow symlinks; deepest first so directories are empty when deleted.
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(HostFiles::delete);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + run, e);
        }
        out.println(run + ": removed" + (mounts.isEmpty() ? "" : " (after detaching " + String.join(", ", mounts) + ")"));
    }

    private static List<String> mountsBelow(Path dir) {
        return MountTable.mountPointsBelow(HostFiles.readOrEmpty(Path.of("/proc/self/mountinfo")), dir.toString());
    }

    private static void writeIfChanged(Path file, String before, String after) {
        if (!after.equals(before)) {
            HostFiles.writeAtomically(file, after, "rw-r--r--");
        }
    }

    private static void copy(Path from, Path to) {
        try {
            Files.copy(from, to, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + from + " to " + to, e);
        }
    }

    private static void requireRoot() {
        if (!Doctor.isRoot()) {
            throw new InstallException("must run as root (sudo jsysbox ...)");
        }
    }
}
