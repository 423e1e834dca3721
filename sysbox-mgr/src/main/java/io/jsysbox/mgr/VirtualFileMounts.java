package io.jsysbox.mgr;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import io.jsysbox.linux.LockedMounts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Bind-mounts jsysbox-fs files over a container's /proc and /sys entries, from the host, inside the container's
 * mount namespace. Why not as spec mounts: runc refuses any mount destination under /proc except a short list
 * (meminfo, cpuinfo, stat…), and sysctls live in /proc/sys.
 * <p>
 * The sources are cloned (open_tree) in the host's namespace; one short-lived thread then enters the
 * container's mount namespace and attaches each clone on its destination, opened without following any
 * symlink: the container's tree is hostile input, even though its code has not run yet. Last, the container's /proc and
 * /sys are replaced by copies in which the kernel locks their submounts ({@link LockedMounts}): root inside cannot
 * unmount or move the virtual files, nor bind or mount a procfs or sysfs without them (jsysbox-fs makes the procfs and
 * sysfs mounts inner runtimes ask for, with the files).
 */
final class VirtualFileMounts {
    /** The mounts whose virtual files are locked: the container's procfs and sysfs. */
    private static final List<String> LOCKED_TOPS = List.of("proc", "sys");

    private VirtualFileMounts() {}

    /**
     * Mounts each {@code source → destination} (destinations absolute inside the container) in the mount
     * namespace of {@code pid}, under {@code rootPath} there, then locks them when {@code locked}. A destination the
     * container lacks (a module the host has not loaded, say) is skipped. Returns the number mounted.
     */
    static int mount(long pid, String rootPath, Map<String, Path> sourceByDestination, boolean locked)
            throws IOException {
        List<Fd> clones = new ArrayList<>();
        // A pidfd names the process itself: setns through it cannot land in a namespace of a reused pid.
        try (Fd process = Linux.pidfdOpen(pid);
                Fd hostProc =
                        Linux.openat2(null, "/proc", Linux.O_PATH | Linux.O_DIRECTORY, Linux.RESOLVE_NO_SYMLINKS)) {
            List<String> destinations = new ArrayList<>(sourceByDestination.keySet());
            clones.addAll(Linux.openTreeClones(new ArrayList<>(sourceByDestination.values())));
            AtomicReference<Integer> mounted = new AtomicReference<>();
            AtomicReference<IOException> failure = new AtomicReference<>();
            Thread inside = Thread.ofPlatform().name("mount-in-" + pid).start(() -> {
                try {
                    mounted.set(attachAll(process, hostProc, rootPath, destinations, clones, locked));
                } catch (IOException e) {
                    failure.set(e);
                }
            });
            inside.join();
            if (failure.get() != null) {
                throw failure.get();
            }
            return mounted.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while mounting virtual files into pid " + pid, e);
        } finally {
            clones.forEach(Fd::close);
        }
    }

    private static Fd openTop(Fd rootDir, String top) throws LinuxException {
        return Linux.openat2(
                rootDir, top, Linux.O_PATH | Linux.O_DIRECTORY, Linux.RESOLVE_BENEATH | Linux.RESOLVE_NO_SYMLINKS);
    }

    /** Runs on a thread of its own, which ends in the container's mount namespace. */
    private static int attachAll(
            Fd process, Fd hostProc, String rootPath, List<String> destinations, List<Fd> clones, boolean locked)
            throws IOException {
        Linux.enterMountNamespace(process);
        String root = rootPath.isEmpty() ? "/" : rootPath;
        int mounted = 0;
        try (Fd rootDir = Linux.openat2(null, root, Linux.O_PATH | Linux.O_DIRECTORY, Linux.RESOLVE_NO_SYMLINKS)) {
            for (int i = 0; i < destinations.size(); i++) {
                String destination = destinations.get(i);
                Fd target;
                try {
                    target = Linux.openat2(
                            rootDir,
                            destination.substring(1),
                            Linux.O_PATH,
                            Linux.RESOLVE_BENEATH | Linux.RESOLVE_NO_SYMLINKS);
                } catch (LinuxException e) {
                    if (e.errno() == Errno.ENOENT) {
                        continue;
                    }
                    throw e;
                }
                try (target) {
                    Linux.moveMount(clones.get(i), target);
                    mounted++;
                }
            }
            if (locked) {
                lockTops(process, hostProc, rootDir, destinations);
            }
        }
        return mounted;
    }

    /** Locks the files under each of {@link #LOCKED_TOPS} that has some of {@code destinations}. */
    private static void lockTops(Fd process, Fd hostProc, Fd rootDir, List<String> destinations) throws LinuxException {
        for (String top : LOCKED_TOPS) {
            if (destinations.stream().noneMatch(destination -> destination.startsWith("/" + top + "/"))) {
                continue;
            }
            try (Fd tree = openTop(rootDir, top)) {
                // A container without a procfs at /proc (a spec may leave it out) has nothing there to lock.
                if (Linux.stat(tree).mountRoot()) {
                    LockedMounts.lockSubmounts(tree, process, hostProc, () -> openTop(rootDir, top));
                }
            }
        }
    }
}
