package io.jsysbox.tests;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.jsysbox.api.UnixChannels;
import io.jsysbox.tests.cri.ContainerConfig;
import io.jsysbox.tests.cri.ContainerMetadata;
import io.jsysbox.tests.cri.CreateContainerRequest;
import io.jsysbox.tests.cri.ExecSyncRequest;
import io.jsysbox.tests.cri.ExecSyncResponse;
import io.jsysbox.tests.cri.ImageSpec;
import io.jsysbox.tests.cri.LinuxContainerConfig;
import io.jsysbox.tests.cri.LinuxContainerResources;
import io.jsysbox.tests.cri.LinuxContainerSecurityContext;
import io.jsysbox.tests.cri.LinuxPodSandboxConfig;
import io.jsysbox.tests.cri.LinuxSandboxSecurityContext;
import io.jsysbox.tests.cri.NamespaceMode;
import io.jsysbox.tests.cri.NamespaceOption;
import io.jsysbox.tests.cri.PodSandboxConfig;
import io.jsysbox.tests.cri.PodSandboxMetadata;
import io.jsysbox.tests.cri.PodSandboxStatusRequest;
import io.jsysbox.tests.cri.PodSandboxStatusResponse;
import io.jsysbox.tests.cri.RemovePodSandboxRequest;
import io.jsysbox.tests.cri.RunPodSandboxRequest;
import io.jsysbox.tests.cri.RuntimeServiceGrpc;
import io.jsysbox.tests.cri.StartContainerRequest;
import io.jsysbox.tests.cri.StopPodSandboxRequest;
import io.jsysbox.tests.cri.VersionRequest;
import io.jsysbox.tests.cri.VersionResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The VM guests' CRI check (tests/vm/guest-checks.sh, {@code cri-pod}): a pod made through the host's own containerd as
 * a kubelet makes one, with runtime handler {@code jsysbox}, on a host where no JUnit or Maven runs. Run with the
 * installed runtime's Java and the manager's jars (gRPC, protobuf) plus the test classes:
 * <pre>java -cp 'CLASSES:/usr/local/lib/jsysbox/mgr/*' io.jsysbox.tests.CriPodCheck SOCKET HANDLER IMAGE</pre>
 * Prints what it saw, one fact per line; exits 1 with the reason when the pod or a fact is wrong. The pod is stopped
 * and removed in every case. The host suite's KubernetesCriTest covers the CRI in depth; this proves the handler on
 * the containerd and config each guest's Debian ships (containerd 2.x reads config version 3).
 */
public final class CriPodCheck {
    private static final long MEMORY_LIMIT = 256L << 20;

    private final RuntimeServiceGrpc.RuntimeServiceBlockingStub cri;

