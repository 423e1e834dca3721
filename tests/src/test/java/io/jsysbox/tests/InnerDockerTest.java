package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One system container running Docker, shared by the tests that only look at it (starting one takes a while):
 * Docker inside works, the host sees an unprivileged exclusive uid range, files show the right owners.
 */
@EndToEnd
class InnerDockerTest {
    private static final long HOST_USER = 1000;

    @RegisterExtension
    static final Docker docker = new Docker();

    private static Path bindSource;
    private static String dind;

    @BeforeAll
    static void startSystemContainer() throws IOException {
        bindSource = Files.createTempDirectory("jsysbox-test-bind");
        Files.setPosixFilePermissions(bindSource, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path userFile = Files.writeString(bindSource.resolve("user-file"), "data\n");
        Files.setAttribute(userFile, "unix:uid", (int) HOST_USER);
        Files.setAttribute(userFile, "unix:gid", (int) HOST_USER);
        dind = docker.startDind("-v", bindSource + ":/x");
    }

    @AfterAll
    static void removeBindSource() throws IOException {
        docker.removeAll();
        if (bindSource != null) {
            try (Stream<Path> files = Files.walk(bindSource)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }

    @Test
    void innerDockerRunPrintsHello() {
        assertEquals("hello", Docker.execOk(dind, "docker", "run", "--rm", "busybox", "echo", "hello"));
    }

    /**
     * An inner container inherits the system container's seccomp filter (filters stack, and the kernel takes its
     * notify over the inner profile's allow), and its procfs carries the system container's files: its sysinfo and its
     * /proc/meminfo both show the system container's limit. busybox free combines them (total from sysinfo, Cached
     * from /proc/meminfo); mixed, "used" would go negative and print as a 17-digit number.
     */
    @Test
    void innerContainersSysinfoAgreesWithTheirProcMeminfo() {
        String limited = docker.startDind("--memory", "512m");
        assertEquals(
                512 * 1024, HostFiles.freeTotal(Docker.execOk(limited, "free")), "the system container's own free");
        String free = Docker.execOk(
                limited, "docker", "run", "--rm", "busybox", "sh", "-c", "free; grep MemTotal /proc/meminfo");
        long meminfoTotal = Long.parseLong(free.lines()
                .filter(line -> line.startsWith("MemTotal:"))
                .findFirst()
                .orElseThrow()
                .replaceAll("\\D", ""));
        assertEquals(512 * 1024, meminfoTotal, "inner /proc/meminfo:\n" + free);
        assertEquals(meminfoTotal, HostFiles.freeTotal(free), "inner free's total is its /proc/meminfo's:\n" + free);
        String used = free.lines()
                .filter(line -> line.strip().startsWith("Mem:"))
                .findFirst()
                .orElseThrow()
                .strip()
                .split("\\s+")[2];
        assertTrue(Long.parseLong(used) <= meminfoTotal, "inner free's used column is sane:\n" + free);
    }

    @Test
    void innerClassicDockerBuildProducesARunnableImage() {
        Docker.execOk(
                dind,
                "sh",
                "-c",
                "mkdir -p /tmp/ctx && printf 'FROM busybox\\nRUN echo built > /built\\n' > /tmp/ctx/Dockerfile");
        Docker.execOk(dind, "env", "DOCKER_BUILDKIT=0", "docker", "build", "-t", "jsysbox-test-built", "/tmp/ctx");
        assertEquals("built", Docker.execOk(dind, "docker", "run", "--rm", "jsysbox-test-built", "cat", "/built"));
    }

    @Test
    void initRunsAsUnprivilegedHostUidFromTheJsysboxRange() {
        InitProcess init = InitProcess.of(dind);
        IdRange uidPool = Jsysbox.pool(Path.of("/etc/subuid"));
        IdRange uids = init.uidRange();
        assertNotEquals(0, uids.start(), "uid_map is the identity map: " + init.uidMap());
        assertTrue(uidPool.contains(uids), "uid range " + uids + " lies outside the jsysbox pool " + uidPool);
        assertEquals(uids.start(), init.hostUid(), "root inside should run as the range's first host uid");
        assertTrue(
                uidPool.contains(init.hostUid()), "init runs as host uid " + init.hostUid() + ", outside " + uidPool);
        IdRange gids = init.gidRange();
        IdRange gidPool = Jsysbox.pool(Path.of("/etc/subgid"));
        assertTrue(gidPool.contains(gids), "gid range " + gids + " lies outside the jsysbox pool " + gidPool);
    }

    @Test
    void twoLiveContainersGetDisjointRanges() {
        String other = docker.runDetached("--runtime=jsysbox", Docker.BUSYBOX_IMAGE, "sleep", "1000000");
        IdRange mine = InitProcess.of(dind).uidRange();
        IdRange theirs = InitProcess.of(other).uidRange();
        assertFalse(mine.overlaps(theirs), "uid ranges overlap: " + mine + " and " + theirs);
        assertFalse(
                InitProcess.of(dind).gidRange().overlaps(InitProcess.of(other).gidRange()), "gid ranges overlap");
    }

    @Test
    void rootfsFilesShowTheOwnersTheImageGivesThem() {
        List<String> notRoot = HostFiles.entriesNotOwnedBy(
                Docker.execOk(dind, "ls", "-ln", "/"),
                0,
                0,
                // procfs and sysfs belong to the host's root, which has no id inside the user namespace
                List.of("proc", "sys"));
        assertEquals(List.of(), notRoot, "entries of / not owned by 0:0 inside (65534 means unmapped)");
        // Non-root owners must survive the shifting too: compare with the same image under plain runc.
        String[] stat = {"stat", "-c", "%u:%g %n", "/", "/etc", "/etc/shadow", "/usr/bin/docker", "/var/log", "/tmp"};
        String underRunc = docker.tryRun(
                        Stream.concat(Stream.of("--rm", "--runtime=runc", Docker.DIND_IMAGE), Stream.of(stat))
                                .toArray(String[]::new))
                .result()
                .assertOk()
                .out();
        assertEquals(underRunc, Docker.execOk(dind, stat));
    }

    @Test
    void bindMountShowsHostOwnersInsideAndIsNeverChowned() throws IOException {
        assertEquals(Long.toString(HOST_USER), Docker.execOk(dind, "stat", "-c", "%u", "/x/user-file"));
        assertEquals(Long.toString(HOST_USER), Docker.execOk(dind, "stat", "-c", "%g", "/x/user-file"));
        assertEquals("0", Docker.execOk(dind, "stat", "-c", "%u", "/x"));
        Docker.execOk(dind, "sh", "-c", "echo from-inside > /x/made-inside");

        assertEquals((int) HOST_USER, Files.getAttribute(bindSource.resolve("user-file"), "unix:uid"));
        assertEquals((int) HOST_USER, Files.getAttribute(bindSource.resolve("user-file"), "unix:gid"));
        assertEquals(0, Files.getAttribute(bindSource, "unix:uid"), "the bind-mount source was chowned");
        assertEquals(
                0,
                Files.getAttribute(bindSource.resolve("made-inside"), "unix:uid"),
                "a file root inside creates should belong to root on the host");
    }
}
