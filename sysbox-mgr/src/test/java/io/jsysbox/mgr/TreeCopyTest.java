package io.jsysbox.mgr;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongUnaryOperator;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Copying an inner image store as the manager does (as root: owners, devices, trusted xattrs): every property of
 * every kind of entry, shifted and back; and a hostile source whose symlinks, planted or swapped in mid-copy, must
 * never lead the copy to read or write outside it.
 */
class TreeCopyTest {
    private static final long SHIFT = 100_000;
    private static final LongUnaryOperator UP = id -> id + SHIFT;
    private static final LongUnaryOperator DOWN = id -> id - SHIFT;
    private static final LongUnaryOperator SAME = id -> id;
    private static final Predicate<String> NOTHING_SKIPPED = path -> false;
    private static final String CAPABILITY = "security.capability";
    private static final String ACL_ACCESS = "system.posix_acl_access";
    private static final String ACL_DEFAULT = "system.posix_acl_default";
    private static final int CAP_NET_RAW = 1 << 13;
    private static final Instant ATIME = Instant.parse("2019-05-06T07:08:09.987654321Z");
    private static final Instant MTIME = Instant.parse("2020-01-02T03:04:05.123456789Z");

    @TempDir
    Path tmp;
    /** A host directory outside the tree, where hostile symlinks point; nothing may read or change it. */
    Path host;

    Map<String, Object> hostBefore;
    Map<String, Object> passwdBefore;
    Path from;

