package io.jsysbox.mgr;

import static io.jsysbox.mgr.RootOnly.uid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A hostile tree: absolute and ".." symlinks to a host dir outside it must never be followed. */
class NoFollowTreeTest {
    @TempDir
    Path tmp;

    Path host;
    Path tree;

    @BeforeEach
    void hostileTree() throws Exception {
        RootOnly.assumeRoot();
        host = Files.createDirectory(tmp.resolve("host"));
        Files.writeString(host.resolve("precious"), "x");
        tree = Files.createDirectory(tmp.resolve("tree"));
        Files.createDirectories(tree.resolve("var/lib"));
        Files.writeString(tree.resolve("var/lib/file"), "y");
        Files.createSymbolicLink(tree.resolve("var/run"), host); // absolute
        Files.createSymbolicLink(tree.resolve("var/lib/up"), Path.of("../../../host")); // relative, escaping
    }

    @Test
    void shiftOwnersChangesLinksNotTheirTargets() throws Exception {
        NoFollowTree.shiftOwners(tree, u -> u + 5000, g -> g + 5000);
        assertEquals(5000, uid(tree));
        assertEquals(5000, uid(tree.resolve("var/lib/file")));
        assertEquals(5000, uid(tree.resolve("var/run")));
        assertEquals(0, uid(host));
        assertEquals(0, uid(host.resolve("precious")));
    }

    @Test
    void shiftOwnersKeepsSetuidBits() throws Exception {
        Path suid = Files.writeString(tree.resolve("suid"), "z");
        try (var fd = Linux.openat2(null, suid.toString(), Linux.O_RDONLY, 0)) {
            Linux.fchmod(fd, 04755);
        }
        NoFollowTree.shiftOwners(tree, u -> u + 5000, g -> g + 5000);
        assertEquals(04755, (Integer) Files.getAttribute(suid, "unix:mode") & 07777);
    }

    @Test
    void deleteRemovesLinksNotTheirTargets() throws Exception {
        NoFollowTree.delete(tmp, "tree");
        assertFalse(Files.exists(tree));
        assertTrue(Files.exists(host.resolve("precious")));
    }

    @Test
    void rootReachedThroughASymlinkIsRefused() throws Exception {
        assertThrows(IOException.class, () -> NoFollowTree.shiftOwners(tree.resolve("var/run"), u -> 1, g -> 1));
        assertEquals(0, uid(host));
    }

    @Test
    void deleteRemovesATreeOfAnyDepth() throws Exception {
        deepTree(tmp.resolve("deep"), 5000);
        long fds = openDescriptors();
        NoFollowTree.delete(tmp, "deep");
        assertFalse(Files.exists(tmp.resolve("deep")));
        assertEquals(fds, openDescriptors(), "descriptors left open");
        assertTrue(Files.exists(host.resolve("precious")));
    }

    @Test
    void deleteOfADeepTreeNeverHoldsADescriptorPerLevel() throws Exception {
        deepTree(tmp.resolve("deep"), 3 * NoFollowTree.DELETE_WINDOW + 5);
        long fds = openDescriptors();
        long[] most = {0};
        AtomicBoolean done = new AtomicBoolean();
        Thread sampler = new Thread(() -> {
            while (!done.get()) {
                most[0] = Math.max(most[0], openDescriptors());
            }
        });
        sampler.start();
        try {
            NoFollowTree.delete(tmp, "deep");
        } finally {
            done.set(true);
            sampler.join();
        }
        assertFalse(Files.exists(tmp.resolve("deep")));
        assertTrue(most[0] - fds <= NoFollowTree.DELETE_WINDOW + 3, "held " + (most[0] - fds) + " descriptors at once");
    }

    @Test
    void shiftOwnersRefusesATreeDeeperThanTheLimit() throws Exception {
        deepTree(tree.resolve("deep"), NoFollowTree.MAX_DEPTH + 10);
        IOException e =
                assertThrows(IOException.class, () -> NoFollowTree.shiftOwners(tree, u -> u + 5000, g -> g + 5000));
        NoFollowTree.delete(tree, "deep"); // by descriptors: JUnit's removal of a tree that deep, path by path, is slow
        assertTrue(e.getMessage().startsWith("deep/d/d/d/"), e.getMessage());
        assertTrue(
                e.getMessage().endsWith("(1001 levels down) is deeper than 1000 levels: not re-owned"), e.getMessage());
    }

    /**
     * {@code levels} directories "d", each in the one before, in the new directory {@code top}, and a file "bottom" in
     * the last: made by descriptors, as a container's {@code mkdir d; cd d} loop does (no path that long would do).
     */
    static void deepTree(Path top, int levels) throws Exception {
        Files.createDirectory(top);
        Fd dir = Linux.openDirectoryNoSymlinks(top);
        try {
            for (int i = 0; i < levels; i++) {
                Linux.mkdirAt(dir, "d", 0755);
                Fd child = Linux.openat2(dir, "d", Linux.O_RDONLY | Linux.O_DIRECTORY, Linux.RESOLVE_NO_SYMLINKS);
                dir.close();
                dir = child;
            }
            Linux.createFile(dir, "bottom", 0644).close();
        } finally {
            dir.close();
        }
    }

    /** How many descriptors this process has open now. */
    static long openDescriptors() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }
}
