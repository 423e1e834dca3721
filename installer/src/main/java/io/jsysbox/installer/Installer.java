package io.jsysbox.installer;

import io.jsysbox.linux.MountInfo;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Registers jsysbox with the host (AppArmor profile, subordinate ids, Docker runtime, supervised daemons) and takes it
 * back out.
 * Every step checks before it changes, so running it twice is harmless.
 */
final class Installer {
    /**
     * How long a started daemon may take to answer. A JVM starts in a second here but 15-45x slower on an emulated host
     * (where a first install once failed at 30 s). Under systemd the daemons answer as `systemctl start` returns.
     */
    private static final Duration DAEMON_START_TIMEOUT = Duration.ofMinutes(5);

    private final PrintStream out;
    private final Supervision supervision = Supervision.forHost();
    private final AppArmorSetup appArmor;

    Installer(PrintStream out) {
        this.out = out;
        this.appArmor = new AppArmorSetup(out);
    }

    /**
     * {@code defaultRuntime}: also make jsysbox the engine's default runtime (docker build's RUN steps use it).
     * {@code containerd}: also register the CRI runtime handler jsysbox with containerd (Kubernetes RuntimeClass).
     */
    void install(boolean defaultRuntime, boolean containerd) {
        requireRoot();
        requireFuse();
        // First: jsysbox-runc refuses containers on an AppArmor host until the profile is loaded.
        appArmor.install();
        addSubIds();
        registerRuntime();
        if (defaultRuntime) {
            setDefaultRuntime(HostLayout.RUNTIME_NAME);
        }
        if (containerd) {
            registerWithContainerd();
        }
        supervision.install();
        startAll(supervision::startOrRefresh);
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
        stopAll();
        supervision.uninstall();
        if (DockerEngine.answers()
                && DaemonConfig.defaultRuntime(HostFiles.readOrEmpty(HostLayout.DAEMON_JSON))
                        .equals(HostLayout.RUNTIME_NAME)) {
            setDefaultRuntime("runc");
        }
        unregisterRuntime();
        unregisterFromContainerd();
        removeSubIds();
        appArmor.uninstall();
        removeRunDir();
        removeFsMountPoint();
    }

    void start() {
        requireRoot();
        requireFuse();
        startAll(supervision::start);
    }

    void stop() {
        requireRoot();
        stopAll();
    }

    /** In start order, each one answering before the next starts: the manager relies on jsysbox-fs. */
    private void startAll(Consumer<Daemon> start) {
        for (Daemon daemon : Daemon.startOrder()) {
            if (daemon == Daemon.FS) {
                // jsysbox-fs cannot start over a mount whose daemon died (stat of its mount point fails with ENOTCONN).
                FsMount.detachIfDisconnected(out);
            }
            start.accept(daemon);
            String summary = switch (daemon) {
                case FS ->
                    "mounted at "
                            + DaemonClient.awaitUp(daemon, DAEMON_START_TIMEOUT, DaemonClient::fsStatus)
                                    .getMountDir();
                case MGR ->
                    DaemonClient.awaitUp(daemon, DAEMON_START_TIMEOUT, DaemonClient::managerStatus)
                                    .getFreeRanges() + " free ranges";
            };
            out.println(daemon.binary() + ": up (" + summary + ", " + supervision.describe(daemon) + ")");
        }
    }

    private void stopAll() {
        for (Daemon daemon : Daemon.stopOrder()) {
            supervision.stop(daemon);
            out.println(daemon.binary() + ": stopped");
        }
        FsMount.detach(out);
    }

    /** The empty mount point jsysbox-fs made; never anything in it (its state file lives in /var/lib/jsysbox). */
    private void removeFsMountPoint() {
        Path point = HostLayout.FS_MOUNT;
        if (!Files.isDirectory(point, LinkOption.NOFOLLOW_LINKS)
                || !FsMount.types().isEmpty()) {
            return;
        }
        try {
            Files.delete(point);
            out.println(point + ": removed");
        } catch (DirectoryNotEmptyException e) {
            out.println("left " + point + " in place: it is not empty");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + point, e);
        }
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

    /**
     * Adds the runtime handler to containerd's config.toml (everything else kept) and restarts containerd where
     * systemd runs it: containerd reads its config only at start. Elsewhere, says to restart it.
     */
    void registerWithContainerd() {
        String current = HostFiles.readOrEmpty(HostLayout.CONTAINERD_CONFIG);
        String edited = ContainerdConfig.withRuntime(current, HostLayout.RUNTIME_NAME, HostLayout.RUNC.toString());
        if (edited.equals(current)) {
            out.println("containerd: runtime handler jsysbox already in " + HostLayout.CONTAINERD_CONFIG);
            return;
        }
        HostFiles.writeAtomically(HostLayout.CONTAINERD_CONFIG, edited, "rw-r--r--");
        out.println("containerd: runtime handler jsysbox added to " + HostLayout.CONTAINERD_CONFIG
                + " (RuntimeClass handler: jsysbox)");
        restartContainerd();
    }

