package io.jsysbox.mgr;

import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.function.LongUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Copying an inner image store as the manager does (as root: owners, devices, trusted xattrs). */
class TreeCopyTest {
    private static final long SHIFT = 100_000;
    private static final LongUnaryOperator UP = id -> id + SHIFT;
    private static final LongUnaryOperator DOWN = id -> id - SHIFT;
    private static final byte[] OPAQUE = "y".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path tmp;
    Path from;

    @BeforeEach
    void sourceTree() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")));
        from = Files.createDirectories(tmp.resolve("from"));
        Path layer = Files.createDirectories(from.resolve("overlay2/l1/diff/etc"));
        Files.writeString(layer.resolve("passwd"), "root:x:0:0\n");
        Path setuid = Files.writeString(from.resolve("overlay2/l1/diff/su"), "elf");
        Files.setAttribute(setuid, "unix:uid", 1000);
        Files.setAttribute(setuid, "unix:mode", 04755);
        Files.createLink(from.resolve("overlay2/l1/diff/su-link"), setuid);
        Files.createSymbolicLink(from.resolve("escape"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(from.resolve("overlay2/l1/diff/up"), Path.of("../../../x"));
        Path ping = Files.writeString(from.resolve("overlay2/l1/diff/ping"), "elf");
        try (Fd dir = Linux.openDirectoryNoSymlinks(from.resolve("overlay2/l1/diff"))) {
            Linux.mknodCharAt(dir, "deleted", 0, 0, 0);
            Linux.setXattr(dir, "etc", "trusted.overlay.opaque", OPAQUE);
            Linux.setXattr(dir, "ping", "security.capability", capabilityV3(SHIFT + 0));
        }
        Files.setLastModifiedTime(ping, FileTime.from(Instant.parse("2020-01-02T03:04:05.123456789Z")));
        Files.writeString(Files.createDirectories(from.resolve("skipped")).resolve("inside"), "not copied");
    }

    @Test
    void copiesEveryKindOfEntryWithShiftedOwners() throws Exception {
        Path to = copy(from, "to", UP, path -> path.equals("skipped"));

        Path diff = to.resolve("overlay2/l1/diff");
        assertEquals("root:x:0:0\n", Files.readString(diff.resolve("etc/passwd")));
        assertEquals((int) SHIFT, uid(diff.resolve("etc/passwd")));
        assertEquals((int) (SHIFT + 1000), uid(diff.resolve("su")));
        assertEquals(04755, (Integer) Files.getAttribute(diff.resolve("su"), "unix:mode") & 07777, "setuid lost by the chown");
        assertEquals(Files.getAttribute(diff.resolve("su"), "unix:ino"), Files.getAttribute(diff.resolve("su-link"), "unix:ino"),
                "a hard link became a second copy");
        assertEquals(Path.of("/etc/passwd"), Files.readSymbolicLink(to.resolve("escape")));
        assertEquals((int) SHIFT, uid(to.resolve("escape")), "the symlink itself must be re-owned, not its target");
        assertEquals(Path.of("../../../x"), Files.readSymbolicLink(diff.resolve("up")));
        assertEquals(0, (Long) Files.getAttribute(diff.resolve("deleted"), "unix:rdev", LinkOption.NOFOLLOW_LINKS));
        assertEquals(0020000, (Integer) Files.getAttribute(diff.resolve("deleted"), "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000);
        assertEquals(Instant.parse("2020-01-02T03:04:05.123456789Z"), Files.getLastModifiedTime(diff.resolve("ping")).toInstant());
        assertTrue(Files.isDirectory(to.resolve("skipped")));
        assertFalse(Files.exists(to.resolve("skipped/inside")), "a skipped directory's contents were copied");
        try (Fd dir = Linux.openDirectoryNoSymlinks(diff)) {
            assertArrayEquals(OPAQUE, Linux.getXattr(dir, "etc", "trusted.overlay.opaque").orElseThrow());
            byte[] capability = Linux.getXattr(dir, "ping", "security.capability").orElseThrow();
            assertEquals(SHIFT + SHIFT, Integer.toUnsignedLong(ByteBuffer.wrap(capability).order(ByteOrder.LITTLE_ENDIAN).getInt(20)),
                    "the v3 capability's root id was not shifted");
        }

        Path back = copy(to, "back", DOWN, path -> false);
        assertEquals(1000, uid(back.resolve("overlay2/l1/diff/su")));
        try (Fd dir = Linux.openDirectoryNoSymlinks(back.resolve("overlay2/l1/diff"))) {
            byte[] capability = Linux.getXattr(dir, "ping", "security.capability").orElseThrow();
            assertEquals(SHIFT, Integer.toUnsignedLong(ByteBuffer.wrap(capability).order(ByteOrder.LITTLE_ENDIAN).getInt(20)));
        }
    }

    @Test
    void aCapabilityOfTheHostsRootBecomesVersionTwo() throws Exception {
        try (Fd dir = Linux.openDirectoryNoSymlinks(from.resolve("overlay2/l1/diff"))) {
            Linux.setXattr(dir, "ping", "security.capability", capabilityV3(SHIFT));
        }
        Path to = copy(from, "to", DOWN, path -> false);
        try (Fd dir = Linux.openDirectoryNoSymlinks(to.resolve("overlay2/l1/diff"))) {
            byte[] capability = Linux.getXattr(dir, "ping", "security.capability").orElseThrow();
            assertEquals(20, capability.length);
            assertEquals(0x02000000, ByteBuffer.wrap(capability).order(ByteOrder.LITTLE_ENDIAN).getInt(0) & 0xff000000);
        }
    }

    @Test
    void fingerprintChangesWithTheTreeAndOnlyThen() throws Exception {
        String before = fingerprint(from);
        assertEquals(before, fingerprint(from));
        Files.setLastModifiedTime(from.resolve("overlay2/l1/diff/etc/passwd"), FileTime.from(Instant.parse("2021-01-01T00:00:00Z")));
        String touched = fingerprint(from);
        assertNotEquals(before, touched);
        Files.setAttribute(from.resolve("overlay2/l1/diff/etc"), "unix:uid", 7);
        assertNotEquals(touched, fingerprint(from));
        try (Fd dir = Linux.openDirectoryNoSymlinks(from)) {
            String withSkip = TreeCopy.fingerprint(dir, path -> path.equals("skipped"));
            Files.writeString(from.resolve("skipped/inside"), "changed, and longer"); // the dir itself stays as it was
            assertEquals(withSkip, TreeCopy.fingerprint(dir, path -> path.equals("skipped")), "a skipped dir's contents counted");
            assertNotEquals(withSkip, TreeCopy.fingerprint(dir, path -> false));
        }
    }

    @Test
    void diskUsageCountsAHardLinkedFileOnce() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("usage"));
        Files.write(dir.resolve("big"), new byte[1 << 20]);
        long one;
        try (Fd fd = Linux.openDirectoryNoSymlinks(dir)) {
            one = TreeCopy.diskUsage(fd);
        }
        Files.createLink(dir.resolve("big-link"), dir.resolve("big"));
        try (Fd fd = Linux.openDirectoryNoSymlinks(dir)) {
            assertEquals(one, TreeCopy.diskUsage(fd));
        }
        assertTrue(one >= 1 << 20);
    }

    private Path copy(Path source, String name, LongUnaryOperator ids, java.util.function.Predicate<String> skipped) throws Exception {
        Path to = Files.createDirectory(tmp.resolve(name));
        try (Fd in = Linux.openDirectoryNoSymlinks(source); Fd out = Linux.openDirectoryNoSymlinks(to)) {
            TreeCopy.copy(in, out, ids, ids, skipped);
        }
        return to;
    }

    private static String fingerprint(Path dir) throws Exception {
        try (Fd fd = Linux.openDirectoryNoSymlinks(dir)) {
            return TreeCopy.fingerprint(fd, path -> false);
        }
    }

    private static int uid(Path path) throws Exception {
        return (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    /** struct vfs_ns_cap_data: magic_etc (v3, effective), permitted/inheritable × 2, rootid. */
    private static byte[] capabilityV3(long rootId) {
        ByteBuffer caps = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        caps.putInt(0x03000000 | 1).putInt(1 << 13 /* CAP_NET_RAW */).putInt(0).putInt(0).putInt(0).putInt((int) rootId);
        return caps.array();
    }
}
