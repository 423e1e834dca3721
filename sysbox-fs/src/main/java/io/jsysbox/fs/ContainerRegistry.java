package io.jsysbox.fs;

import io.jsysbox.procfs.SysctlKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registered containers, and which one a calling process belongs to: the container whose init shares
 * the caller's pid namespace, or one of its ancestors (an inner container's process counts as its outer
 * container's). Lookups are cached by pid namespace inode; registering or unregistering clears the cache.
 * Every change is persisted to the state file before the call returns.
 */
final class ContainerRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerRegistry.class);
    /** Namespace inodes are reused once a namespace dies: keep the cache small enough to be rebuilt often. */
    private static final int NAMESPACE_CACHE_LIMIT = 4096;

    /** Why a registration was refused; the message is for the runtime's error line. */
    static final class RegistrationException extends Exception {
        RegistrationException(String message) {
            super(message);
        }
    }

    private final Path stateFile;
    private final Map<String, Container> byId = new ConcurrentHashMap<>();
    private volatile Map<Long, Container> byPidNamespace = Map.of();
    /** Replaced, not cleared, on change: a lookup racing a registration fills the discarded map. */
    private volatile Map<Long, Optional<Container>> namespaceCache = new ConcurrentHashMap<>();

    ContainerRegistry(Path stateFile) {
        this.stateFile = stateFile;
    }

    /**
     * Registers container {@code id} with init {@code pid} (started at {@code startTicks}, or 0 to read it).
     * The same id with the same init is a no-op; with another init, the container starts afresh.
     */
    synchronized Container register(String id, long pid, long startTicks) throws RegistrationException {
        if (id.isBlank() || pid <= 0) {
            throw new RegistrationException("register needs a container id and its init's pid, got id '" + id + "', pid " + pid);
        }
        long actualTicks = Processes.startTicks(pid);
        if (actualTicks < 0 || (startTicks != 0 && startTicks != actualTicks)) {
            throw new RegistrationException("container " + id + ": init pid " + pid + " is not running"
                    + (actualTicks < 0 ? "" : " (a process started at another time has that pid)"));
        }
        Container known = byId.get(id);
        if (known != null && known.initPid == pid && known.startTicks == actualTicks) {
            return known;
        }
        Container container = create(id, pid, actualTicks, UUID.randomUUID());
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

    /** The container a process with host pid {@code pid} belongs to, or null for a host process (or pid 0). */
    Container containerOf(long pid) {
        if (pid <= 0 || byId.isEmpty()) {
            return null;
        }
        long namespace = Processes.pidNamespace(pid);
        if (namespace < 0) {
            return null;
        }
        Map<Long, Optional<Container>> cache = namespaceCache;
        Optional<Container> cached = cache.get(namespace);
        if (cached != null) {
            return cached.orElse(null);
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
        if (cache.size() >= NAMESPACE_CACHE_LIMIT) {
            cache.clear();
        }
        cache.put(namespace, Optional.ofNullable(found));
        return found;
    }

    /** Persists the written sysctls of {@code container} (called after each accepted write). */
    synchronized void sysctlsChanged(Container container) {
        if (byId.get(container.id) == container) {
            save();
        }
    }

    /**
     * Loads the state file: containers whose init still runs (same pid, same start time) come back with
     * their boot id and sysctl values; the others are dropped.
     */
    synchronized void restore() throws IOException {
        for (FsState.Entry entry : FsState.load(stateFile).containers()) {
            if (Processes.startTicks(entry.initPid()) != entry.startTicks()) {
                LOG.info("container {} is gone (init {} no longer runs): forgotten", entry.id(), entry.initPid());
                continue;
            }
            try {
                Container container = create(entry.id(), entry.initPid(), entry.startTicks(), UUID.fromString(entry.bootId()));
                for (SysctlKey key : SysctlKey.values()) {
                    String value = entry.sysctls().get(key.path());
                    if (value != null) {
                        container.write(key, value.getBytes(StandardCharsets.UTF_8), 0);
                    }
                }
                byId.put(entry.id(), container);
            } catch (RegistrationException | RuntimeException e) {
                LOG.warn("container {}: not restored: {}", entry.id(), e.getMessage());
            }
        }
        changed();
    }

    private static Container create(String id, long pid, long startTicks, UUID bootId) throws RegistrationException {
        long namespace = Processes.pidNamespace(pid);
        long rootUid = Processes.rootUid(pid);
        String cgroupText;
        String mountinfo;
        try {
            cgroupText = Files.readString(Path.of("/proc/" + pid + "/cgroup"));
            mountinfo = Files.readString(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            throw new RegistrationException("container " + id + ": cannot read the cgroups of init " + pid + ": " + e.getMessage());
        }
        if (namespace < 0 || rootUid < 0) {
            throw new RegistrationException("container " + id + ": init pid " + pid + " exited while registering");
        }
        try {
            return new Container(id, pid, startTicks, namespace, rootUid, CgroupDirs.parse(cgroupText, mountinfo), bootId);
        } catch (IllegalArgumentException e) {
            throw new RegistrationException("container " + id + ": " + e.getMessage());
        }
    }

    private void changed() {
        Map<Long, Container> namespaces = new HashMap<>();
        for (Container container : byId.values()) {
            namespaces.put(container.pidNamespace, container);
        }
        byPidNamespace = Map.copyOf(namespaces);
        namespaceCache = new ConcurrentHashMap<>();
        save();
    }

    private void save() {
        List<FsState.Entry> entries = new ArrayList<>();
        for (Container c : byId.values()) {
            entries.add(new FsState.Entry(c.id, c.initPid, c.startTicks, c.bootId.toString(), c.writtenSysctls()));
        }
        entries.sort(java.util.Comparator.comparing(FsState.Entry::id));
        try {
            new FsState(FsState.CURRENT_VERSION, entries).save(stateFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save " + stateFile + ": " + e.getMessage(), e);
        }
    }
}
