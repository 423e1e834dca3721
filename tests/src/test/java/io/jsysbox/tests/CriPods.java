package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.StatusRuntimeException;
import io.jsysbox.tests.cri.ContainerConfig;
import io.jsysbox.tests.cri.ContainerMetadata;
import io.jsysbox.tests.cri.CreateContainerRequest;
import io.jsysbox.tests.cri.ExecSyncRequest;
import io.jsysbox.tests.cri.ExecSyncResponse;
import io.jsysbox.tests.cri.ImageSpec;
import io.jsysbox.tests.cri.LinuxContainerConfig;
import io.jsysbox.tests.cri.LinuxContainerSecurityContext;
import io.jsysbox.tests.cri.LinuxPodSandboxConfig;
import io.jsysbox.tests.cri.LinuxSandboxSecurityContext;
import io.jsysbox.tests.cri.Mount;
import io.jsysbox.tests.cri.NamespaceMode;
import io.jsysbox.tests.cri.NamespaceOption;
import io.jsysbox.tests.cri.PodSandboxConfig;
import io.jsysbox.tests.cri.PodSandboxMetadata;
import io.jsysbox.tests.cri.RemovePodSandboxRequest;
import io.jsysbox.tests.cri.RunPodSandboxRequest;
import io.jsysbox.tests.cri.StartContainerRequest;
import io.jsysbox.tests.cri.StopPodSandboxRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Pods made through a containerd's CRI the way the kubelet makes them, for the CRI tests and the pod benchmark. */
final class CriPods {
    /** The kubelet's default: the pod's network and IPC, a PID namespace per container. */
    static final NamespaceOption KUBELET_NAMESPACES = NamespaceOption.newBuilder()
            .setNetwork(NamespaceMode.POD)
            .setIpc(NamespaceMode.POD)
            .setPid(NamespaceMode.CONTAINER)
            .build();

    private CriPods() {}

    /**
     * A pod as the kubelet makes one: its sandbox (RunPodSandbox with a runtime handler) and the containers
     * started in it. Closing it stops and removes it (StopPodSandbox, RemovePodSandbox), then waits until nothing of
     * the sandbox or its containers is left on the host.
     */
    static final class Pod implements AutoCloseable {
        final Containerd containerd;
        final PodSandboxConfig config;
        final String sandbox;
        final List<String> ids = new ArrayList<>();

        Pod(Containerd containerd, String handler, String name, NamespaceOption namespaces) throws IOException {
            this(containerd, handler, podConfig(containerd, name, namespaces));
        }

        Pod(Containerd containerd, String handler, PodSandboxConfig config) throws IOException {
            this.containerd = containerd;
            this.config = config;
            sandbox = runPod(containerd, handler, config);
            ids.add(sandbox);
        }

        /** CreateContainer + StartContainer of {@code image}, with the pod's namespace options, as the kubelet asks. */
        String start(String name, String image, Mount... mounts) throws IOException {
            return start(container(name, image).addAllMounts(List.of(mounts)).build());
        }

        /** CreateContainer + StartContainer; the container must start. */
        String start(ContainerConfig container) throws IOException {
            String id = create(container);
            startCreated(id);
            return id;
        }

        /** StartContainer of container {@code id}, made by {@link #create}; it must start. */
        void startCreated(String id) throws IOException {
            try {
                containerd
                        .runtime()
                        .startContainer(StartContainerRequest.newBuilder()
                                .setContainerId(id)
                                .build());
            } catch (StatusRuntimeException e) {
                throw new AssertionError(
                        "starting container " + id + " failed: " + e.getStatus() + "\n" + containerd.log(), e);
            }
        }

        /** CreateContainer (containerd runs the runtime only at StartContainer). */
        String create(ContainerConfig container) throws IOException {
            try {
                String id = containerd
                        .runtime()
                        .createContainer(CreateContainerRequest.newBuilder()
                                .setPodSandboxId(sandbox)
                                .setSandboxConfig(config)
                                .setConfig(container)
                                .build())
                        .getContainerId();
                ids.add(id);
                return id;
            } catch (StatusRuntimeException e) {
                throw new AssertionError(
                        "creating container " + container.getMetadata().getName() + " failed: " + e.getStatus() + "\n"
                                + containerd.log(),
                        e);
            }
        }

        /** A container of {@code image} as the kubelet describes it: the pod's namespace options, a log file. */
        ContainerConfig.Builder container(String name, String image) {
            return ContainerConfig.newBuilder()
                    .setMetadata(ContainerMetadata.newBuilder().setName(name))
                    .setImage(ImageSpec.newBuilder().setImage(image))
                    .setLinux(LinuxContainerConfig.newBuilder()
                            .setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                                    .setNamespaceOptions(config.getLinux()
                                            .getSecurityContext()
                                            .getNamespaceOptions())))
                    .setLogPath(name + ".log");
        }

        /** StopPodSandbox and RemovePodSandbox, as the kubelet does when the pod is deleted. */
        void remove() {
            containerd
                    .runtime()
                    .stopPodSandbox(StopPodSandboxRequest.newBuilder()
                            .setPodSandboxId(sandbox)
                            .build());
            containerd
                    .runtime()
                    .removePodSandbox(RemovePodSandboxRequest.newBuilder()
                            .setPodSandboxId(sandbox)
                            .build());
        }

        @Override
        public void close() {
            remove();
            for (String id : ids) {
                Leftovers.of(id).withRuncRoot(Containerd.runcRoot()).awaitNone();
            }
        }

        /** The command's result in container {@code container} of this pod (ExecSync, as a kubelet's exec probe). */
        ExecSyncResponse exec(String container, String... command) {
            return containerd
                    .runtime()
                    .execSync(ExecSyncRequest.newBuilder()
                            .setContainerId(container)
                            .addAllCmd(List.of(command))
                            .setTimeout(120)
                            .build());
        }

        /** The command's trimmed stdout; it must succeed. */
        String execOk(String container, String... command) {
            ExecSyncResponse response = exec(container, command);
            assertEquals(
                    0,
                    response.getExitCode(),
                    String.join(" ", command) + " failed in " + container + ": "
                            + response.getStderr().toStringUtf8()
                            + response.getStdout().toStringUtf8());
            return response.getStdout().toStringUtf8().strip();
        }
    }

    static PodSandboxConfig podConfig(Containerd containerd, String name, NamespaceOption namespaces) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder()
                        .setName(name)
                        .setUid(name + "-" + Docker.RUN)
                        .setNamespace("default"))
                .setHostname(name)
                .setLogDirectory(containerd.dir().resolve("logs").resolve(name).toString())
                .setLinux(LinuxPodSandboxConfig.newBuilder()
                        .setSecurityContext(
                                LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(namespaces)))
                .build();
    }

    private static String runPod(Containerd containerd, String handler, PodSandboxConfig pod) throws IOException {
        Files.createDirectories(Path.of(pod.getLogDirectory())); // the kubelet makes it
        try {
            return containerd
                    .runtime()
                    .runPodSandbox(RunPodSandboxRequest.newBuilder()
                            .setConfig(pod)
                            .setRuntimeHandler(handler)
                            .build())
                    .getPodSandboxId();
        } catch (StatusRuntimeException e) {
            throw new AssertionError("RunPodSandbox failed: " + e.getStatus() + "\n" + containerd.log(), e);
        }
    }
}
