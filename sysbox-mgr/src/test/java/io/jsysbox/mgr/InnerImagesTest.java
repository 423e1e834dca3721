package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.MountCalls;
import io.jsysbox.spec.HostRange;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding a preloaded inner store in an image's layers, the cache of such stores, and copying a store back out (as
 * root).
 */
class InnerImagesTest {
    private static final String LAYER_ID = "a".repeat(64);
    private static final HostRange UIDS = new HostRange(200_000, 65_536);

    @TempDir
    Path tmp;

    @Test
    void onlyALayerHoldingAllOfTheStoreIsShareable() throws Exception {
        assumeTrue(root());
        Path upper = Files.createDirectories(tmp.resolve("upper"));
        Path top = store(tmp.resolve("top"), "x");
        Path bottom = store(tmp.resolve("bottom"), "y");
        OverlayLayers layers =
                new OverlayLayers(List.of(top, bottom), Optional.of(upper), Optional.of(tmp.resolve("work")));
        Path rootfs = Files.createDirectories(tmp.resolve("merged"));

        InnerStoreSource merged = InnerStoreSource.find(rootfs, Optional.of(layers), "/var/lib/docker")
                .orElseThrow();
        assertFalse(merged.shareable(), "content in two layers must be read merged");
        assertEquals(rootfs.resolve("var/lib/docker"), merged.dir());

        try (Fd dir = Linux.openDirectoryNoSymlinks(top.resolve("var/lib/docker"))) {
            Linux.setXattr(dir, "", InnerStoreSource.OPAQUE_XATTR, "y".getBytes(StandardCharsets.US_ASCII));
        }
        InnerStoreSource raw = InnerStoreSource.find(rootfs, Optional.of(layers), "/var/lib/docker")
                .orElseThrow();
        assertTrue(raw.shareable(), "an opaque dir hides the layers below: that layer alone is the store");
        assertEquals(top.resolve("var/lib/docker"), raw.dir());
    }

    @Test
    void aWhiteoutOrASymlinkOnThePathHidesTheStore() throws Exception {
        assumeTrue(root());
        Path bottom = store(tmp.resolve("bottom"), "y");
        Path whiteout = Files.createDirectories(tmp.resolve("whiteout/var/lib"));
        try (Fd dir = Linux.openDirectoryNoSymlinks(whiteout)) {
            Linux.mknodCharAt(dir, "docker", 0, 0, 0);
        }
        Path symlink = Files.createDirectories(tmp.resolve("symlink"));
        Files.createSymbolicLink(symlink.resolve("var"), bottom.resolve("var"));
        for (Path top : List.of(tmp.resolve("whiteout"), symlink)) {
            OverlayLayers layers = new OverlayLayers(List.of(top, bottom), Optional.empty(), Optional.empty());
            assertEquals(
                    Optional.empty(),
                    InnerStoreSource.find(tmp, Optional.of(layers), "/var/lib/docker"),
                    top.toString());
        }
    }

    @Test
    void theCacheFillsAnEntryOnceAndCollectsItWhenItsLayerIsGone() throws Exception {
        assumeTrue(root());
        Path layer = store(tmp.resolve("layer"), "x");
        Path docker = layer.resolve("var/lib/docker");
        Files.createDirectories(docker.resolve("image/overlay2/layerdb/sha256/chain1"));
        Files.writeString(docker.resolve("image/overlay2/layerdb/sha256/chain1/cache-id"), LAYER_ID);
        Files.createDirectories(docker.resolve("image/overlay2/layerdb/sha256/chain2"));
        Files.writeString(docker.resolve("image/overlay2/layerdb/sha256/chain2/cache-id"), "../../../etc");
        Files.writeString(
                Files.createDirectories(docker.resolve("overlay2/" + LAYER_ID + "/diff"))
                        .resolve("f"),
                "layer data");
        InnerImageCache cache = new InnerImageCache(tmp.resolve("cache"));
        cache.start();
        Files.createDirectories(tmp.resolve("cache/.tmp-leftover/tree"));
        cache.start();
        assertFalse(Files.exists(tmp.resolve("cache/.tmp-leftover")), "a half-filled entry survived a start");

        InnerStoreSource source = new InnerStoreSource(layer, "var/lib/docker", true);
        InnerImageCache.Entry entry = cache.obtain(source);
        assertEquals(List.of("overlay2/" + LAYER_ID + "/diff"), entry.sharedLayers(), "only real layer ids are shared");
        assertEquals("layer data", Files.readString(entry.tree().resolve("overlay2/" + LAYER_ID + "/diff/f")));
        Object inode = Files.getAttribute(entry.tree().resolve("overlay2/" + LAYER_ID + "/diff/f"), "unix:ino");
        assertEquals(
                inode,
                Files.getAttribute(cache.obtain(source).tree().resolve("overlay2/" + LAYER_ID + "/diff/f"), "unix:ino"),
                "a second container must reuse the entry, not fill it again");

        cache.collectGarbage(Set.of());
        assertTrue(cache.lookup(entry.key()).isPresent(), "an entry used just now whose layer exists was collected");
        NoFollowTree.delete(tmp, "layer");
        cache.collectGarbage(Set.of(entry.key()));
        assertTrue(cache.lookup(entry.key()).isPresent(), "an entry in use was collected");
        cache.collectGarbage(Set.of());
        assertTrue(cache.lookup(entry.key()).isEmpty(), "an entry whose image layer is gone was kept");
    }

