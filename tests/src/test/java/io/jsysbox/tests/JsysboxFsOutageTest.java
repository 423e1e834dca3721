package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsysbox.api.ListenerIndex;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.IntStream;
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

        Docker.Attempt run =
                Jsysbox.whileFsStopped(() -> docker.tryRun("--runtime=jsysbox", Docker.BUSYBOX_IMAGE, "true"));

        assertFalse(run.result().ok(), "docker run succeeded with jsysbox-fs stopped: " + run.result());
        assertFalse(run.result().timedOut(), "docker run should fail, not hang: " + run.result());
        assertTrue(run.result().stderr().contains("jsysbox-fs"), "the error should name jsysbox-fs: " + run.result());
        Docker.findId(run.name())
                .ifPresent(id -> Leftovers.of(id).withMountsBefore(mountsBefore).awaitNone());
        assertEquals(
                "MemTotal:          98304 kB",
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
        Await.until(
                "the manager to copy the seccomp listener of " + Docker.shortId(id),
                Duration.ofSeconds(30),
                () -> Host.read(copies.toString()),
                listed -> listed.contains(" " + id));
        long before = Jsysbox.fsPid();
        Command.run(Docker.COMMAND_TIMEOUT, "kill", "-KILL", Long.toString(before))
                .assertOk();

        // The read waits while no daemon serves, and is answered by the next one.
        assertEquals("MemTotal:         163840 kB", Docker.execOk(id, "head", "-1", "/proc/meminfo"));
        assertEquals(panic, Docker.execOk(id, "cat", "/proc/sys/kernel/panic"), "the written sysctl survived");
        assertNotEquals(before, Jsysbox.fsPid(), "a new jsysbox-fs serves");
        assertEquals(
                "MemTotal:         163840 kB",
                Docker.execOk(id, "sh", "-c", "mkdir -p /p && mount -t proc proc /p && head -1 /p/meminfo"),
                "a procfs mounted after the restart has the virtual files");
        assertEquals(160 * 1024, HostFiles.freeTotal(Docker.execOk(id, "free")), "sysinfo is still answered");
        Command.Result umount = Docker.exec(id, "umount", "/etc/hosts");
        assertTrue(
                !umount.ok() && umount.stderr().contains("Operation not permitted"),
                "its mounts stay protected: " + umount);
        String other = docker.startIdle(Docker.BUSYBOX_IMAGE, "--memory", "96m");
        assertEquals(
                "MemTotal:          98304 kB",
                Docker.execOk(other, "head", "-1", "/proc/meminfo"),
                "and new containers");
    }

    /**
     * A daemon killed while it holds requests it has read and not yet answered: the callers wait in the kernel for an
     * answer no signal cuts short, and their container could not even be stopped. Six loops read /proc/meminfo with
     * the shell's read builtin (a FUSE READ per byte, no fork between), so jsysbox-fs's readers are busy all the time
     * and a kill lands mid-request; two more run free (sysinfo, answered by the seccomp agent). Each loop counts its
     * rounds in /tmp: after the restart every count must go on growing, and the container must stop.
     */
    @Test
    void noCallerWaitsForeverForWhatAKilledDaemonHadRead() {
        String loops =
                "for i in 1 2 3 4 5 6; do (n=0; while :; do read l < /proc/meminfo; n=$((n+1)); echo $n > /tmp/n.$i; "
                        + "done) & done; for i in 7 8; do (n=0; while :; do free >/dev/null; n=$((n+1)); echo $n > "
                        + "/tmp/n.$i; done) & done; wait";
        String id = docker.runDetached(
                "--runtime=jsysbox", "--memory", "160m", "--entrypoint", "sh", Docker.BUSYBOX_IMAGE, "-c", loops);
        // A count read while its loop rewrites it is empty: 0 then.
        String counts = "for i in 1 2 3 4 5 6 7 8; do n=$(cat /tmp/n.$i 2>/dev/null); echo ${n:-0}; done";
        Await.until(
                "the eight loops of " + Docker.shortId(id) + " to run",
                Duration.ofSeconds(60),
                () -> Docker.execOk(id, "sh", "-c", counts).lines().toList(),
                n -> !n.contains("0"));
        long before = Jsysbox.fsPid();
        Command.run(Docker.COMMAND_TIMEOUT, "kill", "-KILL", Long.toString(before))
                .assertOk();
        Await.until("a new jsysbox-fs", Duration.ofMinutes(2), Jsysbox::fsPid, pid -> pid != before);

        List<Long> after = Docker.execOk(id, "sh", "-c", counts)
                .lines()
                .map(Long::parseLong)
                .toList();
        Await.until(
                "every loop of " + Docker.shortId(id) + " to go on after " + after,
                Duration.ofSeconds(60),
                () -> Docker.execOk(id, "sh", "-c", counts)
                        .lines()
                        .map(Long::parseLong)
                        .toList(),
                now -> IntStream.range(0, after.size()).allMatch(i -> now.get(i) > after.get(i)));
        Docker.dockerOk("rm", "-f", id);
    }

    /**
     * A daemon killed after it received a seccomp notification and before it recorded it (a safepoint there can make
     * that milliseconds): the caller's sysinfo waits for an answer no later receive brings. The test receives that
     * notification in jsysbox-fs's stead, from a copy of its listener while it is stopped, then kills it: the next
     * jsysbox-fs must answer it (EINTR), so that the container's free loop goes on.
     */
    @Test
    void aNotificationTheKilledDaemonReceivedAndNeverRecordedIsAnswered() throws Exception {
        String loop = "n=0; while :; do free >/dev/null; n=$((n+1)); echo $n > /tmp/n; done";
        String id = docker.runDetached(
                "--runtime=jsysbox", "--memory", "160m", "--entrypoint", "sh", Docker.BUSYBOX_IMAGE, "-c", loop);
        Path index = Jsysbox.RUN_DIR.resolve(ListenerIndex.FILESYSTEM);
        // Read before any exec, whose own listeners would be listed beside the init's.
        int listener = Await.until(
                "jsysbox-fs to list the seccomp listener of " + Docker.shortId(id),
                Duration.ofSeconds(30),
                () -> ListenerIndex.parse(Host.read(index.toString())).entrySet().stream()
                        .filter(entry -> entry.getValue().equals(id))
                        .map(Map.Entry::getKey)
                        .findFirst()
                        .orElse(-1),
                fd -> fd >= 0);
        Await.until(
                "the free loop of " + Docker.shortId(id) + " to run",
                Duration.ofSeconds(30),
                () -> rounds(id),
                n -> n > 0);
        long before = Jsysbox.fsPid();
        OptionalLong received = OptionalLong.empty();
        try {
            // A stopped daemon may hold the loop's notification itself (then no other comes): let it go and retry.
            for (int attempt = 0; attempt < 5 && received.isEmpty(); attempt++) {
                Command.run(Docker.COMMAND_TIMEOUT, "kill", "-STOP", Long.toString(before))
                        .assertOk();
                try (SeccompListenerCopy copy = SeccompListenerCopy.of(before, listener)) {
                    received = copy.receive(Duration.ofSeconds(10));
                }
                if (received.isEmpty()) {
                    Command.run(Docker.COMMAND_TIMEOUT, "kill", "-CONT", Long.toString(before))
                            .assertOk();
                    Thread.sleep(500);
                }
            }
        } finally {
            Command.run(Docker.COMMAND_TIMEOUT, "kill", "-KILL", Long.toString(before))
                    .assertOk();
        }
        assertTrue(received.isPresent(), "no sysinfo notification of the loop came in five tries");
        Await.until("a new jsysbox-fs", Duration.ofMinutes(2), Jsysbox::fsPid, pid -> pid != before);

        long after = rounds(id);
        Await.until(
                "the free loop of " + Docker.shortId(id) + " to go on after " + after + " rounds",
                Duration.ofSeconds(60),
                () -> rounds(id),
                now -> now > after);
        Docker.dockerOk("rm", "-f", id);
    }

    /** The rounds the loop of {@code id} counted in /tmp/n (0 before its first, or while it rewrites the file). */
    private static long rounds(String id) {
        String n = Docker.execOk(id, "sh", "-c", "cat /tmp/n 2>/dev/null");
        return n.isEmpty() ? 0 : Long.parseLong(n);
    }
}
