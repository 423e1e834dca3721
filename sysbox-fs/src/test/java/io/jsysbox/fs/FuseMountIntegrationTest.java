package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import io.jsysbox.procfs.ProductUuid;
import io.jsysbox.procfs.VirtualFileRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real thing: jsysbox-fs mounted in a temp dir, read and written by host processes and by processes in
 * their own user and pid namespaces (stand-ins for containers, whose root is host uid and gid 100000, 200000…).
 * Their processes reach their files as a container's do: at a bind mount of the file (see {@link #attached}), never
 * through the mount root, which is host root's alone. Needs root (as CI runs it); skipped otherwise.
 */
class FuseMountIntegrationTest {
    @TempDir
    Path temp;

    private Path mnt;
    private Path stateFile;
    private ContainerRegistry registry;
    private FuseSession session;
    private final List<Process> containers = new ArrayList<>();
    private final List<Path> attachments = new ArrayList<>();
    private int attachedBefore;

    @BeforeEach
    void mount() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        // The containers' roots are not host root: they must reach the mount.
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
        mnt = Files.createDirectory(temp.resolve("mnt"));
        stateFile = temp.resolve("fs-state.json");
        registry = new ContainerRegistry(stateFile);
        session = mountWith(registry);
    }

    private FuseSession mountWith(ContainerRegistry containers) throws IOException {
        return mountWith(new ContainerFiles(containers));
    }

    private FuseSession mountWith(FileBackend backend) throws IOException {
        FuseFileSystem fs = new FuseFileSystem(new FsTree(VirtualFileRegistry.standard(), 0), backend);
        return FuseSession.mount(mnt, FuseDevice.open(), fs, 2, true);
    }

    @AfterEach
    void unmount() {
        detachAttachments();
        for (Process container : containers) {
            container.descendants().forEach(ProcessHandle::destroyForcibly);
            container.destroyForcibly();
        }
        if (session != null) {
            session.close();
        }
    }

    private static String hostPanic() throws IOException {
        try (HostFiles files = HostFiles.hostProc()) {
            return files.read("/proc/sys/kernel/panic");
        }
    }

    /** Container {@code id}'s file {@code path} (relative, as "proc/meminfo"), where its bind mount's source is. */
    private Path file(String id, String path) {
        return mnt.resolve(FsTree.CONTAINERS).resolve(id).resolve(path);
    }

    /**
     * Container {@code id}'s file {@code path} where its processes reach it: the runtime clones the file of the view
     * and attaches it over the container's own; here, on a host path (the stand-ins share the host's mounts).
     */
    private Path attached(String id, String path) throws IOException {
        Path target = temp.resolve("attached").resolve(id + "-" + attachedBefore++ + "-" + path.replace('/', '-'));
        Files.createDirectories(target.getParent());
        Files.createFile(target);
        Linux.mount(file(id, path).toString(), target, null, Linux.MS_BIND, null);
        attachments.add(target);
        return target;
    }

    /** Detaches the attached files: they hold the connection open, as a container's do. */
    private void detachAttachments() {
        for (Path attachment : attachments) {
            try {
                Linux.umountDetach(attachment);
            } catch (LinuxException e) {
                throw new AssertionError(e);
            }
        }
        attachments.clear();
    }

    private static long ino(Path file) throws IOException {
        return (Long) Files.getAttribute(file, "unix:ino");
    }

    /**
     * Reads {@code file} with sendfile(2) to a pipe, through the inode's page cache: busybox cat does. (Java's
     * FileChannel.transferTo would not: it stats the file first, sees procfs's size 0 and falls back to read.)
     */
    private static String sendfile(Path file) throws IOException {
        Process cat = new ProcessBuilder("busybox", "cat", file.toString())
                .redirectErrorStream(true)
                .start();
        String content = new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            assertTrue(cat.waitFor(10, TimeUnit.SECONDS), "busybox cat timed out");
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
        return content;
    }

    @Test
    void theHostsViewServesTheHostsFilesReadOnly() throws IOException {
        assertEquals(hostPanic(), Files.readString(mnt.resolve("proc/sys/kernel/panic")));
        assertEquals(hostPanic(), sendfile(mnt.resolve("proc/sys/kernel/panic")));
        String memTotal = Files.readAllLines(Path.of("/proc/meminfo")).getFirst();
        assertEquals(memTotal, Files.readAllLines(mnt.resolve("proc/meminfo")).getFirst());
        assertTrue(Files.readString(mnt.resolve("proc/cpuinfo")).contains("processor\t: 0"));
        assertThrows(AccessDeniedException.class, () -> Files.writeString(mnt.resolve("proc/sys/kernel/panic"), "3\n"));
        assertEquals(0, Files.getAttribute(mnt.resolve("proc/meminfo"), "unix:uid"));
        assertEquals(List.of("containers", "proc", "sys"), list(mnt));
        assertEquals(
                List.of("cpuinfo", "diskstats", "loadavg", "meminfo", "stat", "swaps", "sys", "uptime"),
                list(mnt.resolve("proc")));
        assertEquals(List.of(), list(mnt.resolve(FsTree.CONTAINERS)));
        assertThrows(NoSuchFileException.class, () -> Files.readString(file("c1", "proc/uptime")));
    }

    private static List<String> list(Path dir) throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void eachContainerReadsItsOwnFilesThroughItsOwnInodesOwnedByItsRoot() throws Exception {
        long a = startContainer(100000);
        long b = startContainer(200000);
        registry.register("a", a, 0, false);
        registry.register("b", b, 0, false);
        assertEquals(List.of("a", "b"), list(mnt.resolve(FsTree.CONTAINERS)));
        String host = hostPanic();
        String aValue = Integer.parseInt(host.strip()) + 5 + "\n";
        String bValue = Integer.parseInt(host.strip()) + 6 + "\n";
        Path aPanic = file("a", "proc/sys/kernel/panic");
        Path bPanic = file("b", "proc/sys/kernel/panic");
        Path aInside = attached("a", "proc/sys/kernel/panic");
        Path bInside = attached("b", "proc/sys/kernel/panic");

        assertEquals(aValue, inContainer(a, "echo " + aValue.strip() + " > " + aInside + " && busybox cat " + aInside));
        assertEquals(bValue, inContainer(b, "echo " + bValue.strip() + " > " + bInside + " && busybox cat " + bInside));
        assertEquals(host, Files.readString(mnt.resolve("proc/sys/kernel/panic")), "the host's view keeps the host's");
        assertEquals(host, hostPanic());
        assertEquals(aValue, Files.readString(aPanic), "a view's content is its container's, whoever reads it");

        // sendfile reads through the inode's page cache: with one inode per view, it never holds another's text.
        CompletableFuture<Void> readsOfA = CompletableFuture.runAsync(() -> readRepeatedly(aPanic, aValue));
        CompletableFuture<Void> readsOfB = CompletableFuture.runAsync(() -> readRepeatedly(bPanic, bValue));
        readsOfA.get(60, TimeUnit.SECONDS);
        readsOfB.get(60, TimeUnit.SECONDS);

        long hostIno = ino(mnt.resolve("proc/sys/kernel/panic"));
        assertEquals(1L << FsTree.SLOT_SHIFT | hostIno, ino(aPanic), "slot 1");
        assertEquals(2L << FsTree.SLOT_SHIFT | hostIno, ino(bPanic), "slot 2");
        assertEquals(100000, Files.getAttribute(aPanic, "unix:uid"));
        assertEquals(100000, Files.getAttribute(aPanic, "unix:gid"));
        assertEquals(200000, Files.getAttribute(file("b", "proc/meminfo"), "unix:uid"));
        assertEquals("0:0\n", inContainer(a, "stat -c %u:%g " + aInside), "root:root inside, as in procfs");

        double uptime = Double.parseDouble(
                inContainer(a, "busybox cat " + attached("a", "proc/uptime")).split(" ")[0]);
        double hostUptime =
                Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
        assertTrue(uptime < 60 && uptime < hostUptime, "uptime since the container started: " + uptime);
        assertEquals(
                ProductUuid.forContainer("b") + "\n", sendfile(file("b", "sys/devices/virtual/dmi/id/product_uuid")));
    }

    private static void readRepeatedly(Path file, String expected) {
        try {
            for (int i = 0; i < 100; i++) {
                assertEquals(expected, sendfile(file), file + ", sendfile " + i);
                assertEquals(expected, Files.readString(file), file + ", read " + i);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void onlyTheContainersOwnRootWritesItsSysctls() throws Exception {
        long a = startContainer(100000);
        long b = startContainer(200000);
        registry.register("a", a, 0, false);
        registry.register("b", b, 0, false);
        Path aPanic = file("a", "proc/sys/kernel/panic");
        Path aInside = attached("a", "proc/sys/kernel/panic");
        String host = hostPanic();
        String mine = Integer.parseInt(host.strip()) + 7 + "\n";

        assertTrue(
                inContainer(a, "setpriv --reuid=1000 --regid=1000 --clear-groups sh -c 'echo 3 > " + aInside + "'")
                        .contains("Permission denied"),
                "a user of the container other than root");
        assertTrue(inContainer(b, "echo 3 > " + aInside).contains("Permission denied"), "another container's root");
        FileSystemException e = assertThrows(FileSystemException.class, () -> Files.writeString(aPanic, "3\n"));
        assertTrue(e.getMessage().endsWith("Operation not permitted"), "host root, from the host: " + e.getMessage());
        assertEquals(host, Files.readString(aPanic), "no write went through");
        assertEquals(
                mine,
                inContainer(
                        a,
                        "unshare --pid --fork sh -c 'echo " + mine.strip() + " > " + aInside + "' && cat " + aInside),
                "a process in a pid namespace nested in the container's counts as the container's");
        assertTrue(inContainer(a, "/bin/echo abc > " + aInside).contains("Invalid argument"));
        assertEquals(host, hostPanic());
    }

    @Test
    void writesAreValidatedLikeTheKernelAndAnUnregisteredContainersFilesAreGone() throws Exception {
        // The test's own pid namespace registered as a container: this JVM (host root) is then its process.
        registry.register("self", ProcessHandle.current().pid(), 0, false);
        Path panic = file("self", "proc/sys/kernel/panic");
        String host = hostPanic();
        IOException bad = assertThrows(IOException.class, () -> Files.writeString(panic, "abc\n"));
        assertEquals("Invalid argument", bad.getMessage());
        IOException range = assertThrows(
                IOException.class, () -> Files.writeString(file("self", "proc/sys/vm/overcommit_memory"), "3\n"));
        assertEquals("Invalid argument", range.getMessage());
        assertThrows(
                AccessDeniedException.class,
                () -> Files.writeString(file("self", "proc/sys/kernel/cap_last_cap"), "1\n"));
        String mine = String.valueOf(Integer.parseInt(host.strip()) + 17);
        Files.writeString(panic, mine + "\n");
        assertEquals(mine + "\n", Files.readString(panic));
        assertEquals(host, hostPanic(), "the host's kernel.panic is untouched");
        assertTrue(Files.readString(stateFile).contains("\"/proc/sys/kernel/panic\" : \"" + mine + "\\n\""));
        String uptime = Files.readString(file("self", "proc/uptime"));
        assertTrue(uptime.matches("\\d+\\.\\d\\d \\d+\\.\\d\\d\n"), uptime);

        try (FileChannel open = FileChannel.open(panic)) {
            assertTrue(registry.unregister("self"));
            IOException gone = assertThrows(IOException.class, () -> open.read(ByteBuffer.allocate(64), 0));
            assertEquals("No such file or directory", gone.getMessage(), "a file opened before: no data any more");
        }
        assertThrows(NoSuchFileException.class, () -> Files.readString(panic));
        assertEquals(host, Files.readString(mnt.resolve("proc/sys/kernel/panic")));
    }

    @Test
    void aRestartKeepsEachContainersSlotAndNewSlotsComeAfter() throws Exception {
        long a = startContainer(100000);
        long b = startContainer(200000);
        registry.register("a", a, 0, false);
        registry.register("b", b, 0, false);
        Path aPanic = file("a", "proc/sys/kernel/panic");
        Path bPanic = file("b", "proc/sys/kernel/panic");
        long hostIno = ino(mnt.resolve("proc/sys/kernel/panic"));
        String mine = Integer.parseInt(hostPanic().strip()) + 5 + "\n";
        Path aInside = attached("a", "proc/sys/kernel/panic");
        assertEquals(mine, inContainer(a, "echo " + mine.strip() + " > " + aInside + " && cat " + aInside));
        assertEquals(2L << FsTree.SLOT_SHIFT | hostIno, ino(bPanic));
        assertTrue(registry.unregister("b"));

        // Daemon restart: unmount, a new registry from the state file, mount again.
        detachAttachments();
        session.close();
        session = null;
        ContainerRegistry restored = new ContainerRegistry(stateFile);
        restored.restore();
        session = mountWith(restored);
        assertEquals(1L << FsTree.SLOT_SHIFT | hostIno, ino(aPanic), "the node ids the kernel knows it by");
        assertEquals(mine, inContainer(a, "busybox cat " + attached("a", "proc/sys/kernel/panic")));
        assertEquals(100000, Files.getAttribute(aPanic, "unix:uid"));
        assertThrows(NoSuchFileException.class, () -> ino(bPanic));
        restored.register("b", b, 0, false);
        assertEquals(
                3L << FsTree.SLOT_SHIFT | hostIno, ino(bPanic), "a new slot, after the ones given before the restart");

        // The container restarted (another init): its files are new ones; those of its previous init are gone.
        try (FileChannel previous = FileChannel.open(aPanic)) {
            restored.register("a", startContainer(300000), 0, false);
            assertEquals(4L << FsTree.SLOT_SHIFT | hostIno, ino(aPanic));
            assertEquals(300000, Files.getAttribute(aPanic, "unix:uid"));
            assertThrows(IOException.class, () -> previous.read(ByteBuffer.allocate(64), 0));
        }
        assertEquals(hostPanic(), Files.readString(aPanic), "a new container starts with the host's values");
    }

    @Test
    void hostUsersReachNothingAndAContainersUsersNotItsRootOnlyFiles() throws Exception {
        long a = startContainer(100000);
        registry.register("a", a, 0, false);
        Path meminfo = attached("a", "proc/meminfo");
        Path uuid = attached("a", "sys/devices/virtual/dmi/id/product_uuid");
        // A host user walks into the mount (the kernel refuses: 0700 root), or reaches a container's file some other
        // way, as this bind mount (we refuse: not a uid of the container's).
        for (String path : List.of(
                mnt.toString(),
                mnt.resolve(FsTree.CONTAINERS).toString(),
                mnt.resolve("proc/meminfo").toString(),
                file("a", "sys/devices/virtual/dmi/id/product_uuid").toString(),
                meminfo.toString(),
                uuid.toString())) {
            String out = onHost("setpriv --reuid=65534 --regid=65534 --clear-groups cat " + path);
            assertTrue(out.contains("Permission denied"), "host user nobody, cat " + path + ": " + out);
        }
        assertTrue(onHost("setpriv --reuid=65534 --regid=65534 --clear-groups ls " + mnt.resolve(FsTree.CONTAINERS))
                .contains("Permission denied"));
        assertEquals(
                ProductUuid.forContainer("a") + "\n", inContainer(a, "cat " + uuid), "root-only: its root reads it");
        String asUser = "setpriv --reuid=1000 --regid=1000 --clear-groups cat ";
        assertTrue(inContainer(a, asUser + uuid).contains("Permission denied"), "not its other users, as on a host");
        assertTrue(inContainer(a, asUser + meminfo).startsWith("MemTotal:"), "which read its other files");
    }

    @Test
    void aReaderSurvivesAnErrorThrownWhileAnswering() throws Exception {
        session.close();
        FileBackend files = new ContainerFiles(registry);
        session = mountWith(new FileBackend() {
            @Override
            public Owner owner(long slot) {
                return files.owner(slot);
            }

            @Override
            public Owner owner(String id) {
                return files.owner(id);
            }

            @Override
            public List<Owner> owners() {
                return files.owners();
            }

            @Override
            public OpenFile open(Owner owner, FsTree.Node node, Caller caller, boolean forWriting) throws FsError {
                OpenFile file = files.open(owner, node, caller, forWriting);
                return !node.path.equals("/proc/loadavg")
                        ? file
                        : new OpenFile() {
                            @Override
                            public byte[] render() {
                                throw new OutOfMemoryError("Java heap space (a test)");
                            }

                            @Override
                            public int write(byte[] data, long offset) throws FsError {
                                return file.write(data, offset);
                            }
                        };
            }
        });
        // More failures than readers (2): a reader that died of one would leave the next reads waiting forever.
        String uptime = CompletableFuture.supplyAsync(() -> {
                    try {
                        for (int i = 0; i < 5; i++) {
                            IOException e = assertThrows(
                                    IOException.class, () -> Files.readString(mnt.resolve("proc/loadavg")));
                            assertEquals("Input/output error", e.getMessage());
                        }
                        return Files.readString(mnt.resolve("proc/uptime"));
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                })
                .get(20, TimeUnit.SECONDS);
        assertEquals(Files.readString(Path.of("/proc/uptime")).split(" ").length, uptime.split(" ").length);
    }

    private static String onHost(String script) throws Exception {
        Process p =
                new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "sh timed out");
        return out;
    }

    /**
     * Starts a process in new user and pid namespaces, as a container's init whose root is host uid and gid
     * {@code root} (65536 ids from there); returns its host pid.
     */
    private long startContainer(int root) throws Exception {
        Process container = new ProcessBuilder("unshare", "--user", "--pid", "--fork", "sleep", "120")
                .redirectErrorStream(true)
                .start();
        containers.add(container);
        for (int i = 0; i < 100; i++) {
            Optional<ProcessHandle> child = container.children().findFirst();
            if (child.isPresent()
                    && Processes.pidNamespace(child.get().pid())
                            != Processes.pidNamespace(ProcessHandle.current().pid())) {
                long pid = child.get().pid();
                Files.writeString(Path.of("/proc/" + pid + "/uid_map"), "0 " + root + " 65536\n");
                Files.writeString(Path.of("/proc/" + pid + "/gid_map"), "0 " + root + " 65536\n");
                return pid;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("unshare did not start its child");
    }

    /**
     * Runs {@code script} with sh as root in the user and pid namespaces of {@code init} (host mounts: the mount dir is
     * visible).
     */
    private static String inContainer(long init, String script) throws Exception {
        Process p = new ProcessBuilder(
                        "nsenter", "--target", String.valueOf(init), "--user", "--pid", "--", "sh", "-c", script)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "nsenter timed out");
        return out;
    }
}