    @Test
    void aContainerGetsTheSharedLayersReadOnlyInItsRangeAndACollectedEntryBack() throws Exception {
        assumeTrue(root());
        Path layer = store(tmp.resolve("layer"), "x");
        Path docker = layer.resolve("var/lib/docker");
        Files.writeString(
                Files.createDirectories(docker.resolve("image/overlay2/layerdb/sha256/chain"))
                        .resolve("cache-id"),
                LAYER_ID);
        Files.writeString(
                Files.createDirectories(docker.resolve("overlay2/" + LAYER_ID + "/diff"))
                        .resolve("f"),
                "layer data");
        OverlayLayers layers = new OverlayLayers(List.of(layer), Optional.empty(), Optional.empty());
        SpecialMounts.Home home = new SpecialMounts.Home(Files.createDirectories(tmp.resolve("home")), true);
        Path special = Files.createDirectories(home.dir().resolve("var-lib-docker"));
        InnerImageCache cache = new InnerImageCache(tmp.resolve("cache"));
        cache.start();
        InnerImages images = new InnerImages(cache, new IdMappedMounts(MountCalls.HOST));
        images.fill(tmp.resolve("merged"), Optional.of(layers), false, home, "/var/lib/docker", special, UIDS, UIDS);
        assertEquals(
                (int) UIDS.start(),
                Files.getAttribute(special.resolve("x"), "unix:uid"),
                "metadata is copied into the range");
        assertEquals(
                0,
                special.resolve("overlay2/" + LAYER_ID + "/diff").toFile().list().length,
                "a shared layer was copied");

        String key = InnerImageCache.keyOf(docker);
        NoFollowTree.delete(cache.dir(), key); // collected while the container was stopped
        Path slot = Files.createDirectories(tmp.resolve("slot"));
        ContainerState.Builder made = new ContainerState.Builder("c", 0, tmp.toString(), "");
        try {
            InnerImages.LayerMounts shared = images.layerMounts(
                            home, "/var/lib/docker", special, UIDS, UIDS, slot, made)
                    .orElseThrow();
            assertEquals(key, shared.cacheKey());
            assertTrue(cache.lookup(key).isPresent(), "the collected entry was not filled again");
            assertEquals(
                    "/var/lib/docker/overlay2/" + LAYER_ID + "/diff",
                    shared.mounts().getFirst().destination());
            Path mounted = Path.of(shared.mounts().getFirst().source());
            assertEquals(
                    (int) UIDS.start(),
                    Files.getAttribute(mounted.resolve("f"), "unix:uid"),
                    "the layer is not ID-mapped");
            assertThrows(FileSystemException.class, () -> Files.writeString(mounted.resolve("f"), "changed"));
        } finally {
            Mounts.unmountAllUnder(slot);
        }
    }

