package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** systemd as PID 1 in a jsysbox container: boots with no failed unit, runs docker.service, stops on `docker stop`. */
@EndToEnd
class SystemdInsideTest {
    private static final String IMAGE = "jsysbox/systemd:latest";
    private static final Duration BOOT = Duration.ofMinutes(2);

    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void bootsRunsDockerServiceAndShutsDownOnDockerStop() {
        String id = docker.runDetached("--runtime=jsysbox", IMAGE); // the image says STOPSIGNAL SIGRTMIN+3

        String state = Await.until(
                "systemd inside to finish booting",
                BOOT,
                () -> Docker.exec(id, "systemctl", "is-system-running").stdout().strip(),
                s -> !Set.of("", "initializing", "starting").contains(s));
        assertEquals(
                "",
                Docker.exec(id, "systemctl", "--failed", "--no-legend", "--plain")
                        .stdout()
                        .strip(),
                "failed units (system state " + state + ")");
        assertEquals("running", state);

        Await.success("docker.service inside to answer", BOOT, () -> Docker.exec(id, "docker", "info"));
        assertEquals("active", Docker.execOk(id, "systemctl", "is-active", "docker"));
        assertEquals("overlay2", Docker.execOk(id, "docker", "info", "--format", "{{.Driver}}"));
        Docker.execOk(id, "docker", "import", "/opt/jsysbox/busybox-rootfs.tar", "busybox:latest");
        assertEquals("hello", Docker.execOk(id, "docker", "run", "--rm", "busybox", "echo", "hello"));

        Docker.dockerOk("stop", id);
        assertEquals("false", Docker.inspect(id, "{{.State.Running}}"));
        assertNotEquals(
                "137",
                Docker.inspect(id, "{{.State.ExitCode}}"),
                "systemd halted on SIGRTMIN+3 before Docker's timeout, rather than being killed");
        assertTrue(Docker.inspect(id, "{{.State.OOMKilled}}").equals("false"));
    }
}
