package io.jsysbox.tests;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.jsysbox.api.UnixChannels;
import io.jsysbox.installer.ContainerdConfig;
import io.jsysbox.tests.cri.ListPodSandboxRequest;
import io.jsysbox.tests.cri.PodSandbox;
import io.jsysbox.tests.cri.RemovePodSandboxRequest;
import io.jsysbox.tests.cri.RuntimeServiceGrpc;
import io.jsysbox.tests.cri.StopPodSandboxRequest;
import io.jsysbox.tests.cri.VersionRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A containerd of the tests' own (Debian's package, the one Docker's engine also uses) with its CRI plugin on a
 * private socket, root and state, a CNI bridge of its own (never Docker's docker0) and a sandbox image imported from
 * the local engine, so it never touches the host's engine and needs no registry; its config is the installer's edit
 * ({@link ContainerdConfig}) of a minimal one, as `install.sh --containerd` would write it. Stopped and removed
 * (mounts included) after the test class, even when it failed.
 */
final class Containerd implements BeforeAllCallback, AfterAllCallback {
    static final String HANDLER = "jsysbox";
    static final String RUNTIME = "/usr/local/bin/jsysbox-runc";
    /** The CNI bridge's gateway: the host's side of the pods' network. */
    static final String GATEWAY = "10.254.77.1";
    /** The pod sandbox ("pause") image: busybox sleeping, imported from the local engine. */
    static final String SANDBOX_IMAGE = "docker.io/jsysbox/pause:" + Docker.RUN;

    static final String NAMESPACE = "k8s.io";
    private static final Duration READY = Duration.ofSeconds(60);
    private static final String CNI_CONFIG = """
            {"cniVersion": "0.4.0", "name": "jsysbox-test", "plugins": [
              {"type": "bridge", "bridge": "jsbx-cri0", "isGateway": true, "ipMasq": false,
               "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.254.77.0/24"}]], "dataDir": "%s"}},
              {"type": "loopback"}]}
            """;

    private final Path dir = Path.of("/var/tmp/jsysbox-test-containerd-" + Docker.RUN);
    private Process process;
    private ManagedChannel channel;

    Path dir() {
        return dir;
    }

    RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime() {
        return RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.MINUTES);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        Command.run(Duration.ofSeconds(10), "containerd", "--version").assertOk();
        Files.createDirectories(dir.resolve("cni"));
        Files.writeString(dir.resolve("cni/10-jsysbox-test.conflist"), CNI_CONFIG.formatted(dir.resolve("cni-ipam")));
        String base = """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"

                [grpc]
                  address = "%1$s/containerd.sock"

                [plugins]
                  [plugins."io.containerd.grpc.v1.cri"]
                    sandbox_image = "%2$s"
                    # The runc handler (PodStartBench's anchor) writes the sandbox's oom_score_adj -998, which needs
                    # CAP_SYS_RESOURCE: hosts that run in a container (this CI's) lack it. containerd's option for them.
                    restrict_oom_score_adj = true
                    [plugins."io.containerd.grpc.v1.cri".cni]
                      bin_dir = "/usr/lib/cni"
                      conf_dir = "%1$s/cni"
                """.formatted(dir, SANDBOX_IMAGE);
        Path config =
                Files.writeString(dir.resolve("config.toml"), ContainerdConfig.withRuntime(base, HANDLER, RUNTIME));
        process = new ProcessBuilder("containerd", "--config", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("containerd.log").toFile())
                .start();
        channel = UnixChannels.connect(dir.resolve("containerd.sock"));
        Await.until(
                "the test containerd's CRI to answer (log: " + dir.resolve("containerd.log") + ")",
                READY,
                this::version,
                answer -> answer.equals("ok") || !process.isAlive());
        if (!process.isAlive()) {
            throw new AssertionError("containerd exited:\n" + log());
        }
        importSandboxImage();
    }

    /**
     * The pod addresses CNI's host-local IPAM holds reserved (one file per address in its data dir): after a pod is
     * removed its address must be free again, or a node's pod network runs out.
     */
    List<String> reservedAddresses() throws IOException {
        Path reservations = dir.resolve("cni-ipam/jsysbox-test");
        if (!Files.isDirectory(reservations)) {
            return List.of();
        }
        try (var files = Files.list(reservations)) {
            return files.map(file -> file.getFileName().toString())
                    .filter(name -> name.matches("[0-9a-f.:]+"))
                    .sorted()
                    .toList();
        }
    }

    /**
     * The containerd runc shim's state root for the CRI's namespace (runc's --root): where a pod container's state
     * lives.
     */
    static Path runcRoot() {
        return Path.of("/run/containerd/runc", NAMESPACE);
    }

    private void removeAllPods() {
        try {
            for (PodSandbox pod : runtime()
                    .listPodSandbox(ListPodSandboxRequest.getDefaultInstance())
                    .getItemsList()) {
                runtime()
                        .stopPodSandbox(StopPodSandboxRequest.newBuilder()
                                .setPodSandboxId(pod.getId())
                                .build());
                runtime()
                        .removePodSandbox(RemovePodSandboxRequest.newBuilder()
                                .setPodSandboxId(pod.getId())
                                .build());
            }
        } catch (StatusRuntimeException e) {
            System.err.println("Containerd: cannot remove the pods left behind: " + e.getStatus());
        }
    }

    /** "ok", or why the CRI did not answer. */
    private String version() {
        try {
            RuntimeServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(5, TimeUnit.SECONDS)
                    .version(VersionRequest.getDefaultInstance());
            return "ok";
        } catch (StatusRuntimeException e) {
            return e.getStatus().toString();
        }
    }

    private void importSandboxImage() throws IOException {
        Path context = Files.createDirectories(dir.resolve("pause"));
        Files.writeString(
                context.resolve("Dockerfile"),
                "FROM " + Docker.BUSYBOX_IMAGE + "\nENTRYPOINT [\"sleep\", \"2147483647\"]\n");
        String tag = SANDBOX_IMAGE.substring("docker.io/".length());
        Command.run(
                        Duration.ofMinutes(2),
                        "env",
                        "DOCKER_BUILDKIT=0",
                        "docker",
                        "build",
                        "-q",
                        "-t",
                        tag,
                        context.toString())
                .assertOk();
        try {
            importImage(tag);
        } finally {
            Docker.docker("rmi", "-f", tag);
        }
    }

    /**
     * Copies the local engine's image {@code tag} into this containerd's CRI namespace (as docker.io/TAG, the name the
     * CRI resolves it to): no registry is needed.
     */
    String importImage(String tag) throws IOException {
        Path tar = dir.resolve("image.tar");
        try {
            Command.run(Duration.ofMinutes(5), "docker", "save", "-o", tar.toString(), tag)
                    .assertOk();
            ctr("images", "import", tar.toString());
        } finally {
            Files.deleteIfExists(tar);
        }
        return "docker.io/" + tag;
    }

    /** containerd's own CLI against this containerd, in the CRI's namespace; must succeed. */
    Command.Result ctr(String... args) {
        List<String> command = new ArrayList<>(
                List.of("ctr", "--address", dir.resolve("containerd.sock").toString(), "--namespace", NAMESPACE));
        command.addAll(List.of(args));
        return Command.run(Duration.ofMinutes(5), command).assertOk();
    }

    String log() throws IOException {
        return Files.readString(dir.resolve("containerd.log"));
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        // A pod a failed test left behind: its shim and processes would outlive containerd.
        if (channel != null && process != null && process.isAlive()) {
            removeAllPods();
        }
        if (channel != null) {
            channel.shutdownNow();
        }
        if (process != null) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
        // Deepest first: containerd leaves snapshot and shm mounts under its root and state when stopped.
        List<String> mounts = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(line -> line.split(" ")[4])
                .filter(point -> point.startsWith(dir + "/"))
                .sorted(Comparator.reverseOrder())
                .toList();
        for (String point : mounts) {
            Command.run(Duration.ofSeconds(30), "umount", "-l", point);
        }
        Command.run(Duration.ofMinutes(2), "rm", "-rf", "--one-file-system", dir.toString())
                .assertOk();
        Command.run(Duration.ofSeconds(30), "ip", "link", "delete", "jsbx-cri0");
    }
}
