package io.jsysbox.mgr;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsysbox.api.AtomicFiles;
import io.jsysbox.api.RuntimeDirs;
import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import io.jsysbox.spec.HostRange;
import io.jsysbox.spec.Prepare.SpecialMount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongUnaryOperator;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inner images a container's image carries, in and out of its special dirs.
 * <ul>
 * <li>In, when a special dir is made: what the image holds at the destination (a preloaded inner /var/lib/docker) is
 * copied into it, ids shifted into the container's range. For Docker's store, read raw from one image layer, the copy
 * comes from the host's {@link InnerImageCache}: the metadata is copied, and each inner image layer is a read-only,
 * ID-mapped clone of the shared entry ({@link #layerMounts}), made again at every start.</li>
 * <li>Out, when the container is paused (docker commit) or its init exits: the special dir's content is copied into the
 * rootfs's upper layer as an opaque directory, ids shifted back, so docker commit or a build step captures it. Skipped
 * when nothing changed since it was filled or last copied out (a digest of the tree's metadata says).</li>
 * </ul>
 * What a special dir was filled from is recorded beside it ({@code <name>.inner-images.json} in the container's
 * special-mount home, which the container cannot reach).
 */
public final class InnerImages {
    private static final Logger LOG = LoggerFactory.getLogger(InnerImages.class);
    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    /** The store whose layers are shared; other special dirs (containerd, podman…) are copied whole. */
    static final String DOCKER = "/var/lib/docker";

    private static final int UPPER_DIR_MODE = 0755;

    /** What a special dir was filled from: {@code cacheKey} empty when it is a private copy. */
    record Record(String cacheKey, String source, List<String> sharedLayers, String fingerprint) {
        Record {
            sharedLayers = sharedLayers == null ? List.of() : List.copyOf(sharedLayers);
        }

        Record withFingerprint(String newFingerprint) {
            return new Record(cacheKey, source, sharedLayers, newFingerprint);
        }

        Predicate<String> shared() {
            return sharedLayers::contains;
        }
    }

    private final InnerImageCache cache;
    private final IdMappedMounts idmapped;
    private final DiskReserve reserve;

    public InnerImages(InnerImageCache cache, IdMappedMounts idmapped) {
        this(cache, idmapped, DiskReserve.HOST);
    }

    /** {@code reserve}: what every copy leaves free on the filesystem it writes to. */
    InnerImages(InnerImageCache cache, IdMappedMounts idmapped, DiskReserve reserve) {
        this.cache = cache;
        this.idmapped = idmapped;
        this.reserve = reserve;
    }

    public InnerImageCache cache() {
        return cache;
    }

    /**
     * Fills the new special dir {@code dir} (still at its temporary name) with what the image holds at
     * {@code destination}, and records it (nothing when the image holds nothing there). Fails, copying nothing, when
     * the copy would eat into the disk reserve of {@code dir}'s filesystem.
     */
    public void fill(
            Path rootfs,
            Optional<OverlayLayers> layers,
            boolean cacheOff,
            SpecialMounts.Home home,
            String destination,
            Path dir,
            HostRange uids,
            HostRange gids)
            throws IOException {
        Optional<InnerStoreSource> found = InnerStoreSource.find(rootfs, layers, destination);
        if (found.isEmpty()) {
            return; // an empty dir: no record needed (see syncOut)
        }
        LongUnaryOperator uidsIn = intoRange(uids);
        LongUnaryOperator gidsIn = intoRange(gids);
        Record record;
        long began = System.nanoTime();
        String notFilled = "the container's " + destination + " cannot be made";
        try (Fd to = Linux.openDirectoryNoSymlinks(dir)) {
            if (found.get().shareable() && !cacheOff && destination.equals(DOCKER)) {
                InnerImageCache.Entry entry = cache.obtain(found.get());
                try (Fd from = Linux.openDirectoryNoSymlinks(entry.tree())) {
                    Predicate<String> shared = entry.sharedLayers()::contains;
                    reserve.ensureRoom(
                            TreeCopy.diskUsage(from, shared), to, dir, "the image's " + destination, notFilled);
                    TreeCopy.copy(from, to, uidsIn, gidsIn, shared, Deadline.NONE);
                }
                record = new Record(
                        entry.key(),
                        found.get().dir().toString(),
                        entry.sharedLayers(),
                        TreeCopy.fingerprint(to, entry.sharedLayers()::contains));
            } else {
                try (Fd from = found.get().open()) {
                    reserve.ensureRoom(TreeCopy.diskUsage(from), to, dir, "the image's " + destination, notFilled);
                    TreeCopy.copy(from, to, uidsIn, gidsIn, relative -> false, Deadline.NONE);
                }
                record = new Record(
                        "", found.get().dir().toString(), List.of(), TreeCopy.fingerprint(to, relative -> false));
            }
        }
        save(home, destination, record);
        LOG.info(
                "{}: filled from {} in {} ms ({})",
                destination,
                found.get().dir(),
                (System.nanoTime() - began) / 1_000_000,
                record.cacheKey().isEmpty()
                        ? "private copy"
                        : "cache entry " + record.cacheKey() + ", "
                                + record.sharedLayers().size() + " shared layer(s)");
    }

    /**
     * The read-only, ID-mapped clones of the shared layers the special dir {@code dir} was filled with, attached under
     * {@code slotDir}, as mounts for the runtime (destination inside {@code destination}). Layers the container has
     * removed since are skipped. A cache entry collected while the container was stopped is copied again from the
     * recorded image layer first. Returns the mounts and the cache key in use.
     */
    public Optional<LayerMounts> layerMounts(
            SpecialMounts.Home home,
            String destination,
            Path dir,
            HostRange uids,
            HostRange gids,
            Path slotDir,
            ContainerState.Builder made)
            throws IOException {
        Optional<Record> record = load(home, destination);
        if (record.isEmpty() || record.get().cacheKey().isEmpty()) {
            return Optional.empty();
        }
        String key = record.get().cacheKey();
        Optional<InnerImageCache.Entry> entry = cache.lookup(key);
        if (entry.isEmpty()) {
            // Collected while the container was stopped: its image layer (which the container keeps) fills it again.
            InnerStoreSource source = new InnerStoreSource(Path.of(record.get().source()), ".", true);
            if (!Files.isDirectory(source.dir(), LinkOption.NOFOLLOW_LINKS)
                    || !InnerImageCache.keyOf(source.dir()).equals(key)) {
                LOG.error(
                        "{}: inner image cache entry {} is gone and its image layer {} too: the inner images' layers "
                                + "are empty",
                        destination,
                        key,
                        record.get().source());
                return Optional.empty();
            }
            entry = Optional.of(cache.obtain(source));
        }
        cache.markUsed(key);
        List<SpecialMount> mounts = new ArrayList<>();
        try (Fd special = Linux.openDirectoryNoSymlinks(dir)) {
            for (String layer : record.get().sharedLayers()) {
                // The container may have removed the image (or planted a symlink there): then nothing to mount.
                if (!InnerImageCache.isDirectory(special, layer)) {
                    continue;
                }
                Path target = slotDir.resolve("i" + mounts.size());
                Files.createDirectory(target);
                idmapped.attach(entry.get().tree().resolve(layer), target, uids, gids, false, true);
                made.mounts.add(target.toString());
                mounts.add(new SpecialMount(destination + "/" + layer, target.toString()));
            }
        }
        return Optional.of(new LayerMounts(key, mounts));
    }

    /** Shared layers to mount for one special dir, and the cache entry they come from. */
    public record LayerMounts(String cacheKey, List<SpecialMount> mounts) {}

    /**
     * Copies the special dir {@code dir} (backing {@code destination}) into {@code upper}, the rootfs's upper layer, as
     * an opaque directory with on-disk ids, unless nothing changed since the last time. The container must not run
     * (stopped or frozen). Returns whether it copied. Fails, leaving the upper layer as it was and the content in
     * {@code dir}, when the copy would eat into the upper layer's filesystem's disk reserve or the copy fails (a tree
     * too deep, say), or is not done by {@code deadline}: the copy is made under a temporary name, removed on failure,
     * and renamed into place when whole.
     */
    public boolean syncOut(
            SpecialMounts.Home home,
            String destination,
            Path dir,
            Path upper,
            HostRange uids,
            HostRange gids,
            Deadline deadline)
            throws IOException {
        Optional<Record> recorded = load(home, destination);
        Record record = recorded.orElse(new Record("", "", List.of(), ""));
        TreeCopy.Survey survey;
        try (Fd special = Linux.openDirectoryNoSymlinks(dir)) {
            // Without a record the dir was made empty: still empty, nothing to copy (most containers).
            if (recorded.isEmpty() && isEmpty(special)) {
                return false;
            }
            survey = TreeCopy.survey(special, record.shared());
        }
        String fingerprint = survey.fingerprint();
        if (fingerprint.equals(record.fingerprint())) {
            return false;
        }
        long began = System.nanoTime();
        Path relative = Path.of(destination.replaceAll("^/+", ""));
        String name = relative.getFileName().toString();
        String temporary = "." + name + ".jsysbox-sync";
        Optional<InnerImageCache.Entry> entry =
                record.cacheKey().isEmpty() ? Optional.empty() : cache.lookup(record.cacheKey());
        // What the copy writes: the special dir but its shared layers, which come from the cache entry, when still
        // there.
        List<String> layersFromCache = new ArrayList<>();
        long bytes = survey.diskUsage();
        try (Fd special = Linux.openDirectoryNoSymlinks(dir)) {
            for (String layer : entry.isEmpty() ? List.<String>of() : record.sharedLayers()) {
                if (!InnerImageCache.isDirectory(special, layer)) {
                    continue;
                }
                layersFromCache.add(layer);
                try (Fd layerFrom =
                        Linux.openDirectoryNoSymlinks(entry.get().tree().resolve(layer))) {
                    bytes += TreeCopy.diskUsage(layerFrom);
                }
            }
        }
        try (Fd upperRoot = Linux.openDirectoryNoSymlinks(upper);
                Fd parent = makeDirs(upperRoot, relative.getParent())) {
            deadline.check("before copying " + dir + " (measuring it took the time)");
            reserve.ensureRoom(
                    bytes, parent, upper.resolve(relative), destination, "its content stays in the special dir " + dir);
            NoFollowTree.delete(parent, temporary);
            Linux.mkdirAt(parent, temporary, 0700);
            try (Fd to = NoFollowTree.openDirectoryBelow(parent, temporary);
                    Fd from = Linux.openDirectoryNoSymlinks(dir)) {
                TreeCopy.copy(from, to, outOfRange(uids), outOfRange(gids), record.shared(), deadline);
                for (String layer : layersFromCache) {
                    if (!InnerImageCache.isDirectory(to, layer)) {
                        continue;
                    }
                    try (Fd layerTo = NoFollowTree.openDirectoryBelow(to, layer);
                            Fd layerFrom = Linux.openDirectoryNoSymlinks(
                                    entry.orElseThrow().tree().resolve(layer))) {
                        TreeCopy.copy(layerFrom, layerTo, id -> id, id -> id, relativePath -> false, deadline);
                    }
                }
                // Opaque: the image's older copy in the lower layers must not show through (deleted inner images).
                Linux.setXattr(to, "", InnerStoreSource.OPAQUE_XATTR, "y".getBytes(StandardCharsets.US_ASCII));
            } catch (IOException | RuntimeException e) {
                // No half copy in the upper layer (a commit would capture it): the previous copy, if any, stays.
                NoFollowTree.deleteLeftover(parent, temporary, e);
                throw e;
            }
            if (InnerImageCache.isDirectory(parent, name)) {
                Linux.renameExchange(parent, temporary, parent, name);
                NoFollowTree.delete(parent, temporary);
            } else {
                NoFollowTree.delete(parent, name); // a file or symlink the container left there
                Linux.renameNoReplace(parent, temporary, parent, name);
            }
        }
        save(home, destination, record.withFingerprint(fingerprint));
        LOG.info(
                "{}: copied into the rootfs's upper layer {} in {} ms",
                destination,
                upper,
                (System.nanoTime() - began) / 1_000_000);
        return true;
    }

    /** Opens {@code relative} below {@code root}, making missing directories (root-owned, 0755); symlinks refused. */
    private static Fd makeDirs(Fd root, Path relative) throws IOException {
        Fd dir = NoFollowTree.openDirectoryBelow(root, ".");
        if (relative == null) {
            return dir;
        }
        for (Path component : relative) {
            String name = component.toString();
            try {
                Linux.mkdirAt(dir, name, UPPER_DIR_MODE);
            } catch (LinuxException e) {
                if (e.errno() != Errno.EEXIST) {
                    dir.close();
                    throw e;
                }
            }
            try (Fd parent = dir) {
                dir = NoFollowTree.openDirectoryBelow(parent, name);
            }
        }
        return dir;
    }

    private static boolean isEmpty(Fd dir) throws IOException {
        try (var entries = Files.newDirectoryStream(dir.procPath())) {
            return !entries.iterator().hasNext();
        }
    }

    private static LongUnaryOperator intoRange(HostRange range) {
        return id -> id < range.size() ? range.start() + id : id;
    }

    private static LongUnaryOperator outOfRange(HostRange range) {
        return id -> range.contains(id) ? id - range.start() : id;
    }

    private static Path recordFile(SpecialMounts.Home home, String destination) {
        return home.dir().resolve(SpecialMounts.dirName(destination) + ".inner-images.json");
    }

    private static void save(SpecialMounts.Home home, String destination, Record record) throws IOException {
        AtomicFiles.replace(
                recordFile(home, destination),
                JSON.writeValueAsBytes(record),
                RuntimeDirs.permissions(RuntimeDirs.HOST_ROOT_ONLY_FILE),
                AtomicFiles.Durability.DURABLE);
    }

    static Optional<Record> load(SpecialMounts.Home home, String destination) throws IOException {
        Path file = recordFile(home, destination);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        return Optional.of(JSON.readValue(file.toFile(), Record.class));
    }
}
