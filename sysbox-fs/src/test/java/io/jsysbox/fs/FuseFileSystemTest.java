package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsysbox.linux.Errno;
import io.jsysbox.procfs.VirtualFileRegistry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The protocol codec and dispatcher, bytes in and bytes out, over a fake backend. */
class FuseFileSystemTest {

    /**
     * Containers registered by hand; renders "rendered N\n" (N counting renders) in the host's view and "rendered N
     * for ID\n" in container ID's; accepts writes of digits, rejects others with EINVAL.
     */
    private static final class FakeBackend implements FileBackend {
        final Map<String, Owner> registered = new LinkedHashMap<>();
        final List<Caller> callers = new ArrayList<>();
        final List<Owner> openedFor = new ArrayList<>();
        int renders;
        /** Rendered instead of the "rendered N" text, when set. */
        byte[] content;
        /** Thrown by the next render, when set. */
        Error failure;

        @Override
        public Owner owner(long slot) {
            return registered.values().stream()
                    .filter(o -> o.slot() == slot)
                    .findFirst()
                    .orElse(null);
        }

        @Override
        public Owner owner(String id) {
            return registered.get(id);
        }

        @Override
        public List<Owner> owners() {
            return registered.values().stream()
                    .sorted(Comparator.comparingLong(Owner::slot))
                    .toList();
        }

        @Override
        public OpenFile open(Owner owner, FsTree.Node file, Caller caller, boolean forWriting) {
            callers.add(caller);
            openedFor.add(owner);
            return new OpenFile() {
                @Override
                public byte[] render() {
                    renders += content == null ? 0 : 1;
                    if (failure != null) {
                        Error thrown = failure;
                        failure = null;
                        throw thrown;
                    }
                    if (content != null) {
                        return content;
                    }
                    return ("rendered " + (++renders) + (owner.slot() == 0 ? "" : " for " + owner.id()) + "\n")
                            .getBytes(StandardCharsets.UTF_8);
                }

                @Override
                public int write(byte[] data, long offset) throws FsError {
                    if (!new String(data, StandardCharsets.UTF_8).strip().matches("[0-9]+")) {
                        throw new FsError(Errno.EINVAL, "not a number");
                    }
                    return data.length;
                }
            };
        }
    }

    private final FakeBackend backend = new FakeBackend();
    private final FsTree tree = new FsTree(VirtualFileRegistry.standard(), 1_700_000_000L);
    private FuseFileSystem fs = new FuseFileSystem(tree, backend);
    private final ByteBuffer out = ByteBuffer.allocate(FuseProtocol.REPLY_BUFFER_SIZE);
    private final ByteBuffer notification = ByteBuffer.allocate(64);
    private long unique = 100;
    /** The requests' caller: host root unless a test says otherwise. */
    private Caller caller = new Caller(4242, 0, 0);

