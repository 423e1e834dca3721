package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 13: a host user (not root) can neither list nor open anything of a container or of the runtime's state through
 * jsysbox's dirs, mounts, device nodes or FUSE files, at any moment of a container's life; and one container cannot
 * pin jsysbox-fs's resources. As Docker keeps /var/lib/docker 0710: top dirs 0711 (no listing), a container's own
 * dirs 0710 root:(its root's gid), the rest 0700/0600. Before, /var/lib/jsysbox listed container ids (0755), the slot
 * dirs and device dirs were 0711 with 0666 nodes in them, and jsysbox-fs answered anyone.
 */
@EndToEnd
class HostUsersTest {
    private static final List<String> AS_NOBODY =
            List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
    private static final Path FS_MOUNT = Path.of("/var/lib/jsysbox-fs");

    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void theRuntimesStateIsRootsAlone() {
        for (String dir : List.of(
                "/var/lib/jsysbox",
                "/var/lib/jsysbox/containers",
                "/var/lib/jsysbox/inner-images",
                "/run/jsysbox",
                "/run/jsysbox/mnt",
                "/run/jsysbox/dev",
                "/run/jsysbox/sync",
                FS_MOUNT.toString(),
                FS_MOUNT + "/containers")) {
            assertFalse(asNobody("ls", dir).ok(), "host user nobody lists " + dir);
        }
        for (String file :
                List.of("/var/lib/jsysbox/state.json", "/var/lib/jsysbox/fs-state.json", FS_MOUNT + "/proc/meminfo")) {
            assertFalse(asNobody("cat", file).ok(), "host user nobody reads " + file);
        }
        assertEquals("600", mode("/var/lib/jsysbox/state.json"));
    }

    @Test
    void aRunningContainersDirsAndDeviceNodesAreItsRootsOnly() throws IOException {
        String id = docker.startIdle(Docker.DIND_IMAGE);
        long rootGid = Long.parseLong(Docker.execOk(id, "sh", "-c", "awk '$1 == 0 {print $2}' /proc/self/gid_map"));
        List<Path> slotDirs = containerDirs(Jsysbox.RUN_DIR.resolve("dev"), rootGid);
        assertFalse(
                slotDirs.isEmpty(), "no device dir of the container (group " + rootGid + ") under /run/jsysbox/dev");
        for (Path dir : slotDirs) {
            assertEquals("710 root:" + rootGid, stat("%a %U:%g", dir.toString()), dir.toString());
            for (String node : List.of("fuse", "net-tun")) {
                if (!Files.exists(dir.resolve(node))) {
                    continue;
                }
                assertFalse(
                        asNobody("sh", "-c", "exec 3<>" + dir.resolve(node)).ok(),
                        "host user nobody opens " + dir.resolve(node));
            }
        }
        for (Path dir : containerDirs(Jsysbox.MOUNT_DIR, rootGid)) {
            assertEquals("710 root:" + rootGid, stat("%a %U:%g", dir.toString()), dir.toString());
        }
        // Inside, the nodes work for every user, as a distribution's udev makes them; the virtual files are readable.
        Docker.execOk(id, "sh", "-c", "exec 3<>/dev/fuse 4<>/dev/net/tun");
        Docker.execOk(
                id,
                "setpriv",
                "--reuid=1000",
                "--regid=1000",
                "--clear-groups",
                "sh",
                "-c",
                "exec 3<>/dev/fuse && head -n 1 /proc/meminfo");
        assertFalse(
                asNobody("sh", "-c", "cat " + FS_MOUNT + "/containers/*/proc/meminfo")
                        .ok(),
                "host user nobody reads a container's meminfo");
    }

    /** The create window: a host user polling the slot dirs while containers start never gets into one. */
    @Test
    void noSlotDirIsEverOpenToAHostUserWhileContainersStart() {
        AtomicBoolean starting = new AtomicBoolean(true);
        CompletableFuture<List<String>> seen = CompletableFuture.supplyAsync(() -> {
            List<String> entered = new ArrayList<>();
            while (starting.get()) {
                Command.Result probe = asNobody(
                        "sh", "-c", "ls -d " + Jsysbox.MOUNT_DIR + "/*/* " + Jsysbox.RUN_DIR + "/dev/*/* 2>/dev/null");
                if (!probe.out().isEmpty()) {
                    entered.add(probe.out());
                }
            }
            return entered;
        });
        try {
            for (int i = 0; i < 5; i++) {
                docker.runOnce(Docker.BUSYBOX_IMAGE, List.of(), "true");
            }
        } finally {
            starting.set(false);
        }
        assertEquals(List.of(), seen.join(), "host user nobody listed what is in slot dirs");
    }

    /**
     * One container opening its virtual files without end: past the limit per container it gets an error (ENFILE),
     * and jsysbox-fs still serves it and the others.
     */
    @Test
    void aContainerHoldingThousandsOfVirtualFilesOpenIsStoppedAtTheLimitAndOthersAreStillServed() {
        String greedy = docker.startIdle(Docker.DIND_IMAGE);
        String other = docker.startIdle(Docker.BUSYBOX_IMAGE);
        String opened = Docker.execOk(
                greedy,
                "perl",
                "-e",
                "my @fds; for (1..3000) { open(my $f, '<', '/proc/meminfo') or last; push @fds, $f }"
                        + " print scalar(@fds), ' ', $!, \"\\n\"");
        String[] countAndError = opened.split(" ", 2);
        int count = Integer.parseInt(countAndError[0]);
        assertTrue(count < 3000, "3000 virtual files open in one container: no limit (" + opened + ")");
        assertTrue(count >= 500, "the limit stopped a container at " + count + " open virtual files (" + opened + ")");
        assertTrue(
                Docker.execOk(other, "head", "-n", "1", "/proc/meminfo").startsWith("MemTotal:"),
                "another container's /proc/meminfo");
        assertTrue(
                Docker.execOk(greedy, "head", "-n", "1", "/proc/meminfo").startsWith("MemTotal:"),
                "the greedy container's /proc/meminfo once its files are closed");
    }

    private static Command.Result asNobody(String... command) {
        List<String> full = new ArrayList<>(AS_NOBODY);
        full.addAll(List.of(command));
        return Command.run(Duration.ofSeconds(20), full);
    }

    private static String mode(String file) {
        return stat("%a", file);
    }

    private static String stat(String format, String file) {
        return Command.run(Duration.ofSeconds(10), "stat", "-c", format, file)
                .assertOk()
                .out();
    }

    /** The dirs directly under {@code parent} whose group is {@code gid}: a container's. */
    private static List<Path> containerDirs(Path parent, long gid) throws IOException {
        List<Path> dirs = new ArrayList<>();
        try (DirectoryStream<Path> children = Files.newDirectoryStream(parent)) {
            for (Path child : children) {
                if (Files.isDirectory(child) && stat("%g", child.toString()).equals(Long.toString(gid))) {
                    dirs.add(child);
                }
            }
        }
        return dirs;
    }
}
