package io.jsysbox.mgr;

import io.jsysbox.linux.MountInfo;
import io.jsysbox.api.RuntimeDirs;
import io.jsysbox.api.v1.DeviceNode;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Device nodes a system container gets, made for it: /dev/net/tun (rootless Podman's slirp4netns, VPNs) and /dev/fuse
 * (fuse-overlayfs), both safe in a user namespace. Why not the host's nodes: they belong to host root (mode 0600 on
 * hosts without udev), so inside the container nobody could open them. These are owned by the container's root with
 * mode 0666, as a distribution's udev makes them (the container's other users open them too). They live on a tmpfs
 * of their own, mounted without nodev (/run usually is nodev, which would make them unusable), each container's in a
 * dir only its root passes ({@link RuntimeDirs#ONE_CONTAINERS}): on the host, no other user reaches them.
 */
final class DeviceNodes {
    private record Device(String destination, String name, int major, int minor) {}

    private static final List<Device> DEVICES = List.of(new Device("/dev/net/tun", "net-tun", 10, 200),
            new Device("/dev/fuse", "fuse", 10, 229));

    private final Path root;

    DeviceNodes(Path root) {
        this.root = root;
    }

    /** Mounts the tmpfs the nodes live on, unless a previous manager did; passable by all containers' roots. */
    void prepare() throws IOException {
        RuntimeDirs.ensure(root, RuntimeDirs.PASSED_BY_CONTAINERS);
        if (MountInfo.read().topmostAt(root).isEmpty()) {
            Linux.mount("jsysbox-dev", root, "tmpfs", Linux.MS_NOSUID | Linux.MS_NOEXEC,
                    String.format("mode=%04o,size=64k", RuntimeDirs.PASSED_BY_CONTAINERS));
        }
        RuntimeDirs.ensure(root, RuntimeDirs.PASSED_BY_CONTAINERS); // the tmpfs's root, also one an older manager mounted
    }

    /** The dir of the nodes of the container whose slot dir is named {@code dirName}. */
    Path dirOf(String dirName) {
        return root.resolve(dirName);
    }

    /**
     * Makes the nodes for a container in their own dir {@code dirName} (recorded in {@code made} for removal) owned by
     * {@code uid}:{@code gid}, for the devices the host has.
     */
    List<DeviceNode> make(String dirName, int uid, int gid, ContainerState.Builder made) throws IOException {
        Path dir = dirOf(dirName);
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) NoFollowTree.delete(root, dir.getFileName().toString());
        RuntimeDirs.ensure(dir, RuntimeDirs.ONE_CONTAINERS, gid);
        made.dirs.add(dir.toString());
        List<DeviceNode> nodes = new ArrayList<>();
        try (Fd dirFd = Linux.openDirectoryNoSymlinks(dir)) {
            for (Device device : DEVICES) {
                if (!Files.exists(Path.of(device.destination()))) continue;
                Linux.mknodCharAt(dirFd, device.name(), device.major(), device.minor(), 0666);
                Linux.chownNoFollow(dirFd, device.name(), uid, gid);
                Linux.chmodAt(dirFd, device.name(), 0666);
                nodes.add(DeviceNode.newBuilder().setDestination(device.destination())
                        .setSource(dir.resolve(device.name()).toString()).setMajor(device.major()).setMinor(device.minor()).build());
            }
        }
        return nodes;
    }
}