    private static ByteBuffer body(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Sends one request as /dev/fuse would deliver it; returns the reply's body, checking header and error. */
    private ByteBuffer call(int opcode, long node, ByteBuffer args, int expectedError) {
        long id = ++unique;
        byte[] bytes = args == null ? new byte[0] : args.array();
        ByteBuffer in =
                ByteBuffer.allocate(FuseProtocol.IN_HEADER_SIZE + bytes.length).order(ByteOrder.LITTLE_ENDIAN);
        in.putInt(in.capacity())
                .putInt(opcode)
                .putLong(id)
                .putLong(node)
                .putInt(caller.uid())
                .putInt(caller.gid())
                .putInt(caller.pid())
                .putShort((short) 0)
                .putShort((short) 0)
                .put(bytes);
        assertTrue(fs.handle(FuseRequest.parse(in, in.capacity()), out, notification));
        ByteBuffer reply = out.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(out.limit(), reply.getInt(0), "header length = bytes written");
        assertEquals(-expectedError, reply.getInt(4));
        assertEquals(id, reply.getLong(8));
        return reply.slice(FuseProtocol.OUT_HEADER_SIZE, out.limit() - FuseProtocol.OUT_HEADER_SIZE)
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ByteBuffer name(String name) {
        byte[] bytes = (name + "\0").getBytes(StandardCharsets.UTF_8);
        return body(bytes.length).put(bytes);
    }

    private long lookup(String path) {
        long node = FuseProtocol.ROOT_ID;
        for (String part : path.substring(1).split("/")) {
            ByteBuffer entry = call(FuseProtocol.LOOKUP, node, name(part), 0);
            assertEquals(FuseProtocol.ENTRY_OUT_SIZE, entry.limit());
            node = entry.getLong(0);
            assertEquals(node, entry.getLong(40), "attr.ino = node id");
        }
        return node;
    }

    /** The names READDIR lists from {@code cookie} on, with their inode numbers. */
    private Map<String, Long> readdir(long dir, long cookie) {
        ByteBuffer all =
                call(FuseProtocol.READDIR, dir, body(40).putLong(8, cookie).putInt(16, 4096), 0);
        Map<String, Long> entries = new LinkedHashMap<>();
        while (all.hasRemaining()) {
            int start = all.position();
            long ino = all.getLong();
            all.getLong();
            int length = all.getInt();
            all.getInt();
            byte[] name = new byte[length];
            all.get(name);
            entries.put(new String(name, StandardCharsets.UTF_8), ino);
            all.position(start + ((FuseProtocol.DIRENT_HEADER_SIZE + length + 7) & ~7));
        }
        return entries;
    }

    private ByteBuffer getattr(long node) {
        return call(FuseProtocol.GETATTR, node, body(16), 0)
                .slice(16, FuseProtocol.ATTR_SIZE)
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    private void register(String id, long slot, int uid, int gid) {
        backend.registered.put(id, new FileBackend.Owner(slot, id, uid, gid, 65536));
    }

    private long open(long node, int flags) {
        ByteBuffer reply = call(FuseProtocol.OPEN, node, body(8).putInt(0, flags), 0);
        assertEquals(FuseProtocol.OPEN_OUT_SIZE, reply.limit());
        return reply.getLong(0);
    }

    /** A direct-I/O READ, as read(2) of an open file sends it (lock owner set). */
    private String read(long fh, long offset, int size) {
        ByteBuffer args =
                body(40).putLong(0, fh).putLong(8, offset).putInt(16, size).putInt(20, 2);
        ByteBuffer data = call(FuseProtocol.READ, 5, args, 0);
        byte[] bytes = new byte[data.limit()];
        data.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void initNegotiatesOurMinorAndOnlyFlagsWeWant() {
        ByteBuffer args = body(64).putInt(0, 7).putInt(4, 45).putInt(8, 131072).putInt(12, 0xFFFF_FFFF);
        ByteBuffer reply = call(FuseProtocol.INIT, 0, args, 0);
        assertEquals(FuseProtocol.INIT_OUT_SIZE, reply.limit());
        assertEquals(7, reply.getInt(0));
        assertEquals(FuseProtocol.KERNEL_MINOR_VERSION, reply.getInt(4));
        assertEquals(131072, reply.getInt(8));
        assertEquals(FuseProtocol.FUSE_ATOMIC_O_TRUNC | FuseProtocol.FUSE_PARALLEL_DIROPS, reply.getInt(12));
        assertEquals(FuseProtocol.MAX_WRITE, reply.getInt(20));
    }

    @Test
    void initWithAnOlderKernelMinorKeepsThatMinor() {
        ByteBuffer reply = call(FuseProtocol.INIT, 0, body(16).putInt(0, 7).putInt(4, 27), 0);
        assertEquals(27, reply.getInt(4));
    }

    @Test
    void lookupWalksTheServedPathsAndAttrsCarryModes() {
        long panic = lookup("/proc/sys/kernel/panic");
        ByteBuffer attr = call(FuseProtocol.GETATTR, panic, body(16), 0);
        assertEquals(FuseProtocol.ATTR_OUT_SIZE, attr.limit());
        assertEquals(FuseFileSystem.VALID_SECONDS, attr.getLong(0));
        assertEquals(FuseProtocol.S_IFREG | 0644, attr.getInt(16 + 60));
        assertEquals(0, attr.getInt(16 + 68), "the host's view belongs to host root");
        assertEquals(0, attr.getInt(16 + 72));
        long meminfo = lookup("/proc/meminfo");
        assertEquals(
                FuseProtocol.S_IFREG | 0444,
                call(FuseProtocol.GETATTR, meminfo, body(16), 0).getInt(16 + 60));
        assertEquals(
                FuseProtocol.S_IFDIR | 0700,
                call(FuseProtocol.GETATTR, FuseProtocol.ROOT_ID, body(16), 0).getInt(16 + 60),
                "the mount root is host root's alone");
        assertEquals(FuseProtocol.S_IFDIR | 0700, getattr(lookup("/containers")).getInt(60));
        assertEquals(FuseProtocol.S_IFDIR | 0555, getattr(lookup("/proc")).getInt(60));
        long uuid = lookup("/sys/devices/virtual/dmi/id/product_uuid");
        assertEquals(
                4096, call(FuseProtocol.GETATTR, uuid, body(16), 0).getLong(16 + 8), "sysfs files have a page size");
        assertEquals(FuseProtocol.S_IFREG | 0400, getattr(uuid).getInt(60), "root-only, as on the host");
        call(FuseProtocol.LOOKUP, FuseProtocol.ROOT_ID, name("etc"), Errno.ENOENT);
        call(FuseProtocol.GETATTR, 9999, body(16), Errno.ENOENT);
    }

    @Test
    void readRendersAtOffsetZeroAndSlicesFurtherOn() {
        long fh = open(lookup("/proc/uptime"), 0);
        assertEquals(List.of(caller), backend.callers, "the caller comes from the request header");
        assertEquals(List.of(FileBackend.Owner.HOST), backend.openedFor);
        assertEquals("rendered 1\n", read(fh, 0, 4096));
        assertEquals("ered 1\n", read(fh, 4, 4096), "same text further on, no new render");
        assertEquals("", read(fh, 11, 4096), "end of file");
        assertEquals("ren", read(fh, 0, 3).substring(0, 3));
        assertEquals(2, backend.renders, "a read at 0 renders afresh, as procfs does");
        call(FuseProtocol.RELEASE, 5, body(24).putLong(0, fh), 0);
        assertEquals(0, fs.openFiles());
        call(FuseProtocol.READ, 5, body(40).putLong(0, fh).putInt(16, 10), 9); // EBADF after release
    }

    @Test
    void aHandleOpenedBeforeATakeOverIsOpenedAgainForItsNodeAndCaller() {
        register("c1", 4, 100000, 100000);
        long uptime = lookup("/containers/c1/proc/uptime");
        long previousDaemonsHandle = 7; // below this daemon's first handle: given out by the daemon before it
        ByteBuffer data = call(
                FuseProtocol.READ,
                uptime,
                body(40).putLong(0, previousDaemonsHandle).putInt(16, 4096),
                0);
        assertEquals("rendered 1 for c1\n", StandardCharsets.UTF_8.decode(data).toString());
        assertEquals(List.of(caller), backend.callers, "opened again for the request's caller");
        assertEquals(List.of(backend.owner("c1")), backend.openedFor, "and the request's node's view");
        assertEquals(1, fs.openFiles());
        call(
                FuseProtocol.READ,
                uptime,
                body(40).putLong(0, Long.MAX_VALUE).putInt(16, 10),
                9); // never given out: EBADF
    }

    @Test
    void writeReportsBytesOrTheBackendsErrno() {
        long fh = open(lookup("/proc/sys/kernel/panic"), 1);
        byte[] good = "5\n".getBytes(StandardCharsets.UTF_8);
        ByteBuffer args =
                body(40 + good.length).putLong(0, fh).putInt(16, good.length).put(40, good);
        assertEquals(2, call(FuseProtocol.WRITE, 5, args, 0).getInt(0));
        byte[] bad = "five".getBytes(StandardCharsets.UTF_8);
        call(
                FuseProtocol.WRITE,
                5,
                body(40 + bad.length).putLong(0, fh).putInt(16, bad.length).put(40, bad),
                Errno.EINVAL);
        call(FuseProtocol.FLUSH, 5, body(24).putLong(0, fh), 0);
    }

    @Test
    void readOnlyOpensSkipFlushAndAllUseDirectIo() {
        ByteBuffer reply = call(FuseProtocol.OPEN, lookup("/proc/meminfo"), body(8), 0);
        assertEquals(FuseProtocol.FOPEN_DIRECT_IO | FuseProtocol.FOPEN_NOFLUSH, reply.getInt(8));
        reply = call(FuseProtocol.OPEN, lookup("/proc/sys/kernel/panic"), body(8).putInt(0, 1), 0);
        assertEquals(FuseProtocol.FOPEN_DIRECT_IO, reply.getInt(8));
        call(FuseProtocol.OPEN, lookup("/proc/sys"), body(8), Errno.EISDIR);
    }

    @Test
    void readdirListsDotEntriesThenChildrenAndResumesAtTheCookie() {
        long sys = lookup("/proc/sys");
        assertEquals(
                List.of(".", "..", "fs", "kernel", "net", "vm"),
                List.copyOf(readdir(sys, 0).keySet()));
        assertEquals(List.of("vm"), List.copyOf(readdir(sys, 5).keySet()), "cookies 1, 2, 3…");
        assertEquals(
                0,
                call(FuseProtocol.READDIR, sys, body(40).putLong(8, 6).putInt(16, 4096), 0)
                        .limit());
        ByteBuffer small =
                call(FuseProtocol.READDIR, sys, body(40).putLong(8, 2).putInt(16, 40), 0);
        assertEquals(32, small.limit(), "only 'fs' (24 + 2 bytes, padded to 32) fits in 40 bytes");
    }

    @Test
    void requestsWithoutReplyAndUnknownOpcodes() {
        ByteBuffer in = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        in.putInt(48)
                .putInt(FuseProtocol.FORGET)
                .putLong(7)
                .putLong(3)
                .putInt(0)
                .putInt(0)
                .putInt(0)
                .putInt(0)
                .putLong(1);
        assertFalse(fs.handle(FuseRequest.parse(in, 48), out, ByteBuffer.allocate(64)));
        call(FuseProtocol.GETXATTR, 3, name("security.capability"), Errno.ENOSYS);
        call(99, 3, null, Errno.ENOSYS);
        assertEquals(
                FuseProtocol.KSTATFS_SIZE, call(FuseProtocol.STATFS, 1, null, 0).limit());
    }

    @Test
    void eachContainerHasItsOwnNodesOwnedByItsRoot() {
        register("c1", 1, 100000, 100001);
        register("c2", 3, 200000, 200001);
        long host = lookup("/proc/meminfo");
        long c1 = lookup("/containers/c1/proc/meminfo");
        long c2 = lookup("/containers/c2/proc/meminfo");
        assertEquals(1L << FsTree.SLOT_SHIFT | host, c1, "slot above bit 20, the template node below");
        assertEquals(3L << FsTree.SLOT_SHIFT | host, c2);
        ByteBuffer attr = getattr(c2);
        assertEquals(c2, attr.getLong(0), "ino = node id");
        assertEquals(FuseProtocol.S_IFREG | 0444, attr.getInt(60));
        assertEquals(200000, attr.getInt(68), "owned by the host uid of the container's root");
        assertEquals(200001, attr.getInt(72));
        assertEquals(100000, getattr(lookup("/containers/c1/proc/sys")).getInt(68), "directories too");
        assertEquals(
                FuseProtocol.S_IFREG | 0644,
                getattr(lookup("/containers/c1/proc/sys/kernel/panic")).getInt(60));

        ByteBuffer entry = call(FuseProtocol.LOOKUP, FsTree.CONTAINERS_ID, name("c1"), 0);
        assertEquals(1L << FsTree.SLOT_SHIFT | FuseProtocol.ROOT_ID, entry.getLong(0));
        assertEquals(0, entry.getLong(16), "a container's name is looked up again at each walk");
        assertEquals(FuseFileSystem.VALID_SECONDS, entry.getLong(24));
        assertEquals(
                FuseFileSystem.VALID_SECONDS,
                call(FuseProtocol.LOOKUP, entry.getLong(0), name("proc"), 0).getLong(16));

        long fh = open(c2, 0);
        ByteBuffer store = notification.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(FuseProtocol.NOTIFY_STORE, store.getInt(4));
        assertEquals(c2, store.getLong(16), "the size grows on the view's own inode");
        assertEquals(FuseFileSystem.SIZE_WHILE_OPEN - 1, store.getLong(24));
        assertEquals(List.of(backend.owner("c2")), backend.openedFor, "opened in the node's view, whoever calls");
        assertEquals("rendered 1 for c2\n", read(fh, 0, 4096));
    }

    /** The size is grown only when the kernel may hold a short one: after a lookup, a stat, or a page-cache read. */
    @Test
    void sizeIsGrownOnlyWhenTheKernelMayHoldAShortOne() {
        long uptime = lookup("/proc/uptime");
        long fh = open(uptime, 0);
        assertEquals(FuseProtocol.NOTIFY_STORE, notification.getInt(4), "first open after the lookup: grown");
        read(fh, 0, 4096); // direct I/O: FUSE_READ_LOCKOWNER set (by the helper)
        open(uptime, 0);
        assertEquals(0, notification.limit(), "nothing shrank it since: no notification");
        call(FuseProtocol.GETATTR, uptime, body(16), 0);
        open(uptime, 0);
        assertEquals(FuseProtocol.NOTIFY_STORE, notification.getInt(4), "a GETATTR told the kernel 0: grown again");
        call(FuseProtocol.READ, uptime, body(40).putLong(0, fh).putInt(16, 4096), 0); // page cache: no lock owner
        open(uptime, 0);
        assertEquals(
                FuseProtocol.NOTIFY_STORE, notification.getInt(4), "a short page-cache read shrank it: grown again");
        long panic = lookup("/proc/sys/kernel/panic");
        open(panic, 0);
        open(panic, 1 | 0x200); // O_WRONLY | O_TRUNC, as `echo 1 > panic`: the kernel truncates its size
        open(panic, 0);
        assertEquals(FuseProtocol.NOTIFY_STORE, notification.getInt(4), "after an open for writing: grown again");
    }

    @Test
    void unknownAndUnregisteredContainersHaveNoNodes() {
        register("c1", 1, 100000, 100000);
        long panic = lookup("/containers/c1/proc/sys/kernel/panic");
        long root = lookup("/containers/c1");
        call(FuseProtocol.LOOKUP, FsTree.CONTAINERS_ID, name("c9"), Errno.ENOENT);
        call(FuseProtocol.LOOKUP, root, name(FsTree.CONTAINERS), Errno.ENOENT); // only the mount root has it
        call(
                FuseProtocol.GETATTR,
                2L << FsTree.SLOT_SHIFT | FuseProtocol.ROOT_ID,
                body(16),
                Errno.ENOENT); // slot 2: no one
        call(FuseProtocol.GETATTR, 1L << FsTree.SLOT_SHIFT | FsTree.CONTAINERS_ID, body(16), Errno.ENOENT);
        backend.registered.remove("c1");
        call(FuseProtocol.GETATTR, panic, body(16), Errno.ENOENT);
        call(FuseProtocol.OPEN, panic, body(8).putInt(0, 1), Errno.ENOENT);
        call(FuseProtocol.READDIR, root, body(40).putInt(16, 4096), Errno.ENOENT);
        register("c1", 2, 100000, 100000); // registered again, with another init: another slot
        assertNotEquals(panic, lookup("/containers/c1/proc/sys/kernel/panic"));
        call(FuseProtocol.GETATTR, panic, body(16), Errno.ENOENT);
        assertTrue(backend.openedFor.isEmpty());
    }

    @Test
    void theMountRootListsContainersWhichListsTheRegisteredOnes() {
        assertEquals(
                List.of(".", "..", "proc", "sys", "containers"),
                List.copyOf(readdir(FuseProtocol.ROOT_ID, 0).keySet()));
        assertEquals(Map.of(".", FsTree.CONTAINERS_ID, "..", FuseProtocol.ROOT_ID), readdir(FsTree.CONTAINERS_ID, 0));
        register("c2", 3, 0, 0);
        register("c1", 1, 0, 0);
        Map<String, Long> listed = readdir(FsTree.CONTAINERS_ID, 0);
        assertEquals(List.of(".", "..", "c1", "c2"), List.copyOf(listed.keySet()), "by slot");
        assertEquals(3L << FsTree.SLOT_SHIFT | FuseProtocol.ROOT_ID, listed.get("c2"));
        assertEquals(List.of("c2"), List.copyOf(readdir(FsTree.CONTAINERS_ID, 3).keySet()), "cookie: slot + 2");
        Map<String, Long> c1Root = readdir(lookup("/containers/c1"), 0);
        assertEquals(List.of(".", "..", "proc", "sys"), List.copyOf(c1Root.keySet()));
        assertEquals(FsTree.CONTAINERS_ID, c1Root.get(".."));
        assertEquals(lookup("/containers/c1/proc"), c1Root.get("proc"));
        assertEquals(
                1L << FsTree.SLOT_SHIFT | lookup("/proc/sys"),
                readdir(lookup("/containers/c1/proc"), 0).get("sys"));
    }

    @Test
    void aCallerOfNoContainerReachesNothingButTheMountRootsAttributes() {
        register("c1", 1, 100000, 100000);
        long meminfo = lookup("/containers/c1/proc/meminfo");
        long uuid = lookup("/containers/c1/sys/devices/virtual/dmi/id/product_uuid");
        long hostMeminfo = lookup("/proc/meminfo");
        caller = new Caller(5000, 65534, 65534); // nobody on the host
        call(FuseProtocol.LOOKUP, FuseProtocol.ROOT_ID, name(FsTree.CONTAINERS), Errno.EACCES);
        call(FuseProtocol.LOOKUP, FsTree.CONTAINERS_ID, name("c1"), Errno.EACCES);
        call(FuseProtocol.READDIR, FsTree.CONTAINERS_ID, body(40).putInt(16, 4096), Errno.EACCES);
        call(FuseProtocol.OPENDIR, FuseProtocol.ROOT_ID, body(8), Errno.EACCES);
        call(FuseProtocol.GETATTR, meminfo, body(16), Errno.EACCES);
        call(FuseProtocol.OPEN, meminfo, body(8), Errno.EACCES);
        call(FuseProtocol.OPEN, hostMeminfo, body(8), Errno.EACCES);
        call(FuseProtocol.OPEN, uuid, body(8), Errno.EACCES);
        call(FuseProtocol.GETATTR, FuseProtocol.ROOT_ID, body(16), 0); // stat of the mount point: its 0700 is no secret
        caller = new Caller(5001, 200000, 200000); // another container's root
        call(FuseProtocol.OPEN, meminfo, body(8), Errno.EACCES);
        call(FuseProtocol.LOOKUP, FsTree.CONTAINERS_ID, name("c1"), Errno.EACCES);
        caller = new Caller(5002, 101000, 101000); // a user of c1 other than its root
        open(meminfo, 0);
        call(FuseProtocol.OPEN, uuid, body(8), Errno.EACCES);
        call(FuseProtocol.LOOKUP, lookupAsRoot("/containers/c1/proc"), name("meminfo"), 0);
        caller = new Caller(5003, 100000, 100000); // c1's root
        open(uuid, 0);
        caller = new Caller(5004, 0, 0); // host root
        open(uuid, 0);
        open(hostMeminfo, 0);
        assertEquals(4, backend.openedFor.size(), "refused opens never reach the backend");
        long previousDaemonsHandle = 7;
        caller = new Caller(5000, 65534, 65534);
        call(
                FuseProtocol.READ,
                meminfo,
                body(40).putLong(0, previousDaemonsHandle).putInt(16, 4096),
                Errno.EACCES);
    }

    private long lookupAsRoot(String path) {
        Caller was = caller;
        caller = new Caller(1, 0, 0);
        try {
            return lookup(path);
        } finally {
            caller = was;
        }
    }

    @Test
    void eachViewHasAtMostItsLimitOfOpenFiles() {
        fs = new FuseFileSystem(tree, backend, new FuseFileSystem.Limits(3, 1 << 20, 1 << 20));
        register("c1", 1, 100000, 100000);
        register("c2", 2, 200000, 200000);
        long c1 = lookup("/containers/c1/proc/uptime");
        caller = new Caller(5000, 100000, 100000);
        long first = open(c1, 0);
        open(c1, 0);
        open(c1, 0);
        call(FuseProtocol.OPEN, c1, body(8), Errno.ENFILE);
        caller = new Caller(5000, 0, 0);
        open(lookup("/containers/c2/proc/uptime"), 0); // another view's files count apart
        call(FuseProtocol.RELEASE, c1, body(24).putLong(0, first), 0);
        call(FuseProtocol.RELEASE, c1, body(24).putLong(0, first), 0); // released twice: counted once
        open(c1, 0);
        call(FuseProtocol.OPEN, c1, body(8), Errno.ENFILE);
        assertEquals(4, fs.openFiles());
    }

    @Test
    void renderedTextIsKeptWithinItsBoundsAndRenderedAgainPastThem() {
        fs = new FuseFileSystem(tree, backend, new FuseFileSystem.Limits(1024, 8, 10));
        backend.content = "0123456789".getBytes(StandardCharsets.UTF_8); // over the 8 bytes a file may keep
        long uptime = lookup("/proc/uptime");
        long big = open(uptime, 0);
        assertEquals("0123456789", read(big, 0, 4096));
        assertEquals("89", read(big, 8, 4096));
        assertEquals(2, backend.renders, "not kept: rendered again for the read further on");
        assertEquals(0, fs.keptBytes());
        backend.content = "abcdef".getBytes(StandardCharsets.UTF_8);
        long first = open(uptime, 0);
        long second = open(uptime, 0);
        read(first, 0, 4096);
        read(second, 0, 4096);
        assertEquals(6, fs.keptBytes(), "the second text would pass the 10 bytes kept in all");
        int renders = backend.renders;
        assertEquals("def", read(first, 3, 4096));
        assertEquals("def", read(second, 3, 4096));
        assertEquals(renders + 1, backend.renders, "the kept text serves its handle; the other renders again");
        call(FuseProtocol.RELEASE, uptime, body(24).putLong(0, first), 0);
        assertEquals(0, fs.keptBytes(), "a released handle keeps nothing");
    }

    @Test
    void anErrorWhileAnsweringIsAnsweredWithEioAndTheNextRequestIsServed() {
        long fh = open(lookup("/proc/uptime"), 0);
        backend.failure = new OutOfMemoryError("Java heap space (a test)");
        ByteBuffer args = body(40).putLong(0, fh).putInt(16, 4096).putInt(20, 2);
        ByteBuffer in = ByteBuffer.allocate(FuseProtocol.IN_HEADER_SIZE + 40).order(ByteOrder.LITTLE_ENDIAN);
        in.putInt(in.capacity())
                .putInt(FuseProtocol.READ)
                .putLong(77)
                .putLong(5)
                .putInt(0)
                .putInt(0)
                .putInt(1)
                .putShort((short) 0)
                .putShort((short) 0)
                .put(args.array());
        assertFalse(FuseSession.answer(fs, FuseRequest.parse(in, in.capacity()), out, notification));
        ByteBuffer reply = out.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(-Errno.EIO, reply.getInt(4));
        assertEquals(77, reply.getLong(8), "answered, so the caller does not wait forever");
        assertEquals("rendered 1\n", read(fh, 0, 4096), "and the next request is served");
    }

    @Test
    void parseRejectsATruncatedRequest() {
        ByteBuffer in = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 64);
        assertThrows(IllegalArgumentException.class, () -> FuseRequest.parse(in, 40));
        assertThrows(IllegalArgumentException.class, () -> FuseRequest.parse(in, 12));
    }

    @Test
    void replyDataNeverRunsPastTheContent() {
        FuseReply.data(out, 1, "abc".getBytes(StandardCharsets.UTF_8), 1, 100);
        assertEquals(FuseProtocol.OUT_HEADER_SIZE + 2, out.limit());
        byte[] payload = new byte[2];
        out.get(FuseProtocol.OUT_HEADER_SIZE, payload);
        assertArrayEquals("bc".getBytes(StandardCharsets.UTF_8), payload);
        FuseReply.data(out, 1, new byte[3], 7, 100);
        assertEquals(FuseProtocol.OUT_HEADER_SIZE, out.limit());
    }
}
