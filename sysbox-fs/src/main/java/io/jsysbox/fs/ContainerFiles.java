package io.jsysbox.fs;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.MountInfo;
import io.jsysbox.linux.ProcessIdentity;
import io.jsysbox.procfs.CgroupStats;
import io.jsysbox.procfs.CgroupV1Reader;
import io.jsysbox.procfs.CgroupV2Reader;
import io.jsysbox.procfs.ContainerView;
import io.jsysbox.procfs.CpuList;
import io.jsysbox.procfs.SysctlKey;
import io.jsysbox.procfs.SysctlWrite;
import io.jsysbox.procfs.Sysinfo;
import io.jsysbox.procfs.VirtualFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The served files' content: in a registered container's view, rendered by procfs-virt from that container's
 * cgroup files, start time and sysctl values; in the host's view, the host's own file. Whoever reads: the view
 * decides, not the caller. Writes reach a container's sysctl store only, from a root process of that container.
 */
final class ContainerFiles implements FileBackend {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerFiles.class);

    private static final Path PROC = Path.of("/proc");
    private static final Path PROC_MEMINFO = Path.of("/proc/meminfo");

    private final ContainerRegistry registry;
    private final HostFiles hostFiles = HostFiles.hostProc();

    /**
     * A value and when it was worked out. Why: a sysinfo call was ~0.3 ms, most of it the caller's mount table (the
     * kernel writes it out, this parses it) and the container's meminfo rendered again. A program that asks in a loop
     * (libuv, a JVM sizing its heap per thread pool) gets the same answer for {@value #SYSINFO_REUSE_NANOS} ns; a mount
     * namespace's answer to "is /proc/meminfo ours" is kept {@value #MOUNT_TABLE_REUSE_NANOS} ns.
     */
    private record Timed<T>(long at, T value) {}

    private static final long SYSINFO_REUSE_NANOS = 100_000_000L;
    private static final long MOUNT_TABLE_REUSE_NANOS = 1_000_000_000L;
    /** Past this many entries a cache starts over (its keys come and go with containers and namespaces). */
    private static final int MAX_REMEMBERED = 4096;

    private final Map<String, Timed<byte[]>> recentSysinfo = new ConcurrentHashMap<>();
    private final Map<String, Timed<Boolean>> virtualMeminfoByMountNamespace = new ConcurrentHashMap<>();

    ContainerFiles(ContainerRegistry registry) {
        this.registry = registry;
    }

    @Override
    public Owner owner(long slot) {
        return owner(registry.inSlot(slot));
    }

    @Override
    public Owner owner(String id) {
        return owner(registry.named(id));
    }

    @Override
    public List<Owner> owners() {
        return registry.containers().stream()
                .map(ContainerFiles::owner)
                .sorted(Comparator.comparingLong(Owner::slot))
                .toList();
    }

    private static Owner owner(Container container) {
        return container == null
                ? null
                : new Owner(
                        container.slot,
                        container.id,
                        (int) container.rootUid,
                        (int) container.rootGid,
                        container.uidCount);
    }

    @Override
    public OpenFile open(Owner owner, FsTree.Node node, Caller caller, boolean forWriting) throws FsError {
        Container container = owner.slot() == 0 ? null : registered(owner.slot());
        if (forWriting) {
            if (container == null || !(node.file instanceof VirtualFile.Sysctl(SysctlKey key)) || !key.writable()) {
                throw new FsError(
                        Errno.EACCES,
                        node.path + (container == null ? " is read-only in the host's view" : " is read-only"));
            }
            // The caller's pid namespace is the container's, or nested in it: not the host, not another container.
            if (registry.containerOf(caller.pid()) != container) {
                throw new FsError(Errno.EPERM, "only processes of " + container.id + " write its " + node.path);
            }
            if (caller.uid() != container.rootUid && caller.uid() != 0) {
                throw new FsError(Errno.EACCES, "only the root of " + container.id + " writes its " + node.path);
            }
        }
        return new Opened(node, container);
    }

    /** The container registered in {@code slot}; ENOENT once it is not (its view is gone, its data with it). */
    private Container registered(long slot) throws FsError {
        Container container = registry.inSlot(slot);
        if (container == null) {
            throw new FsError(Errno.ENOENT, "no container is registered in slot " + slot);
        }
        return container;
    }

    /**
     * The struct sysinfo (x86_64) process {@code callerPid} of container {@code id} sees: {@link #sysinfo(String)} when
     * it reads the container's /proc/meminfo. Empty when it does not (an inner container's fresh procfs, a meminfo
     * unmounted inside): then the host's sysinfo is the one that agrees with its /proc, which tools such as busybox
     * free
     * combine (a total from sysinfo with the host's Cached would print a negative "used").
     */
    Optional<byte[]> sysinfo(String id, int callerPid) throws IOException {
        Container container = registered(id);
        // The caller's mount table first: the view's cgroup and /proc reads are wasted on one that gets the host's.
        if (!readsVirtualMeminfo(callerPid)) {
            return Optional.empty();
        }
        long now = System.nanoTime();
        Timed<byte[]> recent = recentSysinfo.get(container.id);
        if (recent != null && now - recent.at() < SYSINFO_REUSE_NANOS) {
            return Optional.of(recent.value());
        }
        byte[] answer = sysinfo(container);
        remember(recentSysinfo, container.id, new Timed<>(now, answer));
        return Optional.of(answer);
    }

    private static <T> void remember(Map<String, Timed<T>> cache, String key, Timed<T> value) {
        if (cache.size() >= MAX_REMEMBERED) {
            cache.clear();
        }
        cache.put(key, value);
    }

    /**
     * The struct sysinfo (x86_64) of container {@code id}: the numbers of its /proc/meminfo, uptime and loadavg, and
     * its cgroup's tasks ({@link Sysinfo}). Throws when no container is registered as {@code id}.
     */
    byte[] sysinfo(String id) throws IOException {
        return sysinfo(registered(id));
    }

    private Container registered(String id) throws IOException {
        Container container = registry.named(id);
        if (container == null) {
            throw new IOException("it is not registered with jsysbox-fs");
        }
        return container;
    }

    private byte[] sysinfo(Container container) throws IOException {
        Function<String, Optional<String>> files = cgroupFiles(container, CgroupInputs.SYSINFO);
        return Sysinfo.of(
                        view(container, files),
                        hostFiles.read("/proc/meminfo"),
                        hostFiles.read("/proc/uptime"),
                        hostFiles.read("/proc/loadavg"),
                        files)
                .encode();
    }

    /**
     * Whether process {@code pid} sees jsysbox-fs's file at /proc/meminfo: the topmost mount there is ours and sits on
     * the procfs its /proc shows (its own mount table, paths as it sees them).
     */
    private boolean readsVirtualMeminfo(int pid) throws IOException {
        // Per mount namespace and root: processes that share both see the same /proc/meminfo.
        String namespace = Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/mnt")) + " "
                + Files.readSymbolicLink(Path.of("/proc/" + pid + "/root"));
        long now = System.nanoTime();
        Timed<Boolean> recent = virtualMeminfoByMountNamespace.get(namespace);
        if (recent != null && now - recent.at() < MOUNT_TABLE_REUSE_NANOS) {
            return recent.value();
        }
        MountInfo mounts = MountInfo.parse(Files.readString(Path.of("/proc/" + pid + "/mountinfo")));
        Optional<MountInfo.Entry> proc = mounts.topmostAt(PROC);
        Optional<MountInfo.Entry> meminfo = mounts.topmostAt(PROC_MEMINFO);
        boolean virtual = proc.isPresent()
                && meminfo.isPresent()
                && meminfo.get().fsType().equals(FuseSession.FS_TYPE)
                && mounts.sitsOn(meminfo.get(), proc.get());
        remember(virtualMeminfoByMountNamespace, namespace, new Timed<>(now, virtual));
        return virtual;
    }

    /** {@code container}'s cgroup files, of those {@code needed}: the others read as absent. */
    private static Function<String, Optional<String>> cgroupFiles(Container container, Predicate<String> needed) {
        return name -> needed.test(name) ? container.readCgroup(name) : Optional.empty();
    }

    private ContainerView view(Container container, Function<String, Optional<String>> files) throws IOException {
        CgroupStats stats = container.cgroups.v2() ? CgroupV2Reader.read(files) : CgroupV1Reader.read(files);
        Duration started = Duration.ofMillis(container.startTicks * 1000 / ProcessIdentity.CLOCK_TICKS_PER_SECOND);
        return ContainerView.of(
                container.id, stats, started, CpuList.parse(hostFiles.read(HostFiles.ONLINE_CPUS)), Optional.empty());
    }

    private final class Opened implements OpenFile {
        private final FsTree.Node node;
        private final Container container;

        Opened(FsTree.Node node, Container container) {
            this.node = node;
            this.container = container;
        }

        @Override
        public byte[] render() throws FsError {
            if (container != null) {
                registered(container.slot); // a file opened before the container was unregistered
            }
            try {
                return text().getBytes(StandardCharsets.ISO_8859_1); // HostFiles reads one char per byte
            } catch (NoSuchFileException e) {
                throw new FsError(
                        Errno.ENOENT, e.getMessage()); // e.g. nf_conntrack's files while the module is not loaded
            } catch (UncheckedIOException e) {
                if (e.getCause() instanceof NoSuchFileException) {
                    throw new FsError(Errno.ENOENT, e.getMessage());
                }
                throw unrenderable(e);
            } catch (IOException | IllegalArgumentException e) {
                throw unrenderable(e);
            }
        }

        /** EIO for a file that could not be rendered, said in the log. */
        private FsError unrenderable(Exception e) {
            LOG.warn("rendering {} for {}: {}", node.path, container == null ? "the host" : container.id, e.toString());
            return new FsError(Errno.EIO, e.getMessage());
        }

        private String text() throws IOException {
            if (container == null) {
                return hostFiles.read(node.path);
            }
            return switch (node.file) {
                case VirtualFile.Rendered(String hostPath, var renderer) ->
                    renderer.render(view(), hostFiles.read(hostPath));
                case VirtualFile.Sysctl(SysctlKey key) ->
                    container.sysctls().read(key, () -> {
                        try {
                            return hostFiles.read(key.path());
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
                case VirtualFile.Generated(var content) -> content.apply(view());
            };
        }

        private ContainerView view() throws IOException {
            return ContainerFiles.this.view(container, cgroupFiles(container, CgroupInputs.of(node.path)));
        }

        @Override
        public int write(byte[] data, long offset) throws FsError {
            if (!(node.file instanceof VirtualFile.Sysctl(SysctlKey key)) || container == null) {
                throw new FsError(Errno.EACCES, node.path + " was not opened for writing");
            }
            registered(container.slot);
            return switch (container.write(key, data, offset)) {
                case SysctlWrite.Accepted(int consumed, var value) -> {
                    if (value.isPresent()) {
                        registry.sysctlsChanged(container);
                    }
                    yield consumed;
                }
                case SysctlWrite.Rejected(var errno) ->
                    throw new FsError(errno.code(), "rejected write to " + node.path);
            };
        }
    }
}
