package io.jsysbox.tests;

import static io.jsysbox.tests.CriPods.KUBELET_NAMESPACES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.StatusRuntimeException;
import io.jsysbox.tests.CriPods.Pod;
import io.jsysbox.tests.cri.ContainerConfig;
import io.jsysbox.tests.cri.Device;
import io.jsysbox.tests.cri.Int64Value;
import io.jsysbox.tests.cri.LinuxPodSandboxConfig;
import io.jsysbox.tests.cri.LinuxSandboxSecurityContext;
import io.jsysbox.tests.cri.Mount;
import io.jsysbox.tests.cri.NamespaceMode;
import io.jsysbox.tests.cri.PodSandboxConfig;
import io.jsysbox.tests.cri.PodSandboxStatusRequest;
import io.jsysbox.tests.cri.RunPodSandboxRequest;
import io.jsysbox.tests.cri.StartContainerRequest;
import io.jsysbox.tests.cri.StatusRequest;
import io.jsysbox.tests.cri.StatusResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Kubernetes through containerd's CRI, spoken by a CRI client as the kubelet would (no kubelet here): containerd
 * loads the runtime handler jsysbox the installer registers, and runs pods of that runtime class as jsysbox pods —
 * one user namespace and ID range per pod, shared by its containers, with a network namespace the pod owns.
 */
