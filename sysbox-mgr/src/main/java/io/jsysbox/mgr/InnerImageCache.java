package io.jsysbox.mgr;

import io.jsysbox.api.RuntimeDirs;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One read-only host copy of each preloaded inner image store, shared by every container of the image.
 * <p>
 * An entry is {@code <dir>/<key>/}: {@code source} (the image layer directory it was copied from; the key is a digest
 * of that path, and image layers never change), {@code tree/} (the copy, with the image's on-disk ids 0..65535) and
 * its modification time, which is when a container last used it. An entry is filled under {@code .tmp-<key>} and
 * renamed into place when complete, so a manager killed mid-copy leaves only a {@code .tmp-} directory, which the next
 * start removes: an entry that exists is whole.
 * <p>
 * Garbage collection (at manager start and every minute; it reads one small file per entry): an entry no running
 * container uses is removed when its
 * source layer is gone (the image was removed) or when no container has used it for {@link #UNUSED_LIFETIME}.
 * A stopped container whose entry was collected gets it back, copied again from its image, when it starts.
 */
public final class InnerImageCache {
    private static final Logger LOG = LoggerFactory.getLogger(InnerImageCache.class);
    public static final Duration UNUSED_LIFETIME = Duration.ofHours(24);
    private static final String TEMPORARY_PREFIX = ".tmp-";
    private static final Pattern KEY = Pattern.compile("[0-9a-f]{32}");
    /** Docker's layer ids (overlay2 cache-id) */
    private static final Pattern CACHE_ID = Pattern.compile("[0-9a-f]{64}");

    /** A complete entry. {@code sharedLayers}: the inner image layers' directories, relative to {@code tree}. */
    public record Entry(String key, Path tree, Path source, List<String> sharedLayers) {}

    private final Path dir;
    /** One lock per key, held while its entry is filled (one per image ever seen: a few objects). */
    private final Map<String, Object> fillLocks = new ConcurrentHashMap<>();

    private final DiskReserve reserve;

    public InnerImageCache(Path dir) {
        this(dir, DiskReserve.HOST);
    }

    /** {@code reserve}: what filling an entry leaves free on the cache's filesystem. */
    InnerImageCache(Path dir, DiskReserve reserve) {
        this.dir = dir;
        this.reserve = reserve;
    }

    public Path dir() {
        return dir;
    }

    /** Makes the cache directory and removes what a killed manager left half-filled. */
    public synchronized void start() throws IOException {
        // Only the manager (host root) reads the copies: it ID-maps them into containers' slot dirs.
        RuntimeDirs.ensure(dir, RuntimeDirs.HOST_ROOT_ONLY);
        try (var entries = Files.newDirectoryStream(dir, TEMPORARY_PREFIX + "*")) {
            for (Path leftover : entries) {
                LOG.warn(
                        "removing the half-filled inner image cache entry {} (a manager stopped while filling it)",
                        leftover);
                NoFollowTree.delete(dir, leftover.getFileName().toString());
            }
        }
    }

    public static String keyOf(Path source) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(source.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The entry for {@code source}, copied from it first if there is none. Marks it used now. The copy holds only its
     * key's lock: containers of other images go on meanwhile, those of the same image wait for it and then share it.
     */
    public Entry obtain(InnerStoreSource source) throws IOException {
        String key = keyOf(source.dir());
        synchronized (fillLocks.computeIfAbsent(key, k -> new Object())) {
            synchronized (this) {
                Optional<Entry> existing = lookup(key);
                if (existing.isPresent()) {
                    markUsed(key);
                    return existing.get();
                }
            }
            return fill(key, source);
        }
    }

    /** Copies {@code source} into a new entry {@code key} under a temporary name, then moves it into place. */
    private Entry fill(String key, InnerStoreSource source) throws IOException {
        long began = System.nanoTime();
        Path temporary = dir.resolve(TEMPORARY_PREFIX + key);
        if (Files.exists(temporary, LinkOption.NOFOLLOW_LINKS)) {
            NoFollowTree.delete(dir, temporary.getFileName().toString());
        }
        Files.createDirectory(temporary);
        Files.createDirectory(temporary.resolve("tree"));
        TreeCopy.Result copied;
        try (Fd from = source.open();
                Fd to = Linux.openDirectoryNoSymlinks(temporary.resolve("tree"))) {
            reserve.ensureRoom(
                    TreeCopy.diskUsage(from),
                    to,
                    dir,
                    "the inner image store " + source.dir(),
                    "no cache entry is made");
            copied = TreeCopy.copy(from, to, id -> id, id -> id, relative -> false, Deadline.NONE);
        } catch (IOException | RuntimeException e) {
            NoFollowTree.deleteLeftover(dir, temporary.getFileName().toString(), e); // not left until the next start
            throw e;
        }
        Files.writeString(temporary.resolve("source"), source.dir() + "\n");
        Entry entry;
        synchronized (this) {
            Files.move(temporary, dir.resolve(key), StandardCopyOption.ATOMIC_MOVE);
            entry = lookup(key).orElseThrow();
        }
        LOG.info(
                "inner image cache: filled {} from {} in {} ms: {} entries, {} MiB, {} shared layer(s)",
                key,
                source.dir(),
                (System.nanoTime() - began) / 1_000_000,
                copied.entries(),
                copied.bytes() >> 20,
                entry.sharedLayers().size());
        return entry;
    }

    /** The complete entry {@code key}, if there is one. */
    public synchronized Optional<Entry> lookup(String key) throws IOException {
        if (!KEY.matcher(key).matches()) {
            return Optional.empty();
        }
        Path entry = dir.resolve(key);
        if (!Files.isDirectory(entry.resolve("tree"), LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        Path source = Path.of(Files.readString(entry.resolve("source")).strip());
        return Optional.of(new Entry(key, entry.resolve("tree"), source, sharedLayers(entry.resolve("tree"))));
    }

    public synchronized void markUsed(String key) throws IOException {
        Path entry = dir.resolve(key);
        if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
            Files.setLastModifiedTime(entry, FileTime.from(Instant.now()));
        }
    }

    /** Removes the entries {@code inUse} does not name whose source is gone or that were last used too long ago. */
    public synchronized void collectGarbage(Set<String> inUse) {
        Instant unusedSince = Instant.now().minus(UNUSED_LIFETIME);
        try (var entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String key = entry.getFileName().toString();
                if (!KEY.matcher(key).matches() || inUse.contains(key)) {
                    continue;
                }
                Path source = entry.resolve("source");
                boolean sourceGone = !Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)
                        || !Files.isDirectory(Path.of(Files.readString(source).strip()), LinkOption.NOFOLLOW_LINKS);
                boolean stale = Files.getLastModifiedTime(entry, LinkOption.NOFOLLOW_LINKS)
                        .toInstant()
                        .isBefore(unusedSince);
                if (!sourceGone && !stale) {
                    continue;
                }
                LOG.info(
                        "inner image cache: removing {} ({})",
                        key,
                        sourceGone ? "its image layer is gone" : "unused since " + UNUSED_LIFETIME.toHours() + " h");
                NoFollowTree.delete(dir, key);
            }
        } catch (IOException e) {
            LOG.error("inner image cache: garbage collection failed: {}", e.getMessage());
        }
    }

    /** What Status shows of the cache: its dir, the disk its entries take (each inode once) and each entry. */
    public record Usage(Path dir, long bytes, List<EntryUsage> entries) {}

    /** An entry, as Status shows it: its layer count, the running containers using it, when it was last used. */
    public record EntryUsage(String key, Path source, int sharedLayers, int users, long lastUsedEpochSeconds) {}

    /** For Status: each entry, how many running containers use it ({@code users} by key), the disk the cache takes. */
    public synchronized Usage status(Map<String, Integer> users) {
        List<EntryUsage> listed = new ArrayList<>();
        long bytes = 0;
        try (var entries = Files.newDirectoryStream(dir)) {
            for (Path path : entries) {
                Optional<Entry> entry = lookup(path.getFileName().toString());
                if (entry.isEmpty()) {
                    continue;
                }
                listed.add(new EntryUsage(
                        entry.get().key(),
                        entry.get().source(),
                        entry.get().sharedLayers().size(),
                        users.getOrDefault(entry.get().key(), 0),
                        Files.getLastModifiedTime(path).toInstant().getEpochSecond()));
            }
            // Measured on every call (status is rare): an entry removed by hand must not leave a stale total.
            try (Fd fd = Linux.openDirectoryNoSymlinks(dir)) {
                bytes = TreeCopy.diskUsage(fd);
            }
        } catch (IOException e) {
            LOG.error("inner image cache: cannot read {}: {}", dir, e.getMessage());
        }
        return new Usage(dir, bytes, listed);
    }

    /**
     * The layer directories of the inner engine's images ({@code overlay2/<cache-id>/diff} for each layer Docker's
     * layer database names): immutable once written, so they are shared read-only. Everything else (image metadata,
     * containers' writable layers) is copied into each container. The tree came from an image: every read here refuses
     * symlinks, a cache-id is read only once proven a small regular file (an image can plant a fifo or a device there,
     * which must be neither waited on nor opened as root), and one that is not a Docker layer id is ignored.
     */
    static List<String> sharedLayers(Path tree) throws IOException {
        List<String> layers = new ArrayList<>();
        try (Fd root = Linux.openDirectoryNoSymlinks(tree)) {
            Fd layerdb;
            try {
                layerdb = NoFollowTree.openDirectoryBelow(root, "image/overlay2/layerdb/sha256");
            } catch (LinuxException e) {
                return layers;
            }
            try (layerdb;
                    var chains = Files.newDirectoryStream(layerdb.procPath())) {
                for (Path chain : chains) {
                    String cacheId = readCacheId(layerdb, chain.getFileName() + "/cache-id");
                    if (cacheId == null || !CACHE_ID.matcher(cacheId).matches()) {
                        continue;
                    }
                    String layer = "overlay2/" + cacheId + "/diff";
                    if (isDirectory(root, layer) && !layers.contains(layer)) {
                        layers.add(layer);
                    }
                }
            }
        }
        layers.sort(null);
        return layers;
    }

    /**
     * A layer's cache-id: null, with a warning, if it is no small regular file (an image can plant a fifo or a device
     * there).
     */
    private static String readCacheId(Fd layerdb, String relative) {
        try {
            return new String(NoFollowTree.readSmallFile(layerdb, relative), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            LOG.warn("inner image cache: a layer is ignored: layerdb/sha256/{}", e.getMessage());
            return null;
        }
    }

    static boolean isDirectory(Fd root, String relative) {
        try (Fd ignored = NoFollowTree.openDirectoryBelow(root, relative)) {
            return true;
        } catch (LinuxException e) {
            return false;
        }
    }
}
