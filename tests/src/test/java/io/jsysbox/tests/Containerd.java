package io.jsysbox.tests;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.jsysbox.api.UnixChannels;
import io.jsysbox.installer.ContainerdConfig;
import io.jsysbox.tests.cri.RuntimeServiceGrpc;
import io.jsysbox.tests.cri.VersionRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A containerd of the tests' own (Debian's package, the one Docker's engine also uses) with its CRI plugin on a
 * private socket, root and state, so it never touches the host's engine; its config is the installer's edit
 * ({@link ContainerdConfig}) of a minimal one, as `install.sh --containerd` would write it. Stopped and removed
 * (mounts included) after the test class, even when it failed.
 */
final class Containerd implements BeforeAllCallback, AfterAllCallback {
    static final String HANDLER = "jsysbox";
    static final String RUNTIME = "/usr/local/bin/jsysbox-runc";
    private static final Duration READY = Duration.ofSeconds(60);

    private final Path dir = Path.of("/var/tmp/jsysbox-test-containerd-" + Docker.RUN);
    private Process process;
    private ManagedChannel channel;

    Path dir() { return dir; }

    RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime() {
        return RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        Command.run(Duration.ofSeconds(10), "containerd", "--version").assertOk();
        Files.createDirectories(dir.resolve("cni"));
        String base = """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"

                [grpc]
                  address = "%1$s/containerd.sock"

                [plugins]
                  [plugins."io.containerd.grpc.v1.cri"]
                    [plugins."io.containerd.grpc.v1.cri".cni]
                      bin_dir = "/usr/lib/cni"
                      conf_dir = "%1$s/cni"
                """.formatted(dir);
        Path config = Files.writeString(dir.resolve("config.toml"), ContainerdConfig.withRuntime(base, HANDLER, RUNTIME));
        process = new ProcessBuilder("containerd", "--config", config.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("containerd.log").toFile()).start();
        channel = UnixChannels.connect(dir.resolve("containerd.sock"));
        Await.until("the test containerd's CRI to answer (log: " + dir.resolve("containerd.log") + ")", READY, this::version,
                answer -> answer.equals("ok") || !process.isAlive());
        if (!process.isAlive()) throw new AssertionError("containerd exited:\n" + Files.readString(dir.resolve("containerd.log")));
    }

    /** "ok", or why the CRI did not answer. */
    private String version() {
        try {
            RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).version(VersionRequest.getDefaultInstance());
            return "ok";
        } catch (StatusRuntimeException e) {
            return e.getStatus().toString();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (channel != null) channel.shutdownNow();
        if (process != null) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        }
        // Deepest first: containerd leaves snapshot and shm mounts under its root and state when stopped.
        List<String> mounts = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(line -> line.split(" ")[4]).filter(point -> point.startsWith(dir + "/"))
                .sorted(Comparator.reverseOrder()).toList();
        for (String point : mounts) Command.run(Duration.ofSeconds(30), "umount", "-l", point);
        Command.run(Duration.ofMinutes(2), "rm", "-rf", "--one-file-system", dir.toString()).assertOk();
    }
}
