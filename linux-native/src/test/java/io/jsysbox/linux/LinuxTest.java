package io.jsysbox.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real kernel calls: needs root (CI runs as root). */
class LinuxTest {
    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static int uid(Path p) throws Exception {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void clonesOfFilesUnderOneDirectoryBindEachFile(@TempDir Path tmp) throws Exception {
        assumeTrue(root());
        Path view = Files.createDirectories(tmp.resolve("view/proc/sys"));
        Files.writeString(tmp.resolve("view/proc/meminfo"), "m");
        Files.writeString(view.resolve("max"), "s");
        Path first = Files.writeString(tmp.resolve("first"), "");
        Path second = Files.writeString(tmp.resolve("second"), "");
        List<Fd> clones = Linux.openTreeClones(List.of(tmp.resolve("view/proc/meminfo"), view.resolve("max")));
        try {
            Linux.moveMount(clones.get(0), first);
            Linux.moveMount(clones.get(1), second);
            assertEquals("m", Files.readString(first));
            assertEquals("s", Files.readString(second));
        } finally {
            clones.forEach(Fd::close);
            Linux.umountDetach(first);
            Linux.umountDetach(second);
        }
        assertThrows(LinuxException.class, () -> Linux.openTreeClones(List.of(tmp.resolve("view/none"))));
    }

    @Test
    void idmappedCloneShowsShiftedOwners(@TempDir Path tmp) throws Exception {
        assumeTrue(root());
        Path src = Files.createDirectory(tmp.resolve("src"));
        Files.writeString(src.resolve("f"), "x");
        Path target = Files.createDirectory(tmp.resolve("mapped"));
        UserNamespaces namespaces = new UserNamespaces();
        try (Fd tree = Linux.openTreeClone(src, true)) {
            Linux.setIdmap(tree, namespaces.mapping(100_000, 100_000, 65_536), true, false);
            Linux.moveMount(tree, target);
        }
        try {
            assertEquals(100_000, uid(target.resolve("f")));
            assertEquals(0, uid(src.resolve("f")));
        } finally {
            Linux.umountDetach(target);
            namespaces.forget(100_000, 100_000, 65_536);
        }
    }

    @Test
    void fsCredentialsWriteThroughTheMapping(@TempDir Path tmp) throws Exception {
        assumeTrue(root());
        Path src = Files.createDirectory(tmp.resolve("src"));
        Path target = Files.createDirectory(tmp.resolve("mapped"));
        UserNamespaces namespaces = new UserNamespaces();
        try (Fd tree = Linux.openTreeClone(src, false)) {
            Linux.setIdmap(tree, namespaces.mapping(200_000, 200_000, 65_536), false, false);
            Linux.moveMount(tree, target);
        }
        try {
            FsCredentials.withFsIds(200_000, 200_000, () -> Files.createDirectory(target.resolve("d")));
            assertEquals(0, uid(src.resolve("d")));
            assertEquals(200_000, uid(target.resolve("d")));
        } finally {
            Linux.umountDetach(target);
            namespaces.forget(200_000, 200_000, 65_536);
        }
    }

    @Test
    void openat2RefusesSymlinksAndStaysInRoot(@TempDir Path tmp) throws Exception {
        assumeTrue(root());
        Path rootfs = Files.createDirectory(tmp.resolve("rootfs"));
        Files.createDirectories(rootfs.resolve("run"));
        Files.createSymbolicLink(rootfs.resolve("var"), Path.of("/"));
        try (Fd root = Linux.openDirectoryNoSymlinks(rootfs)) {
            LinuxException e = assertThrows(
                    LinuxException.class,
                    () -> Linux.openat2(root, "var/tmp", Linux.O_PATH, Linux.RESOLVE_NO_SYMLINKS));
            assertEquals(Errno.ELOOP, e.errno());
            assertTrue(e.getMessage().contains("var/tmp"), e.getMessage());
            // In-root resolution turns the absolute link into rootfs itself: "var/run" is rootfs/run.
            try (Fd run = Linux.openat2(root, "var/run", Linux.O_PATH, Linux.RESOLVE_IN_ROOT)) {
                assertEquals(rootfs.resolve("run").toRealPath(), Files.readSymbolicLink(run.procPath()));
            }
        }
    }

    @Test
    void chownNoFollowChangesTheLinkNotItsTarget(@TempDir Path tmp) throws Exception {
        assumeTrue(root());
        Path target = Files.writeString(tmp.resolve("target"), "x");
        Files.createSymbolicLink(tmp.resolve("link"), target);
        try (Fd dir = Linux.openDirectoryNoSymlinks(tmp)) {
            Linux.chownNoFollow(dir, "link", 4242, 4242);
        }
        assertEquals(4242, uid(tmp.resolve("link")));
        assertEquals(0, uid(target));
    }

    @Test
    void copyContentsKeepsHolesAndEveryByteOfData(@TempDir Path tmp) throws Exception {
        final long size = 4L << 30; // truncate -s 4G, with data at the start, in the middle and as the last byte
        Path from = tmp.resolve("sparse");
        byte[] start = "start".getBytes(StandardCharsets.US_ASCII);
        byte[] middle = new byte[3 << 20];
        new Random(7).nextBytes(middle);
        try (FileChannel file = FileChannel.open(from, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.wrap(start), 0);
            file.write(ByteBuffer.wrap(middle), 1L << 31);
            file.write(ByteBuffer.wrap(new byte[] {'z'}), size - 1);
        }
        try (Fd dir = Linux.openDirectoryNoSymlinks(tmp);
                Fd source = Linux.openat2(dir, "sparse", Linux.O_RDONLY, 0);
                Fd target = Linux.createFile(dir, "copy", 0600)) {
            Linux.copyContents(source, target, size, () -> false);
        }
        Path copy = tmp.resolve("copy");
        assertEquals(size, Files.size(copy));
        long blocks = allocated(copy);
        assertTrue(blocks < 16L << 20, "the holes of a 4 GiB sparse file were written: " + blocks + " bytes allocated");
        try (FileChannel file = FileChannel.open(copy)) {
            assertArrayEquals(start, read(file, 0, start.length));
            assertArrayEquals(new byte[4096], read(file, 1L << 30, 4096), "a hole reads as zeros");
            assertArrayEquals(middle, read(file, 1L << 31, middle.length));
            assertArrayEquals(new byte[] {'z'}, read(file, size - 1, 1));
        }
    }

    @Test
    void copyContentsAcrossFilesystemsKeepsHolesToo(@TempDir Path tmp) throws Exception {
        Path shm = Path.of("/dev/shm");
        assumeTrue(
                Files.isDirectory(shm) && !Files.getFileStore(shm).equals(Files.getFileStore(tmp)),
                "no other filesystem at /dev/shm");
        Path from = Files.createTempFile(shm, "jsysbox-sparse", "");
        try {
            byte[] data = "data after a hole".getBytes(StandardCharsets.US_ASCII);
            try (FileChannel file = FileChannel.open(from, StandardOpenOption.WRITE)) {
                file.write(ByteBuffer.wrap(data), 64L << 20);
            }
            long size = Files.size(from);
            try (Fd source = Linux.openat2(null, from.toString(), Linux.O_RDONLY, 0);
                    Fd dir = Linux.openDirectoryNoSymlinks(tmp);
                    Fd target = Linux.createFile(dir, "copy", 0600)) {
                Linux.copyContents(
                        source, target, size, () -> false); // copy_file_range refuses (EXDEV): sendfile, range by range
            }
            assertEquals(size, Files.size(tmp.resolve("copy")));
            assertTrue(
                    allocated(tmp.resolve("copy")) < 1 << 20,
                    "the hole was written: " + allocated(tmp.resolve("copy")));
            try (FileChannel file = FileChannel.open(tmp.resolve("copy"))) {
                assertArrayEquals(data, read(file, 64L << 20, data.length));
            }
        } finally {
            Files.delete(from);
        }
    }

    @Test
    void copyContentsOfAnEmptyOrAllHoleFile(@TempDir Path tmp) throws Exception {
        Files.createFile(tmp.resolve("empty"));
        try (FileChannel file =
                FileChannel.open(tmp.resolve("hole"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.allocate(0), 1 << 20); // extends nothing: a write of no bytes
        }
        try (var file = new RandomAccessFile(tmp.resolve("hole").toFile(), "rw")) {
            file.setLength(1 << 20); // truncate -s 1M
        }
        try (Fd dir = Linux.openDirectoryNoSymlinks(tmp)) {
            for (String name : new String[] {"empty", "hole"}) {
                long size = Files.size(tmp.resolve(name));
                try (Fd source = Linux.openat2(dir, name, Linux.O_RDONLY, 0);
                        Fd target = Linux.createFile(dir, name + "-copy", 0600)) {
                    Linux.copyContents(source, target, size, () -> false);
                }
                assertEquals(size, Files.size(tmp.resolve(name + "-copy")));
                assertEquals(0L, allocated(tmp.resolve(name + "-copy")), name);
            }
        }
    }

    @Test
    void filesystemSpaceIsDfs(@TempDir Path tmp) throws Exception {
        try (Fd dir = Linux.openDirectoryNoSymlinks(tmp)) {
            Linux.FilesystemSpace space = Linux.filesystemSpace(dir);
            FileStore store = Files.getFileStore(tmp);
            assertEquals(store.getTotalSpace(), space.totalBytes());
            assertTrue(
                    Math.abs(store.getUsableSpace() - space.availableBytes()) < 64L << 20,
                    space + " vs " + store.getUsableSpace());
        }
    }

    /** Bytes of disk the file takes: st_blocks, in 512-byte units. */
    private static long allocated(Path file) throws Exception {
        try (Fd fd = Linux.openat2(null, file.toString(), Linux.O_PATH, 0)) {
            return Linux.stat(fd).blocks() * 512;
        }
    }

    private static byte[] read(FileChannel file, long at, int length) throws Exception {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining() && file.read(buffer, at + buffer.position()) > 0) {}
        return buffer.array();
    }
}