    @Test
    void copyOutPutsAnOpaqueDirWithOnDiskIdsIntoTheUpperLayerOnlyWhenSomethingChanged() throws Exception {
        assumeTrue(root());
        SpecialMounts.Home home = keptHome();
        Path special = Files.createDirectories(home.dir().resolve("var-lib-docker"));
        Path file = Files.writeString(special.resolve("repositories.json"), "{}");
        Files.setAttribute(file, "unix:uid", (int) UIDS.start() + 5);
        Path upper = Files.createDirectories(tmp.resolve("layer/diff"));
        InnerImages images =
                new InnerImages(new InnerImageCache(tmp.resolve("cache")), new IdMappedMounts(MountCalls.HOST));

        assertTrue(images.syncOut(home, "/var/lib/docker", special, upper, UIDS, UIDS, Deadline.NONE));
        Path copied = upper.resolve("var/lib/docker/repositories.json");
        assertEquals(
                5, Files.getAttribute(copied, "unix:uid", LinkOption.NOFOLLOW_LINKS), "ids go back to the image's");
        try (Fd dir = Linux.openDirectoryNoSymlinks(upper.resolve("var/lib/docker"))) {
            assertArrayEquals(
                    "y".getBytes(StandardCharsets.US_ASCII),
                    Linux.getXattr(dir, "", InnerStoreSource.OPAQUE_XATTR).orElseThrow());
        }
        assertFalse(
                images.syncOut(home, "/var/lib/docker", special, upper, UIDS, UIDS, Deadline.NONE),
                "nothing changed: no copy");

        Files.delete(file);
        Files.writeString(special.resolve("new"), "n");
        assertTrue(images.syncOut(home, "/var/lib/docker", special, upper, UIDS, UIDS, Deadline.NONE));
        assertFalse(Files.exists(copied), "the previous copy must be replaced, not merged");
        assertEquals("n", Files.readString(upper.resolve("var/lib/docker/new")));
        try (var leftovers = Files.list(upper.resolve("var/lib"))) {
            assertEquals(
                    List.of("docker"),
                    leftovers.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void aCacheIdThatIsAFifoADeviceOrTooBigIsRefusedAtOnceAndNeverOpened() throws Exception {
        assumeTrue(root());
        Path tree = Files.createDirectories(tmp.resolve("tree"));
        Path layerdb = Files.createDirectories(tree.resolve("image/overlay2/layerdb/sha256"));
        Files.writeString(Files.createDirectories(layerdb.resolve("good")).resolve("cache-id"), LAYER_ID);
        Files.createDirectories(tree.resolve("overlay2/" + LAYER_ID + "/diff"));
        String otherId = "b".repeat(64);
        Files.createDirectories(tree.resolve("overlay2/" + otherId + "/diff"));
        Files.writeString(
                Files.createDirectories(layerdb.resolve("big")).resolve("cache-id"), otherId + "\n".repeat(5000));
        try (Fd fifo = Linux.openDirectoryNoSymlinks(Files.createDirectories(layerdb.resolve("fifo")));
                Fd device = Linux.openDirectoryNoSymlinks(Files.createDirectories(layerdb.resolve("device")))) {
            Linux.mknodAt(fifo, "cache-id", Linux.S_IFIFO | 0644, 0);
            Linux.mknodAt(device, "cache-id", Linux.S_IFCHR | 0644, 0x103); // /dev/null's 1:3
        }
        try (OpenWatch fifo = new OpenWatch(layerdb.resolve("fifo/cache-id"));
                OpenWatch device = new OpenWatch(layerdb.resolve("device/cache-id"))) {
            List<String> layers =
                    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> InnerImageCache.sharedLayers(tree));
            assertEquals(List.of("overlay2/" + LAYER_ID + "/diff"), layers);
            try (Fd dir = Linux.openDirectoryNoSymlinks(layerdb)) {
                IOException e = assertThrows(IOException.class, () -> NoFollowTree.readSmallFile(dir, "fifo/cache-id"));
                assertEquals("fifo/cache-id is a fifo, not a regular file: not read", e.getMessage());
                e = assertThrows(IOException.class, () -> NoFollowTree.readSmallFile(dir, "device/cache-id"));
                assertEquals("device/cache-id is a character device, not a regular file: not read", e.getMessage());
                e = assertThrows(IOException.class, () -> NoFollowTree.readSmallFile(dir, "big/cache-id"));
                assertEquals(
                        "big/cache-id has 5064 bytes, more than the 4096 of a metadata file: not read", e.getMessage());
            }
            assertFalse(fifo.opened(), "the fifo was opened");
            assertFalse(device.opened(), "the device was opened");
        }
    }

    @Test
    void theReserveIsAGibibyteOrFivePercentOfTheFilesystem() {
        assertEquals(1L << 30, DiskReserve.reserveOf(10L << 30));
        assertEquals(5L << 30, DiskReserve.reserveOf(100L << 30));
    }

    @Test
    void copyOutIsRefusedWhenItWouldEatIntoTheReserveAndTheContentStaysInTheSpecialDir() throws Exception {
        assumeTrue(root());
        SpecialMounts.Home home = keptHome();
        Path special = Files.createDirectories(home.dir().resolve("var-lib-docker"));
        Files.writeString(special.resolve("repositories.json"), "{}");
        try (var sparse = new RandomAccessFile(special.resolve("sparse").toFile(), "rw")) {
            sparse.setLength(4L << 30); // truncate -s 4G: written as a hole, measured as one
        }
        Path upper = Files.createDirectories(tmp.resolve("layer/diff"));
        long total = 100L << 30;
        long reserve = 5L << 30;
        DiskReserve eightMibFree = new DiskReserve(dir -> new Linux.FilesystemSpace(total, reserve + (8 << 20)));
        InnerImages images = new InnerImages(
                new InnerImageCache(tmp.resolve("cache")), new IdMappedMounts(MountCalls.HOST), eightMibFree);
        assertTrue(
                images.syncOut(home, "/var/lib/docker", special, upper, UIDS, UIDS, Deadline.NONE),
                "a sparse file counted by its size");

        byte[] big = new byte[16 << 20];
        new Random(1).nextBytes(big);
        Files.write(special.resolve("big"), big);
        IOException e = assertThrows(
                IOException.class,
                () -> images.syncOut(home, "/var/lib/docker", special, upper, UIDS, UIDS, Deadline.NONE));
        assertTrue(
                e.getMessage()
                        .matches(
                                "not copying /var/lib/docker \\(16\\.\\d MiB\\) into " + upper.resolve("var/lib/docker")
                                        + ": it would leave 4\\.99 GiB of the filesystem's 100\\.00 GiB free, less "
                                        + "than the reserve of 5\\.00 GiB .*"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("; its content stays in the special dir " + special), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertTrue(Files.exists(special.resolve("big")));
        assertFalse(Files.exists(upper.resolve("var/lib/docker/big")), "copied past the reserve");
        assertTrue(Files.exists(upper.resolve("var/lib/docker/sparse")), "the previous copy is kept");
        assertNoTemporaryCopy(upper);
    }

    @Test
    void aCopyOutPastItsDeadlineStopsLeavesTheUpperLayerAsItWasAndSaysWhy() throws Exception {
        assumeTrue(root());
        SpecialMounts.Home home = keptHome();
        Path special = Files.createDirectories(home.dir().resolve("var-lib-docker"));
        Files.writeString(special.resolve("first"), "1");
        Path upper = Files.createDirectories(tmp.resolve("layer/diff"));
        InnerImages images =
                new InnerImages(new InnerImageCache(tmp.resolve("cache")), new IdMappedMounts(MountCalls.HOST));
        assertTrue(images.syncOut(home, "/var/lib/docker", special, upper, UIDS, UIDS, Deadline.NONE));

        for (int i = 0; i < 100; i++) {
            Files.writeString(special.resolve("file" + i), "x");
        }
        Deadline passed = Deadline.after(Duration.ZERO, "a copy-out at exit gets 0 s");
        IOException e = assertThrows(
                IOException.class, () -> images.syncOut(home, "/var/lib/docker", special, upper, UIDS, UIDS, passed));
        assertTrue(
                e.getMessage().startsWith("stopped ") && e.getMessage().endsWith(": a copy-out at exit gets 0 s"),
                e.getMessage());
        try (var left = Files.list(upper.resolve("var/lib/docker"))) {
            assertEquals(
                    List.of("first"),
                    left.map(p -> p.getFileName().toString()).toList(),
                    "the previous copy, untouched");
        }
        assertNoTemporaryCopy(upper);
        assertTrue(Files.exists(special.resolve("file99")), "the content stays in the special dir");
    }

    @Test
    void aCacheEntryPastTheReserveIsNotFilledAndLeavesNothingHalfFilled() throws Exception {
        assumeTrue(root());
        Path layer = store(tmp.resolve("layer"), "x");
        Files.write(layer.resolve("var/lib/docker/big"), new byte[2 << 20]);
        DiskReserve full = new DiskReserve(dir -> new Linux.FilesystemSpace(10L << 30, 1L << 30));
        InnerImageCache cache = new InnerImageCache(tmp.resolve("cache"), full);
        cache.start();
        IOException e = assertThrows(
                IOException.class, () -> cache.obtain(new InnerStoreSource(layer, "var/lib/docker", true)));
        assertTrue(
                e.getMessage().startsWith("not copying the inner image store " + layer.resolve("var/lib/docker")),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("; no cache entry is made"), e.getMessage());
        try (var left = Files.list(cache.dir())) {
            assertEquals(List.of(), left.toList());
        }
    }

    /** A layer dir holding var/lib/docker/{name}. */
    private static Path store(Path layer, String name) throws Exception {
        Files.writeString(
                Files.createDirectories(layer.resolve("var/lib/docker")).resolve(name), name);
        return layer;
    }

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** The home of special dirs kept in a Docker layer: {@code <tmp>/layer/jsysbox}, beside the layer's diff. */
    private SpecialMounts.Home keptHome() throws IOException {
        return new SpecialMounts.Home(Files.createDirectories(tmp.resolve("layer/jsysbox")), true);
    }

    /** Only the copy itself under the upper layer's var/lib: no temporary copy left beside it. */
    private static void assertNoTemporaryCopy(Path upper) throws IOException {
        try (var left = Files.list(upper.resolve("var/lib"))) {
            assertEquals(
                    List.of("docker"), left.map(p -> p.getFileName().toString()).toList(), "a temporary copy left");
        }
    }
}
