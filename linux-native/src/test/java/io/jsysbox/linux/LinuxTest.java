package io.jsysbox.linux;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Real kernel calls: needs root (CI runs as root). */
class LinuxTest {
    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static int uid(Path p) throws Exception {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
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
            LinuxException e = assertThrows(LinuxException.class,
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
}
