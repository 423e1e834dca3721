package io.jsysbox.mgr;

import static io.jsysbox.mgr.RootOnly.uid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsysbox.linux.FsCredentials;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.MountInfo;
import io.jsysbox.linux.ProcCgroup;
import io.jsysbox.linux.ProcessIdentity;
import io.jsysbox.spec.HostRange;
import io.jsysbox.spec.Prepare;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The manager against a real overlay laid out like Docker's overlay2 ({@code <layer>/merged} over
 * {@code <layer>/diff} and a lower layer), on the host's disk (ext4 supports ID-mapped mounts).
 */
class ContainerManagerIntegrationTest {
    private static final long POOL_START = 1_500_000_000L;
    Path tmp;
    Path layer;
    Path merged;
    Path mountRoot;
    Path stateDir;
    final RecordingVirtualFiles virtualFiles = new RecordingVirtualFiles();

    @BeforeEach
    void overlay2Container() throws Exception {
        RootOnly.assumeRoot();
        tmp = Files.createTempDirectory(Path.of("/var/tmp"), "jsysbox-mgr-it");
        Path lower = Files.createDirectories(tmp.resolve("overlay2/lower1/diff"));
        Files.createDirectories(lower.resolve("etc"));
        Files.writeString(lower.resolve("etc/hostname"), "image\n");
        layer = Files.createDirectories(tmp.resolve("overlay2/c1"));
        Files.createDirectories(layer.resolve("diff"));
        Files.createDirectories(layer.resolve("work"));
        merged = Files.createDirectories(layer.resolve("merged"));
        Linux.mount(
                "overlay",
                merged,
                "overlay",
                0,
                "lowerdir=" + lower + ",upperdir=" + layer.resolve("diff") + ",workdir=" + layer.resolve("work"));
        mountRoot = tmp.resolve("run/mnt");
        stateDir = tmp.resolve("state");
    }

    /** Live processes standing in for containers' inits; killed after each test. */
    private final List<Process> fakeInits = new ArrayList<>();

    private Process fakeInit() throws IOException {
        Process init = new ProcessBuilder("sleep", "600").start();
        fakeInits.add(init);
        return init;
    }

    /**
     * A process named as runc's init is until {@code runc start}, which then runs the container's program (sleep) once
     * a line comes on its stdin ({@link #runcStart}). It has no child meanwhile: its cgroups empty when it is killed.
     */
    private Process fakeRuncInit() throws IOException {
        Path runcInit = tmp.resolve("runc:[2:INIT]");
        Files.copy(Path.of("/bin/sh"), runcInit);
        Process init = new ProcessBuilder(runcInit.toString(), "-c", "read -r line; exec sleep 600").start();
        fakeInits.add(init);
        return init;
    }

    private static void runcStart(Process fakeRuncInit) throws IOException {
        fakeRuncInit.getOutputStream().write('\n');
        fakeRuncInit.getOutputStream().flush();
    }

    /**
     * Moves {@code init} into a cgroup of its own in each hierarchy (removed after the test): a Started delegates its
     * init's cgroups to the container's root, and those of the test's own process must stay the host's.
     */
    private void ownCgroups(Process init) throws IOException {
        ProcCgroup cgroups = ProcCgroup.parse(Files.readString(Path.of("/proc", Long.toString(init.pid()), "cgroup")));
        MountInfo mounts = MountInfo.read();
        for (CgroupDelegation delegation : List.of(new CgroupV1Delegation(), new CgroupV2Delegation())) {
            for (Path parent : delegation.directories(cgroups, mounts)) {
                Path own = Files.createDirectory(parent.resolve("jsysbox-it-" + init.pid()));
                fakeCgroups.add(own);
                for (String cpuset : List.of("cpuset.cpus", "cpuset.mems")) { // v1: empty in a new cgroup
                    if (Files.exists(own.resolve(cpuset))) {
                        Files.writeString(own.resolve(cpuset), Files.readString(parent.resolve(cpuset)));
                    }
                }
                Files.writeString(own.resolve("cgroup.procs"), Long.toString(init.pid()));
            }
        }
    }

    private final List<Path> fakeCgroups = new ArrayList<>();

