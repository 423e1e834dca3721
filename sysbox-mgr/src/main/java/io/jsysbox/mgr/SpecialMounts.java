package io.jsysbox.mgr;

import io.jsysbox.api.RuntimeDirs;
import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import io.jsysbox.spec.HostRange;
import io.jsysbox.spec.PrepareRequests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Host dirs owned by the container's root that back /var/lib/docker and friends inside it, so inner engines
 * get a real filesystem (not overlay-on-overlay). For a Docker overlay2 rootfs they live in the container's
 * layer dir ({@code <layer>/jsysbox/<name>}: kept across stop/start, gone with {@code docker rm}); otherwise in
 * {@code <state-dir>/containers/<id>/<name>}, removed on Release. Either home lets only the container's root pass
 * ({@link RuntimeDirs#ONE_CONTAINERS}): runc, inside the user namespace, bind-mounts the special dirs by path.
 */
public final class SpecialMounts {
    private static final Logger LOG = LoggerFactory.getLogger(SpecialMounts.class);
    public static final Set<String> ALLOWED = Set.copyOf(PrepareRequests.SPECIAL_MOUNT_DESTINATIONS);
    private static final int SPECIAL_DIR_MODE = 0700;

    private final Path stateDir;

    public SpecialMounts(Path stateDir) {
        this.stateDir = stateDir;
    }

    /** Makes (or re-modes) the dir of the homes that are not in a layer: passed by every container's root. */
    public void prepare() throws IOException {
        RuntimeDirs.ensure(stateDir.resolve("containers"), RuntimeDirs.PASSED_BY_CONTAINERS);
    }

    /** The directory the special dirs of a container go in, and whether it outlives the container. */
    public record Home(Path dir, boolean kept) {}

    public Home homeFor(String id, Path rootfs) {
        Path layer = rootfs.getParent();
        boolean overlay2Layer = layer != null
                && rootfs.getFileName().toString().equals("merged")
                && Files.isDirectory(layer.resolve("diff"), LinkOption.NOFOLLOW_LINKS);
        return overlay2Layer
                ? new Home(layer.resolve("jsysbox"), true)
                : new Home(stateDir.resolve("containers").resolve(id), false);
    }

    /** The destination whose dir is named {@code dirName}. */
    public static Optional<String> destinationOf(String dirName) {
        return ALLOWED.stream()
                .filter(destination -> dirName(destination).equals(dirName))
                .findFirst();
    }

    /** "/var/lib/rancher/k3s" → "var-lib-rancher-k3s": one flat, unique name per destination. */
    public static String dirName(String destination) {
        return destination.replaceAll("^/+", "").replace('/', '-');
    }

    /** Fills a new special dir, still at a temporary name, before it is renamed into place. */
    @FunctionalInterface
    public interface Filler {
        void fill(String destination, Path dir) throws IOException;
    }

    /**
     * Creates (or re-owns) the dir for each destination, owned by {@code uid}:{@code gid} (the container's root). A new
     * dir is made and filled by {@code filler} under a temporary name, then renamed: a dir that exists is complete.
     * Records what it created in {@code made}. Returns destination → host dir.
     */
    public Map<String, Path> create(
            Home home, Iterable<String> destinations, int uid, int gid, Filler filler, ContainerState.Builder made)
            throws IOException {
        Map<String, Path> result = new LinkedHashMap<>();
        if (!destinations.iterator().hasNext()) {
            return result;
        }
        // Owned again at each start: a container started again may have another range.
        mkdirOwned(home.dir(), 0, gid, RuntimeDirs.ONE_CONTAINERS);
        if (!home.kept()) {
            made.dirs.add(home.dir().toString());
        }
        for (String destination : destinations) {
            Path dir = home.dir().resolve(dirName(destination));
            if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                reown(dir, uid, gid);
            } else {
                String filling = "." + dir.getFileName() + ".filling";
                NoFollowTree.delete(home.dir(), filling); // left by a manager stopped mid-fill
                mkdirOwned(home.dir().resolve(filling), uid, gid, SPECIAL_DIR_MODE);
                filler.fill(destination, home.dir().resolve(filling));
                Files.move(home.dir().resolve(filling), dir, StandardCopyOption.ATOMIC_MOVE);
            }
            if (home.kept()) {
                made.keptDirs.add(dir.toString());
            }
            result.put(destination, dir);
        }
        return result;
    }

    /** A dir left by an earlier run of the container under another range: shift its tree into this one. */
    private static void reown(Path dir, int uid, int gid) throws IOException {
        long oldUid = Integer.toUnsignedLong((Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS));
        long oldGid = Integer.toUnsignedLong((Integer) Files.getAttribute(dir, "unix:gid", LinkOption.NOFOLLOW_LINKS));
        if (oldUid == uid && oldGid == gid) {
            return;
        }
        LOG.info("re-owning {} from {}:{} to {}:{}", dir, oldUid, oldGid, uid, gid);
        HostRange from = new HostRange(oldUid, IdRangeAllocator.RANGE_SIZE);
        HostRange fromGids = new HostRange(oldGid, IdRangeAllocator.RANGE_SIZE);
        NoFollowTree.shiftOwners(
                dir, u -> from.contains(u) ? u - oldUid + uid : u, g -> fromGids.contains(g) ? g - oldGid + gid : g);
    }

    /** Makes (or re-owns) {@code dir}: made host root's alone, then owned, then given {@code mode}, never looser. */
    private static void mkdirOwned(Path dir, int uid, int gid, int mode) throws IOException {
        Files.createDirectories(dir.getParent());
        try (Fd parent = Linux.openDirectoryNoSymlinks(dir.getParent())) {
            String name = dir.getFileName().toString();
            try {
                Linux.mkdirAt(parent, name, RuntimeDirs.HOST_ROOT_ONLY);
            } catch (LinuxException e) {
                if (e.errno() != Errno.EEXIST) {
                    throw e;
                }
            }
            try (Fd child = Linux.openat2(
                    parent, name, Linux.O_RDONLY | Linux.O_DIRECTORY | Linux.O_NOFOLLOW, Linux.RESOLVE_NO_SYMLINKS)) {
                Linux.chownNoFollow(child, "", uid, gid);
                Linux.fchmod(child, mode);
            }
        }
    }
}
