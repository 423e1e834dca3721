package io.jsysbox.fs;

import io.jsysbox.procfs.VirtualFileRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real thing: jsysbox-fs mounted in a temp dir, read and written by host processes and by processes in
 * their own pid namespace (a stand-in for a container). Needs root (as CI runs it); skipped otherwise.
 */
class FuseMountIntegrationTest {
    @TempDir
    Path temp;
    private Path mnt;
    private Path stateFile;
    private ContainerRegistry registry;
    private FuseSession session;
    private Process container;

    @BeforeEach
    void mount() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        mnt = Files.createDirectory(temp.resolve("mnt"));
        stateFile = temp.resolve("fs-state.json");
        registry = new ContainerRegistry(stateFile);
        session = mountWith(registry);
    }

    private FuseSession mountWith(ContainerRegistry containers) throws IOException {
        FuseFileSystem fs = new FuseFileSystem(new FsTree(VirtualFileRegistry.standard(), 0), new ContainerFiles(containers));
        return FuseSession.mount(mnt, FuseDevice.open(), fs, 2, true);
    }

    @AfterEach
    void unmount() {
        if (container != null) {
            container.descendants().forEach(ProcessHandle::destroyForcibly);
            container.destroyForcibly();
        }
        if (session != null) {
            session.close();
        }
    }

    private static String hostPanic() throws IOException {
        try (HostFiles files = new HostFiles()) {
            return files.read("/proc/sys/kernel/panic");
        }
    }

    @Test
    void aHostProcessReadsTheHostsFilesAndCannotWrite() throws IOException {
        assertEquals(hostPanic(), Files.readString(mnt.resolve("proc/sys/kernel/panic")));
        String memTotal = Files.readAllLines(Path.of("/proc/meminfo")).getFirst();
        assertEquals(memTotal, Files.readAllLines(mnt.resolve("proc/meminfo")).getFirst());
        assertTrue(Files.readString(mnt.resolve("proc/cpuinfo")).contains("processor\t: 0"));
        FileSystemException e = assertThrows(FileSystemException.class,
                () -> Files.writeString(mnt.resolve("proc/sys/kernel/panic"), "3\n"));
        assertTrue(e.getMessage().endsWith("Operation not permitted"), e.getMessage());
        assertEquals(List.of("cpuinfo", "diskstats", "loadavg", "meminfo", "stat", "swaps", "sys", "uptime"),
                Files.list(mnt.resolve("proc")).map(p -> p.getFileName().toString()).sorted().toList());
    }

    @Test
    void writesAreValidatedLikeTheKernelAndNeverReachTheHost() throws Exception {
        // The test's own pid namespace registered as a container: this JVM is then its process.
        registry.register("self", ProcessHandle.current().pid(), 0);
        Path panic = mnt.resolve("proc/sys/kernel/panic");
        String host = hostPanic();
        IOException bad = assertThrows(IOException.class, () -> Files.writeString(panic, "abc\n"));
        assertEquals("Invalid argument", bad.getMessage());
        IOException range = assertThrows(IOException.class,
                () -> Files.writeString(mnt.resolve("proc/sys/vm/overcommit_memory"), "3\n"));
        assertEquals("Invalid argument", range.getMessage());
        assertThrows(java.nio.file.AccessDeniedException.class,
                () -> Files.writeString(mnt.resolve("proc/sys/kernel/cap_last_cap"), "1\n"));
        String mine = String.valueOf(Integer.parseInt(host.strip()) + 17);
        Files.writeString(panic, mine + "\n");
        assertEquals(mine + "\n", Files.readString(panic));
        assertEquals(host, hostPanic(), "the host's kernel.panic is untouched");
        assertTrue(Files.readString(stateFile).contains("\"/proc/sys/kernel/panic\" : \"" + mine + "\\n\""));
        String uptime = Files.readString(mnt.resolve("proc/uptime"));
        assertTrue(uptime.matches("\\d+\\.\\d\\d \\d+\\.\\d\\d\n"), uptime);
        assertTrue(registry.unregister("self"));
        assertEquals(host, Files.readString(panic), "after unregister the host's value again");
    }

    @Test
    void aContainerSeesItsOwnValuesAndKeepsThemAcrossARestart() throws Exception {
        long init = startContainer();
        registry.register("c1", init, 0);
        String host = hostPanic();
        String mine = String.valueOf(Integer.parseInt(host.strip()) + 5);
        String panic = mnt.resolve("proc/sys/kernel/panic").toString();

        assertEquals(mine + "\n", inContainer(init, "echo " + mine + " > " + panic + " && cat " + panic));
        assertEquals(host, Files.readString(Path.of(panic)), "the host reads the host's value through the mount");
        assertEquals(host, hostPanic());
        assertEquals(mine + "\n", inContainer(init, "unshare --pid --fork cat " + panic),
                "a process in a pid namespace nested in the container's counts as the container's");
        assertTrue(inContainer(init, "/bin/echo abc > " + panic).contains("Invalid argument"));
        double uptime = Double.parseDouble(inContainer(init, "cat " + mnt.resolve("proc/uptime")).split(" ")[0]);
        double hostUptime = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
        assertTrue(uptime < 60 && uptime < hostUptime, "uptime since the container started: " + uptime);
        String uuid = inContainer(init, "cat " + mnt.resolve("sys/devices/virtual/dmi/id/product_uuid"));
        assertEquals(io.jsysbox.procfs.ProductUuid.forContainer("c1") + "\n", uuid);

        // Daemon restart: unmount, a new registry from the state file, mount again.
        session.close();
        session = null;
        ContainerRegistry restored = new ContainerRegistry(stateFile);
        restored.restore();
        session = mountWith(restored);
        assertEquals(mine + "\n", inContainer(init, "cat " + panic));
        assertNotEquals(mine + "\n", Files.readString(Path.of(panic)));
    }

    /** Starts a process in new pid and mount namespaces, as a container's init; returns its host pid. */
    private long startContainer() throws Exception {
        container = new ProcessBuilder("unshare", "--pid", "--fork", "--mount-proc", "sleep", "120")
                .redirectErrorStream(true).start();
        for (int i = 0; i < 100; i++) {
            Optional<ProcessHandle> child = container.children().findFirst();
            if (child.isPresent() && Processes.pidNamespace(child.get().pid()) != Processes.pidNamespace(ProcessHandle.current().pid())) {
                return child.get().pid();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("unshare did not start its child");
    }

    /** Runs {@code script} with sh in the pid namespace of {@code init} (host mounts: the mount dir is visible). */
    private static String inContainer(long init, String script) throws Exception {
        Process p = new ProcessBuilder("nsenter", "--target", String.valueOf(init), "--pid", "--", "sh", "-c", script)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "nsenter timed out");
        return out;
    }
}