@EndToEnd
class KubernetesCriTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration ENGINE_READY = Duration.ofMinutes(3);

    @RegisterExtension
    static final Containerd containerd = new Containerd();

    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void containerdsCriServesTheJsysboxRuntimeHandler() throws Exception {
        StatusResponse status = containerd
                .runtime()
                .status(StatusRequest.newBuilder().setVerbose(true).build());
        assertTrue(
                status.getStatus().getConditionsList().stream()
                        .anyMatch(condition -> condition.getType().equals("RuntimeReady") && condition.getStatus()),
                status.getStatus().toString());

        JsonNode config = JSON.readTree(status.getInfoOrThrow("config"));
        JsonNode handler = config.path("containerd").path("runtimes").path(Containerd.HANDLER);
        assertEquals("io.containerd.runc.v2", handler.path("runtimeType").asText(), handler.toString());
        assertEquals(
                Containerd.RUNTIME, handler.path("options").path("BinaryName").asText(), handler.toString());
        assertEquals(
                containerd.dir().resolve("cni").toString(),
                config.path("cni").path("confDir").asText(),
                "the rest of the config must be kept");
    }

    @Test
    void aPodsContainersShareItsUserNamespaceRangeVolumeIpcAndNetwork() throws IOException {
        Path volume = Files.createDirectories(containerd.dir().resolve("volume"));
        try (Pod pod = new Pod(containerd, Containerd.HANDLER, "shared", KUBELET_NAMESPACES)) {
            Mount data = Mount.newBuilder()
                    .setContainerPath("/data")
                    .setHostPath(volume.toString())
                    .build();
            String main = pod.start("main", Containerd.SANDBOX_IMAGE, data);
            String sidecar = pod.start("sidecar", Containerd.SANDBOX_IMAGE, data);

            // One user namespace, over an exclusive range of the jsysbox pool, for the whole pod.
            String uidMap = pod.execOk(main, "cat", "/proc/self/uid_map");
            String[] map = uidMap.strip().split("\\s+");
            assertEquals("0", map[0], uidMap);
            long hostStart = Long.parseLong(map[1]);
            assertNotEquals(0, hostStart, "root in the pod is host root: " + uidMap);
            assertTrue(
                    Jsysbox.pool(Path.of("/etc/subuid")).contains(hostStart),
                    "range " + uidMap + " lies outside the jsysbox pool");
            assertEquals(uidMap, pod.execOk(sidecar, "cat", "/proc/self/uid_map"));
            assertEquals(
                    pod.execOk(main, "grep", "CapEff", "/proc/1/status"),
                    pod.execOk(main, "grep", "CapEff", "/proc/self/status"),
                    "ExecSync's root must have the container's capabilities");
            assertEquals(
                    pod.execOk(main, "readlink", "/proc/self/ns/user"),
                    pod.execOk(sidecar, "readlink", "/proc/self/ns/user"),
                    "the pod's containers must share its user namespace");
            String status = Jsysbox.status().assertOk().stdout();
            for (String id : pod.ids) {
                String line = Jsysbox.statusLine(status, id)
                        .orElseThrow(() -> new AssertionError(id + " missing from status:\n" + status));
                assertTrue(Jsysbox.showsRangeStart(line, hostStart), line);
            }
            assertFalse(
                    status.lines()
                            .filter(line -> pod.ids.stream().noneMatch(line::contains))
                            .anyMatch(line -> Jsysbox.showsRangeStart(line, hostStart)),
                    "another container has the pod's range:\n" + status);

            // Volumes and IPC: what one container's root writes, the other's root reads and writes.
            pod.execOk(main, "sh", "-c", "echo main > /data/shared && echo ipc > /dev/shm/shared");
            pod.execOk(sidecar, "sh", "-c", "echo sidecar >> /data/shared && cat /dev/shm/shared >> /data/shared");
            assertEquals("main\nsidecar\nipc\n", Files.readString(volume.resolve("shared")));
            assertEquals(
                    pod.execOk(main, "readlink", "/proc/self/ns/ipc"),
                    pod.execOk(sidecar, "readlink", "/proc/self/ns/ipc"));

            // The pod's network: the IP the CRI reports, reachable gateway, owned by the pod (its root configures it,
            // its sysfs is its own: no host interface in it).
            String ip = containerd
                    .runtime()
                    .podSandboxStatus(PodSandboxStatusRequest.newBuilder()
                            .setPodSandboxId(pod.sandbox)
                            .build())
                    .getStatus()
                    .getNetwork()
                    .getIp();
            assertFalse(ip.isEmpty(), "the CRI reports no pod IP");
            assertTrue(
                    pod.execOk(main, "ip", "-4", "address", "show", "eth0").contains("inet " + ip + "/"),
                    "pod IP " + ip + " not on eth0");
            pod.execOk(sidecar, "ping", "-c", "1", "-W", "10", Containerd.GATEWAY);
            pod.execOk(main, "sh", "-c", "ip link add jsbx-test0 type bridge && ip link delete jsbx-test0");
            String sysNet = pod.execOk(main, "ls", "/sys/class/net");
            assertTrue(sysNet.contains("eth0") && !sysNet.contains("jsbx-cri0"), "sysfs is not the pod's: " + sysNet);
            assertEquals(List.of(ip), containerd.reservedAddresses());
        }
        assertEquals(List.of(), containerd.reservedAddresses(), "the removed pod's address must be released (CNI DEL)");
    }

    @Test
    void aPodSharingItsProcessNamespaceShowsItsContainersToEachOther() throws IOException {
        try (Pod pod = new Pod(
                containerd,
                Containerd.HANDLER,
                "shared-pid",
                KUBELET_NAMESPACES.toBuilder().setPid(NamespaceMode.POD).build())) {
            String main = pod.start("main", Containerd.SANDBOX_IMAGE);
            // shareProcessNamespace: the sandbox's process is pid 1 of the containers' PID namespace (its own sleep is
            // not).
            assertEquals(
                    "sleep 2147483647",
                    pod.execOk(main, "cat", "/proc/1/cmdline")
                            .replace('\0', ' ')
                            .strip());
            long sleepers = pod.execOk(main, "ps", "-o", "args")
                    .lines()
                    .filter(line -> line.strip().equals("sleep 2147483647"))
                    .count();
            assertEquals(2, sleepers, "the sandbox's and the container's process");
            // The pod's code reaches the sandbox's mounts here: its /proc is virtual too, though the sandbox's Started
            // did not wait for its virtual files (its containers do).
            String sandboxMounts = pod.execOk(main, "cat", "/proc/1/mountinfo");
            assertTrue(
                    sandboxMounts
                            .lines()
                            .anyMatch(
                                    line -> line.contains("/containers/" + pod.sandbox + "/proc/meminfo /proc/meminfo ")
                                            && line.contains(" - fuse.jsysbox-fs ")),
                    sandboxMounts);
            // Special mounts are for the pod's containers: the sandbox runs only its pause process.
            assertTrue(HostFiles.mountPoints(pod.execOk(main, "cat", "/proc/self/mountinfo"))
                    .contains("/var/lib/docker"));
            assertFalse(HostFiles.mountPoints(sandboxMounts).contains("/var/lib/docker"), sandboxMounts);
        }
    }

    @Test
    void aPodKeepsItsUserNamespaceAndRangeAcrossAManagerRestart() throws IOException {
        try (Pod pod = new Pod(containerd, Containerd.HANDLER, "restart", KUBELET_NAMESPACES)) {
            String first = pod.start("first", Containerd.SANDBOX_IMAGE);
            Jsysbox.restartManager();
            String second = pod.start("second", Containerd.SANDBOX_IMAGE);
            assertEquals(
                    pod.execOk(first, "cat", "/proc/self/uid_map"), pod.execOk(second, "cat", "/proc/self/uid_map"));
            assertEquals(
                    pod.execOk(first, "readlink", "/proc/self/ns/user"),
                    pod.execOk(second, "readlink", "/proc/self/ns/user"),
                    "a container started after the restart must join the pod's user namespace");
        }
    }

    @Test
    void hostNetworkPodsAndPrivilegedContainersAreRefusedWithAClearMessageAndLeaveNothing() throws IOException {
        Set<String> mountsBefore = Leftovers.jsysboxMounts();
        String containersBefore = containersLine();
        PodSandboxConfig hostNetwork = CriPods.podConfig(
                containerd,
                "host-network",
                KUBELET_NAMESPACES.toBuilder().setNetwork(NamespaceMode.NODE).build());
        Files.createDirectories(Path.of(hostNetwork.getLogDirectory()));
        var refused = assertThrows(
                StatusRuntimeException.class,
                () -> containerd
                        .runtime()
                        .runPodSandbox(RunPodSandboxRequest.newBuilder()
                                .setConfig(hostNetwork)
                                .setRuntimeHandler(Containerd.HANDLER)
                                .build()));
        assertTrue(
                String.valueOf(refused.getStatus().getDescription()).contains("hostNetwork: true"),
                refused.getStatus().toString());

        // containerd lets privileged containers only into a privileged sandbox; its pause process itself gets no
        // privilege.
        PodSandboxConfig privilegedPod = CriPods.podConfig(containerd, "privileged", KUBELET_NAMESPACES).toBuilder()
                .setLinux(LinuxPodSandboxConfig.newBuilder()
                        .setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                                .setNamespaceOptions(KUBELET_NAMESPACES)
                                .setPrivileged(true)))
                .build();
        try (Pod pod = new Pod(containerd, Containerd.HANDLER, privilegedPod)) {
            ContainerConfig.Builder privileged = pod.container("privileged", Containerd.SANDBOX_IMAGE);
            privileged.getLinuxBuilder().getSecurityContextBuilder().setPrivileged(true);
            String id = pod.create(privileged.build());
            refused = assertThrows(
                    StatusRuntimeException.class,
                    () -> containerd
                            .runtime()
                            .startContainer(StartContainerRequest.newBuilder()
                                    .setContainerId(id)
                                    .build()));
            assertTrue(
                    String.valueOf(refused.getStatus().getDescription()).contains("securityContext.privileged: true"),
                    refused.getStatus().toString());
        }
        Await.until(
                "the refused pod and container to leave nothing",
                Leftovers.CLEANUP,
                () -> Leftovers.jsysboxMounts().equals(mountsBefore)
                        && containersLine().equals(containersBefore),
                Boolean::booleanValue);
    }

    @Test
    void aPodsContainerRunsDockerAndAnInnerContainer() throws IOException {
        String image = containerd.importImage(Docker.DIND_IMAGE);
        try (Pod pod = new Pod(containerd, Containerd.HANDLER, "dind", KUBELET_NAMESPACES)) {
            String engine = pod.start("engine", image);
            // The image's init starts dockerd, then loads busybox into it.
            Await.until(
                    "the pod's inner dockerd to answer and hold busybox:latest",
                    ENGINE_READY,
                    () -> pod.exec(
                            engine,
                            "sh",
                            "-c",
                            "docker info >/dev/null && docker image inspect busybox:latest >/dev/null"),
                    answer -> answer.getExitCode() == 0);
            assertEquals(
                    "hello from a pod",
                    pod.execOk(engine, "docker", "run", "--rm", "busybox", "echo", "hello from a pod"));
        }
    }

    @Test
    void aPodsContainerBootsSystemdWithDockerService() throws IOException {
        String image = containerd.importImage("jsysbox/systemd:latest");
        try (Pod pod = new Pod(containerd, Containerd.HANDLER, "systemd", KUBELET_NAMESPACES)) {
            String init = pod.start("init", image);
            String state = Await.until(
                    "systemd in the pod to finish booting",
                    ENGINE_READY,
                    () -> pod.exec(init, "systemctl", "is-system-running")
                            .getStdout()
                            .toStringUtf8()
                            .strip(),
                    s -> !Set.of("", "initializing", "starting").contains(s));
            assertEquals(
                    "",
                    pod.exec(init, "systemctl", "--failed", "--no-legend", "--plain")
                            .getStdout()
                            .toStringUtf8()
                            .strip(),
                    "failed units (system state " + state + ")");
            assertEquals("running", state);
            assertEquals(
                    "1",
                    pod.execOk(init, "sh", "-c", "ps -o pid= -C systemd | head -1")
                            .strip(),
                    "systemd is the container's pid 1");
            Await.until(
                    "docker.service in the pod to answer",
                    ENGINE_READY,
                    () -> pod.exec(init, "docker", "info"),
                    answer -> answer.getExitCode() == 0);
            assertEquals("overlay2", pod.execOk(init, "docker", "info", "--format", "{{.Driver}}"));
        }
    }

    @Test
    void aNonRootPodContainerReadsASecretVolumeOnTmpfs() throws IOException {
        // The kubelet puts secrets and configmaps on a tmpfs of the pod's and binds them in, read-only.
        Path secret = Files.createDirectories(containerd.dir().resolve("secret"));
        Command.run(
                        Duration.ofSeconds(10),
                        "mount",
                        "-t",
                        "tmpfs",
                        "-o",
                        "size=1m,mode=0755",
                        "jsysbox-test-secret",
                        secret.toString())
                .assertOk();
        try {
            Files.writeString(secret.resolve("token"), "s3cret\n");
            try (Pod pod = new Pod(containerd, Containerd.HANDLER, "secret", KUBELET_NAMESPACES)) {
                ContainerConfig.Builder user = pod.container("user", Containerd.SANDBOX_IMAGE)
                        .addMounts(Mount.newBuilder()
                                .setContainerPath("/secret")
                                .setHostPath(secret.toString())
                                .setReadonly(true));
                user.getLinuxBuilder()
                        .getSecurityContextBuilder()
                        .setRunAsUser(Int64Value.newBuilder().setValue(1000));
                String id = pod.start(user.build());
                assertEquals("1000", pod.execOk(id, "id", "-u"));
                assertEquals("s3cret", pod.execOk(id, "cat", "/secret/token"));
                assertEquals(
                        "0 0",
                        pod.execOk(id, "stat", "-c", "%u %g", "/secret/token"),
                        "host root's file is the pod's root's");
                assertTrue(pod.exec(id, "touch", "/secret/new").getExitCode() != 0, "a read-only volume");
                assertEquals("CapEff:\t0000000000000000", pod.execOk(id, "grep", "CapEff", "/proc/self/status"));
            }
        } finally {
            Command.run(Duration.ofSeconds(10), "umount", secret.toString());
        }
    }

    /** Issue 15, item 4: a device as a device plugin hands it to the kubelet, which passes it in the CRI's devices. */
    @Test
    void aPodContainerThatAsksForADeviceGetsItAsWithDocker() throws IOException {
        Path kvm = Path.of("/dev/kvm");
        assumeTrue(Files.exists(kvm), "this host has no /dev/kvm");
        try (Pod pod = new Pod(containerd, Containerd.HANDLER, "device", KUBELET_NAMESPACES)) {
            ContainerConfig.Builder asking = pod.container("kvm", Containerd.SANDBOX_IMAGE)
                    .addDevices(Device.newBuilder()
                            .setHostPath(kvm.toString())
                            .setContainerPath("/dev/kvm")
                            .setPermissions("rw"));
            String id = pod.start(asking.build());
            String host = Command.run(Duration.ofSeconds(10), "stat", "-c", "%u %g %a %t:%T", kvm.toString())
                    .assertOk()
                    .out();
            assertEquals(
                    host + " opened",
                    pod.execOk(
                            id,
                            "sh",
                            "-c",
                            "echo $(stat -c '%u %g %a %t:%T' /dev/kvm) $(exec 3<>/dev/kvm && echo opened)"));
            String other = pod.start("other", Containerd.SANDBOX_IMAGE);
            assertTrue(
                    pod.exec(other, "test", "-e", "/dev/kvm").getExitCode() != 0,
                    "a container that did not ask has no /dev/kvm");
        }
    }

    @Test
    void aPodsSysctlsApplyInItsNamespaces() throws IOException {
        // Kubernetes' "safe" sysctls, which a pod spec may set without node configuration.
        Path hostRmidForced = Path.of("/proc/sys/kernel/shm_rmid_forced");
        List<String> hostValue = Files.readAllLines(hostRmidForced);
        PodSandboxConfig config = CriPods.podConfig(containerd, "sysctls", KUBELET_NAMESPACES).toBuilder()
                .setLinux(LinuxPodSandboxConfig.newBuilder()
                        .setSecurityContext(
                                LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(KUBELET_NAMESPACES))
                        .putSysctls("net.ipv4.ip_unprivileged_port_start", "0")
                        .putSysctls("kernel.shm_rmid_forced", "1")
                        .putSysctls("net.ipv4.ip_local_port_range", "20000 30000"))
                .build();
        try (Pod pod = new Pod(containerd, Containerd.HANDLER, config)) {
            String main = pod.start("main", Containerd.SANDBOX_IMAGE);
            assertEquals(
                    "0 1 20000 30000",
                    pod.execOk(
                                    main,
                                    "sh",
                                    "-c",
                                    "cat /proc/sys/net/ipv4/ip_unprivileged_port_start "
                                            + "/proc/sys/kernel/shm_rmid_forced /proc/sys/net/ipv4/ip_local_port_range")
                            .replaceAll("\\s+", " "));
        }
        assertEquals(hostValue, Files.readAllLines(hostRmidForced), "the host's own value is untouched");
    }

    @Test
    void innerImagesPreloadedInAnImageAreThereInItsPodsContainers() throws IOException {
        // As with Docker: an engine inside builds an inner image, and docker commit keeps it in the image.
        String tag = "jsysbox/preloaded-pod:" + Docker.RUN;
        String builder = docker.startDind();
        Docker.execOk(
                builder,
                "sh",
                "-c",
                "mkdir -p /tmp/ctx && printf 'FROM busybox\\nRUN echo preloaded > /marker\\n' > /tmp/ctx/Dockerfile"
                        + " && DOCKER_BUILDKIT=0 docker build -q -t inner-preloaded /tmp/ctx");
        Docker.dockerOk("commit", builder, tag);
        Docker.remove(builder);
        try {
            String image = containerd.importImage(tag);
            try (Pod pod = new Pod(containerd, Containerd.HANDLER, "preloaded", KUBELET_NAMESPACES)) {
                String engine = pod.start("engine", image);
                Await.until(
                        "the pod's inner dockerd to answer",
                        ENGINE_READY,
                        () -> pod.exec(engine, "docker", "info"),
                        answer -> answer.getExitCode() == 0);
                assertEquals(
                        "preloaded", pod.execOk(engine, "docker", "run", "--rm", "inner-preloaded", "cat", "/marker"));
                String status = Jsysbox.status().assertOk().stdout();
                assertTrue(
                        status.lines().anyMatch(line -> line.contains("from " + containerd.dir())),
                        "the inner images come through the shared cache, from containerd's snapshot of the image:\n"
                                + status);
            }
        } finally {
            Docker.docker("rmi", "-f", tag);
        }
    }

    /** `jsysbox status`'s "containers: N" line. */
    private static String containersLine() {
        return Jsysbox.status()
                .assertOk()
                .stdout()
                .lines()
                .filter(line -> line.startsWith("containers:"))
                .findFirst()
                .orElse("");
    }
}
