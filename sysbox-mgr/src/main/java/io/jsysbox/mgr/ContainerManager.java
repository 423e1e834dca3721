package io.jsysbox.mgr;

import io.jsysbox.api.RuntimeDirs;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import io.jsysbox.linux.MountCalls;
import io.jsysbox.linux.MountInfo;
import io.jsysbox.linux.ProcCgroup;
import io.jsysbox.linux.ProcessIdentity;
import io.jsysbox.spec.HostRange;
import io.jsysbox.spec.Prepare;
import io.jsysbox.spec.RequestedDevices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The manager's core: allocations, what was made for each container, and undoing it. One lock (this object's
 * monitor) guards the shared tables: allocations, the containers' records and the state file, kept consistent with
 * what is mounted; it is held for reading and writing them, not for a container's work. That work is per container:
 * a prepare (its special dirs filled from the image, the inner image cache: sizes the tenant's or the image's choice),
 * a start (virtual files, cgroup delegation, the pod network), a copy-out (a stopped or paused container's special
 * dirs into its layer), a release (unmounts, removals). While it runs the container's id is marked {@link #busy}: other
 * requests for that id wait for it, other containers' requests go on.
 */
public final class ContainerManager {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerManager.class);
    private static final Pattern CONTAINER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    /**
     * How long the copy-out at a container's exit may take. Docker waits for the container's delete (which waits for
     * the copy-out, see {@link #markSyncOwed}) about 30 s, then gives up and leaves the task's shim on the host; the
     * copy's leftovers must be removed and the container released before that. Past it, the content stays in the
     * special dir (kept with the layer, used again at the next start) and a docker commit misses it, as the log says.
     */
    static final Duration COPY_OUT_AT_EXIT = Duration.ofSeconds(15);

    private final IdRangeAllocator allocator;
    private final StateStore store;
    private final Path stateDir;
    private final Path mountRoot;
    private final SpecialMounts specialMounts;
    private final DeviceNodes deviceNodes;
    private final IdMappedMounts idmapped = new IdMappedMounts(MountCalls.HOST);
    private final RootfsShifter rootfsShifter = new RootfsShifter(idmapped);
    private final BindMountMapper bindMountMapper = new BindMountMapper(idmapped);
    private final InnerImages innerImages;
    private final PodNetwork podNetwork = new PodNetwork();
    /**
     * Per running container with special dirs kept in its layer: "copy-out owed at exit" markers (see {@link
     * #markSyncOwed}).
     */
    private final Path syncMarkers;

    private final List<CgroupDelegation> cgroupDelegations =
            List.of(new CgroupV1Delegation(), new CgroupV2Delegation());
    private final Map<String, ContainerState> containers = new LinkedHashMap<>();
    private final InitExitWatcher exitWatcher = new InitExitWatcher(this::initExited);
    /** Makes the user namespace of the range the next container gets ({@link #warmNextRange}). */
    private final ExecutorService rangeWarmer = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("range-warmer").factory());
    /**
     * Runs a Started's work beside its own thread: a container's virtual files while the Started delegates its cgroups,
     * and a pod sandbox's setup (network, virtual files), which outlives its Started.
     */
    private final ExecutorService startWork = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("start-work-", 0).factory());
    /**
     * Pod sandboxes' setup left running by their Started (the network move, the virtual files), by sandbox id, from
     * their Started to their release: running, done or failed. The pod's containers wait for theirs ({@link
     * #awaitSandboxSetup}); a sandbox's release waits for its own.
     */
    private final Map<String, List<Future<Void>>> sandboxSetups = new ConcurrentHashMap<>();
    /** The name (comm) runc's init process has from {@code runc create} to its exec of the container's program. */
    private static final String RUNC_INIT_NAME = "runc:[2:INIT]";
    /** How long a sandbox's virtual files wait for its start ({@link #awaitExec}). */
    private static final Duration SANDBOX_START_PATIENCE = Duration.ofSeconds(30);

    private final Discards discards = new Discards();
    /** Stopped containers whose previous slot is remembered, by id: their rootfs (gone = container removed). */
    private final Map<String, String> stoppedRootfs = new LinkedHashMap<>();
    /** Ids whose prepare or copy-out runs now (outside the lock); guarded by this, waited for with {@link #wait()}. */
    private final Set<String> busy = new HashSet<>();

    private final VirtualFiles virtualFiles;
    private final String version;

    ContainerManager(
            IdRangeAllocator allocator,
            StateStore store,
            Path stateDir,
            Path mountRoot,
            VirtualFiles virtualFiles,
            String version) {
        this.allocator = allocator;
        this.virtualFiles = virtualFiles;
        this.store = store;
        this.stateDir = stateDir;
        this.mountRoot = mountRoot;
        this.specialMounts = new SpecialMounts(stateDir);
        this.deviceNodes = new DeviceNodes(mountRoot.resolveSibling("dev"));
        this.innerImages = new InnerImages(new InnerImageCache(stateDir.resolve("inner-images")), idmapped);
        this.syncMarkers = mountRoot.resolveSibling("sync");
        this.version = version;
    }

    /**
     * Loads the persisted state without touching any mount of a live container, releases containers that are
     * gone (rootfs removed and init dead), and clears slot dirs no container owns (a crash mid-Prepare).
     */
    public synchronized void start() throws IOException {
        // Every container's root passes the state dir to its special dirs (containers/<id>), as the mount root.
        RuntimeDirs.ensure(stateDir, RuntimeDirs.PASSED_BY_CONTAINERS);
        RuntimeDirs.restrictFile(store.file());
        prepareMountRoot();
        deviceNodes.prepare();
        specialMounts.prepare();
        discards.resume(stateDir.resolve("containers"));
        discards.resume(mountRoot.resolveSibling("dev"));
        innerImages.cache().start();
        ManagerState state = store.load();
        // Slot holders first, then the pods' containers sharing their slots.
        for (ContainerState c : state.containers()) {
            if (c.sharesRangeOf().isEmpty()) {
                allocator.restore(c.id(), c.slot(), false);
            }
        }
        for (ContainerState c : state.containers()) {
            if (!c.sharesRangeOf().isEmpty()) {
                allocator.restore(c.id(), c.slot(), true);
            }
            containers.put(c.id(), c);
        }
        allocator.restorePrevious(state.previousSlots(), state.nextSlot());
        stoppedRootfs.putAll(state.stoppedRootfs());
        forgetRemoved();
        LOG.info("loaded {} container(s) from {}", containers.size(), store.file());
        reconcile();
        warmNextRange();
        for (ContainerState c : containers.values()) {
            reownContainerDirs(c);
        }
        // Markers name containers; only host root's jsysbox-runc delete reads them.
        RuntimeDirs.ensure(syncMarkers, RuntimeDirs.HOST_ROOT_ONLY);
        try (var markers = Files.newDirectoryStream(syncMarkers)) {
            for (Path marker : markers) {
                Files.delete(marker);
            }
        }
        for (ContainerState c : containers.values()) {
            if (c.pid() <= 0) {
                continue;
            }
            markSyncOwed(c);
            if (initAlive(c)) {
                exitWatcher.watch(c.id(), c.pid());
            } else {
                exitWatcher.exited(c.id(), c.pid()); // its pid may be another process's now: no watching it
            }
        }
        collectGarbage();
        Set<String> owned = new HashSet<>();
        for (ContainerState c : containers.values()) {
            owned.add(c.dirName());
        }
        try (var dirs = Files.newDirectoryStream(mountRoot)) {
            for (Path dir : dirs) {
                if (owned.contains(dir.getFileName().toString())) {
                    continue;
                }
                LOG.warn("removing orphaned mount dir {}", dir);
                removeSlotDir(dir);
            }
        }
    }

    /**
     * Releases every container whose init process has exited and whose rootfs is gone, and every one still being
     * created (no pid yet) whose rootfs no longer exists. One whose init exited and whose rootfs is still there is left
     * to its exit watcher, which copies its special dirs out first (at start, {@link #start} reports such exits right
     * after): a copy here would hold the lock, and the manager's start, for as long as it takes.
     */
    public synchronized void reconcile() {
        for (ContainerState c : List.copyOf(containers.values())) {
            if (busy.contains(c.id())) {
                continue; // released when its copy-out ends
            }
            boolean rootfsGone = !Files.exists(Path.of(c.rootfs()), LinkOption.NOFOLLOW_LINKS);
            if (c.pid() > 0 ? !initAlive(c) && rootfsGone : rootfsGone) {
                LOG.info("{}: init pid {} is dead or rootfs {} is gone; releasing", c.id(), c.pid(), c.rootfs());
                release(c.id());
            }
        }
    }

    /**
     * Forgets the previous slot of stopped containers that were removed since (their rootfs is gone, as after
     * {@code docker rm}), so nothing of a removed container stays in the state. Runs periodically.
     */
    public synchronized void forgetRemoved() {
        boolean changed = stoppedRootfs.entrySet().removeIf(stopped -> {
            if (Files.exists(Path.of(stopped.getValue()), LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            allocator.forgetPrevious(stopped.getKey());
            return true;
        });
        if (changed) {
            persistQuietly();
        }
    }

    /**
     * The container has stopped: its special dirs' content goes into its rootfs (for docker commit and build steps),
     * then nothing made for it is needed any more (its special dirs outlive it, see SpecialMounts).
     */
    private void initExited(String id, long pid) {
        ContainerState state;
        synchronized (this) {
            state = beginWork(id);
            if (state == null || state.pid() != pid) {
                if (state != null) {
                    endBusy(id);
                }
                return;
            }
        }
        LOG.info("{}: init pid {} exited", id, pid);
        try {
            syncOut(state, atExit());
        } finally {
            // The layer is complete: a waiting delete may go on while the rest is released.
            removeSyncMarker(id);
            synchronized (this) {
                endBusy(id);
            }
            release(id, state);
        }
    }

    /** For {@code jsysbox-runc pause} (docker commit): copies the frozen container's special dirs into its rootfs. */
    public List<String> sync(String id) throws ManagerException {
        ContainerState state;
        synchronized (this) {
            state = beginWork(id);
        }
        if (state == null) {
            throw new ManagerException(
                    ManagerException.Kind.NOT_FOUND, "unknown container " + id + ": it is not running under jsysbox");
        }
        try {
            return syncOut(state, Deadline.NONE); // docker commit (a pause) waits as long as it takes
        } finally {
            synchronized (this) {
                endBusy(id);
            }
        }
    }

    /**
     * Marks {@code id} busy, after the work already running for it (a prepare's, a start's, a copy-out, a release) ends;
     * returns its state, or null (nothing marked) if it is not known. Holding the lock, which the wait gives up
     * meanwhile.
     */
    private ContainerState beginWork(String id) {
        awaitIdle(id);
        ContainerState state = containers.get(id);
        if (state != null) {
            busy.add(id);
        }
        return state;
    }

    /** A container's record and ranges, taken with its id marked busy. */
    private record Work(ContainerState state, HostRange uids, HostRange gids) {}

    /** Marks {@code id} busy ({@link #beginWork}) and takes its record and ranges; null (nothing marked) if unknown. */
    private synchronized Work begin(String id) {
        ContainerState state = beginWork(id);
        return state == null
                ? null
                : new Work(state, allocator.uidRange(state.slot()), allocator.gidRange(state.slot()));
    }

    private void endBusy(String id) {
        busy.remove(id);
        notifyAll();
    }

    /** Waits (giving up the lock, which the caller holds) until no work on {@code id} runs. */
    private void awaitIdle(String id) {
        boolean interrupted = false;
        while (busy.contains(id)) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Copies each special dir kept in the container's Docker layer into the layer's upper dir; best effort, logged:
     * whatever fails (an Error too: the content is the tenant's), the caller goes on to release the container.
     */
    private List<String> syncOut(ContainerState state, Deadline deadline) {
        List<String> synced = new ArrayList<>();
        var home = specialMounts.homeFor(state.id(), Path.of(state.rootfs()));
        if (state.keptDirs().isEmpty() || !home.kept()) {
            return synced;
        }
        Path upper = home.dir().resolveSibling("diff");
        HostRange uids = allocator.uidRange(state.slot());
        HostRange gids = allocator.gidRange(state.slot());
        for (String kept : state.keptDirs()) {
            Path dir = Path.of(kept);
            Optional<String> destination =
                    SpecialMounts.destinationOf(dir.getFileName().toString());
            if (destination.isEmpty()) {
                continue;
            }
            try {
                if (innerImages.syncOut(home, destination.get(), dir, upper, uids, gids, deadline)) {
                    synced.add(destination.get());
                }
            } catch (IOException | RuntimeException | StackOverflowError | OutOfMemoryError e) {
                LOG.error(
                        "{}: cannot copy {} into the rootfs ({}): a commit will miss its content; it stays in {}",
                        state.id(),
                        destination.get(),
                        e.toString(),
                        dir);
            }
        }
        return synced;
    }

    private static Deadline atExit() {
        return Deadline.after(
                COPY_OUT_AT_EXIT,
                "a copy-out at exit gets " + COPY_OUT_AT_EXIT.toSeconds()
                        + " s (Docker waits for the container's delete about 30 s)");
    }

    /** Garbage-collects the inner image cache: entries running containers use stay. */
    public synchronized void collectGarbage() {
        Set<String> inUse = new HashSet<>();
        for (ContainerState c : containers.values()) {
            inUse.addAll(c.innerImageCacheKeys());
        }
        innerImages.cache().collectGarbage(inUse);
    }

    private void removeSyncMarker(String id) {
        try {
            Files.deleteIfExists(syncMarkers.resolve(id));
        } catch (IOException e) {
            LOG.error("{}: cannot remove {}: {}", id, syncMarkers.resolve(id), e.getMessage());
        }
    }

    /**
     * "MANAGER-PID INIT-PID": {@code jsysbox-runc delete} waits while the marker is there, the manager alive and the
     * init dead: the content is copied out when the init exits, and Docker must not commit or remove the layer before.
     * (A delete while the init runs does not wait: the copy cannot have begun, and delete may be what kills it.)
     */
    private void markSyncOwed(ContainerState state) {
        if (state.keptDirs().isEmpty()) {
            return;
        }
        try {
            Files.writeString(
                    syncMarkers.resolve(state.id()), ProcessHandle.current().pid() + " " + state.pid() + "\n");
        } catch (IOException e) {
            LOG.error("{}: cannot write {}: {}", state.id(), syncMarkers.resolve(state.id()), e.getMessage());
        }
    }

    /**
     * Makes what container {@code request.id()} needs before {@code runc create}: its range, special dirs (filled
     * from the image), device nodes, ID-mapped rootfs and bind sources. The checks and the allocation hold the lock;
     * the files and mounts are made outside it (see the class comment). Whatever fails is undone, range included.
     */
    public Prepare.Result prepare(Prepare.Request request) throws ManagerException {
        long began = System.nanoTime();
        if (!request.podSandboxId().isEmpty()) {
            awaitSandboxSetup(request.podSandboxId(), request.id());
        }
        Reservation reservation = reserve(request);
        String id = request.id();
        Path rootfs = request.rootfs();
        int slot = reservation.slot();
        HostRange uids = reservation.uids();
        HostRange gids = reservation.gids();
        String sharedWith = reservation.sharedWith();
        ContainerState.Builder made = new ContainerState.Builder(id, slot, rootfs.toString(), sharedWith);
        boolean prepared = false;
        try {
            Path slotDir = mountRoot.resolve(ContainerState.dirName(slot, id, sharedWith));
            RuntimeDirs.ensure(slotDir, RuntimeDirs.ONE_CONTAINERS, gids.rootId());
            made.dirs.add(slotDir.toString());
            var home = specialMounts.homeFor(id, rootfs);
            Optional<OverlayLayers> layers = OverlayLayers.of(MountInfo.read(), rootfs);
            Map<String, Path> specials = specialMounts.create(
                    home,
                    request.specialMounts(),
                    uids.rootId(),
                    gids.rootId(),
                    (destination, dir) -> innerImages.fill(
                            rootfs, layers, request.innerImageCacheOff(), home, destination, dir, uids, gids),
                    made);
            List<Prepare.SpecialMount> layerMounts = mountSharedLayers(home, specials, uids, gids, slotDir, made);
            var devices = deviceNodes.make(
                    ContainerState.dirName(slot, id, sharedWith),
                    request.devices(),
                    request.bindMounts(),
                    uids,
                    gids,
                    made);
            rootfsShifter.shift(rootfs, layers, uids, gids, slotDir, made);
            List<Prepare.MountReplacement> replacements = new ArrayList<>(devices.replacements());
            replacements.addAll(bindMountMapper.map(id, devices.otherBinds(), uids, gids, slotDir, made));
            ContainerState state = made.build();
            synchronized (this) {
                containers.put(id, state);
                persist();
            }
            prepared = true;
            LOG.info(
                    "{}: prepared in {} ms: uids {}:{} gids {}:{}{}, rootfs {} ({}), {} special mount(s), "
                            + "{} of {} bind source(s) ID-mapped or device nodes, {} device node(s)",
                    id,
                    (System.nanoTime() - began) / 1_000_000,
                    uids.start(),
                    uids.size(),
                    gids.start(),
                    gids.size(),
                    sharedWith.isEmpty()
                            ? ""
                            : " (shared with " + sharedWith + ", init " + reservation.sharedInit() + ")",
                    rootfs,
                    state.rootfsShift(),
                    specials.size(),
                    replacements.size(),
                    request.bindMounts().size(),
                    devices.nodes().size());
            List<Prepare.SpecialMount> specialDirs = new ArrayList<>();
            specials.forEach((dest, dir) -> specialDirs.add(new Prepare.SpecialMount(dest, dir.toString())));
            return new Prepare.Result(
                    uids,
                    gids,
                    specialDirs,
                    replacements,
                    state.rootfsShift(),
                    state.rootfsPath(),
                    devices.nodes(),
                    layerMounts,
                    reservation.sharedInit());
        } catch (IOException | RuntimeException e) {
            LOG.error("{}: prepare failed, undoing: {}", id, e.toString());
            throw new ManagerException(
                    ManagerException.Kind.NOT_POSSIBLE, "cannot prepare container " + id + ": " + e.getMessage(), e);
        } finally {
            if (!prepared) {
                undo(made.build(), uids, gids);
            }
            synchronized (this) {
                if (!prepared) {
                    containers.remove(id);
                    allocator.release(id);
                    if (!allocator.inUse(slot)) {
                        idmapped.forget(uids, gids);
                    }
                    persistQuietly();
                }
                endBusy(id);
            }
        }
    }

    /**
     * Mounts, for each special dir filled from the inner image cache, the cache's shared layers (read-only ID-mapped
     * clones under {@code slotDir}, recorded in {@code made} with the cache entries they use).
     */
    private List<Prepare.SpecialMount> mountSharedLayers(
            SpecialMounts.Home home,
            Map<String, Path> specials,
            HostRange uids,
            HostRange gids,
            Path slotDir,
            ContainerState.Builder made)
            throws IOException {
        List<Prepare.SpecialMount> layerMounts = new ArrayList<>();
        for (var special : specials.entrySet()) {
            var shared = innerImages.layerMounts(home, special.getKey(), special.getValue(), uids, gids, slotDir, made);
            if (shared.isPresent()) {
                layerMounts.addAll(shared.get().mounts());
                made.innerImageCacheKeys.add(shared.get().cacheKey());
            }
        }
        return layerMounts;
    }

    /**
     * What a prepare got under the lock: its slot's ranges, and the container whose range it shares (a pod's sandbox)
     * with its init.
     */
    private record Reservation(int slot, HostRange uids, HostRange gids, String sharedWith, long sharedInit) {}

    /**
     * The part of a prepare that holds the lock: checks the request (a refusal leaves nothing behind), waits for other
     * work on the same id (the same container started again: its previous run's copy-out must be in its layer first),
     * undoes a previous preparation of it, allocates or shares a range, and marks the id busy.
     */
    private synchronized Reservation reserve(Prepare.Request request) throws ManagerException {
        String id = request.id();
        if (!CONTAINER_ID.matcher(id).matches()) {
            throw new ManagerException(
                    ManagerException.Kind.BAD_REQUEST,
                    "invalid container id '" + id + "': use 1-128 letters, digits, '_', '.', '-'");
        }
        awaitIdle(id);
        Path rootfs = request.rootfs();
        if (!rootfs.isAbsolute() || !Files.isDirectory(rootfs, LinkOption.NOFOLLOW_LINKS)) {
            throw new ManagerException(
                    ManagerException.Kind.BAD_REQUEST,
                    "rootfs '" + rootfs + "' of " + id + " is not an absolute path to a directory");
        }
        for (String destination : request.specialMounts()) {
            if (!SpecialMounts.ALLOWED.contains(destination)) {
                throw new ManagerException(
                        ManagerException.Kind.BAD_REQUEST,
                        "unsupported special mount '" + destination + "'; supported: "
                                + String.join(
                                        ", ",
                                        SpecialMounts.ALLOWED.stream().sorted().toList()));
            }
        }
        for (var bind : request.bindMounts()) {
            if (!Path.of(bind.source()).isAbsolute()) {
                throw new ManagerException(
                        ManagerException.Kind.BAD_REQUEST,
                        "bind mount source '" + bind.source() + "' (mount " + bind.index() + ") is not absolute");
            }
        }
        try {
            RequestedDevices.check(request.devices());
        } catch (IllegalArgumentException e) {
            throw new ManagerException(ManagerException.Kind.BAD_REQUEST, e.getMessage(), e);
        }
        virtualFiles.checkAvailable();
        if (containers.containsKey(id)) {
            LOG.info("{}: prepared again; undoing the previous preparation first", id);
            release(id);
        }
        stoppedRootfs.remove(id);
        String sharedWith = request.podSandboxId().isEmpty()
                ? namespaceOwner(id, request.joinedNamespaces()).orElse("")
                : request.podSandboxId();
        long sharedInit = sharedWith.isEmpty()
                ? 0
                : runningInit(id, sharedWith, !request.podSandboxId().isEmpty());
        int slot = sharedWith.isEmpty()
                ? allocate(id)
                : allocator.share(id, sharedWith).orElseThrow();
        busy.add(id);
        return new Reservation(slot, allocator.uidRange(slot), allocator.gidRange(slot), sharedWith, sharedInit);
    }

    /**
     * The init of {@code ownerId}, whose user namespace and range container {@code id} is to share: a pod's sandbox
     * ({@code pod}) or the container whose namespaces it joins; it must be running under jsysbox. Checked before
     * anything is made, so a refusal leaves nothing behind.
     */
    private long runningInit(String id, String ownerId, boolean pod) throws ManagerException {
        ContainerState owner = containers.get(ownerId);
        if (owner == null) {
            throw new ManagerException(
                    ManagerException.Kind.NOT_POSSIBLE,
                    "pod container " + id + " names sandbox " + ownerId
                            + ", which is not running under jsysbox: run the whole pod with the jsysbox runtime class "
                            + "(runtimeClassName: jsysbox)");
        }
        if (owner.pid() <= 0 || !initAlive(owner)) {
            throw new ManagerException(
                    ManagerException.Kind.NOT_POSSIBLE,
                    (pod ? "pod container " + id + ": its sandbox " : id + ": the container ")
                            + ownerId
                            + (pod
                                    ? " is not running; start the pod's sandbox first"
                                    : " whose namespaces it joins is not running"));
        }
        return owner.pid();
    }

    /**
     * The running jsysbox container whose user namespace owns the namespaces at {@code paths} (Docker's --network,
     * --ipc, --pid container:X give /proc/<X's init>/ns/...), if any: only from that user namespace can the new
     * container's root join them. Namespaces a jsysbox container joined from elsewhere (a plain runc container's)
     * are not its own and give no owner. Containers sharing one user namespace (a pod's) count as one: its slot holder.
     */
    private Optional<String> namespaceOwner(String id, List<String> paths) throws ManagerException {
        Set<List<Long>> owners = new HashSet<>();
        for (String path : paths) {
            try {
                owners.add(identity(Linux.owningUserNamespace(Path.of(path))));
            } catch (LinuxException gone) {
                // Not a namespace this manager can read (a process that just exited): no owner here.
            }
        }
        if (owners.isEmpty()) {
            return Optional.empty();
        }
        Map<Integer, ContainerState> bySlot = new TreeMap<>();
        for (ContainerState c : containers.values()) {
            if (c.pid() <= 0 || !initAlive(c)) {
                continue;
            }
            try {
                if (!owners.contains(
                        identity(Linux.namespace(Path.of("/proc", Long.toString(c.pid()), "ns", "user"))))) {
                    continue;
                }
            } catch (LinuxException gone) {
                continue;
            }
            bySlot.merge(c.slot(), c, (kept, other) -> kept.sharesRangeOf().isEmpty() ? kept : other);
        }
        if (bySlot.size() > 1) {
            throw new ManagerException(
                    ManagerException.Kind.BAD_REQUEST,
                    id + " joins namespaces of several jsysbox containers ("
                            + String.join(
                                    ", ",
                                    bySlot.values().stream()
                                            .map(ContainerState::id)
                                            .toList())
                            + "): it can share the user namespace of one only; join the namespaces of one of them");
        }
        return bySlot.values().stream().findFirst().map(ContainerState::id);
    }

    /** A namespace file's identity: its nsfs device and inode. */
    private static List<Long> identity(Linux.Stat namespace) {
        return List.of(namespace.dev(), namespace.ino());
    }

    /**
     * After {@code runc create} (or in its createRuntime hook, the container's root then at {@code rootPath} in its
     * mount namespace): mounts the container's virtual files (locked, and its mounts protected, when {@code
     * guardMounts}), delegates cgroups and detaches the host's copies of the container's mounts. A pod's sandbox
     * ({@code podSandbox}) also adopts the CRI's network ({@code networkToAdopt}, or ""); both that and, once runc has
     * pivoted ({@code rootPath} ""), its virtual files are done after its Started answers ({@link #setUpSandbox}).
     */
    public List<String> started(
            String id, long pid, String rootPath, String networkToAdopt, boolean podSandbox, boolean guardMounts)
            throws ManagerException {
        ProcessIdentity init = ProcessIdentity.of(pid)
                .orElseThrow(() -> new ManagerException(
                        ManagerException.Kind.BAD_REQUEST, "pid " + pid + " of " + id + " is not running"));
        Work work = begin(id);
        if (work == null) {
            throw new ManagerException(
                    ManagerException.Kind.NOT_POSSIBLE, "unknown container " + id + ": Prepare it first");
        }
        ContainerState state = work.state();
        HostRange uids = work.uids();
        HostRange gids = work.gids();
        long began = System.nanoTime();
        try {
            // Once runc has pivoted, nothing else happens in the sandbox's mount namespace: its files can wait.
            boolean filesLater = podSandbox && rootPath.isEmpty();
            if (podSandbox) {
                setUpSandbox(id, init, networkToAdopt, filesLater, guardMounts);
            }
            if (filesLater) {
                return record(state, init, delegate(state, init, uids, gids), "its virtual files being mounted", began);
            }
            // Independent of each other, and the files are mostly waits (two calls to jsysbox-fs, a thread entering
            // the container's mount namespace): side by side, ~3-5 ms less on every create.
            Future<Integer> files = startWork.submit(() -> virtualFiles.attach(id, init, rootPath, guardMounts));
            List<String> delegated;
            try {
                delegated = delegate(state, init, uids, gids);
            } catch (ManagerException e) {
                awaitQuietly(files);
                throw e;
            }
            return record(state, init, delegated, await(files) + " virtual files mounted", began);
        } finally {
            synchronized (this) {
                endBusy(id);
            }
        }
    }

    /**
     * Starts what pod sandbox {@code id} needs before a container of its pod runs, and does not wait for it: the move
     * of the CRI's network {@code criNamespace} (if any) into the namespace of its init and, with {@code files}, its
     * virtual files. The kernel's move of an interface alone takes ~25 ms, the ip processes around it as much, the
     * virtual files ~15 ms (two calls to jsysbox-fs, 24 mounts); nothing runs in the sandbox but its pause process,
     * which reads no /proc file and makes no mount, and each container of the pod waits for both before it is prepared
     * ({@link #awaitSandboxSetup}): the pod's code never sees the sandbox without them (its containers may join the
     * sandbox's pid namespace, and so reach its mounts). The sandbox's cgroups are done meanwhile. A namespace the CRI
     * did not make is refused here.
     */
    private void setUpSandbox(String id, ProcessIdentity init, String criNamespace, boolean files, boolean guardMounts)
            throws ManagerException {
        List<Future<Void>> setup = new ArrayList<>();
        if (!criNamespace.isEmpty()) {
            Path network = Path.of(criNamespace);
            PodNetwork.checkMovable(id, network);
            setup.add(startWork.submit(() -> {
                podNetwork.adopt(id, network, init.pid());
                return null;
            }));
        }
        if (files) {
            setup.add(startWork.submit(() -> {
                try {
                    awaitExec(id, init);
                    int mounted = virtualFiles.attach(id, init, "", guardMounts);
                    LOG.info("{}: pod sandbox's {} virtual files mounted", id, mounted);
                    return null;
                } catch (ManagerException e) {
                    LOG.error("{}: pod sandbox without virtual files: {}", id, e.getMessage());
                    throw e;
                }
            }));
        }
        sandboxSetups.put(id, List.copyOf(setup));
    }

    /**
     * Waits until the sandbox's init runs its own program, which {@code runc start} (containerd's next call) lets it
     * exec: until then it is runc's init, blocked before the exec but then reading /proc (its fds, its LSM labels)
     * up to the exec, and a /proc replaced under it then ({@link VirtualFileMounts} locks the files in a copy) killed
     * it. Blocked, it touches nothing, as during a container's Started: after {@link #SANDBOX_START_PATIENCE} without
     * a start the files are mounted all the same. An init that exited is for the attach to report.
     */
    private static void awaitExec(String id, ProcessIdentity init) throws InterruptedException {
        Path comm = Path.of("/proc", Long.toString(init.pid()), "comm");
        long deadline = System.nanoTime() + SANDBOX_START_PATIENCE.toNanos();
        try {
            while (Files.readString(comm).strip().equals(RUNC_INIT_NAME)) {
                if (System.nanoTime() > deadline) {
                    LOG.warn(
                            "{}: pod sandbox not started {} s after its create",
                            id,
                            SANDBOX_START_PATIENCE.toSeconds());
                    return;
                }
                Thread.sleep(1);
            }
        } catch (IOException e) {
            // the init is gone
        }
    }

    /**
     * Waits for the setup of pod sandbox {@code sandboxId} (none known: nothing to wait for, e.g. a manager restarted
     * since): its container {@code id} is not made for a pod whose sandbox lacks the network the CRI gave it or its
     * virtual files.
     */
    private void awaitSandboxSetup(String sandboxId, String id) throws ManagerException {
        for (Future<Void> step : sandboxSetups.getOrDefault(sandboxId, List.of())) {
            try {
                await(step);
            } catch (ManagerException e) {
                throw new ManagerException(
                        ManagerException.Kind.NOT_POSSIBLE,
                        "pod container " + id + ": its pod's sandbox was not set up (" + e.getMessage()
                                + "); remove the pod and run it again",
                        e);
            }
        }
    }

    /**
     * Delegates the cgroups of {@code state}'s init to the container's root and detaches the host's copies of the
     * container's mounts; returns the delegated dirs.
     */
    private List<String> delegate(ContainerState state, ProcessIdentity init, HostRange uids, HostRange gids)
            throws ManagerException {
        try {
            ProcCgroup cgroups =
                    ProcCgroup.parse(Files.readString(Path.of("/proc", Long.toString(init.pid()), "cgroup")));
            MountInfo mounts = MountInfo.read();
            List<String> delegated = new ArrayList<>();
            for (CgroupDelegation delegation : cgroupDelegations) {
                for (Path dir : delegation.delegate(cgroups, mounts, uids.rootId(), gids.rootId())) {
                    delegated.add(dir.toString());
                }
            }
            // runc create has copied the mounts into the container's namespace: the host needs them no more.
            Mounts.unmountAllUnder(mountRoot.resolve(state.dirName()));
            return delegated;
        } catch (IOException | RuntimeException e) {
            throw new ManagerException(
                    ManagerException.Kind.NOT_POSSIBLE,
                    "cannot delegate cgroups of " + state.id() + " (pid " + init.pid() + "): " + e.getMessage(),
                    e);
        }
    }

    /** Records {@code state}'s container as running with {@code init}, and watches for its exit. */
    private List<String> record(
            ContainerState state, ProcessIdentity init, List<String> delegated, String mounted, long began)
            throws ManagerException {
        String id = state.id();
        ContainerState running = state.withInit(init).withMounts(List.of());
        synchronized (this) {
            containers.put(id, running); // the id is busy: its record is still state
            try {
                persist();
            } catch (IOException e) {
                throw new ManagerException(
                        ManagerException.Kind.NOT_POSSIBLE,
                        "cannot record " + id + " as running (pid " + init.pid() + "): " + e.getMessage(),
                        e);
            }
        }
        markSyncOwed(running);
        exitWatcher.watch(id, init.pid());
        warmNextRange();
        LOG.info(
                "{}: started as pid {} in {} ms; {}; delegated {}",
                id,
                init.pid(),
                (System.nanoTime() - began) / 1_000_000,
                mounted,
                delegated);
        return delegated;
    }

    /** Waits for {@code task}'s result; its ManagerException is thrown as it is. */
    private static <T> T await(Future<T> task) throws ManagerException {
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ManagerException refused) {
                throw refused;
            }
            throw new ManagerException(ManagerException.Kind.INTERNAL, String.valueOf(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ManagerException(ManagerException.Kind.INTERNAL, "interrupted", e);
        }
    }

    /** Waits for {@code task} to end, whatever its outcome (reported by {@link #await} where it matters). */
    private static void awaitQuietly(Future<?> task) {
        try {
            task.get();
        } catch (ExecutionException e) {
            // reported by await where it matters (a sandbox's failed setup: to the pod's containers)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Has the user namespace of the range the next container will get (slots go round-robin, so it is known) made in
     * the background: ID-mapping its rootfs then finds it made instead of starting a helper process on its create's
     * critical path (~4 ms). Called once a container has started, when the host has a moment. A failure is only
     * logged: the create makes the namespace itself.
     */
    private synchronized void warmNextRange() {
        OptionalInt next = allocator.upcoming();
        if (next.isEmpty()) {
            return;
        }
        HostRange uids = allocator.uidRange(next.getAsInt());
        HostRange gids = allocator.gidRange(next.getAsInt());
        rangeWarmer.execute(() -> {
            try {
                idmapped.prepareFor(uids, gids);
            } catch (IOException | RuntimeException e) {
                LOG.debug("cannot make the user namespace of range {} ahead of time: {}", uids.start(), e.toString());
            }
        });
    }

    /** Undoes everything made for {@code id} and frees its range; false if the id is unknown. */
    public boolean release(String id) {
        return release(id, null);
    }

    /**
     * {@link #release(String)}, only while {@code id}'s record is {@code expected} (null: whatever it is): a container
     * whose init exited is not released once a new run of it was prepared meanwhile. The undo runs outside the lock.
     */
    private boolean release(String id, ContainerState expected) {
        Work work = begin(id);
        if (work == null) {
            return false;
        }
        ContainerState state = work.state();
        HostRange uids = work.uids();
        HostRange gids = work.gids();
        if (expected != null && state != expected) {
            synchronized (this) {
                endBusy(id);
            }
            return false;
        }
        try {
            List<Future<Void>> pending = sandboxSetups.remove(id);
            if (pending != null) {
                pending.forEach(ContainerManager::awaitQuietly);
            }
            undo(state, uids, gids);
            virtualFiles.detach(id);
            removeSyncMarker(id);
        } finally {
            synchronized (this) {
                containers.remove(id);
                allocator.release(id);
                if (Files.exists(Path.of(state.rootfs()), LinkOption.NOFOLLOW_LINKS)) {
                    stoppedRootfs.put(id, state.rootfs());
                } else {
                    allocator.forgetPrevious(id);
                }
                if (!allocator.inUse(state.slot())) {
                    idmapped.forget(uids, gids);
                }
                persistQuietly();
                endBusy(id);
            }
        }
        LOG.info("{}: released range {}:{}", id, uids.start(), uids.size());
        return true;
    }

    public synchronized ManagerStatus status() {
        Map<String, Integer> users = new HashMap<>();
        List<ManagerStatus.Container> listed = new ArrayList<>();
        for (ContainerState c : containers.values()) {
            c.innerImageCacheKeys().forEach(key -> users.merge(key, 1, Integer::sum));
            List<String> dirs = new ArrayList<>(c.dirs());
            dirs.addAll(c.keptDirs());
            listed.add(new ManagerStatus.Container(
                    c.id(),
                    allocator.uidRange(c.slot()),
                    allocator.gidRange(c.slot()),
                    c.rootfs(),
                    c.rootfsShift(),
                    c.pid(),
                    c.mounts(),
                    dirs,
                    c.sharesRangeOf()));
        }
        return new ManagerStatus(
                version,
                allocator.uidPool(),
                allocator.gidPool(),
                allocator.freeSlots(),
                listed,
                innerImages.cache().status(users));
    }

    private int allocate(String id) throws ManagerException {
        try {
            return allocator.allocate(id);
        } catch (IdRangeAllocator.PoolExhaustedException first) {
            try {
                reconcile();
                return allocator.allocate(id);
            } catch (IdRangeAllocator.PoolExhaustedException e) {
                throw new ManagerException(ManagerException.Kind.EXHAUSTED, e.getMessage());
            }
        }
    }

    /** Best effort, each step on its own: one failing step must not leave the others undone. */
    private void undo(ContainerState state, HostRange uids, HostRange gids) {
        Path slotDir = mountRoot.resolve(state.dirName());
        try {
            removeSlotDir(slotDir);
        } catch (IOException e) {
            LOG.error("{}: cannot clean {}: {}", state.id(), slotDir, e.getMessage());
        }
        if (RootfsShifter.CHOWN.equals(state.rootfsShift())) {
            try {
                RootfsShifter.chownBack(Path.of(state.rootfs()), uids, gids);
            } catch (IOException e) {
                LOG.error("{}: cannot chown rootfs {} back: {}", state.id(), state.rootfs(), e.getMessage());
            }
        }
        for (String dir : state.dirs().reversed()) {
            Path path = Path.of(dir);
            if (path.equals(slotDir)) {
                continue;
            }
            try {
                discards.discard(path);
            } catch (IOException e) {
                LOG.error("{}: cannot remove {}: {}", state.id(), dir, e.getMessage());
            }
        }
    }

    private static void removeSlotDir(Path slotDir) throws IOException {
        if (!Files.exists(slotDir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Mounts.unmountAllUnder(slotDir);
        NoFollowTree.delete(slotDir.getParent(), slotDir.getFileName().toString());
    }

    /**
     * The mount root is a private mount (nothing attached under it propagates into containers' or other
     * namespaces). It and the runtime dir above it are passable by all (not listable), so runc reaches the rootfs
     * view from inside the user namespace; each slot dir below lets only its container's root pass.
     */
    private void prepareMountRoot() throws IOException {
        RuntimeDirs.ensure(mountRoot.getParent(), RuntimeDirs.PASSED_BY_CONTAINERS);
        RuntimeDirs.ensure(mountRoot, RuntimeDirs.PASSED_BY_CONTAINERS);
        if (MountInfo.read().topmostAt(mountRoot).isEmpty()) {
            Linux.mount(mountRoot.toString(), mountRoot, null, Linux.MS_BIND, null);
        }
        Linux.mount("none", mountRoot, null, Linux.MS_PRIVATE, null);
    }

    /**
     * Gives a loaded container's dirs (slot dir, device nodes dir, special dirs' home) the owner and mode of
     * {@link RuntimeDirs#ONE_CONTAINERS}: an older manager made them passable by every host user.
     */
    private void reownContainerDirs(ContainerState c) throws IOException {
        int gid = allocator.gidRange(c.slot()).rootId();
        List<Path> dirs = List.of(
                mountRoot.resolve(c.dirName()),
                deviceNodes.dirOf(c.dirName()),
                specialMounts.homeFor(c.id(), Path.of(c.rootfs())).dir());
        for (Path dir : dirs) {
            if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                RuntimeDirs.ensure(dir, RuntimeDirs.ONE_CONTAINERS, gid);
            }
        }
    }

    /** Whether the container's init still runs: its pid is taken, by the process that started as its init. */
    private static boolean initAlive(ContainerState c) {
        return c.pid() > 0 && c.init().isRunning();
    }

    private void persist() throws IOException {
        store.save(new ManagerState(
                ManagerState.CURRENT_VERSION,
                List.copyOf(containers.values()),
                allocator.previousSlots(),
                allocator.cursor(),
                Map.copyOf(stoppedRootfs)));
    }

    private void persistQuietly() {
        try {
            persist();
        } catch (IOException e) {
            LOG.error("cannot save state: {}", e.getMessage());
        }
    }
}
