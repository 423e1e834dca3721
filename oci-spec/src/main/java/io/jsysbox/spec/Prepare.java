package io.jsysbox.spec;

import java.nio.file.Path;
import java.util.List;

/**
 * The manager's Prepare, as the domain sees it: what it is asked to make for a container before runc runs
 * ({@link Request}, read from the spec by {@link PrepareRequests}) and what it made ({@link Result}, which
 * {@link SpecTransformer} writes into the spec). Plain records, not wire types: the manager reads the bundle itself,
 * so neither crosses a socket, and the manager's domain knows no gRPC or protobuf type.
 */
public final class Prepare {
    private Prepare() {}

    /**
     * What container {@code id} of {@code bundle} needs: its {@code rootfs} (root.path resolved) ID-mapped, the
     * sources of {@code bindMounts} ID-mapped (a device node source replaced by a node made for the container), the
     * {@code specialMounts} destinations backed by host dirs (those the user mounted nothing on), its
     * {@code devices} made. {@code innerImageCacheOff}: its preloaded inner images are copied into its own dir, not
     * shared from the host's cache. {@code podSandboxId} (or "") names the Kubernetes pod sandbox whose user namespace
     * and range it shares; else, when {@code joinedNamespaces} (network, IPC, PID, UTS paths the spec joins) belong
     * to a running jsysbox container, it shares that one's.
     */
    public record Request(
            String id,
            Path bundle,
            Path rootfs,
            List<BindMount> bindMounts,
            List<String> specialMounts,
            boolean innerImageCacheOff,
            String podSandboxId,
            List<String> joinedNamespaces,
            List<RequestedDevice> devices) {
        public Request {
            bindMounts = List.copyOf(bindMounts);
            specialMounts = List.copyOf(specialMounts);
            joinedNamespaces = List.copyOf(joinedNamespaces);
            devices = List.copyOf(devices);
        }
    }

    /**
     * A bind mount of the spec, by {@code index} in its mounts. {@code readOnly}: the spec mounts it "ro", so the
     * ID-mapped clone is made read-only on the host, and the copy runc gets inside the container's user namespace is
     * locked read-only.
     */
    public record BindMount(int index, String source, String destination, boolean readOnly) {}

    /**
     * A device node the spec asks for (linux.devices, runc's defaults applied: mode 0666, owner 0): its
     * {@code path} in the container, block or character, numbers, permission bits ({@code fileMode}) and owner in
     * the container's namespace. Checked by {@link RequestedDevices#check}.
     */
    public record RequestedDevice(
            String path, boolean block, long major, long minor, long fileMode, long uid, long gid) {}

    /**
     * What the manager made: the container's {@code uids} and {@code gids} ranges, its special and shared
     * inner-image {@code layerMounts} (host dir on destination, bound after the special mounts they lie in), the new
     * sources of bind mounts ({@code replacements}), how the rootfs was shifted ("idmapped-overlay",
     * "idmapped-bind", "chown" or "none") and the {@code rootfsPath} to use as root.path ("": keep it), the device
     * nodes made, and {@code userNamespacePid}: for a container sharing another's user namespace, that one's init
     * (its namespaces are joined through /proc/PID/ns), else 0.
     */
    public record Result(
            HostRange uids,
            HostRange gids,
            List<SpecialMount> specialMounts,
            List<MountReplacement> replacements,
            String rootfsShift,
            String rootfsPath,
            List<DeviceNode> deviceNodes,
            List<SpecialMount> layerMounts,
            long userNamespacePid) {
        public Result {
            specialMounts = List.copyOf(specialMounts);
            replacements = List.copyOf(replacements);
            deviceNodes = List.copyOf(deviceNodes);
            layerMounts = List.copyOf(layerMounts);
        }
    }

    /** A host dir ({@code source}) the runtime binds on {@code destination}. */
    public record SpecialMount(String destination, String source) {}

    /** The spec's mount {@code index} gets {@code source}, an ID-mapped clone of its source, or a device node. */
    public record MountReplacement(int index, String source) {}

    /**
     * A device node made for the container at {@code source}, to bind on {@code destination}. {@code requested}: one
     * of the spec's devices (its linux.devices entry is dropped; the spec's device cgroup rules decide); otherwise the
     * manager's own (/dev/net/tun, /dev/fuse), allowed in the device cgroup.
     */
    public record DeviceNode(String destination, String source, int major, int minor, boolean requested) {}
}
