package io.jsysbox.tests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a container may leave behind on the host after it is gone: mounts, cgroup directories, runc state, its shim,
 * a uid range in the manager, directories under /var/lib/jsysbox or /run/jsysbox, the copy-out marker.
 *
 * @param id           the container id as the runtime saw it
 * @param mountsBefore when known, the mounts under /run/jsysbox/mnt from before the container was created: the
 *                     manager names those dirs by number, so any other mount there is the container's
 * @param runcRoots    runc state roots to look in besides Docker's /run/docker/runtime-*&#47;moby
 */
public record Leftovers(String id, Optional<Set<String>> mountsBefore, List<Path> runcRoots) {
    /** Cleanup may finish asynchronously (shim exit, manager release); it gets this long. */
    public static final Duration CLEANUP = Duration.ofSeconds(15);

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");
    private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");
    private static final Path DOCKER_RUNTIME_ROOTS = Path.of("/run/docker");

    public static Leftovers of(String id) {
        return new Leftovers(id, Optional.empty(), List.of());
    }

    /** Host mount points under /run/jsysbox/mnt right now: take it before creating the container. */
    public static Set<String> jsysboxMounts() {
        return HostFiles.mountPoints(read(MOUNTINFO)).stream()
                .filter(point -> point.startsWith(Jsysbox.MOUNT_DIR + "/"))
                .collect(Collectors.toSet());
    }

    public Leftovers withMountsBefore(Set<String> jsysboxMounts) {
        return new Leftovers(id, Optional.of(Set.copyOf(jsysboxMounts)), runcRoots);
    }

    public Leftovers withRuncRoot(Path root) {
        List<Path> roots = new ArrayList<>(runcRoots);
        roots.add(root);
        return new Leftovers(id, mountsBefore, List.copyOf(roots));
    }

    /** Polls until nothing of the container is left; fails listing what still is. */
    public void awaitNone() {
        Await.until("the host to hold nothing of container " + id, CLEANUP, this::find, List::isEmpty);
    }

    /** Everything of the container still on the host, one description per item. */
    public List<String> find() {
        List<String> found = new ArrayList<>();
        read(MOUNTINFO).lines().filter(line -> line.contains(id)).forEach(line -> found.add("mount: " + line));
        mountsBefore.ifPresent(before -> jsysboxMounts().stream()
                .filter(point -> !before.contains(point))
                .forEach(point -> found.add("mount made since the container was created: " + point)));
        cgroupDirs().forEach(dir -> found.add("cgroup: " + dir));
        dirsNamingId(Jsysbox.STATE_DIR, 4).forEach(dir -> found.add("manager dir: " + dir));
        dirsNamingId(Jsysbox.RUN_DIR, 3).forEach(dir -> found.add("manager run dir: " + dir));
        if (Files.exists(Jsysbox.syncMarker(id))) {
            found.add("copy-out marker (jsysbox-runc delete waits on it): " + Jsysbox.syncMarker(id));
        }
        shimPids().forEach(pid -> found.add("shim process " + pid + " (its command line names the container)"));
        for (Path root : allRuncRoots()) {
            if (Files.exists(root.resolve(id))) {
                found.add("runc state: " + root.resolve(id));
            }
        }
        Command.Result status = Jsysbox.status();
        if (!status.ok()) {
            found.add("cannot ask the manager: " + status);
        } else {
            Jsysbox.statusLine(status.stdout(), id)
                    .ifPresent(line -> found.add("`jsysbox status` still lists it: " + line));
        }
        if (Jsysbox.stateText().contains(id)) {
            found.add("manager state " + Jsysbox.STATE_FILE + " still mentions it");
        }
        return found;
    }

    /** The container's cgroup directories, under every hierarchy mounted below /sys/fs/cgroup. */
    public List<Path> cgroupDirs() {
        // Controllers of cgroup v1 sit one level down (/sys/fs/cgroup/memory/docker/ID), v2 leaves at the top
        // (/sys/fs/cgroup/system.slice/docker-ID.scope); an inner engine nests one level more.
        return dirsNamingId(CGROUP_ROOT, 4);
    }

    private List<Path> allRuncRoots() {
        List<Path> roots = new ArrayList<>(runcRoots);
        if (Files.isDirectory(DOCKER_RUNTIME_ROOTS)) {
            try (DirectoryStream<Path> runtimes = Files.newDirectoryStream(DOCKER_RUNTIME_ROOTS, "runtime-*")) {
                runtimes.forEach(runtime -> roots.add(runtime.resolve("moby")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return roots;
    }

    /**
     * Processes whose command line has the id as a whole argument: containerd's shim ({@code -id ID}), a stuck runc.
     */
    private List<Long> shimPids() {
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path process : processes) {
                byte[] cmdline;
                try {
                    cmdline = Files.readAllBytes(process.resolve("cmdline"));
                } catch (IOException exited) {
                    continue;
                }
                if (List.of(new String(cmdline, StandardCharsets.UTF_8).split("\0"))
                        .contains(id)) {
                    pids.add(Long.parseLong(process.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pids;
    }

    /** Directories below root (not following symlinks) whose name contains the id; tolerates concurrent removal. */
    private List<Path> dirsNamingId(Path root, int depth) {
        List<Path> dirs = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return dirs;
        }
        try {
            Files.walkFileTree(root, EnumSet.noneOf(FileVisitOption.class), depth, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    if (dir.getFileName() != null
                            && dir.getFileName().toString().contains(id)) {
                        dirs.add(dir);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    // at the depth limit directories arrive here instead of preVisitDirectory
                    if (attrs.isDirectory()) {
                        preVisitDirectory(file, attrs);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dirs;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
