package io.jsysbox.installer;

import io.jsysbox.api.v1.StatusResponse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Checks every host prerequisite of jsysbox (docs/ARCHITECTURE.md) and says how to fix what is missing. */
final class Doctor {
    private Doctor() {}

    static List<Finding> examine() {
        return List.of(root(), kernel(), userNamespaces(), idMappedMounts(), fuse(), runc(), docker(), subIds(), cgroups(), manager());
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
        if (!Files.isExecutable(HostLayout.MGR)) {
            return Finding.fix("ID-mapped mounts", HostLayout.MGR + " missing: run installer/install.sh");
        }
        Commands.Result check = Commands.run(HostLayout.MGR.toString(), "check-idmap");
        return check.ok()
                ? Finding.ok("ID-mapped mounts", check.out().strip().equals("ok") ? "" : check.out().strip())
                : Finding.fix("ID-mapped mounts", "not usable here (" + check.reason() + "): use a kernel >= 5.12 with ID-mapped mount support for the filesystem of /var/lib/docker");
    }

    private static Finding fuse() {
        return Files.exists(Path.of("/dev/fuse"))
                ? Finding.ok("/dev/fuse", "")
                : Finding.note("/dev/fuse", "absent (not used yet; for virtual /proc files later: modprobe fuse)");
    }

    private static Finding runc() {
        Commands.Result version = Commands.run("runc", "--version");
        return version.ok()
                ? Finding.ok("runc", version.out().lines().findFirst().orElse(""))
                : Finding.fix("runc", "not found: apt-get install runc");
    }

    private static Finding docker() {
        if (!DockerEngine.answers()) {
            return Finding.fix("docker", "no engine answers 'docker info': start dockerd (systemctl start docker, or dockerd &)");
        }
        return DockerEngine.runtimes().contains(HostLayout.RUNTIME_NAME)
                ? Finding.ok("docker", "engine answers, runtime jsysbox registered")
                : Finding.fix("docker", "runtime jsysbox not registered: run jsysbox install");
    }

    private static Finding subIds() {
        var uid = SubIdPlan.find(SubIdPlan.parse(HostFiles.readOrEmpty(HostLayout.SUBUID)));
        var gid = SubIdPlan.find(SubIdPlan.parse(HostFiles.readOrEmpty(HostLayout.SUBGID)));
        if (uid.isEmpty() || gid.isEmpty()) {
            return Finding.fix("subuid/subgid", "no jsysbox entry in " + (uid.isEmpty() ? HostLayout.SUBUID : HostLayout.SUBGID) + ": run jsysbox install");
        }
        return uid.equals(gid)
                ? Finding.ok("subuid/subgid", uid.get().line())
                : Finding.fix("subuid/subgid", "jsysbox entries differ (" + uid.get().line() + " vs " + gid.get().line() + "): make them equal");
    }

    private static Finding cgroups() {
        Path root = Path.of("/sys/fs/cgroup");
        if (Files.exists(root.resolve("cgroup.controllers"))) {
            return Finding.ok("cgroups", "v2 (unified)");
        }
        if (Files.isDirectory(root.resolve("memory")) || Files.isDirectory(root.resolve("cpu"))) {
            return Finding.ok("cgroups", Files.isDirectory(root.resolve("unified")) ? "v1 (hybrid)" : "v1");
        }
        return Finding.fix("cgroups", "no cgroup v1 controllers or v2 hierarchy under /sys/fs/cgroup: mount cgroup2 there");
    }

    private static Finding manager() {
        try {
            StatusResponse status = ManagerClient.status(Duration.ofSeconds(5));
            return Finding.ok("manager", "version " + status.getVersion() + ", " + status.getContainersCount() + " containers, "
                    + status.getFreeRanges() + " free ranges");
        } catch (InstallException down) {
            return Finding.fix("manager", down.getMessage() + ": run jsysbox start (log: " + HostLayout.MGR_LOG + ")");
        }
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