    private void unregisterFromContainerd() {
        String current = HostFiles.readOrEmpty(HostLayout.CONTAINERD_CONFIG);
        if (!ContainerdConfig.hasRuntime(current)) {
            return;
        }
        HostFiles.writeAtomically(HostLayout.CONTAINERD_CONFIG, ContainerdConfig.withoutRuntime(current), "rw-r--r--");
        out.println("containerd: runtime handler jsysbox removed from " + HostLayout.CONTAINERD_CONFIG);
        restartContainerd();
    }

    private void restartContainerd() {
        if (supervision instanceof Supervision.Systemd
                && Commands.run("systemctl", "is-active", "--quiet", "containerd")
                        .ok()) {
            Commands.Result restart =
                    Commands.run(Duration.ofMinutes(2), List.of("systemctl", "restart", "containerd"));
            if (!restart.ok()) {
                throw new InstallException("systemctl restart containerd failed: " + restart.reason());
            }
            out.println("containerd: restarted");
        } else {
            out.println("containerd: restart it to load the change (no systemd unit runs it here)");
        }
    }

    /** Writes {@code "default-runtime": name} to daemon.json and reloads dockerd until it uses it. */
    void setDefaultRuntime(String name) {
        requireRoot();
        String current = HostFiles.readOrEmpty(HostLayout.DAEMON_JSON);
        writeIfChanged(HostLayout.DAEMON_JSON, current, DaemonConfig.withDefaultRuntime(current, name));
        if (!DockerEngine.defaultRuntime().equals(name)) {
            DockerEngine.reloadUntilDefault(name);
        }
        out.println("docker: default runtime " + name);
    }

    private void registerRuntime() {
        String current = HostFiles.readOrEmpty(HostLayout.DAEMON_JSON);
        String runc = HostLayout.RUNC.toString();
        if (!DaemonConfig.hasRuntime(current, HostLayout.RUNTIME_NAME, runc)) {
            if (Files.exists(HostLayout.DAEMON_JSON) && !Files.exists(HostLayout.DAEMON_JSON_BACKUP)) {
                copy(HostLayout.DAEMON_JSON, HostLayout.DAEMON_JSON_BACKUP);
                out.println("daemon.json: original kept as " + HostLayout.DAEMON_JSON_BACKUP);
            }
            HostFiles.writeAtomically(
                    HostLayout.DAEMON_JSON,
                    DaemonConfig.withRuntime(current, HostLayout.RUNTIME_NAME, runc),
                    "rw-r--r--");
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
        mounts.stream()
                .sorted(Comparator.comparing(String::length).reversed())
                .forEach(point -> Commands.run("umount", "--lazy", point));
        List<String> left = mountsBelow(run);
        if (!left.isEmpty()) {
            out.println("left " + run + " in place: still mounted below it: " + String.join(", ", left));
            return;
        }
        try (var paths = Files.walk(run)) {
            // Files.walk does not follow symlinks; deepest first so directories are empty when deleted.
            paths.sorted(Comparator.reverseOrder()).forEach(HostFiles::delete);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + run, e);
        }
        out.println(
                run + ": removed" + (mounts.isEmpty() ? "" : " (after detaching " + String.join(", ", mounts) + ")"));
    }

    private static List<String> mountsBelow(Path dir) {
        return mountPointsBelow(HostFiles.mountinfo(), dir);
    }

    /** The mount points strictly below {@code dir} in {@code mountinfo}'s text, in the order to detach them. Pure. */
    static List<String> mountPointsBelow(String mountinfo, Path dir) {
        return MountInfo.parse(mountinfo).mountPointsUnder(dir).stream()
                .filter(point -> !point.equals(dir))
                .map(Path::toString)
                .toList();
    }

    private static void writeIfChanged(Path file, String before, String after) {
        if (!after.equals(before)) {
            HostFiles.writeAtomically(file, after, "rw-r--r--");
        }
    }

    private static void copy(Path from, Path to) {
        try {
            Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + from + " to " + to, e);
        }
    }

    private static void requireFuse() {
        Finding fuse = Finding.devFuse(Files.exists(HostLayout.DEV_FUSE));
        if (fuse.verdict() == Finding.Verdict.FIX) {
            throw new InstallException(fuse.line());
        }
    }

    private static void requireRoot() {
        if (!Doctor.isRoot()) {
            throw new InstallException("must run as root (sudo jsysbox ...)");
        }
    }
}