    @BeforeEach
    void sourceTree() throws Exception {
        RootOnly.assumeRoot();
        host = Files.createDirectory(tmp.resolve("host"));
        Files.writeString(host.resolve("secret"), "host secret");
        hostBefore = hostState();
        passwdBefore = Files.readAttributes(Path.of("/etc/passwd"), "unix:uid,gid,mode,ctime", NOFOLLOW_LINKS);

        from = Files.createDirectory(tmp.resolve("from"));
        Path dir = Files.createDirectory(from.resolve("dir"));
        Files.writeString(dir.resolve("data"), "hello\n");
        owner(dir.resolve("data"), 1000, 1000);
        Files.write(dir.resolve("one"), new byte[] {1, 2, 3});
        Files.createLink(from.resolve("link-two"), dir.resolve("one"));
        Files.createSymbolicLink(dir.resolve("up"), Path.of("../../x"));
        Files.createSymbolicLink(from.resolve("escape"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(from.resolve("var-run"), host); // Debian's /var/run -> /run, aimed at the host
        Files.createDirectories(from.resolve("dir/sub/deeper"));
        Files.writeString(from.resolve("dir/sub/deeper/leaf"), "leaf");
        Path setuid = Files.writeString(from.resolve("su"), "elf");
        owner(setuid, 1000, 1000);
        Files.setAttribute(setuid, "unix:mode", 06755);
        Files.writeString(from.resolve("ping"), "elf with a v3 capability");
        Files.writeString(from.resolve("ping2"), "elf with a v2 capability");
        Files.writeString(from.resolve("acl"), "with an ACL");
        Files.setAttribute(from.resolve("acl"), "unix:mode", 0644);
        Files.createDirectory(from.resolve("acldir"));
        Files.createDirectory(from.resolve("opaque-trusted"));
        Files.createDirectory(from.resolve("opaque-user"));
        Path skipped = Files.createDirectory(from.resolve("skipped"));
        Files.writeString(skipped.resolve("inside"), "not copied");
        owner(skipped, 1000, 1000);
        Files.setAttribute(skipped, "unix:mode", 0711);
        owner(dir, 1000, 1000);
        Files.setAttribute(dir, "unix:mode", 0750);
        try (ServerSocketChannel socket = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            socket.bind(UnixDomainSocketAddress.of(from.resolve("sock")));
        }
        try (Fd root = Linux.openDirectoryNoSymlinks(from)) {
            Linux.mknodCharAt(root, "whiteout", 0, 0, 0);
            Linux.mknodAt(root, "fifo", Linux.S_IFIFO | 0640, 0);
            Linux.chownNoFollow(root, "fifo", 1000, 1000);
            Linux.chownNoFollow(root, "var-run", 1000, 1000);
            Linux.setXattr(root, "opaque-trusted", "trusted.overlay.opaque", bytes("y"));
            Linux.setXattr(root, "opaque-user", "user.overlay.opaque", bytes("y"));
            Linux.setXattr(root, "skipped", "user.note", bytes("kept"));
            Linux.setXattr(root, "ping", CAPABILITY, capabilityV3(1000)); // a capability of a nested namespace's root
            Linux.setXattr(root, "ping2", CAPABILITY, capabilityV2());
            Linux.setXattr(root, "acl", ACL_ACCESS, acl(1000, 1000, false));
            Linux.setXattr(root, "acldir", ACL_DEFAULT, acl(1000, 1000, true));
            Linux.chownNoFollow(root, "", 0, 1000);
        }
        distinctTimes(from);
    }

    @Test
    void copiesEveryPropertyOfEveryKindOfEntryWithShiftedOwners() throws Exception {
        Path to = Files.createDirectory(tmp.resolve("to"));
        TreeCopy.Result result = copy(from, to, UP, NOTHING_SKIPPED);
        // Before anything reads the files (and moves their atimes): the copy's is the source's.
        assertEquals(
                ATIME,
                Files.readAttributes(to.resolve("dir/data"), BasicFileAttributes.class, NOFOLLOW_LINKS)
                        .lastAccessTime()
                        .toInstant());
        Map<String, Map<String, Object>> source = describe(from);

        Map<String, Map<String, Object>> expected = shifted(source, SHIFT);
        expected.remove("sock"); // a socket is not copied
        // Ids inside xattr values, written out by hand: the v3 root id and the ACL entries' ids move with the owners,
        // and a v2 capability (the root id 0) becomes a v3 one for the container's root.
        xattrs(expected, "ping").put(CAPABILITY, hex(capabilityV3(1000 + SHIFT)));
        xattrs(expected, "ping2").put(CAPABILITY, hex(capabilityV3(SHIFT)));
        xattrs(expected, "acl").put(ACL_ACCESS, hex(acl(1000 + SHIFT, 1000 + SHIFT, false)));
        xattrs(expected, "acldir").put(ACL_DEFAULT, hex(acl(1000 + SHIFT, 1000 + SHIFT, true)));
        assertEquals(expected, describe(to));

        // The same, property by property, for the ones that matter most.
        assertEquals(1000 + SHIFT, (long) (Integer) Files.getAttribute(to.resolve("su"), "unix:uid"));
        assertEquals(
                0106755,
                (Integer) Files.getAttribute(to.resolve("su"), "unix:mode"),
                "setuid/setgid lost by the chown");
        assertEquals(
                Files.getAttribute(to.resolve("dir/one"), "unix:ino"),
                Files.getAttribute(to.resolve("link-two"), "unix:ino"),
                "a hard link became a second copy");
        assertNotEquals(
                Files.getAttribute(from.resolve("dir/one"), "unix:ino"),
                Files.getAttribute(to.resolve("dir/one"), "unix:ino"));
        assertEquals(Path.of("/etc/passwd"), Files.readSymbolicLink(to.resolve("escape")));
        assertEquals(Path.of("../../x"), Files.readSymbolicLink(to.resolve("dir/up")));
        assertEquals(
                SHIFT,
                (long) RootOnly.uid(to.resolve("escape")),
                "the symlink itself must be re-owned, not its target");
        assertEquals(
                Linux.S_IFCHR,
                (Integer) Files.getAttribute(to.resolve("whiteout"), "unix:mode", NOFOLLOW_LINKS) & Linux.S_IFMT);
        assertEquals(0L, (Long) Files.getAttribute(to.resolve("whiteout"), "unix:rdev", NOFOLLOW_LINKS));
        assertEquals(
                Linux.S_IFIFO | 0640, (Integer) Files.getAttribute(to.resolve("fifo"), "unix:mode", NOFOLLOW_LINKS));
        assertEquals(MTIME, Files.getLastModifiedTime(to.resolve("dir/data")).toInstant());
        try (Fd copied = Linux.openDirectoryNoSymlinks(to)) {
            assertArrayEquals(
                    bytes("y"),
                    Linux.getXattr(copied, "opaque-trusted", "trusted.overlay.opaque")
                            .orElseThrow());
            assertArrayEquals(
                    bytes("y"),
                    Linux.getXattr(copied, "opaque-user", "user.overlay.opaque").orElseThrow());
            assertEquals(
                    1000 + SHIFT,
                    rootId(Linux.getXattr(copied, "ping", CAPABILITY).orElseThrow()),
                    "v3 root id not shifted");
        }
        assertFalse(Files.exists(to.resolve("sock"), NOFOLLOW_LINKS));
        assertEquals(Path.of("/etc/passwd"), Files.readSymbolicLink(from.resolve("escape")));
        assertNothingOutsideTouched();

        long entries = source.size() - 2; // neither the root nor the socket
        long bytes = source.entrySet().stream()
                .filter(e -> !e.getKey().equals("link-two"))
                .filter(e -> ((Integer) e.getValue().get("mode") & Linux.S_IFMT) == Linux.S_IFREG)
                .mapToLong(e -> (Long) e.getValue().get("size"))
                .sum();
        assertEquals(new TreeCopy.Result(entries, bytes), result);
    }

    @Test
    void copyingBackRestoresEveryIdAndTheV2Capability() throws Exception {
        Map<String, Map<String, Object>> source = describe(from);
        Path to = Files.createDirectory(tmp.resolve("to"));
        copy(from, to, UP, NOTHING_SKIPPED);
        Path back = Files.createDirectory(tmp.resolve("back"));
        copy(to, back, DOWN, NOTHING_SKIPPED);

        source.remove("sock");
        assertEquals(source, describe(back));
        try (Fd copied = Linux.openDirectoryNoSymlinks(back)) {
            byte[] capability = Linux.getXattr(copied, "ping2", CAPABILITY).orElseThrow();
            assertArrayEquals(capabilityV2(), capability, "v3 with root id 0 must be written as v2");
            assertEquals(1000, rootId(Linux.getXattr(copied, "ping", CAPABILITY).orElseThrow()));
        }
    }

    @Test
    void aV3CapabilityOfTheHostsRootBecomesV2() throws Exception {
        try (Fd root = Linux.openDirectoryNoSymlinks(from)) {
            Linux.setXattr(root, "ping", CAPABILITY, capabilityV3(SHIFT));
        }
        Path to = Files.createDirectory(tmp.resolve("to"));
        copy(from, to, DOWN, NOTHING_SKIPPED);
        try (Fd copied = Linux.openDirectoryNoSymlinks(to)) {
            assertArrayEquals(
                    capabilityV2(), Linux.getXattr(copied, "ping", CAPABILITY).orElseThrow());
        }
    }

    @Test
    void skippedDirectoriesAreMadeWithTheirMetadataButEmpty() throws Exception {
        Map<String, Map<String, Object>> source = describe(from);
        Path to = Files.createDirectory(tmp.resolve("to"));
        List<String> asked = new ArrayList<>();
        copy(from, to, SAME, path -> {
            asked.add(path);
            return path.equals("skipped") || path.equals("dir/sub");
        });

        assertTrue(
                asked.containsAll(List.of("dir", "dir/sub", "skipped", "acldir")),
                "relative paths, no leading slash: " + asked);
        assertFalse(asked.contains("dir/sub/deeper"), "asked below a skipped directory");
        try (Stream<Path> left = Files.list(to.resolve("skipped"))) {
            assertEquals(0, left.count());
        }
        try (Stream<Path> left = Files.list(to.resolve("dir/sub"))) {
            assertEquals(0, left.count());
        }
        Map<String, Map<String, Object>> copied = describe(to);
        assertEquals(source.get("skipped"), copied.get("skipped"), "owner, mode, times, xattrs of a skipped directory");
        source.get("dir/sub").remove("nlink"); // its subdirectory is not there
        copied.get("dir/sub").remove("nlink");
        assertEquals(source.get("dir/sub"), copied.get("dir/sub"));
        assertNull(copied.get("skipped/inside"));
        assertEquals(source.get("dir/data"), copied.get("dir/data"));
    }

    @Test
    void plantedSymlinksAreCopiedAsSymlinksAndNeverFollowed() throws Exception {
        Path hostile = Files.createDirectory(tmp.resolve("hostile"));
        Files.createDirectories(hostile.resolve("var/lib"));
        Files.writeString(hostile.resolve("var/lib/file"), "y");
        Files.createSymbolicLink(hostile.resolve("var/run"), host); // absolute
        Files.createSymbolicLink(hostile.resolve("var/lib/up"), Path.of("../../../host")); // relative, escaping
        Files.createSymbolicLink(hostile.resolve("etc"), Path.of("/etc")); // where a directory would be

        Path to = Files.createDirectory(tmp.resolve("to"));
        copy(hostile, to, UP, NOTHING_SKIPPED);

        assertEquals(host, Files.readSymbolicLink(to.resolve("var/run")));
        assertEquals(Path.of("../../../host"), Files.readSymbolicLink(to.resolve("var/lib/up")));
        assertEquals(Path.of("/etc"), Files.readSymbolicLink(to.resolve("etc")));
        assertEquals("y", Files.readString(to.resolve("var/lib/file")));
        assertNoHostContent(to);
        assertNothingOutsideTouched();
        assertEquals(0, RootOnly.uid(Path.of("/etc")));
    }

    @Test
    void aDirectorySwappedForASymlinkAfterTheListingIsCopiedAsTheSymlink() throws Exception {
        Path tree = Files.createDirectory(tmp.resolve("tree"));
        Files.writeString(tree.resolve("a"), "first in name order");
        Files.createDirectory(tree.resolve("b"));
        Files.writeString(tree.resolve("b/inside"), "tree");
        Files.createSymbolicLink(tree.resolve("b-link"), host);
        AtomicBoolean swapped = new AtomicBoolean();
        LongUnaryOperator swapOnce = id -> { // called while copying "a": "b" is listed, not yet looked at
            if (swapped.compareAndSet(false, true)) {
                try (Fd dir = Linux.openDirectoryNoSymlinks(tree)) {
                    Linux.renameExchange(dir, "b", dir, "b-link");
                } catch (LinuxException e) {
                    throw new IllegalStateException(e);
                }
            }
            return id;
        };

        Path to = Files.createDirectory(tmp.resolve("to"));
        copy(tree, to, swapOnce, NOTHING_SKIPPED);

        assertTrue(swapped.get());
        assertEquals(host, Files.readSymbolicLink(to.resolve("b")));
        assertEquals("tree", Files.readString(to.resolve("b-link/inside")));
        assertNoHostContent(to);
        assertNothingOutsideTouched();
    }

    @Test
    void aDirectorySwappedBackAndForthDuringCopiesIsNeverFollowed() throws Exception {
        Path tree = Files.createDirectory(tmp.resolve("tree"));
        for (int i = 0; i < 20; i++) {
            Files.writeString(tree.resolve("f" + i), "file " + i);
        }
        Files.createDirectory(tree.resolve("d"));
        Files.writeString(tree.resolve("d/inside"), "tree");
        Files.createSymbolicLink(tree.resolve("d-swap"), host);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Exception> flipperFailed = new AtomicReference<>();
        Thread flipper = new Thread(() -> {
            try (Fd dir = Linux.openDirectoryNoSymlinks(tree)) {
                while (!stop.get()) {
                    Linux.renameExchange(dir, "d", dir, "d-swap");
                }
            } catch (Exception e) {
                flipperFailed.set(e);
            }
        });
        int asSymlink = 0;
        int asDirectory = 0;
        flipper.start();
        try {
            for (int i = 0; i < 200; i++) {
                Path to = Files.createDirectory(tmp.resolve("race-" + i));
                try {
                    copy(tree, to, UP, NOTHING_SKIPPED);
                    if (Files.isSymbolicLink(to.resolve("d"))) {
                        asSymlink++;
                    }
                    if (Files.isDirectory(to.resolve("d"), NOFOLLOW_LINKS)) {
                        asDirectory++;
                    }
                } catch (IOException e) { // it may keep changing: then the copy says so, naming it
                    assertTrue(e.getMessage().matches("(?s)(cannot copy )?d(-swap)?[ :].*"), e.getMessage());
                }
                assertNoHostContent(to);
            }
        } finally {
            stop.set(true);
            flipper.join();
        }
        assertNull(flipperFailed.get());
        assertTrue(
                asSymlink > 0 && asDirectory > 0,
                "the swaps did not interleave with the copies: " + asSymlink + " / " + asDirectory);
        assertNothingOutsideTouched();
    }

    @Test
    void aMountPointInTheTreeIsSkipped() throws Exception {
        Path mounted = Files.createDirectory(from.resolve("mnt"));
        try {
            Linux.mount("tmpfs", mounted, "tmpfs", Linux.MS_NOSUID | Linux.MS_NODEV, null);
        } catch (LinuxException e) {
            assumeTrue(false, "cannot mount a tmpfs here: " + e.getMessage());
        }
        try {
            Files.writeString(mounted.resolve("other-filesystem"), "not ours");
            Path to = Files.createDirectory(tmp.resolve("to"));
            copy(from, to, SAME, NOTHING_SKIPPED);
            assertFalse(Files.exists(to.resolve("mnt"), NOFOLLOW_LINKS));
            assertEquals("hello\n", Files.readString(to.resolve("dir/data")));
        } finally {
            Linux.umountDetach(mounted);
        }
    }

    @Test
    void namesAreCopiedAsTheKernelsBytesWhateverTheLocale() throws Exception {
        Path tree = Files.createDirectory(tmp.resolve("names"));
        byte[] latin1 = {'c', 'a', 'f', (byte) 0xe9}; // not UTF-8: no Java String holds it
        byte[] utf8 = "NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt".getBytes(StandardCharsets.UTF_8);
        try (Fd dir = Linux.openDirectoryNoSymlinks(tree)) {
            Linux.mkdirAt(dir, latin1, 0755);
            try (Fd sub = Linux.openat2(dir, latin1, Linux.O_RDONLY | Linux.O_DIRECTORY, Linux.RESOLVE_NO_SYMLINKS);
                    Fd file = Linux.createFile(sub, utf8, 0644)) {
                Files.writeString(file.procPath(), "certificate");
                Linux.symlinkAt(latin1, sub, latin1);
            }
        }
        Path to = Files.createDirectory(tmp.resolve("to"));
        copy(tree, to, SAME, NOTHING_SKIPPED);

        try (Fd dir = Linux.openDirectoryNoSymlinks(to);
                Fd sub = Linux.openat2(dir, latin1, Linux.O_RDONLY | Linux.O_DIRECTORY, Linux.RESOLVE_NO_SYMLINKS);
                Fd file = Linux.openat2(sub, utf8, Linux.O_RDONLY, Linux.RESOLVE_NO_SYMLINKS)) {
            assertEquals("certificate", Files.readString(file.procPath()));
            assertArrayEquals(latin1, Linux.readlinkAt(sub, latin1));
            assertEquals(2, Linux.listDirectory(sub).size());
        }
        assertEquals(fingerprint(tree, NOTHING_SKIPPED), fingerprint(to, NOTHING_SKIPPED));
    }

    @Test
    void errorsNameThePathBelowTheRoot() throws Exception {
        Path to = Files.createDirectory(tmp.resolve("to"));
        AtomicBoolean planted = new AtomicBoolean();
        LongUnaryOperator plantingInTheWay = id -> { // once "dir" is made, something where "dir/sub" is to go
            if (Files.isDirectory(to.resolve("dir")) && planted.compareAndSet(false, true)) {
                try {
                    Files.createDirectory(to.resolve("dir/sub"));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
            return id;
        };
        IOException e = assertThrows(IOException.class, () -> copy(from, to, plantingInTheWay, NOTHING_SKIPPED));
        assertTrue(e.getMessage().startsWith("cannot copy dir/sub: mkdirat("), e.getMessage());
        assertTrue(e.getMessage().contains("File exists"), e.getMessage());
    }

    @Test
    void fingerprintChangesWithTheTreeAndOnlyThen() throws Exception {
        String before = fingerprint(from, NOTHING_SKIPPED);
        Path first = Files.createDirectory(tmp.resolve("first"));
        copy(from, first, UP, NOTHING_SKIPPED);
        Path second = Files.createDirectory(tmp.resolve("second"));
        copy(from, second, UP, NOTHING_SKIPPED);
        assertEquals(before, fingerprint(from, NOTHING_SKIPPED), "copying changed the source's fingerprint");
        assertEquals(
                fingerprint(first, NOTHING_SKIPPED),
                fingerprint(second, NOTHING_SKIPPED),
                "two copies of one source differ");
        assertNotEquals(before, fingerprint(first, NOTHING_SKIPPED), "the owners the copy shifted do not show");
        Path same = Files.createDirectory(tmp.resolve("same"));
        Files.delete(from.resolve("sock")); // not copied
        before = fingerprint(from, NOTHING_SKIPPED);
        copy(from, same, SAME, NOTHING_SKIPPED);
        assertEquals(before, fingerprint(same, NOTHING_SKIPPED), "a copy with the ids left alone is the same tree");

        Path data = from.resolve("dir/data");
        FileTime mtime = Files.getLastModifiedTime(data);
        Files.setLastModifiedTime(data, FileTime.from(mtime.toInstant().plusNanos(1)));
        assertNotEquals(before, fingerprint(from, NOTHING_SKIPPED), "an mtime 1 ns later");
        Files.setLastModifiedTime(data, mtime);
        assertEquals(before, fingerprint(from, NOTHING_SKIPPED));

        owner(data, 1001, 1000);
        assertNotEquals(before, fingerprint(from, NOTHING_SKIPPED), "a chown");
        owner(data, 1000, 1000);
        assertEquals(before, fingerprint(from, NOTHING_SKIPPED));

        keepingDirectoryTimes(from.resolve("dir"), () -> Files.writeString(from.resolve("dir/new"), ""));
        assertNotEquals(before, fingerprint(from, NOTHING_SKIPPED), "a new empty file");
        keepingDirectoryTimes(from.resolve("dir"), () -> Files.delete(from.resolve("dir/new")));
        assertEquals(before, fingerprint(from, NOTHING_SKIPPED));

        long linkTime = Files.getLastModifiedTime(from.resolve("dir/up"), NOFOLLOW_LINKS)
                .to(TimeUnit.NANOSECONDS);
        keepingDirectoryTimes(
                from.resolve("dir"),
                () -> { // same length, same times: only the target differs
                    Files.delete(from.resolve("dir/up"));
                    Files.createSymbolicLink(from.resolve("dir/up"), Path.of("../../y"));
                    try (Fd dir = Linux.openDirectoryNoSymlinks(from.resolve("dir"))) {
                        Linux.setTimesNoFollow(dir, "up", linkTime, linkTime);
                    }
                });
        String retargeted = fingerprint(from, NOTHING_SKIPPED);
        assertNotEquals(before, retargeted, "a symlink's target");

        Predicate<String> skipped = path -> path.equals("skipped");
        String withSkip = fingerprint(from, skipped);
        keepingDirectoryTimes(from.resolve("skipped"), () -> Files.writeString(from.resolve("skipped/more"), "more"));
        assertEquals(withSkip, fingerprint(from, skipped), "a skipped directory's contents counted");
        assertNotEquals(retargeted, fingerprint(from, NOTHING_SKIPPED));
    }

    @Test
    void fingerprintRefusesADirectorySwappedForASymlinkMidWalk() throws Exception {
        Path tree = Files.createDirectory(tmp.resolve("tree"));
        Files.createDirectory(tree.resolve("b"));
        Files.createSymbolicLink(tree.resolve("b-link"), host);
        Predicate<String> swapBeforeOpening = path -> {
            if (path.equals("b")) {
                try (Fd dir = Linux.openDirectoryNoSymlinks(tree)) {
                    Linux.renameExchange(dir, "b", dir, "b-link");
                } catch (LinuxException e) {
                    throw new IllegalStateException(e);
                }
            }
            return false;
        };
        assertThrows(IOException.class, () -> fingerprint(tree, swapBeforeOpening));
        assertNothingOutsideTouched();
    }

    @Test
    void diskUsageCountsBlocksOncePerInode() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("usage"));
        byte[] random = new byte[1 << 20];
        new Random(42).nextBytes(random);
        Files.write(dir.resolve("big"), random);
        long one = diskUsage(dir);
        assertTrue(one >= 1 << 20 && one < (1 << 20) + (1 << 18), "1 MiB file and a directory: " + one);

        Files.createLink(dir.resolve("big-link"), dir.resolve("big"));
        Files.createDirectory(dir.resolve("sub"));
        Files.createLink(dir.resolve("sub/big-link"), dir.resolve("big"));
        long directoryBlocks = diskUsage(dir) - one;
        assertTrue(directoryBlocks >= 0 && directoryBlocks < 1 << 16, "a hard link counted again: " + directoryBlocks);

        try (var sparse =
                FileChannel.open(dir.resolve("sparse"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            sparse.truncate(0).position(10 << 20).write(ByteBuffer.wrap(new byte[1]));
        }
        long withSparse = diskUsage(dir) - one - directoryBlocks;
        assertTrue(withSparse < 1 << 20, "a 10 MiB sparse file counted by its size, not its blocks: " + withSparse);
    }

    @Test
    void aTreeDeeperThanTheLimitFailsEveryWalkNamingItAndLeavesNoDescriptorOpen() throws Exception {
        Path deep = tmp.resolve("deep");
        NoFollowTreeTest.deepTree(deep, 5000);
        Path to = Files.createDirectory(tmp.resolve("to"));
        long fds = NoFollowTreeTest.openDescriptors();
        String prefix = "d/d/d/d/d/d/";
        String tooDeep = "(1001 levels down) is deeper than 1000 levels: not ";

        IOException copying = assertThrows(IOException.class, () -> copy(deep, to, UP, NOTHING_SKIPPED));
        assertTrue(
                copying.getMessage().startsWith(prefix) && copying.getMessage().endsWith(tooDeep + "copied"),
                copying.getMessage());
        assertTrue(
                copying.getMessage().length() < 300,
                "a path kilobytes long in the message: " + copying.getMessage().length());
        IOException digesting = assertThrows(IOException.class, () -> fingerprint(deep, NOTHING_SKIPPED));
        assertTrue(digesting.getMessage().endsWith(tooDeep + "fingerprinted"), digesting.getMessage());
        IOException measuring = assertThrows(IOException.class, () -> diskUsage(deep));
        assertTrue(measuring.getMessage().endsWith(tooDeep + "measured"), measuring.getMessage());
        assertEquals(fds, NoFollowTreeTest.openDescriptors(), "descriptors left open by the failed walks");

        NoFollowTree.delete(tmp, "to");
        NoFollowTree.delete(tmp, "deep");
        assertFalse(Files.exists(deep, NOFOLLOW_LINKS));
    }

    @Test
    void aTreeAsDeepAsTheLimitIsCopiedWhole() throws Exception {
        Path deep = tmp.resolve("deep");
        NoFollowTreeTest.deepTree(deep, NoFollowTree.MAX_DEPTH - 1); // its file "bottom" is MAX_DEPTH levels down
        Path to = Files.createDirectory(tmp.resolve("to"));
        try {
            TreeCopy.Result copied = copy(deep, to, SAME, NOTHING_SKIPPED);
            assertEquals(NoFollowTree.MAX_DEPTH, copied.entries());
            assertEquals(fingerprint(deep, NOTHING_SKIPPED), fingerprint(to, NOTHING_SKIPPED));
            assertTrue(diskUsage(to) > 0);
        } finally { // by descriptors: JUnit's removal of a tree that deep, path by path, takes a minute
            NoFollowTree.delete(tmp, "deep");
            NoFollowTree.delete(tmp, "to");
        }
    }

    @Test
    void sparseFilesStaySparse() throws Exception {
        Path tree = Files.createDirectory(tmp.resolve("sparse"));
        try (var file = FileChannel.open(tree.resolve("4G"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.wrap(bytes("data in the middle")), 2L << 30);
        }
        try (var file = new RandomAccessFile(tree.resolve("4G").toFile(), "rw")) {
            file.setLength(4L << 30); // truncate -s 4G
        }
        long before = diskUsage(tree);
        Path to = Files.createDirectory(tmp.resolve("to"));
        TreeCopy.Result copied = copy(tree, to, UP, NOTHING_SKIPPED);

        assertEquals(4L << 30, Files.size(to.resolve("4G")));
        assertEquals(4L << 30, copied.bytes(), "bytes: the files' sizes");
        long after = diskUsage(to);
        assertTrue(after < 1 << 20, "a 4 GiB sparse file took " + after + " bytes of disk in its copy");
        assertTrue(
                Math.abs(after - before) <= 64 << 10,
                "a copy takes what its source does: " + before + " then " + after);
        try (var file = FileChannel.open(to.resolve("4G"))) {
            ByteBuffer read = ByteBuffer.allocate(18);
            file.read(read, 2L << 30);
            assertEquals("data in the middle", new String(read.array(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aDeviceSwappedBackAndForthWithAFileIsNeverOpened() throws Exception {
        // Listed as a regular file, a char device (/dev/null's 1:3) by the time it is opened: copied, never opened as
        // root.
        Path tree = Files.createDirectory(tmp.resolve("tree"));
        for (int i = 0; i < 20; i++) {
            Files.writeString(tree.resolve("f" + i), "file " + i);
        }
        Files.writeString(tree.resolve("file"), "a regular file");
        try (Fd dir = Linux.openDirectoryNoSymlinks(tree)) {
            Linux.mknodAt(dir, "device", Linux.S_IFCHR | 0666, 0x103);
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Exception> flipperFailed = new AtomicReference<>();
        Thread flipper = new Thread(() -> {
            try (Fd dir = Linux.openDirectoryNoSymlinks(tree)) {
                while (!stop.get()) {
                    Linux.renameExchange(dir, "file", dir, "device");
                }
            } catch (Exception e) {
                flipperFailed.set(e);
            }
        });
        try (OpenWatch device =
                new OpenWatch(tree.resolve("device"))) { // inotify follows the inode through the renames
            flipper.start();
            try {
                for (int i = 0; i < 200; i++) {
                    Path to = Files.createDirectory(tmp.resolve("race-" + i));
                    try {
                        copy(tree, to, SAME, NOTHING_SKIPPED);
                    } catch (IOException e) { // it may keep changing: then the copy says so, naming it
                        assertTrue(
                                e.getMessage().matches("(file|device) keeps changing during the copy"), e.getMessage());
                    }
                }
            } finally {
                stop.set(true);
                flipper.join();
            }
            assertNull(flipperFailed.get());
            assertFalse(device.opened(), "the device was opened");
        }
    }

    // --- the tree, described -------------------------------------------------------------------------------------

    /**
     * Everything a copy keeps, per entry (relative path; "" for the root): mode with type, owners, size (files),
     * link count, mtime in ns, device number, symlink target, contents, every xattr.
     */
    private static Map<String, Map<String, Object>> describe(Path root) throws Exception {
        Map<String, Map<String, Object>> tree = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root)) { // does not follow symlinks
            for (Path path : paths.toList()) {
                Map<String, Object> entry =
                        new TreeMap<>(Files.readAttributes(path, "unix:mode,uid,gid,size,nlink,rdev", NOFOLLOW_LINKS));
                int type = (Integer) entry.get("mode") & Linux.S_IFMT;
                entry.put(
                        "mtime", Files.getLastModifiedTime(path, NOFOLLOW_LINKS).to(TimeUnit.NANOSECONDS));
                if (type == Linux.S_IFDIR) {
                    entry.remove("size"); // how many entries it ever held
                }
                if (type == Linux.S_IFLNK) {
                    entry.put("target", Files.readSymbolicLink(path).toString());
                }
                if (type == Linux.S_IFREG) {
                    entry.put("contents", hex(Files.readAllBytes(path)));
                }
                entry.put("xattrs", xattrs(path));
                tree.put(root.relativize(path).toString(), entry);
            }
        }
        return tree;
    }

    /** {@code source} as a copy with ids shifted by {@code shift} looks (xattr values as they are). */
    private static Map<String, Map<String, Object>> shifted(Map<String, Map<String, Object>> source, long shift) {
        Map<String, Map<String, Object>> shifted = new TreeMap<>();
        source.forEach((path, attributes) -> {
            Map<String, Object> entry = new TreeMap<>(attributes);
            entry.put("uid", (int) ((Integer) attributes.get("uid") + shift));
            entry.put("gid", (int) ((Integer) attributes.get("gid") + shift));
            @SuppressWarnings("unchecked")
            Map<String, String> xattrs = new TreeMap<>((Map<String, String>) attributes.get("xattrs"));
            entry.put("xattrs", xattrs);
            shifted.put(path, entry);
        });
        return shifted;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> xattrs(Map<String, Map<String, Object>> tree, String path) {
        return (Map<String, String>) tree.get(path).get("xattrs");
    }

    private static Map<String, String> xattrs(Path path) throws Exception {
        Map<String, String> xattrs = new TreeMap<>();
        try (Fd dir = Linux.openDirectoryNoSymlinks(path.getParent())) {
            String name = path.getFileName().toString();
            for (String xattr : Linux.listXattrs(dir, name)) {
                xattrs.put(xattr, hex(Linux.getXattr(dir, name, xattr).orElseThrow()));
            }
        }
        return xattrs;
    }

    /** Gives every entry below {@code root} (and it) its own atime and mtime, children before their directories. */
    private static void distinctTimes(Path root) throws Exception {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = new ArrayList<>(walk.toList());
        }
        paths.sort((a, b) -> b.getNameCount() - a.getNameCount());
        long nanos = MTIME.getEpochSecond() * 1_000_000_000L + MTIME.getNano();
        long atime = ATIME.getEpochSecond() * 1_000_000_000L + ATIME.getNano();
        for (int i = 0; i < paths.size(); i++) {
            Path path = paths.get(i);
            long mtime = path.endsWith("data") ? nanos : nanos + 1_000_001L * (i + 1);
            if (path.equals(root)) {
                try (Fd dir = Linux.openDirectoryNoSymlinks(root)) {
                    Linux.setTimesNoFollow(dir, "", atime, mtime);
                }
            } else {
                try (Fd dir = Linux.openDirectoryNoSymlinks(path.getParent())) {
                    Linux.setTimesNoFollow(dir, path.getFileName().toString(), atime, mtime); // a symlink's own times
                }
            }
        }
    }

    private interface Change {
        void run() throws Exception;
    }

    /** Makes {@code change} in {@code dir} and puts the directory's times back: only the entry itself differs. */
    private static void keepingDirectoryTimes(Path dir, Change change) throws Exception {
        FileTime mtime = Files.getLastModifiedTime(dir);
        change.run();
        Files.setLastModifiedTime(dir, mtime);
    }

    private Map<String, Object> hostState() throws IOException {
        Map<String, Object> state = new TreeMap<>();
        for (Path path : List.of(host, host.resolve("secret"))) {
            state.put(
                    path.toString(),
                    Files.readAttributes(path, "unix:uid,gid,mode,ctime,lastModifiedTime", NOFOLLOW_LINKS));
            if (Files.isRegularFile(path)) {
                state.put(path + " contents", Files.readString(path));
            }
        }
        try (Stream<Path> entries = Files.list(host)) {
            state.put("entries", entries.map(Path::toString).sorted().toList());
        }
        return state;
    }

    /**
     * Neither the host directory hostile symlinks point to nor /etc/passwd was changed in any way (ctime: not even
     * xattrs).
     */
    private void assertNothingOutsideTouched() throws IOException {
        assertEquals(hostBefore, hostState());
        assertEquals(
                passwdBefore, Files.readAttributes(Path.of("/etc/passwd"), "unix:uid,gid,mode,ctime", NOFOLLOW_LINKS));
    }

    /** Nothing of the host directory was copied into {@code copy}. */
    private static void assertNoHostContent(Path copy) throws IOException {
        try (Stream<Path> paths = Files.walk(copy)) {
            for (Path path : paths.toList()) {
                assertNotEquals("secret", path.getFileName().toString(), "the host's file was copied: " + path);
                if (Files.isRegularFile(path, NOFOLLOW_LINKS)) {
                    assertNotEquals("host secret", Files.readString(path), path.toString());
                }
            }
        }
    }

    // --- helpers ----------------------------------------------------------------------------------------------------

    private static TreeCopy.Result copy(Path source, Path to, LongUnaryOperator ids, Predicate<String> skipped)
            throws Exception {
        try (Fd in = Linux.openDirectoryNoSymlinks(source);
                Fd out = Linux.openDirectoryNoSymlinks(to)) {
            return TreeCopy.copy(in, out, ids, ids, skipped, Deadline.NONE);
        }
    }

    private static String fingerprint(Path dir, Predicate<String> skipped) throws Exception {
        try (Fd fd = Linux.openDirectoryNoSymlinks(dir)) {
            return TreeCopy.fingerprint(fd, skipped);
        }
    }

    private static long diskUsage(Path dir) throws Exception {
        try (Fd fd = Linux.openDirectoryNoSymlinks(dir)) {
            return TreeCopy.diskUsage(fd);
        }
    }

    private static void owner(Path path, int uid, int gid) throws Exception {
        Linux.lchown(path, uid, gid);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static long rootId(byte[] capability) {
        assertEquals(24, capability.length, "not a v3 capability");
        return Integer.toUnsignedLong(
                ByteBuffer.wrap(capability).order(ByteOrder.LITTLE_ENDIAN).getInt(20));
    }

    /** struct vfs_ns_cap_data by hand: magic_etc (v3, effective), permitted/inheritable low and high words, rootid. */
    private static byte[] capabilityV3(long rootId) {
        ByteBuffer caps = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        caps.putInt(0x03000000 | 1)
                .putInt(CAP_NET_RAW)
                .putInt(0)
                .putInt(0)
                .putInt(0)
                .putInt((int) rootId);
        return caps.array();
    }

    /** struct vfs_cap_data: as v3 without the root id. */
    private static byte[] capabilityV2() {
        ByteBuffer caps = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        caps.putInt(0x02000000 | 1).putInt(CAP_NET_RAW).putInt(0).putInt(0).putInt(0);
        return caps.array();
    }

    /**
     * A POSIX ACL as its xattr, by hand: le32 version 2, then (le16 tag, le16 perm, le32 id) entries in tag order:
     * user::rw-, user:uid:r--, group::r--, group:gid:r--, mask::r--, other::r-- (x on each for a default ACL).
     */
    private static byte[] acl(long uid, long gid, boolean directory) {
        final int undefined = -1;
        int x = directory ? 1 : 0;
        ByteBuffer acl =
                ByteBuffer.allocate(4 + 6 * 8).order(ByteOrder.LITTLE_ENDIAN).putInt(2);
        acl.putShort((short) 0x01).putShort((short) (6 | x)).putInt(undefined);
        acl.putShort((short) 0x02).putShort((short) (4 | x)).putInt((int) uid);
        acl.putShort((short) 0x04).putShort((short) (4 | x)).putInt(undefined);
        acl.putShort((short) 0x08).putShort((short) (4 | x)).putInt((int) gid);
        acl.putShort((short) 0x10).putShort((short) (4 | x)).putInt(undefined);
        acl.putShort((short) 0x20).putShort((short) (4 | x)).putInt(undefined);
        return acl.array();
    }
}
