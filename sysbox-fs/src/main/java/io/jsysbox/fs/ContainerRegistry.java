package io.jsysbox.fs;

import io.jsysbox.linux.ProcessIdentity;
import io.jsysbox.procfs.SysctlKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registered containers, by id and by slot, and which one a calling process belongs to: the container whose
 * init shares the caller's pid namespace, or one of its ancestors (an inner container's process counts as its
 * outer container's); only a write asks, so that is not cached. Every change is persisted to the state file
 * before the call returns.
 *
 * <p>Each registration takes a new slot (see {@link FsTree}): 1, 2, 3…, never given twice, even across daemon
 * restarts (the next one is persisted), so a node id the kernel still holds never names another container's
 * view. A container restored after a restart keeps its slot.
 */
final class ContainerRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerRegistry.class);

    /** Why a registration was refused; the message is for the runtime's error line. */
    static final class RegistrationException extends Exception {
        RegistrationException(String message) {
            super(message);
        }
    }

    private final Path stateFile;
    private final Map<String, Container> byId = new ConcurrentHashMap<>();
    private volatile Map<Long, Container> bySlot = Map.of();
    /** The slot of the next registration (guarded by this). */
    private long nextSlot = 1;

    private volatile Map<Long, Container> byPidNamespace = Map.of();

    ContainerRegistry(Path stateFile) {
        this.stateFile = stateFile;
    }

    /**
     * Registers container {@code id} with init {@code pid} (started at {@code startTicks}, or 0 to read it), whose
     * Protect follows when {@code protectionFollows} ({@link Container#awaitProtectedMounts}). The same id with the
     * same init is a no-op; with another init, the container starts afresh, in a new slot.
     */
    synchronized Container register(String id, long pid, long startTicks, boolean protectionFollows)
            throws RegistrationException {
        if (id.isBlank() || pid <= 0) {
            throw new RegistrationException(
                    "register needs a container id and its init's pid, got id '" + id + "', pid " + pid);
        }
        if (id.equals(".")
                || id.equals("..")
                || id.contains("/")
                || id.indexOf('\0') >= 0
                || id.getBytes(StandardCharsets.UTF_8).length > 255) {
            throw new RegistrationException("container id '" + id + "' cannot name a directory of the mount"
                    + " (no '/' or NUL, not '.' or '..', at most 255 bytes)");
        }
        Optional<ProcessIdentity> running = ProcessIdentity.of(pid);
        if (running.isEmpty() || !new ProcessIdentity(pid, startTicks).sameProcessAs(running.get())) {
            throw new RegistrationException("container " + id + ": init pid " + pid + " is not running"
                    + (running.isEmpty() ? "" : " (a process started at another time has that pid)"));
        }
        ProcessIdentity init = running.get();
        Container known = byId.get(id);
        if (known != null && known.init().equals(init)) {
            return known;
        }
        Container container = create(id, nextSlot, pid, init.startTicks(), UUID.randomUUID(), protectionFollows);
        nextSlot++;
        byId.put(id, container);
        changed();
        if (known != null) {
            known.release();
        }
        return container;
    }

    synchronized boolean unregister(String id) {
        Container removed = byId.remove(id);
        if (removed != null) {
            changed();
            removed.release();
        }
        return removed != null;
    }

    Collection<Container> containers() {
        return List.copyOf(byId.values());
    }

    /** The container registered as {@code id}, or null. */
    Container named(String id) {
        return byId.get(id);
    }

    /** The container registered in {@code slot}, or null: none yet, or no longer. */
    Container inSlot(long slot) {
        return bySlot.get(slot);
    }

    /** The container a process with host pid {@code pid} belongs to, or null for a host process (or pid 0). */
    Container containerOf(long pid) {
        if (pid <= 0 || byId.isEmpty()) {
            return null;
        }
        long namespace = Processes.pidNamespace(pid);
        if (namespace < 0) {
            return null;
        }
        Map<Long, Container> registered = byPidNamespace;
        Container found = registered.get(namespace);
        if (found == null) {
            for (long parent : Processes.parentPidNamespaces(pid)) {
                found = registered.get(parent);
                if (found != null) {
                    break;
                }
            }
        }
        return found;
    }

    /** Protects {@code mounts} of container {@code id} ({@link ProtectedMounts}), persisted. */
    synchronized void protect(String id, ProtectedMounts mounts) throws RegistrationException {
        Container container = byId.get(id);
        if (container == null) {
            throw new RegistrationException("container " + id + " is not registered: register it first");
        }
        container.protect(mounts);
        save();
    }

    /** Persists the written sysctls of {@code container} (called after each accepted write). */
    synchronized void sysctlsChanged(Container container) {
        if (byId.get(container.id) == container) {
            save();
        }
    }

    /**
     * Loads the state file: containers whose init still runs (same pid, same start time) come back with their
     * slot, boot id and sysctl values; the others are dropped. New slots continue after every slot it names.
     */
    synchronized void restore() throws IOException {
        FsState state = FsState.load(stateFile);
        nextSlot = Math.max(nextSlot, state.nextSlot());
        for (FsState.Entry entry : state.containers()) {
            nextSlot = Math.max(nextSlot, entry.slot() + 1);
        }
        Set<Long> taken = new HashSet<>();
        for (FsState.Entry entry : state.containers()) {
            if (!new ProcessIdentity(entry.initPid(), entry.startTicks()).isRunning()) {
                LOG.info("container {} is gone (init {} no longer runs): forgotten", entry.id(), entry.initPid());
                continue;
            }
            // Slot 0: saved before slots existed (its bind mounts name the host's view until it is registered again).
            long slot = entry.slot() > 0 && taken.add(entry.slot()) ? entry.slot() : nextSlot++;
            try {
                Container container = create(
                        entry.id(), slot, entry.initPid(), entry.startTicks(), UUID.fromString(entry.bootId()), false);
                for (SysctlKey key : SysctlKey.values()) {
                    String value = entry.sysctls().get(key.path());
                    if (value != null) {
                        container.write(key, value.getBytes(StandardCharsets.UTF_8), 0);
                    }
                }
                if (entry.protectedMounts() != null) {
                    container.protect(entry.protectedMounts());
                }
                byId.put(entry.id(), container);
            } catch (RegistrationException | RuntimeException e) {
                LOG.warn("container {}: not restored: {}", entry.id(), e.getMessage());
            }
        }
        changed();
    }

    private static Container create(
            String id, long slot, long pid, long startTicks, UUID bootId, boolean protectionFollows)
            throws RegistrationException {
        long namespace = Processes.pidNamespace(pid);
        long rootUid = Processes.rootUid(pid);
        long rootGid = Processes.rootGid(pid);
        long uidCount = Processes.rootUidCount(pid);
        String cgroupText;
        String mountinfo;
        try {
            cgroupText = Files.readString(Path.of("/proc/" + pid + "/cgroup"));
            mountinfo = Files.readString(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            throw new RegistrationException(
                    "container " + id + ": cannot read the cgroups of init " + pid + ": " + e.getMessage());
        }
        if (namespace < 0 || rootUid < 0 || rootGid < 0 || uidCount < 0) {
            throw new RegistrationException("container " + id + ": init pid " + pid + " exited while registering");
        }
        try {
            return new Container(
                    id,
                    slot,
                    pid,
                    startTicks,
                    namespace,
                    rootUid,
                    rootGid,
                    uidCount,
                    CgroupDirs.parse(cgroupText, mountinfo),
                    bootId,
                    protectionFollows);
        } catch (IllegalArgumentException e) {
            throw new RegistrationException("container " + id + ": " + e.getMessage());
        }
    }

    private void changed() {
        Map<Long, Container> namespaces = new HashMap<>();
        Map<Long, Container> slots = new HashMap<>();
        for (Container container : byId.values()) {
            namespaces.put(container.pidNamespace, container);
            slots.put(container.slot, container);
        }
        byPidNamespace = Map.copyOf(namespaces);
        bySlot = Map.copyOf(slots);
        save();
    }

    private void save() {
        List<FsState.Entry> entries = new ArrayList<>();
        for (Container c : byId.values()) {
            entries.add(new FsState.Entry(
                    c.id,
                    c.slot,
                    c.initPid,
                    c.startTicks,
                    c.bootId.toString(),
                    c.writtenSysctls(),
                    c.protectedMounts()));
        }
        entries.sort(Comparator.comparing(FsState.Entry::id));
        try {
            new FsState(FsState.CURRENT_VERSION, nextSlot, entries).save(stateFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save " + stateFile + ": " + e.getMessage(), e);
        }
    }
}
