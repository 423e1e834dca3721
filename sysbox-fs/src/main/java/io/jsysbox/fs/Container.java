package io.jsysbox.fs;

import io.jsysbox.linux.ProcessIdentity;
import io.jsysbox.procfs.SysctlKey;
import io.jsysbox.procfs.SysctlStore;
import io.jsysbox.procfs.SysctlWrite;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One registered container: the slot of its view's node ids (see {@link FsTree}), its init (pid, start time,
 * pid namespace), the host uid and gid of its root and its range of uids, its cgroup directories and its sysctl values.
 * The values it
 * wrote are also kept by key so they can be persisted and replayed into a new {@link SysctlStore} after a daemon
 * restart.
 */
final class Container {
    private static final Logger LOG = LoggerFactory.getLogger(Container.class);
    /** How long a guarded mount call waits for an announced Protect. */
    private static final Duration PROTECTION_PATIENCE = Duration.ofSeconds(10);

    final String id;
    final long slot;
    final long initPid;
    final long startTicks;
    final long pidNamespace;
    final long rootUid;
    final long rootGid;
    /** How many host uids from {@link #rootUid} its user namespace maps: its processes' uids. */
    final long uidCount;

    final CgroupDirs cgroups;
    final UUID bootId;
    private final SysctlStore sysctls;
    /** Its cgroup files, kept open while it is registered; its limits reused a moment. */
    private final HostFiles cgroupFiles = HostFiles.containerCgroups();
    /** Its cgroup files' host paths by name ("memory.stat"…): every virtual file read needs a few of them. */
    private final Map<String, Optional<String>> cgroupPaths = new ConcurrentHashMap<>();

    private final Map<SysctlKey, String> written = new ConcurrentHashMap<>();
    /** Its mounts as the runtime made them, which its processes may not unmount, move or make writable. */
    private volatile ProtectedMounts protectedMounts = ProtectedMounts.NONE;
    /** Open while a Protect announced at its registration has not arrived ({@link #awaitProtectedMounts}). */
    private final CountDownLatch protectionDue;

    Container(
            String id,
            long slot,
            long initPid,
            long startTicks,
            long pidNamespace,
            long rootUid,
            long rootGid,
            long uidCount,
            CgroupDirs cgroups,
            UUID bootId,
            boolean protectionFollows) {
        this.id = id;
        this.slot = slot;
        this.initPid = initPid;
        this.startTicks = startTicks;
        this.pidNamespace = pidNamespace;
        this.rootUid = rootUid;
        this.rootGid = rootGid;
        this.uidCount = uidCount;
        this.cgroups = cgroups;
        this.bootId = bootId;
        this.sysctls = new SysctlStore(bootId);
        this.protectionDue = new CountDownLatch(protectionFollows ? 1 : 0);
    }

    /** The container's init as a process identity. */
    ProcessIdentity init() {
        return new ProcessIdentity(initPid, startTicks);
    }

    /** The content of cgroup file {@code name}, empty when the file or its controller is absent. */
    Optional<String> readCgroup(String name) {
        Optional<String> path = cgroupPaths.computeIfAbsent(name, cgroups::path);
        if (path.isEmpty()) {
            return path;
        }
        try {
            return Optional.of(cgroupFiles.read(path.get()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Its protected mounts as they are now (for the state file). */
    ProtectedMounts protectedMounts() {
        return protectedMounts;
    }

    /**
     * Its protected mounts once the Protect its registration announced has arrived, or {@link #PROTECTION_PATIENCE}
     * has passed (the runtime's Started answered before jsysbox-fs took the list: its processes may run meanwhile).
     */
    ProtectedMounts awaitProtectedMounts() {
        try {
            if (!protectionDue.await(PROTECTION_PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
                protectionDue.countDown(); // waited for once: its later calls go on without the list
                LOG.warn(
                        "{}: the Protect its runtime announced did not come within {} s: its mounts are not guarded",
                        id,
                        PROTECTION_PATIENCE.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return protectedMounts;
    }

    void protect(ProtectedMounts mounts) {
        protectedMounts = mounts;
        protectionDue.countDown();
    }

    /** Closes the cgroup files (the container is forgotten), and lets go whoever waits for its protection. */
    void release() {
        protectionDue.countDown();
        cgroupFiles.close();
    }

    SysctlStore sysctls() {
        return sysctls;
    }

    /** Validates and stores a write; an accepted value is remembered for persistence. */
    SysctlWrite write(SysctlKey key, byte[] data, long offset) {
        SysctlWrite outcome = sysctls.write(key, data, offset);
        if (outcome instanceof SysctlWrite.Accepted(var _, var value) && value.isPresent()) {
            written.put(key, value.get());
        }
        return outcome;
    }

    /** The values the container wrote, by the path it sees (sorted, for stable state files). */
    Map<String, String> writtenSysctls() {
        Map<String, String> byPath = new TreeMap<>();
        written.forEach((key, value) -> byPath.put(key.path(), value));
        return byPath;
    }
}