    private CriPodCheck(ManagedChannel channel) {
        cri = RuntimeServiceGrpc.newBlockingStub(channel);
    }

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: CriPodCheck CONTAINERD_SOCKET RUNTIME_HANDLER IMAGE");
            System.exit(2);
        }
        ManagedChannel channel = UnixChannels.connect(Path.of(args[0]));
        try {
            new CriPodCheck(channel).run(args[1], args[2]);
        } catch (CheckFailed | StatusRuntimeException e) {
            System.out.println("FAILED: " + e.getMessage());
            System.exit(1);
        } finally {
            channel.shutdownNow();
        }
    }

    private void run(String handler, String image) {
        VersionResponse version = stub().version(VersionRequest.getDefaultInstance());
        System.out.println("CRI: " + version.getRuntimeName() + " " + version.getRuntimeVersion() + " (API "
                + version.getRuntimeApiVersion() + ")");
        PodSandboxConfig pod = podConfig();
        String sandbox = runPod(pod, handler);
        try {
            PodSandboxStatusResponse status = stub().podSandboxStatus(PodSandboxStatusRequest.newBuilder()
                    .setPodSandboxId(sandbox)
                    .build());
            System.out.println(
                    "pod " + sandbox + ": handler " + status.getStatus().getRuntimeHandler() + ", ip "
                            + status.getStatus().getNetwork().getIp());
            if (!status.getStatus().getRuntimeHandler().equals(handler)) {
                throw new CheckFailed(
                        "the pod runs with handler '" + status.getStatus().getRuntimeHandler() + "'");
            }
            String container = startContainer(sandbox, pod, image);
            String uidMap =
                    execOk(container, "cat", "/proc/self/uid_map").strip().replaceAll("\\s+", " ");
            System.out.println("uid_map: " + uidMap);
            String[] fields = uidMap.split(" ");
            if (fields.length < 3 || !fields[0].equals("0") || fields[1].equals("0")) {
                throw new CheckFailed(
                        "the container's root is not mapped to an unprivileged host uid: '" + uidMap + "'");
            }
            String memTotal = execOk(container, "grep", "MemTotal", "/proc/meminfo")
                    .strip()
                    .replaceAll("\\s+", " ");
            System.out.println("meminfo: " + memTotal + " (limit " + (MEMORY_LIMIT >> 10) + " kB)");
            if (!memTotal.equals("MemTotal: " + (MEMORY_LIMIT >> 10) + " kB")) {
                throw new CheckFailed("/proc/meminfo is not the container's: '" + memTotal + "'");
            }
            String sysctl = execOk(
                            container, "sh", "-c", "echo 7 > /proc/sys/kernel/panic && cat /proc/sys/kernel/panic")
                    .strip();
            System.out.println("kernel.panic after writing 7 inside: " + sysctl);
            if (!sysctl.equals("7")) {
                throw new CheckFailed("a sysctl write inside reads back '" + sysctl + "'");
            }
        } finally {
            stub().stopPodSandbox(StopPodSandboxRequest.newBuilder()
                    .setPodSandboxId(sandbox)
                    .build());
            stub().removePodSandbox(RemovePodSandboxRequest.newBuilder()
                    .setPodSandboxId(sandbox)
                    .build());
            System.out.println("pod " + sandbox + " stopped and removed");
        }
    }

    /** A deadline per call: a hung containerd fails the check instead of the guest's timeout. */
    private RuntimeServiceGrpc.RuntimeServiceBlockingStub stub() {
        return cri.withDeadlineAfter(5, TimeUnit.MINUTES);
    }

    /** The kubelet's namespaces: the pod's network and IPC, a PID namespace per container. */
    private static NamespaceOption kubeletNamespaces() {
        return NamespaceOption.newBuilder()
                .setNetwork(NamespaceMode.POD)
                .setIpc(NamespaceMode.POD)
                .setPid(NamespaceMode.CONTAINER)
                .build();
    }

    private static PodSandboxConfig podConfig() {
        String uid = "jsysbox-cri-pod-check-" + ProcessHandle.current().pid();
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder()
                        .setName("cri-pod-check")
                        .setUid(uid)
                        .setNamespace("default"))
                .setHostname("cri-pod-check")
                .setLogDirectory("/var/log/pods/" + uid)
                .setLinux(LinuxPodSandboxConfig.newBuilder()
                        .setSecurityContext(
                                LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(kubeletNamespaces())))
                .build();
    }

    private String runPod(PodSandboxConfig pod, String handler) {
        try {
            Files.createDirectories(Path.of(pod.getLogDirectory())); // the kubelet makes it
        } catch (IOException e) {
            throw new CheckFailed("cannot make the pod's log directory: " + e.getMessage());
        }
        return stub().runPodSandbox(RunPodSandboxRequest.newBuilder()
                        .setConfig(pod)
                        .setRuntimeHandler(handler)
                        .build())
                .getPodSandboxId();
    }

    private String startContainer(String sandbox, PodSandboxConfig pod, String image) {
        ContainerConfig container = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName("main"))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .addAllCommand(List.of("sleep", "3600"))
                .setLogPath("main.log")
                .setLinux(LinuxContainerConfig.newBuilder()
                        .setResources(LinuxContainerResources.newBuilder().setMemoryLimitInBytes(MEMORY_LIMIT))
                        .setSecurityContext(
                                LinuxContainerSecurityContext.newBuilder().setNamespaceOptions(kubeletNamespaces())))
                .build();
        String id = stub().createContainer(CreateContainerRequest.newBuilder()
                        .setPodSandboxId(sandbox)
                        .setSandboxConfig(pod)
                        .setConfig(container)
                        .build())
                .getContainerId();
        stub().startContainer(
                        StartContainerRequest.newBuilder().setContainerId(id).build());
        System.out.println("container " + id + " started");
        return id;
    }

    private String execOk(String container, String... command) {
        ExecSyncResponse response = stub().execSync(ExecSyncRequest.newBuilder()
                .setContainerId(container)
                .addAllCmd(List.of(command))
                .setTimeout(120)
                .build());
        if (response.getExitCode() != 0) {
            throw new CheckFailed(String.join(" ", command) + " exited " + response.getExitCode() + ": "
                    + response.getStderr().toStringUtf8().strip());
        }
        return response.getStdout().toStringUtf8();
    }

    private static final class CheckFailed extends RuntimeException {
        CheckFailed(String message) {
            super(message);
        }
    }
}
