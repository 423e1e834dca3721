package io.jsysbox.mgr;

import io.jsysbox.linux.MountInfo;
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
 * mode 0666, as a distribution's udev makes them. They live on a tmpfs of their own, mounted without nodev (/run
 * usually is nodev, which would make them unusable).
 */
final class DeviceNodes {
    private record Device(String destination, String name, int major, int minor) {}

    private static final List<Device> DEVICES = List.of(new Device("/dev/net/tun", "net-tun", 10, 200),
            new Device("/dev/fuse", "fuse", 10, 229));

    private final Path root;

    DeviceNodes(Path root) {
        this.root = root;
    }

    /** Mounts the tmpfs the nodes live on, unless a previous manager did. */
    void prepare() throws IOException {
        Files.createDirectories(root);
        if (MountInfo.read().topmostAt(root).isEmpty()) {
            Linux.mount("jsysbox-dev", root, "tmpfs", Linux.MS_NOSUID | Linux.MS_NOEXEC, "mode=0711,size=64k");
        }
    }

    /**
     * Makes the nodes for a container in their own dir {@code dirName} (recorded in {@code made} for removal) owned by
     * {@code uid}:{@code gid}, for the devices the host has.
     */
    List<DeviceNode> make(String dirName, int uid, int gid, ContainerState.Builder made) throws IOException {
        Path dir = root.resolve(dirName);
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) NoFollowTree.delete(root, dir.getFileName().toString());
        try (Fd rootFd = Linux.openDirectoryNoSymlinks(root)) {
            Linux.mkdirAt(rootFd, dir.getFileName().toString(), 0711);
        }
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
