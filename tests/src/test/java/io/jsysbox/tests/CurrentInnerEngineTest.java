package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A current engine inside (jsysbox/dind-sid: Docker 28 or later, containerd 2.x, runc 1.3 from Debian sid), as the
 * docker:dind images users run have; jsysbox/dind (InnerDockerTest) is Debian 12's Docker 20.10. The newer runc and
 * containerd meet the system container's procfs, cgroups and user namespace with their own checks.
 */
@EndToEnd
class CurrentInnerEngineTest {
    static final String IMAGE = "jsysbox/dind-sid:latest";

    @RegisterExtension
    static final Docker docker = new Docker();

    private static String dind;

    @BeforeAll
    static void startSystemContainer() {
        dind = docker.startEngine(IMAGE);
    }

    @AfterAll
    static void removeSystemContainer() {
        docker.removeAll();
    }

    @Test
    void theEngineInsideIsCurrent() {
        String server = Docker.execOk(dind, "docker", "version", "-f", "{{.Server.Version}}");
        assertTrue(Integer.parseInt(server.split("\\.")[0]) >= 26, "Docker " + server + " inside, not a current one");
        String containerd = Docker.execOk(dind, "containerd", "--version");
        assertTrue(containerd.matches("(?s).* v?2\\..*"), "containerd inside is not 2.x: " + containerd);
    }

    @Test
    void innerStorageIsOverlayNotACopyingDriver() {
        String driver = Docker.execOk(dind, "docker", "info", "-f", "{{.Driver}}");
        assertTrue(driver.equals("overlay2") || driver.equals("overlayfs"), "inner storage driver " + driver);
    }

    @Test
    void innerContainerRunsExecsAndStops() {
        Docker.execOk(dind, "docker", "run", "-d", "--name", "inner", "busybox", "sleep", "100000");
        try {
            assertEquals("exec-ok", Docker.execOk(dind, "docker", "exec", "inner", "echo", "exec-ok"));
            assertEquals("root", Docker.execOk(dind, "docker", "exec", "inner", "whoami"));
        } finally {
            Docker.execOk(dind, "docker", "rm", "-f", "inner");
        }
    }

    @Test
    void innerContainerGetsItsMemoryLimitFromTheNewerRunc() {
        String limit = Docker.execOk(
                dind,
                "docker",
                "run",
                "--rm",
                "--memory",
                "64m",
                "busybox",
                "sh",
                "-c",
                "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes");
        assertEquals(String.valueOf(64L << 20), limit);
    }

    @Test
    void innerClassicBuildProducesARunnableImage() {
        Docker.execOk(
                dind,
                "sh",
                "-c",
                "mkdir -p /tmp/ctx && printf 'FROM busybox\\nRUN echo built > /built\\n' > /tmp/ctx/Dockerfile");
        Docker.execOk(
                dind, "env", "DOCKER_BUILDKIT=0", "docker", "build", "-q", "-t", "jsysbox-test-built", "/tmp/ctx");
        assertEquals("built", Docker.execOk(dind, "docker", "run", "--rm", "jsysbox-test-built", "cat", "/built"));
    }
}
