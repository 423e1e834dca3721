package io.jsysbox.mgr;

import io.jsysbox.linux.Linux;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.jsysbox.mgr.RootOnly.uid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A hostile tree: absolute and ".." symlinks to a host dir outside it must never be followed. */
class NoFollowTreeTest {
    @TempDir Path tmp;
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
        Files.createSymbolicLink(tree.resolve("var/run"), host);                  // absolute
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
        assertThrows(java.io.IOException.class, () -> NoFollowTree.shiftOwners(tree.resolve("var/run"), u -> 1, g -> 1));
        assertEquals(0, uid(host));
    }
}
