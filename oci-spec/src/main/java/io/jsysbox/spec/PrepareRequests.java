package io.jsysbox.spec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the manager must make for a spec before runc runs, read from the spec as its author wrote it: the rootfs to
 * ID-map, the bind sources, the special mounts, the namespaces it joins (which may be another jsysbox container's).
 */
public final class PrepareRequests {
    /** Where inner engines keep their images and state: the manager backs each with a host dir of the container's. */
    public static final List<String> SPECIAL_MOUNT_DESTINATIONS = List.of(
            "/var/lib/docker",
            "/var/lib/containerd",
            "/var/lib/containers",
            "/var/lib/kubelet",
            "/var/lib/rancher/k3s",
            "/var/lib/buildkit");
    /** In a container's environment: it opts out of the shared inner image cache. */
    static final String INNER_IMAGE_CACHE_OFF = "JSYSBOX_INNER_IMAGE_CACHE=off";

    private PrepareRequests() {}

    /**
     * The request for container {@code id} of {@code bundle}, whose {@code original} spec asks for {@code devices};
     * a pod's container shares its sandbox's range and joins no other container's. A pod's sandbox gets no special
     * mounts: only its pause process runs in its mount namespace, which no container of the pod shares.
     */
    static Prepare.Request of(
            String id, Path bundle, ObjectNode original, PodRole pod, List<Prepare.RequestedDevice> devices) {
        OciSpec spec = OciSpec.of(original);
        return new Prepare.Request(
                id,
                bundle,
                rootfs(spec, bundle),
                bindMounts(spec),
                pod.isSandbox() ? List.of() : specialMountsWanted(spec),
                innerImageCacheOff(spec),
                pod.sandboxId(),
                pod.kind() == PodRole.Kind.NONE ? joinedNamespacePaths(spec) : List.of(),
                devices);
    }

    /** root.path resolved against the bundle, as runc resolves it. */
    static Path rootfs(OciSpec spec, Path bundle) {
        return bundle.resolve(spec.rootPath().orElse("")).normalize();
    }

    /** The spec's bind mounts, by index in {@code mounts}, for the manager to ID-map. */
    static List<Prepare.BindMount> bindMounts(OciSpec spec) {
        List<Prepare.BindMount> binds = new ArrayList<>();
        for (OciSpec.Mount mount : spec.mounts()) {
            if (mount.isBind()) {
                binds.add(new Prepare.BindMount(
                        mount.index(),
                        mount.source(),
                        mount.json().path("destination").asText(),
                        mount.hasOption("ro")));
            }
        }
        return binds;
    }

    /**
     * The special-mount destinations the spec leaves free. One is skipped when the user mounted something on it,
     * inside it (our mount, added last, would hide theirs) or on a directory above it (the user owns that tree).
     */
    static List<String> specialMountsWanted(OciSpec spec) {
        List<String> wanted = new ArrayList<>();
        for (String special : SPECIAL_MOUNT_DESTINATIONS) {
            Path specialPath = Path.of(special);
            boolean taken = false;
            for (OciSpec.Mount mount : spec.mounts()) {
                Path destination = mount.destination();
                taken |= !destination.equals(Path.of("/"))
                        && (destination.startsWith(specialPath) || specialPath.startsWith(destination));
            }
            if (!taken) {
                wanted.add(special);
            }
        }
        return wanted;
    }

    /** The container opts out of the shared inner image cache with {@value #INNER_IMAGE_CACHE_OFF} in its environment. */
    static boolean innerImageCacheOff(OciSpec spec) {
        return spec.hasEnvironmentEntry(INNER_IMAGE_CACHE_OFF);
    }

    /**
     * Paths of the network, IPC, PID and UTS namespaces the spec joins: when they are a jsysbox container's (Docker's
     * --network/--ipc/--pid container:X), the manager has this container share that one's user namespace.
     */
    static List<String> joinedNamespacePaths(OciSpec spec) {
        List<String> paths = new ArrayList<>();
        for (var namespace : spec.linux().path("namespaces")) {
            if (List.of("network", "ipc", "pid", "uts")
                            .contains(namespace.path("type").asText())
                    && namespace.path("path").isTextual()) {
                paths.add(namespace.path("path").asText());
            }
        }
        return paths;
    }
}
