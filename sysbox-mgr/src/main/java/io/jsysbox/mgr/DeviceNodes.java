package io.jsysbox.mgr;

import io.jsysbox.api.RuntimeDirs;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import io.jsysbox.linux.MountInfo;
import io.jsysbox.spec.HostRange;
import io.jsysbox.spec.Prepare.BindMount;
import io.jsysbox.spec.Prepare.DeviceNode;
import io.jsysbox.spec.Prepare.MountReplacement;
import io.jsysbox.spec.Prepare.RequestedDevice;
import io.jsysbox.spec.RequestedDevices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Device nodes a system container gets, made for it on a tmpfs of the manager's. Why not the host's nodes, which
 * runc would bind-mount: they belong to host ids the container's user namespace does not map, so inside they show as
 * nobody:nogroup and its root cannot open one of mode 0600 (/dev/kvm); and runc binds them from the path they have
 * inside the container, so a device given another name there (--device /dev/kvm:/dev/mykvm) fails. The host's
 * nodes are never touched.
 * <ul>
 * <li>The devices the spec asks for (Docker's --device): the host node's mode, its owner and group as the same ids
 * inside (host root as the container's root, group kvm 108 as gid 108). The device cgroup rules stay the spec's.
 * <li>A bind mount whose source is a device node (-v /dev/kvm:/dev/kvm, with --device-cgroup-rule): the same, from
 * the host node itself.
 * <li>The manager's own: /dev/net/tun (rootless Podman's slirp4netns, VPNs) and /dev/fuse (fuse-overlayfs), both
 * safe in a user namespace, owned by the container's root with mode 0666 as a distribution's udev makes them; a
 * requested device at the same path takes their place.
 * </ul>
 * The tmpfs is mounted without nodev (/run usually is nodev, which would make them unusable); each container's nodes
 * are in a dir only its root passes ({@link RuntimeDirs#ONE_CONTAINERS}): on the host, no other user reaches them.
 */
final class DeviceNodes {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceNodes.class);

    private record Device(String destination, String name, int major, int minor) {}

    private static final List<Device> DEVICES =
            List.of(new Device("/dev/net/tun", "net-tun", 10, 200), new Device("/dev/fuse", "fuse", 10, 229));
    /**
     * The host owner of a node whose owner or group the container does not map (an id past its range's size): host
     * root, which the container does not map either, so inside it shows as the overflow id (65534), as a file of such
     * an owner shows in an ID-mapped bind mount; the mode's bits for others still apply. Not the range's start plus
     * the id: that would be another container's id.
     */
    static final int UNMAPPED = 0;

    private static final int PERMISSION_BITS = 07777;

    /**
     * What a prepare's device work made: the nodes to bind-mount, and for the bind mounts whose sources are device
     * nodes the node to mount instead; {@code otherBinds} are the bind mounts left to ID mapping.
     */
    record Made(List<DeviceNode> nodes, List<MountReplacement> replacements, List<BindMount> otherBinds) {}

    private final Path root;

    DeviceNodes(Path root) {
        this.root = root;
    }

    /** Mounts the tmpfs the nodes live on, unless a previous manager did; passable by all containers' roots. */
    void prepare() throws IOException {
        RuntimeDirs.ensure(root, RuntimeDirs.PASSED_BY_CONTAINERS);
        if (MountInfo.read().topmostAt(root).isEmpty()) {
            Linux.mount(
                    "jsysbox-dev",
                    root,
                    "tmpfs",
                    Linux.MS_NOSUID | Linux.MS_NOEXEC,
                    String.format("mode=%04o,size=64k", RuntimeDirs.PASSED_BY_CONTAINERS));
        }
        RuntimeDirs.ensure(
                root, RuntimeDirs.PASSED_BY_CONTAINERS); // the tmpfs's root, also one an older manager mounted
    }

    /** The dir of the nodes of the container whose slot dir is named {@code dirName}. */
    Path dirOf(String dirName) {
        return root.resolve(dirName);
    }

    /**
     * Makes the nodes of a container of ranges {@code uids}, {@code gids} in their own dir {@code dirName} (recorded in
     * {@code made} for removal): the {@code requested} devices (checked by {@link RequestedDevices#check}), the device
     * nodes among the sources of {@code binds}, and the manager's own that the host has and no requested device
     * replaces.
     */
    Made make(
            String dirName,
            List<RequestedDevice> requested,
            List<BindMount> binds,
            HostRange uids,
            HostRange gids,
            ContainerState.Builder made)
            throws IOException {
        Path dir = dirOf(dirName);
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            NoFollowTree.delete(root, dir.getFileName().toString());
        }
        RuntimeDirs.ensure(dir, RuntimeDirs.ONE_CONTAINERS, gids.rootId());
        made.dirs.add(dir.toString());
        List<DeviceNode> nodes = new ArrayList<>();
        List<MountReplacement> replacements = new ArrayList<>();
        List<BindMount> otherBinds = new ArrayList<>();
        try (Fd dirFd = Linux.openDirectoryNoSymlinks(dir)) {
            for (int i = 0; i < requested.size(); i++) {
                RequestedDevice device = requested.get(i);
                String name = "device-" + i;
                int major = Math.toIntExact(device.major());
                int minor = Math.toIntExact(device.minor());
                makeNode(
                        dirFd,
                        name,
                        device.block() ? Linux.S_IFBLK : Linux.S_IFCHR,
                        Linux.makedev(major, minor),
                        (int) device.fileMode(),
                        device.uid(),
                        device.gid(),
                        uids,
                        gids,
                        RequestedDevices.describe(device));
                nodes.add(new DeviceNode(device.path(), dir.resolve(name).toString(), major, minor, true));
            }
            for (BindMount bind : binds) {
                Optional<Linux.Stat> host = deviceNodeAt(Path.of(bind.source()));
                if (host.isEmpty()) {
                    otherBinds.add(bind);
                    continue;
                }
                String name = "bind-" + bind.index();
                Linux.Stat node = host.get();
                makeNode(
                        dirFd,
                        name,
                        node.type(),
                        node.rdev(),
                        node.mode() & PERMISSION_BITS,
                        node.uid(),
                        node.gid(),
                        uids,
                        gids,
                        "bind source " + bind.source());
                replacements.add(
                        new MountReplacement(bind.index(), dir.resolve(name).toString()));
            }
            Set<String> taken = requested.stream().map(RequestedDevice::path).collect(Collectors.toSet());
            for (Device device : DEVICES) {
                if (taken.contains(device.destination()) || !Files.exists(Path.of(device.destination()))) {
                    continue;
                }
                makeNode(
                        dirFd,
                        device.name(),
                        Linux.S_IFCHR,
                        Linux.makedev(device.major(), device.minor()),
                        0666,
                        0,
                        0,
                        uids,
                        gids,
                        device.destination());
                nodes.add(new DeviceNode(
                        device.destination(),
                        dir.resolve(device.name()).toString(),
                        device.major(),
                        device.minor(),
                        false));
            }
        }
        return new Made(nodes, replacements, otherBinds);
    }

    /**
     * Makes the node {@code name} of file type {@code type}, device {@code dev} and permissions {@code mode}, owned by
     * the host ids that show as {@code uid}:{@code gid} in the container. Made with no permissions, owned, then given
     * its mode: a chown clears setuid and setgid bits, and until then the node is host root's alone.
     */
    private static void makeNode(
            Fd dir,
            String name,
            int type,
            long dev,
            int mode,
            long uid,
            long gid,
            HostRange uids,
            HostRange gids,
            String what)
            throws LinuxException {
        int hostUid = hostIdOf(uid, uids);
        int hostGid = hostIdOf(gid, gids);
        if (hostUid == UNMAPPED && uid != 0 || hostGid == UNMAPPED && gid != 0) {
            LOG.info(
                    "{}: owner {}:{} is past the container's {} ids: it shows as the overflow id (65534) there",
                    what,
                    uid,
                    gid,
                    uids.size());
        }
        Linux.mknodAt(dir, name, type, dev);
        Linux.chownNoFollow(dir, name, hostUid, hostGid);
        Linux.chmodAt(dir, name, mode);
    }

    /**
     * The host id a node gets so that it shows as {@code id} in a container whose ids are the host's {@code range}:
     * the range's start plus {@code id}, or {@link #UNMAPPED} for an id past the range's size.
     */
    static int hostIdOf(long id, HostRange range) {
        return id >= 0 && id < range.size() ? Math.toIntExact(range.start() + id) : UNMAPPED;
    }

    /**
     * The character or block device node at {@code source}, a bind mount's source: a host path the user gave (-v), so
     * its symlinks are followed, as the bind would follow them. Empty for anything else, or a source that is not
     * there.
     */
    private static Optional<Linux.Stat> deviceNodeAt(Path source) {
        try (Fd node = Linux.openat2(null, source.toString(), Linux.O_PATH, 0)) {
            Linux.Stat stat = Linux.stat(node);
            return stat.type() == Linux.S_IFCHR || stat.type() == Linux.S_IFBLK ? Optional.of(stat) : Optional.empty();
        } catch (LinuxException notThere) {
            return Optional.empty();
        }
    }
}
