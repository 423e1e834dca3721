package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Docker's lifecycle verbs on a system container; after each, the container (and Docker inside) still works. */
@EndToEnd
class LifecycleTest {
    /** What jsysbox/dind's init prints on stdout each time the inner engine is ready (installer/images). */
    private static final String READY_LINE = "jsysbox-dind-init: ready";

    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void stopStartRestartPauseExecAndLogsKeepTheContainerWorking() {
        String id = docker.startDind();
        awaitReadyLines(id, 1);

        Docker.dockerOk("pause", id);
        assertEquals("true", Docker.inspect(id, "{{.State.Paused}}"));
        Docker.dockerOk("unpause", id);
        assertEquals("false", Docker.inspect(id, "{{.State.Paused}}"));
        assertEquals("alive", Docker.execOk(id, "echo", "alive"), "exec after unpause");

        Docker.dockerOk("stop", id);
        assertEquals("false", Docker.inspect(id, "{{.State.Running}}"));
        assertFalse(Docker.exec(id, "true").ok(), "exec into a stopped container should fail");

        Docker.dockerOk("start", id);
        Docker.awaitInnerDocker(id);
        assertEquals(
                "hello",
                Docker.execOk(id, "docker", "run", "--rm", "busybox", "echo", "hello"),
                "inner docker after stop + start");
        awaitReadyLines(id, 2);

        Docker.dockerOk("restart", id);
        assertEquals("alive", Docker.execOk(id, "echo", "alive"), "exec after restart");
        Docker.awaitInnerDocker(id);
        assertEquals(
                "hello",
                Docker.execOk(id, "docker", "run", "--rm", "busybox", "echo", "hello"),
                "inner docker after restart");
        awaitReadyLines(id, 3);
    }

    @Test
    void aRootProcessExecutedIntoTheContainerHasItsInitsCapabilitiesAUserNone() {
        String id = docker.startIdle(Docker.BUSYBOX_IMAGE);
        String init = Docker.execOk(id, "grep", "CapEff", "/proc/1/status");
        assertEquals(
                init,
                Docker.execOk(id, "grep", "CapEff", "/proc/self/status"),
                "docker exec's process.json lists Docker's default capabilities: root must get the system container's");
        assertEquals(
                "1",
                Docker.execOk(
                        id,
                        "sh",
                        "-c",
                        "mkdir -p /tmp/m && mount -t tmpfs exec-tmpfs /tmp/m && grep -c exec-tmpfs /proc/self/mounts; "
                                + "umount /tmp/m"),
                "root exec'd mounts a tmpfs");
        assertEquals(
                "CapEff:\t0000000000000000",
                Docker.dockerOk("exec", "-u", "1000", id, "grep", "CapEff", "/proc/self/status"));
    }

    /** As Sysbox's SYSBOX_HONOR_CAPS: the engine's --cap-drop/--cap-add hold for the init and for docker exec. */
    @Test
    void aContainerThatAsksToHonorTheEnginesCapabilitiesGetsThemInitAndExec() {
        String dropped = docker.startIdle(Docker.BUSYBOX_IMAGE, "-e", "JSYSBOX_HONOR_CAPS=true", "--cap-drop", "ALL");
        assertEquals("CapEff:\t0000000000000000", Docker.execOk(dropped, "grep", "CapEff", "/proc/1/status"));
        assertEquals("CapEff:\t0000000000000000", Docker.execOk(dropped, "grep", "CapEff", "/proc/self/status"));
        String chownOnly = docker.startIdle(
                Docker.BUSYBOX_IMAGE, "-e", "SYSBOX_HONOR_CAPS=TRUE", "--cap-drop", "ALL", "--cap-add", "CHOWN");
        assertEquals("CapEff:\t0000000000000001", Docker.execOk(chownOnly, "grep", "CapEff", "/proc/1/status"));
        assertFalse(Docker.exec(chownOnly, "mount", "-t", "tmpfs", "t", "/mnt").ok(), "mounts without CAP_SYS_ADMIN");
    }

    @Test
    void dockerCpCopiesIntoAndOutOfARunningContainer() throws IOException {
        String id = docker.startIdle(Docker.BUSYBOX_IMAGE);
        Path file = Files.createTempFile("jsysbox-test-cp", ".txt");
        try {
            Files.writeString(file, "copied in\n");
            Docker.execOk(id, "mkdir", "/work");
            Docker.dockerOk("cp", file.toString(), id + ":/work/in.txt");
            Docker.dockerOk("cp", file.toString(), id + ":/tmp/in.txt");
            assertEquals("copied in", Docker.execOk(id, "cat", "/work/in.txt"), "into a dir the container made");
            assertEquals("copied in", Docker.execOk(id, "cat", "/tmp/in.txt"), "into a dir of the image");
            assertEquals("0 0", Docker.execOk(id, "stat", "-c", "%u %g", "/work/in.txt"), "root's, inside");
            Docker.execOk(id, "sh", "-c", "echo made inside > /work/out.txt");
            Files.delete(file);
            Docker.dockerOk("cp", id + ":/work/out.txt", file.toString());
            assertEquals("made inside\n", Files.readString(file));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** `docker logs` shows the init's ready line once per start of the container. */
    private static void awaitReadyLines(String id, long starts) {
        Await.until(
                "`docker logs` to show " + starts + " ready line(s)",
                Docker.INNER_DOCKER_READY,
                () -> Docker.docker("logs", id),
                logs -> logs.ok()
                        && logs.stdout().lines().filter(READY_LINE::equals).count() == starts);
    }
}
