package io.jsysbox.installer;

import io.jsysbox.api.AppArmorProfile;
import io.jsysbox.api.v1.FsStatusResponse;
import io.jsysbox.api.v1.StatusResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** Checks every host prerequisite of jsysbox (docs/ARCHITECTURE.md) and says how to fix what is missing. */
final class Doctor {
    private Doctor() {}

    static List<Finding> examine() {
        return List.of(
                root(),
                kernel(),
                userNamespaces(),
                idMappedMounts(),
                fuse(),
                runc(),
                docker(),
                subIds(),
                cgroups(),
                appArmor(),
                selinux(),
                filesystem(),
                FsMount.examine(),
                manager(),
                launcher(),
                kubernetes(),
                aotCaches());
    }

    private static Finding root() {
        return isRoot() ? Finding.ok("root", "") : Finding.fix("root", "run as root (sudo jsysbox doctor)");
    }

    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:"))
                    .anyMatch(l -> l.split("\\s+")[2].equals("0")); // effective uid
        } catch (IOException e) {
            return false;
        }
    }

    private static Finding kernel() {
        return Finding.kernel(KernelVersion.parse(read("/proc/sys/kernel/osrelease")));
    }

    private static Finding userNamespaces() {
        return Finding.userNamespaces(read("/proc/sys/user/max_user_namespaces"));
    }

    private static Finding idMappedMounts() {
        Path mgr = Daemon.MGR.launcher();
        if (!Files.isExecutable(mgr)) {
            return Finding.fix("ID-mapped mounts", mgr + " missing: run installer/install.sh");
        }
        // A JVM: about a second here, over 30 s on a busy emulated host (where doctor reported it unusable at 30 s).
        Commands.Result check = Commands.run(Duration.ofMinutes(3), List.of(mgr.toString(), "check-idmap"));
        return check.ok()
                ? Finding.ok(
                        "ID-mapped mounts",
                        check.out().strip().equals("ok") ? "" : check.out().strip())
                : Finding.fix(
                        "ID-mapped mounts",
                        "not usable here (" + check.reason()
                                + "): use a kernel >= 5.12 with ID-mapped mount support for the filesystem of "
                                + "/var/lib/docker");
    }

    private static Finding fuse() {
        return Finding.devFuse(Files.exists(HostLayout.DEV_FUSE));
    }

    private static Finding runc() {
        Commands.Result version = Commands.run("runc", "--version");
        return version.ok()
                ? Finding.ok("runc", version.out().lines().findFirst().orElse(""))
                : Finding.fix("runc", "not found: apt-get install runc");
    }

    private static Finding launcher() {
        return Finding.launcher(
                Files.isExecutable(Path.of("/usr/bin/nc.openbsd")) || Files.isExecutable(Path.of("/bin/nc.openbsd")));
    }

    private static Finding docker() {
        if (!DockerEngine.answers()) {
            return Finding.fix(
                    "docker", "no engine answers 'docker info': start dockerd (systemctl start docker, or dockerd &)");
        }
        return DockerEngine.runtimes().contains(HostLayout.RUNTIME_NAME)
                ? Finding.ok("docker", "engine answers, runtime jsysbox registered")
                : Finding.fix("docker", "runtime jsysbox not registered: run jsysbox install");
    }

    private static Finding subIds() {
        var uid = SubIdPlan.find(SubIdPlan.parse(HostFiles.readOrEmpty(HostLayout.SUBUID)));
        var gid = SubIdPlan.find(SubIdPlan.parse(HostFiles.readOrEmpty(HostLayout.SUBGID)));
        if (uid.isEmpty() || gid.isEmpty()) {
            return Finding.fix(
                    "subuid/subgid",
                    "no jsysbox entry in " + (uid.isEmpty() ? HostLayout.SUBUID : HostLayout.SUBGID)
                            + ": run jsysbox install");
        }
        return uid.equals(gid)
                ? Finding.ok("subuid/subgid", uid.get().line())
                : Finding.fix(
                        "subuid/subgid",
                        "jsysbox entries differ (" + uid.get().line() + " vs "
                                + gid.get().line() + "): make them equal");
    }

    private static Finding kubernetes() {
        boolean ip = Stream.of("/usr/sbin/ip", "/usr/bin/ip", "/sbin/ip", "/bin/ip")
                .anyMatch(path -> Files.isExecutable(Path.of(path)));
        return Finding.kubernetes(ContainerdConfig.hasRuntime(HostFiles.readOrEmpty(HostLayout.CONTAINERD_CONFIG)), ip);
    }

    /** Which programs' AOT caches the launchers use here: install.sh records the CPU each was trained on. */
    private static Finding aotCaches() {
        var trainedOn = new TreeMap<String, Optional<String>>();
        for (String program : List.of("runc", "mgr", "fs", "installer")) {
            Path cpu = HostLayout.LIB.resolve(program).resolve("app.aot.cpu");
            trainedOn.put(
                    program,
                    Files.exists(HostLayout.LIB.resolve(program).resolve("app.aot"))
                            ? Optional.of(read(cpu.toString()))
                            : Optional.empty());
        }
        return Finding.aotCaches(trainedOn, read(HostLayout.CPU_MODALIAS.toString()));
    }

    private static Finding appArmor() {
        return Finding.appArmor(
                AppArmorProfile.enabledHere(),
                AppArmorSetup.parser().isPresent(),
                AppArmorSetup.profileFile(),
                AppArmorProfile.loadedModeHere());
    }

    private static Finding selinux() {
        return Finding.selinux(read("/sys/fs/selinux/enforce"));
    }

    private static Finding cgroups() {
        Path root = Path.of("/sys/fs/cgroup");
        if (Files.exists(root.resolve("cgroup.controllers"))) {
            return Finding.ok("cgroups", "v2 (unified)");
        }
        if (Files.isDirectory(root.resolve("memory")) || Files.isDirectory(root.resolve("cpu"))) {
            return Finding.ok("cgroups", Files.isDirectory(root.resolve("unified")) ? "v1 (hybrid)" : "v1");
        }
        return Finding.fix(
                "cgroups", "no cgroup v1 controllers or v2 hierarchy under /sys/fs/cgroup: mount cgroup2 there");
    }

    private static Finding filesystem() {
        return answers(Daemon.FS, () -> {
            FsStatusResponse status = DaemonClient.fsStatus();
            return "version " + status.getVersion() + ", " + status.getContainersCount() + " containers, mounted at "
                    + status.getMountDir();
        });
    }

    private static Finding manager() {
        return answers(Daemon.MGR, () -> {
            StatusResponse status = DaemonClient.managerStatus();
            return "version " + status.getVersion() + ", " + status.getContainersCount() + " containers, "
                    + status.getFreeRanges() + " free ranges";
        });
    }

    /** {@code summary} of a daemon's Status answer, or how to bring the daemon up. */
    private static Finding answers(Daemon daemon, Supplier<String> summary) {
        try {
            return Finding.ok(daemon.binary(), summary.get());
        } catch (InstallException down) {
            return Finding.fix(daemon.binary(), down.getMessage() + ": run jsysbox start (log: " + daemon.log() + ")");
        }
    }

    /**
     * A sysctl's value, read with one read at offset 0: these files report size 0, so Files.readString reads one byte
     * first, and a sysctl answers a read at a non-zero offset with end-of-file ("9" for "96365").
     */
    static String read(String file) {
        try (var in = Files.newInputStream(Path.of(file))) {
            byte[] buffer = new byte[4096];
            int n = in.read(buffer);
            return n <= 0 ? "" : new String(buffer, 0, n, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
