package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * jsysbox-fs not answering: a new container refuses to start (it would run without its virtual files) and leaves
 * nothing; a killed daemon is replaced and running containers keep their files and values.
 */
@EndToEnd
class JsysboxFsOutageTest {
    @RegisterExtension
    static final Docker docker = new Docker();

    /** The manager's Prepare asks jsysbox-fs first and gives up after a few seconds, naming it. */
    @Test
    void withJsysboxFsStoppedAContainerDoesNotStartAndLeavesNothing() {
        Set<String> mountsBefore = Leftovers.jsysboxMounts();

        Docker.Attempt run = Jsysbox.whileFsStopped(() -> docker.tryRun("--runtime=jsysbox", Docker.BUSYBOX_IMAGE, "true"));

        assertFalse(run.result().ok(), "docker run succeeded with jsysbox-fs stopped: " + run.result());
        assertFalse(run.result().timedOut(), "docker run should fail, not hang: " + run.result());
        assertTrue(run.result().stderr().contains("jsysbox-fs"), "the error should name jsysbox-fs: " + run.result());
        Docker.findId(run.name()).ifPresent(id -> Leftovers.of(id).withMountsBefore(mountsBefore).awaitNone());
        assertEquals("MemTotal:          98304 kB",
                docker.runOnce(Docker.BUSYBOX_IMAGE, List.of("--memory", "96m"), "head", "-1", "/proc/meminfo"),
                "containers start again, virtual files and all, once jsysbox-fs answers");
    }

    /**
     * Killing jsysbox-fs (as a crash or an upgrade would) leaves running containers' files working, values kept, and
     * their procfs mounts, unmounts and sysinfo answered: the next jsysbox-fs takes the seccomp listeners back (from
     * systemd's store, or here, under the plain supervisor, from the manager's copies).
     */
    @Test
    void aRestartedJsysboxFsKeepsServingRunningContainers() {
        String id = docker.startIdle(Docker.BUSYBOX_IMAGE, "--memory", "160m");
        String panic = Host.otherThanHosts("/proc/sys/kernel/panic", "5", "6");
        Docker.execOk(id, "sh", "-c", "echo " + panic + " > /proc/sys/kernel/panic");
        Path copies = Jsysbox.RUN_DIR.resolve("mgr.listeners");
        Await.until("the manager to copy the seccomp listener of " + Docker.shortId(id), Duration.ofSeconds(30),
                () -> Host.read(copies.toString()), listed -> listed.contains(" " + id));
        long before = Jsysbox.fsPid();
        Command.run(Docker.COMMAND_TIMEOUT, "kill", "-KILL", Long.toString(before)).assertOk();

        // The read waits while no daemon serves, and is answered by the next one.
        assertEquals("MemTotal:         163840 kB", Docker.execOk(id, "head", "-1", "/proc/meminfo"));
        assertEquals(panic, Docker.execOk(id, "cat", "/proc/sys/kernel/panic"), "the written sysctl survived");
        assertNotEquals(before, Jsysbox.fsPid(), "a new jsysbox-fs serves");
        assertEquals("MemTotal:         163840 kB", Docker.execOk(id, "sh", "-c", "mkdir -p /p && mount -t proc proc /p && head -1 /p/meminfo"),
                "a procfs mounted after the restart has the virtual files");
        assertEquals(160 * 1024, HostFiles.freeTotal(Docker.execOk(id, "free")), "sysinfo is still answered");
        Command.Result umount = Docker.exec(id, "umount", "/etc/hosts");
        assertTrue(!umount.ok() && umount.stderr().contains("Operation not permitted"), "its mounts stay protected: "
                + umount);
        String other = docker.startIdle(Docker.BUSYBOX_IMAGE, "--memory", "96m");
        assertEquals("MemTotal:          98304 kB", Docker.execOk(other, "head", "-1", "/proc/meminfo"), "and new containers");
    }
}
