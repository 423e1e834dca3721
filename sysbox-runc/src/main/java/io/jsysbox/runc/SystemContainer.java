package io.jsysbox.runc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsysbox.api.v1.PrepareRequest;
import io.jsysbox.api.v1.PrepareResponse;
import io.jsysbox.api.v1.RequestedDevice;
import io.jsysbox.linux.MountInfo;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * A container being made by create or run: its bundle's spec checked, its resources prepared by the manager and
 * its config.json rewritten. Whoever holds one either reports it started or releases it.
 */
final class SystemContainer implements AutoCloseable {
    private final ManagerClient manager;
    private final String id;
    private final ErrorLog log;
    /** A pod sandbox's network namespace as the CRI made it, for the manager to move into the sandbox's own; or "". */
    private final String networkToAdopt;
    /** Its environment says {@link SpecTransformer#MOUNT_INTERCEPTION_OFF}. */
    private final boolean mountInterceptionOff;

    private SystemContainer(ManagerClient manager, String id, ErrorLog log, String networkToAdopt,
            boolean mountInterceptionOff) {
        this.manager = manager;
        this.id = id;
        this.log = log;
        this.networkToAdopt = networkToAdopt;
        this.mountInterceptionOff = mountInterceptionOff;
    }

    /**
     * Checks the bundle's spec, has the manager prepare the container and writes the rewritten spec (plus
     * {@code addition}) back to config.json. On failure nothing is left prepared.
     */
    static SystemContainer prepare(String id, Path bundle, UnaryOperator<ObjectNode> addition, ErrorLog log)
            throws JsysboxException {
        CompletableFuture<ManagerClient> connecting = ManagerClient.connectInBackground();
        Path configFile = bundle.resolve("config.json");
        ObjectNode spec;
        List<String> capabilities;
        List<String> kernelFsMountpoints;
        PodRole pod;
        AppArmorConfinement.Choice apparmor;
        List<RequestedDevice> devices;

        try {
            spec = SpecTransformer.original(ConfigFile.read(configFile));
            pod = PodRole.of(spec);
            SpecTransformer.validate(spec, pod, HostNamespaces.joinedBy(spec));
            devices = SpecDevices.requested(spec);
            SeccompAgentSocket.require();
            apparmor = AppArmorConfinement.forContainer(spec.path("process").path("apparmorProfile").asText(""), AppArmorConfinement.host());
            capabilities = Capabilities.hostBoundingSet();
            kernelFsMountpoints = SpecTransformer.KERNEL_FS_MOUNTPOINTS.stream()
                    .filter(dir -> java.nio.file.Files.isDirectory(Path.of(dir))).toList();

        } catch (JsysboxException | RuntimeException e) {
            connecting.thenAccept(ManagerClient::close);
            throw e;
        }
        ManagerClient manager = ManagerClient.await(connecting);
        SystemContainer container = new SystemContainer(manager, id, log, SpecTransformer.networkToAdopt(spec, pod),
                SpecTransformer.mountInterceptionOff(spec));
        try {
            PrepareResponse prepared = manager.prepare(PrepareRequest.newBuilder().setId(id).setBundle(bundle.toString())
                    .setRootfs(SpecTransformer.rootfs(spec, bundle).toString())
                    .addAllBindMounts(SpecTransformer.bindMounts(spec))
                    .addAllDevices(devices)
                    .addAllSpecialMounts(SpecTransformer.specialMountsWanted(spec))
                    .setInnerImageCacheOff(SpecTransformer.innerImageCacheOff(spec))
                    .setPodSandboxId(pod.sandboxId())
                    .addAllJoinedNamespaces(pod.kind() == PodRole.Kind.NONE ? SpecTransformer.joinedNamespacePaths(spec) : List.of())
                    .build());
            try {
                ObjectNode transformed = SpecTransformer.transform(id, spec, pod, prepared, capabilities,
                        kernelFsMountpoints);
                SpecTransformer.keepLockedMountFlags(transformed, hostMounts());
                AppArmorConfinement.apply(transformed, apparmor);
                ConfigFile.write(configFile, addition.apply(transformed));
            } catch (JsysboxException | RuntimeException e) {
                container.release();
                throw e;
            }
            if (!apparmor.warning().isEmpty()) log.warning(apparmor.warning());
            return container;
        } catch (JsysboxException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** The host's mount table, read after Prepare: the manager's ID-mapped clones of bind sources are in it. */
    private static MountInfo hostMounts() throws JsysboxException {
        try {
            return MountInfo.read();
        } catch (java.io.IOException e) {
            throw new JsysboxException("cannot read /proc/self/mountinfo: " + e.getMessage(), e);
        }
    }

    /**
     * runc created the container with init {@code pid}: the manager mounts its virtual files, delegates its cgroups
     * and, for a pod sandbox, moves the pod's network into it.
     */
    void started(long pid) throws JsysboxException {
        manager.started(id, pid, "", networkToAdopt, mountInterceptionOff);
    }

    /**
     * Gives back what the manager made. A failure is only a warning: the manager also releases a container when
     * its init exits and, on its own restart, every container whose init or rootfs is gone.
     */
    void release() {
        try {
            manager.release(id);
        } catch (JsysboxException e) {
            log.warning(e.getMessage());
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
