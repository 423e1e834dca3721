package io.jsysbox.spec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsysbox.linux.MountInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A bundle's config.json on its way to a system container's: read and checked ({@link #read}), what the manager must
 * prepare for it ({@link #prepareRequest}), and written back rewritten with what the manager prepared
 * ({@link #write}). The host facts the rewrite needs (AppArmor, kernel file systems) are read by {@link #read};
 * the capability bounding set is the runtime process's, which the caller passes.
 */
public final class SystemContainerSpec {
    private final Path bundle;
    private final ObjectNode original;
    private final PodRole pod;
    private final List<Prepare.RequestedDevice> devices;
    private final AppArmorConfinement.Choice apparmor;
    private final List<String> capabilities;
    private final List<String> kernelFsMountpoints;

    private SystemContainerSpec(
            Path bundle,
            ObjectNode original,
            PodRole pod,
            List<Prepare.RequestedDevice> devices,
            AppArmorConfinement.Choice apparmor,
            List<String> capabilities,
            List<String> kernelFsMountpoints) {
        this.bundle = bundle;
        this.original = original;
        this.pod = pod;
        this.devices = devices;
        this.apparmor = apparmor;
        this.capabilities = capabilities;
        this.kernelFsMountpoints = kernelFsMountpoints;
    }

    /**
     * Reads {@code bundle}/config.json (an earlier rewrite undone) and refuses what a system container may not be:
     * the host's namespaces, privileged, devices it cannot have, no seccomp agent to serve it. {@code boundingSet}:
     * the capabilities the runtime process that runs runc may grant (its CapBnd), which the container's root gets.
     */
    public static SystemContainerSpec read(Path bundle, List<String> boundingSet) throws JsysboxException {
        ObjectNode spec = SpecOriginal.of(ConfigFile.read(bundle.resolve("config.json")));
        PodRole pod = PodRole.of(spec);
        SpecValidation.validate(spec, pod, HostNamespaces.joinedBy(spec));
        List<Prepare.RequestedDevice> devices = SpecDevices.requested(spec);
        SeccompAgentSocket.require();
        AppArmorConfinement.Choice apparmor = AppArmorConfinement.forContainer(
                OciSpec.of(spec).process().path("apparmorProfile").asText(""), AppArmorConfinement.host());
        List<String> kernelFsMountpoints = SpecTransformer.KERNEL_FS_MOUNTPOINTS.stream()
                .filter(dir -> Files.isDirectory(Path.of(dir)))
                .toList();
        return new SystemContainerSpec(bundle, spec, pod, devices, apparmor, boundingSet, kernelFsMountpoints);
    }

    /** What the manager must make for container {@code id} before runc runs. */
    public Prepare.Request prepareRequest(String id) {
        return PrepareRequests.of(id, bundle, original, pod, devices);
    }

    /**
     * Writes the system container's spec to config.json: the original rewritten with what the manager
     * {@code prepared}; {@code startedHook} (argv, empty for none) and {@code hookEnvironment}: a createRuntime hook
     * to add (see {@link SpecOriginal#withStartedHook}). {@code hostMounts}: the host's mount table read after
     * Prepare, whose locked flags the rewritten mounts keep.
     */
    public void write(
            String id,
            Prepare.Result prepared,
            MountInfo hostMounts,
            List<String> startedHook,
            List<String> hookEnvironment)
            throws JsysboxException {
        ObjectNode transformed =
                SpecTransformer.transform(id, original, pod, prepared, capabilities, kernelFsMountpoints);
        SpecTransformer.keepLockedMountFlags(transformed, hostMounts);
        AppArmorConfinement.apply(transformed, apparmor);
        if (!startedHook.isEmpty()) {
            transformed = SpecOriginal.withStartedHook(transformed, startedHook, hookEnvironment);
        }
        ConfigFile.write(bundle.resolve("config.json"), transformed);
    }

    /** The root filesystem of the container whose (rewritten) config.json is in {@code bundle}, as runc resolves it. */
    public static Path rootfsOf(Path bundle) throws JsysboxException {
        return PrepareRequests.rootfs(OciSpec.of(ConfigFile.read(bundle.resolve("config.json"))), bundle);
    }

    /** Why the container runs under another AppArmor profile than it asked for, or "". */
    public String apparmorWarning() {
        return apparmor.warning();
    }

    /**
     * What {@code Started} needs to know of a container whose bundle was already rewritten (config.json's annotations
     * hold its original): no checks, no host facts. {@code podSandbox}: it is a pod's sandbox; {@code
     * networkToAdopt}: a pod sandbox's network namespace as the CRI made it, for the manager to move into the
     * sandbox's own, or ""; {@code mountInterceptionOff}: its environment says {@link
     * SpecTransformer#MOUNT_INTERCEPTION_OFF}.
     */
    public record StartFacts(boolean podSandbox, String networkToAdopt, boolean mountInterceptionOff) {
        public static StartFacts of(Path bundle) throws JsysboxException {
            ObjectNode spec = SpecOriginal.of(ConfigFile.read(bundle.resolve("config.json")));
            PodRole pod = PodRole.of(spec);
            return new StartFacts(
                    pod.isSandbox(),
                    SpecTransformer.networkToAdopt(spec, pod),
                    SpecTransformer.mountInterceptionOff(spec));
        }
    }
}