    /** Something to undo after a test that may fail for a while (the kernel still tearing a killed process down). */
    private interface Undo {
        void run() throws IOException;
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Process init : fakeInits) {
            init.destroyForcibly().waitFor();
        }
        try {
            if (tmp != null) {
                // A test's managers release the fake inits it killed from their exit-watcher threads, writing state
                // meanwhile.
                retry(() -> {
                    Mounts.unmountAllUnder(tmp);
                    NoFollowTree.delete(tmp.getParent(), tmp.getFileName().toString());
                });
            }
        } finally {
            retry(() -> {
                for (Path cgroup : fakeCgroups) {
                    Files.deleteIfExists(cgroup);
                }
            });
        }
    }

    private static void retry(Undo undo) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                undo.run();
                return;
            } catch (IOException e) {
                if (attempt == 50) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private ContainerManager manager() throws Exception {
        var allocator =
                new IdRangeAllocator(new HostRange(POOL_START, 4 * 65_536), new HostRange(POOL_START, 4 * 65_536));
        ContainerManager manager = new ContainerManager(
                allocator, new StateStore(stateDir.resolve("state.json")), stateDir, mountRoot, virtualFiles, "test");
        manager.start();
        return manager;
    }

    private Prepare.Request request(String id) throws Exception {
        Path volume = Files.createDirectories(tmp.resolve("volume"));
        Files.writeString(volume.resolve("owned-by-1000"), "v");
        Files.setAttribute(volume.resolve("owned-by-1000"), "unix:uid", 1000);
        return new PrepareRequestBuilder()
                .id(id)
                .bundle(tmp.toString())
                .rootfs(merged.toString())
                .specialMount("/var/lib/docker")
                .bindMount(5, volume.toString(), "/data")
                .bindMount(6, "/proc", "/hostproc")
                .build();
    }

    @Test
    void prepareShiftsRootfsAndBindsAndReleaseUndoesIt() throws Exception {
        ContainerManager manager = manager();
        Prepare.Result prepared = manager.prepare(request("c1"));
        long root = prepared.uids().start();
        assertEquals("idmapped-overlay", prepared.rootfsShift());
        Path view = Path.of(prepared.rootfsPath());
        assertEquals(root, uid(view.resolve("etc/hostname")));
        // Written by the container's root: lands on disk as uid 0 in the upper layer, like Docker's own writes.
        FsCredentials.withFsIds((int) root, (int) root, () -> Files.writeString(view.resolve("etc/hostname"), "c1\n"));
        assertEquals(0, uid(layer.resolve("diff/etc/hostname")));
        // The engine's own overlay (Docker's merged dir: docker cp) still creates files: its work dir is left alone.
        Files.writeString(merged.resolve("etc/copied-in"), "cp\n");
        assertEquals(
                "cp\n",
                Files.readString(view.resolve("etc/copied-in")),
                "a new name written by the engine shows in the view");

        Path special = Path.of(prepared.specialMounts().get(0).source());
        assertEquals(layer.resolve("jsysbox/var-lib-docker"), special);
        assertEquals(root, uid(special));

        assertEquals(1, prepared.replacements().size(), "/proc cannot be ID-mapped: no replacement");
        assertEquals(5, prepared.replacements().get(0).index());
        assertEquals(
                root + 1000,
                uid(Path.of(prepared.replacements().get(0).source()).resolve("owned-by-1000")));
        assertEquals(1000, uid(tmp.resolve("volume/owned-by-1000")), "a bind source is never chowned");

        for (var node : prepared.deviceNodes()) {
            Path source = Path.of(node.source());
            assertEquals(root, uid(source), node.destination() + " belongs to the container's root");
            assertEquals(
                    "rw-rw-rw-",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(source, LinkOption.NOFOLLOW_LINKS)));
        }
        assertEquals(
                Files.exists(Path.of("/dev/net/tun")) ? 1 : 0,
                prepared.deviceNodes().stream()
                        .filter(n -> n.destination().equals("/dev/net/tun"))
                        .count());
        Path devices = Path.of(
                        prepared.deviceNodes().size() == 0
                                ? "/nonexistent"
                                : prepared.deviceNodes().get(0).source())
                .getParent();

        // Host users reach nothing: each container's dirs let its root pass (group: its root gid), the dirs above
        // them let all pass without listing, the rest is host root's.
        int gid = (int) prepared.gids().start();
        assertOwned("rwx--x---", gid, view.getParent());
        assertOwned("rwx--x---", gid, special.getParent());
        if (prepared.deviceNodes().size() > 0) {
            assertOwned("rwx--x---", gid, devices);
        }
        assertOwned("rwx--x--x", 0, mountRoot);
        assertOwned("rwx--x--x", 0, mountRoot.getParent());
        assertOwned("rwx--x--x", 0, mountRoot.resolveSibling("dev"));
        assertOwned("rwx------", 0, mountRoot.resolveSibling("sync"));
        assertOwned("rwx--x--x", 0, stateDir);
        assertOwned("rwx--x--x", 0, stateDir.resolve("containers"));
        assertOwned("rwx------", 0, stateDir.resolve("inner-images"));
        assertOwned("rw-------", 0, stateDir.resolve("state.json"));

        assertTrue(manager.release("c1"));
        assertFalse(manager.release("c1"));
        assertFalse(Files.exists(devices), "the device nodes go with the container");
        assertEquals(List.of("c1"), virtualFiles.detached, "released: jsysbox-fs forgets it (once)");
        assertEquals(List.of(), MountInfo.read().mountPointsUnder(mountRoot.resolve("0")));
        assertFalse(Files.exists(mountRoot.resolve("0")));
        assertTrue(Files.isDirectory(special), "special dirs in the layer survive until docker rm");
        assertEquals(
                "overlay", MountInfo.read().topmostAt(merged).orElseThrow().fsType(), "Docker's mount is untouched");
        assertEquals(0, manager.status().containers().size());
    }

    private static void assertOwned(String mode, int gid, Path path) throws Exception {
        assertEquals(
                mode,
                PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS)),
                path.toString());
        assertEquals(0, Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS), path + " belongs to root");
        assertEquals(gid, Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS), path + "'s group");
    }

    @Test
    void anOlderInstallsOpenDirsAndStateAreClosedAtStart() throws Exception {
        Prepare.Result prepared = manager().prepare(plain("c1"));
        Path slotDir = Path.of(prepared.rootfsPath()).getParent();
        var open = PosixFilePermissions.fromString("rwxr-xr-x");
        for (Path dir : List.of(slotDir, mountRoot, stateDir, mountRoot.resolveSibling("sync"))) {
            Files.setAttribute(dir, "unix:gid", 0);
            Files.setPosixFilePermissions(dir, open);
        }
        Files.setPosixFilePermissions(stateDir.resolve("state.json"), PosixFilePermissions.fromString("rw-r--r--"));
        manager();
        assertOwned("rwx--x---", (int) prepared.gids().start(), slotDir);
        assertOwned("rwx--x--x", 0, mountRoot);
        assertOwned("rwx--x--x", 0, stateDir);
        assertOwned("rwx------", 0, mountRoot.resolveSibling("sync"));
        assertOwned("rw-------", 0, stateDir.resolve("state.json"));
    }

    @Test
    void restartedManagerKeepsAllocationsAndMounts() throws Exception {
        Prepare.Result prepared = manager().prepare(request("c1"));
        ContainerManager restarted = manager();
        assertEquals(1, restarted.status().containers().size());
        assertTrue(
                Files.exists(Path.of(prepared.rootfsPath()).resolve("etc/hostname")),
                "mounts survive a manager restart");
        assertEquals(prepared.uids(), restarted.prepare(request("c1")).uids(), "prepared again: same range");
        restarted.release("c1");
    }

    @Test
    void containerRestartedInAnotherRangeGetsItsSpecialDirReowned() throws Exception {
        ContainerManager manager = manager();
        long first = manager.prepare(request("c1")).uids().start();
        Path special = layer.resolve("jsysbox/var-lib-docker");
        Files.writeString(special.resolve("inner"), "i");
        Files.setAttribute(special.resolve("inner"), "unix:uid", (int) first + 7);
        Files.createSymbolicLink(special.resolve("escape"), tmp.resolve("volume"));
        manager.release("c1");
        for (int i = 0; i < 4; i++) {
            manager.prepare(plain("other" + i)); // round robin wraps onto c1's old range
        }
        manager.release("other0");
        long second = manager.prepare(request("c1")).uids().start();
        assertTrue(first != second);
        assertEquals(second, uid(special));
        assertEquals(second + 7, uid(special.resolve("inner")));
        assertEquals(0, uid(tmp.resolve("volume")), "symlink targets are not re-owned");
        manager.release("c1");
        for (int i = 1; i < 4; i++) {
            manager.release("other" + i);
        }
    }

    private Prepare.Request plain(String id) throws Exception {
        Path rootfs = Files.createDirectories(tmp.resolve("plain-" + id));
        return new PrepareRequestBuilder().id(id).rootfs(rootfs.toString()).build();
    }

    @Test
    void goneContainersAreReleasedOnStart() throws Exception {
        manager().prepare(plain("gone"));
        Files.delete(tmp.resolve("plain-gone"));
        assertEquals(0, manager().status().containers().size());
    }

    @Test
    void aRemovedContainerIsForgottenEntirely() throws Exception {
        ContainerManager manager = manager();
        int slot = (int) ((manager.prepare(plain("c-removed")).uids().start() - POOL_START) / 65_536);
        manager.release("c-removed");
        assertTrue(
                Files.readString(stateDir.resolve("state.json")).contains("c-removed"),
                "a stopped container's slot is remembered");
        manager.forgetRemoved();
        assertTrue(
                Files.readString(stateDir.resolve("state.json")).contains("c-removed"), "kept while its rootfs exists");
        Files.delete(tmp.resolve("plain-c-removed"));
        manager.forgetRemoved();
        String state = Files.readString(stateDir.resolve("state.json"));
        assertFalse(state.contains("c-removed"), "forgotten once its rootfs is gone: " + state);
        assertTrue(slot >= 0);
    }

    @Test
    void aReusedInitPidDoesNotKeepAContainerAlive() throws Exception {
        Files.createDirectories(tmp.resolve("plain-reused"));
        long livePid = ProcessHandle.current().pid();
        var state = new ContainerState(
                "reused",
                0,
                tmp.resolve("plain-reused").toString(),
                RootfsShifter.IDMAPPED_BIND,
                "",
                livePid,
                1L /* not when this pid started */,
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                "");
        new StateStore(stateDir.resolve("state.json"))
                .save(new ManagerState(ManagerState.CURRENT_VERSION, List.of(state), Map.of(), 1, Map.of()));
        ContainerManager manager = manager();
        // Released by its exit report, on a thread of its own after the start (after copying out what it owes).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (manager.status().containers().size() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, manager.status().containers().size(), "a pid that started later is another process: released");
    }

    @Test
    void badRequestsLeaveNothingBehind() throws Exception {
        ContainerManager manager = manager();
        var e = assertThrows(
                ManagerException.class,
                () -> manager.prepare(new PrepareRequestBuilder()
                        .id("../x")
                        .rootfs(merged.toString())
                        .build()));
        assertEquals(ManagerException.Kind.BAD_REQUEST, e.kind());
        e = assertThrows(
                ManagerException.class,
                () -> manager.prepare(new PrepareRequestBuilder()
                        .id("c1")
                        .rootfs(merged.toString())
                        .specialMount("/etc")
                        .build()));
        assertEquals(ManagerException.Kind.BAD_REQUEST, e.kind());
        var outsideDev = PrepareRequestBuilder.from(plain("c1"))
                .device("/mykvm", 10, 232, 0666)
                .build();
        e = assertThrows(ManagerException.class, () -> manager.prepare(outsideDev));
        assertEquals(ManagerException.Kind.BAD_REQUEST, e.kind());
        assertTrue(e.getMessage().startsWith("device /mykvm (c 10:232): "), e.getMessage());
        assertEquals(4, manager.status().freeRanges());
        for (Path dir : List.of(mountRoot, mountRoot.resolveSibling("dev"))) {
            try (var dirs = Files.list(dir)) {
                assertEquals(0, dirs.count(), dir.toString());
            }
        }
    }

    @Test
    void requestedDevicesAndDeviceBindSourcesGetNodesThatGoWithTheContainer() throws Exception {
        ContainerManager manager = manager();
        Prepare.Result prepared = manager.prepare(PrepareRequestBuilder.from(plain("c1"))
                .device("/dev/mykvm", 10, 232, 0600)
                .bindMount(3, "/dev/null", "/dev/null2")
                .bindMount(4, "/proc", "/hostproc")
                .build());
        var kvm = prepared.deviceNodes().stream()
                .filter(node -> node.destination().equals("/dev/mykvm"))
                .toList();
        assertEquals(1, kvm.size(), prepared.deviceNodes().toString());
        assertTrue(kvm.getFirst().requested());
        Path dir = Path.of(kvm.getFirst().source()).getParent();
        assertEquals(prepared.uids().start(), uid(Path.of(kvm.getFirst().source())));
        assertEquals(1, prepared.replacements().size(), "only the device node: /proc stays unmapped");
        assertEquals(3, prepared.replacements().get(0).index());
        assertEquals(
                dir,
                Path.of(prepared.replacements().get(0).source()).getParent(),
                "the /dev/null copy is in the same dir");
        assertTrue(manager.release("c1"));
        assertFalse(Files.exists(dir), "the device nodes go with the container");
    }

    @Test
    void withoutJsysboxFsNothingIsPrepared() throws Exception {
        ContainerManager manager = manager();
        virtualFiles.available = false;
        var e = assertThrows(ManagerException.class, () -> manager.prepare(request("c1")));
        assertEquals(ManagerException.Kind.NOT_POSSIBLE, e.kind());
        assertEquals(4, manager.status().freeRanges());
        assertEquals(0, manager.status().containers().size());
        try (var dirs = Files.list(mountRoot)) {
            assertEquals(0, dirs.count());
        }
    }

    /** A running pod sandbox as a restarted manager finds it in its state: a live process (sleep) as its init. */
    private ContainerManager managerWithSandbox(Process init) throws Exception {
        return managerWithRunning(Map.of("sandbox", init));
    }

    /**
     * Running containers (slots 2, 3…) as a restarted manager finds them in its state, each a live process as its init.
     */
    private ContainerManager managerWithRunning(Map<String, Process> inits) throws Exception {
        List<ContainerState> running = new ArrayList<>();
        for (var init : new TreeMap<>(inits).entrySet()) {
            Path rootfs = Files.createDirectories(tmp.resolve("plain-" + init.getKey()));
            long started = ProcessIdentity.startTicks(init.getValue().pid());
            running.add(new ContainerState(
                    init.getKey(),
                    2 + running.size(),
                    rootfs.toString(),
                    "none",
                    "",
                    init.getValue().pid(),
                    started,
                    List.of(),
                    List.of(),
                    List.of(),
                    List.of(),
                    ""));
        }
        new StateStore(stateDir.resolve("state.json"))
                .save(new ManagerState(ManagerState.CURRENT_VERSION, running, Map.of(), 0, Map.of()));
        return manager();
    }

    @Test
    void joiningNamespacesOfTwoJsysboxContainersIsRefused() throws Exception {
        Process first = fakeInit();
        Process second = fakeInit();
        // Both fake inits run in the host's user namespace, which owns the host's network namespace.
        ContainerManager manager = managerWithRunning(Map.of("first", first, "second", second));
        var e = assertThrows(
                ManagerException.class,
                () -> manager.prepare(PrepareRequestBuilder.from(plain("ambiguous"))
                        .joinedNamespace("/proc/self/ns/net")
                        .build()));
        assertEquals(ManagerException.Kind.BAD_REQUEST, e.kind());
        assertTrue(e.getMessage().contains("several jsysbox containers (first, second)"), e.getMessage());
        assertEquals(2, manager.status().containers().size(), "nothing prepared for the refused one");
    }

    @Test
    void aPodsContainersShareTheSandboxsRangeAndUserNamespace() throws Exception {
        Process init = fakeInit();
        ContainerManager manager = managerWithSandbox(init);
        Prepare.Result main = manager.prepare(PrepareRequestBuilder.from(plain("main"))
                .podSandboxId("sandbox")
                .build());
        assertEquals(POOL_START + 2 * 65_536, main.uids().start(), "the sandbox's range");
        assertEquals(init.pid(), main.userNamespacePid());
        Prepare.Result sidecar = manager.prepare(PrepareRequestBuilder.from(plain("sidecar"))
                .podSandboxId("sandbox")
                .build());
        assertEquals(main.uids(), sidecar.uids());
        assertEquals(3, manager.status().freeRanges(), "one range for the whole pod");
        assertTrue(
                Files.isDirectory(mountRoot.resolve("2-main")) && Files.isDirectory(mountRoot.resolve("2-sidecar")),
                "each container of the pod has dirs of its own");
        int podGid = (int) main.gids().start();
        assertOwned("rwx--x---", podGid, mountRoot.resolve("2-main"));
        assertOwned(
                "rwx--x---", podGid, mountRoot.resolve("2-sidecar")); // one user namespace: the same root gid passes

        ContainerManager restarted = manager();
        assertEquals(3, restarted.status().containers().size(), "a restarted manager keeps the pod");
        restarted.release("sandbox");
        restarted.release("main");
        assertEquals(3, restarted.status().freeRanges(), "the range is the pod's while one of its containers lives");
        assertTrue(Files.isDirectory(mountRoot.resolve("2-sidecar")));
        assertFalse(Files.exists(mountRoot.resolve("2-main")));
        long other = restarted.prepare(plain("other")).uids().start();
        assertTrue(other != main.uids().start(), "a pod's range is not handed to another container");
        restarted.release("sidecar");
        restarted.release("other");
        assertEquals(4, restarted.status().freeRanges());
    }

    @Test
    void aPodContainerOfAnUnknownOrStoppedSandboxIsRefusedAndLeavesNothing() throws Exception {
        Process init = fakeInit();
        ContainerManager manager = managerWithSandbox(init);
        var e = assertThrows(
                ManagerException.class,
                () -> manager.prepare(PrepareRequestBuilder.from(plain("stray"))
                        .podSandboxId("not-jsysbox")
                        .build()));
        assertEquals(ManagerException.Kind.NOT_POSSIBLE, e.kind());
        assertTrue(e.getMessage().contains("runtimeClassName: jsysbox"), e.getMessage());
        init.destroyForcibly().waitFor();
        e = assertThrows(
                ManagerException.class,
                () -> manager.prepare(PrepareRequestBuilder.from(plain("late"))
                        .podSandboxId("sandbox")
                        .build()));
        assertTrue(e.getMessage().contains("not running"), e.getMessage());
        assertTrue(
                manager.status().containers().stream().noneMatch(c -> c.id().equals("stray") || c.id().equals("late")));
        try (var dirs = Files.list(mountRoot)) {
            assertEquals(List.of(), dirs.toList());
        }
    }

    @Test
    void aContainerJoiningAJsysboxContainersNamespacesSharesItsRange() throws Exception {
        Process init = fakeInit();
        ContainerManager manager = managerWithSandbox(init);
        // The fake sandbox's init runs in the host's user namespace, which owns the host's network namespace.
        Prepare.Result joined = manager.prepare(PrepareRequestBuilder.from(plain("joined"))
                .joinedNamespace("/proc/self/ns/net")
                .build());
        assertEquals(POOL_START + 2 * 65_536, joined.uids().start());
        assertEquals(init.pid(), joined.userNamespacePid());
        Prepare.Result elsewhere = manager.prepare(PrepareRequestBuilder.from(plain("elsewhere"))
                .joinedNamespace("/nonexistent/ns/net")
                .build());
        assertEquals(
                0, elsewhere.userNamespacePid(), "a namespace no jsysbox container owns: a user namespace of its own");
        manager.release("joined");
        manager.release("elsewhere");
    }

    /**
     * A start's work (here an attach jsysbox-fs is slow to answer, then refuses) holds up only its own container: other
     * containers are prepared meanwhile, and a release of the starting one waits for the start to end.
     */
    @Test
    void aContainersStartHoldsUpOnlyItsOwnId() throws Exception {
        CountDownLatch attaching = new CountDownLatch(1);
        CountDownLatch refuse = new CountDownLatch(1);
        virtualFiles.onAttach = () -> {
            attaching.countDown();
            refuse.await();
            throw new ManagerException(ManagerException.Kind.NOT_POSSIBLE, "jsysbox-fs refused (test)");
        };
        ContainerManager manager = manager();
        manager.prepare(plain("slow"));
        long init = fakeInit().pid();
        // Threads of its own: the common pool may have one thread on a 2-core host, which the start keeps.
        ExecutorService threads = Executors.newCachedThreadPool();
        try {
            CompletableFuture<List<String>> start = CompletableFuture.supplyAsync(
                    () -> {
                        try {
                            return manager.started("slow", init, "", "", false, false);
                        } catch (ManagerException e) {
                            throw new CompletionException(e);
                        }
                    },
                    threads);
            assertTrue(attaching.await(10, TimeUnit.SECONDS), "the start attaches");

            Prepare.Request other = plain("other");
            CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    return manager.prepare(other);
                                } catch (ManagerException e) {
                                    throw new CompletionException(e);
                                }
                            },
                            threads)
                    .get(10, TimeUnit.SECONDS); // a global lock held by the start would time this out
            assertEquals(2, manager.status().containers().size());
            CompletableFuture<Boolean> release = CompletableFuture.supplyAsync(() -> manager.release("slow"), threads);
            Thread.sleep(300);
            assertFalse(release.isDone(), "a release of the starting container waits for its start");

            refuse.countDown();
            ExecutionException failed = assertThrows(ExecutionException.class, () -> start.get(10, TimeUnit.SECONDS));
            assertTrue(
                    failed.getCause().getMessage().contains("refused (test)"),
                    failed.getCause().toString());
            assertTrue(release.get(10, TimeUnit.SECONDS), "then released");
            assertEquals(1, manager.status().containers().size());
        } finally {
            refuse.countDown();
            threads.shutdown();
        }
    }

    /**
     * A pod sandbox's Started answers before its virtual files are mounted; they are mounted once its init runs its
     * own program (runc's init reads /proc up to that exec), and the containers of its pod wait for them.
     */
    @Test
    void aPodSandboxsVirtualFilesAreMountedOnceItRunsAndBeforeItsContainers() throws Exception {
        CountDownLatch attaching = new CountDownLatch(1);
        CountDownLatch attach = new CountDownLatch(1);
        virtualFiles.onAttach = () -> {
            attaching.countDown();
            attach.await();
        };
        ContainerManager manager = manager();
        manager.prepare(plain("sandbox"));
        Process init = fakeRuncInit();
        ownCgroups(init);
        ExecutorService threads = Executors.newCachedThreadPool();
        try {
            threads.submit(() -> manager.started("sandbox", init.pid(), "", "", true, true))
                    .get(10, TimeUnit.SECONDS); // answers before the virtual files are mounted
            assertFalse(attaching.await(300, TimeUnit.MILLISECONDS), "not while runc's init may read /proc");
            runcStart(init);
            assertTrue(attaching.await(10, TimeUnit.SECONDS), "mounted once the sandbox runs its program");
            Future<Prepare.Result> container =
                    threads.submit(() -> manager.prepare(PrepareRequestBuilder.from(plain("main"))
                            .podSandboxId("sandbox")
                            .build()));
            Thread.sleep(300);
            assertFalse(container.isDone(), "the pod's container waits for the sandbox's virtual files");
            attach.countDown();
            assertEquals(init.pid(), container.get(10, TimeUnit.SECONDS).userNamespacePid());
            manager.release("main");
            manager.release("sandbox");
            assertEquals(List.of("main", "sandbox"), virtualFiles.detached);
        } finally {
            attach.countDown();
            threads.shutdown();
        }
    }

    /** A sandbox whose virtual files could not be mounted gets no container: the pod is refused, nothing is left. */
    @Test
    void aPodWhoseSandboxGotNoVirtualFilesIsRefused() throws Exception {
        virtualFiles.onAttach = () -> {
            throw new ManagerException(ManagerException.Kind.NOT_POSSIBLE, "jsysbox-fs refused (test)");
        };
        ContainerManager manager = manager();
        manager.prepare(plain("sandbox"));
        Process init = fakeInit();
        ownCgroups(init);
        manager.started("sandbox", init.pid(), "", "", true, true);
        var e = assertThrows(
                ManagerException.class,
                () -> manager.prepare(PrepareRequestBuilder.from(plain("main"))
                        .podSandboxId("sandbox")
                        .build()));
        assertEquals(ManagerException.Kind.NOT_POSSIBLE, e.kind());
        assertTrue(
                e.getMessage().contains("refused (test)") && e.getMessage().contains("remove the pod"), e.getMessage());
        assertTrue(manager.status().containers().stream().noneMatch(c -> c.id().equals("main")));
        assertTrue(manager.release("sandbox"));
    }
}
