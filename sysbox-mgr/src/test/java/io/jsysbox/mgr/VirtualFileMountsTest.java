package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Mounts into a real process's own mount namespace, as the manager does into a container's. */
class VirtualFileMountsTest {
    Path tmp;
    Process namespaceHolder;

    @BeforeEach
    void processInItsOwnMountNamespace() throws Exception {
        RootOnly.assumeRoot();
        tmp = Files.createTempDirectory("jsysbox-vfm");
        Files.writeString(tmp.resolve("source"), "virtual\n");
        Files.createDirectories(tmp.resolve("root/proc"));
        Files.writeString(tmp.resolve("root/proc/meminfo"), "real\n");
        Files.createSymbolicLink(tmp.resolve("root/proc/link"), Path.of("meminfo"));
        Files.createSymbolicLink(tmp.resolve("root/escape"), Path.of("/etc"));
        // A container's namespaces: a user namespace of its own, owning a mount namespace in which /proc is a mount.
        String proc = tmp.resolve("root/proc").toString();
        namespaceHolder = new ProcessBuilder(
                        "unshare",
                        "--user",
                        "--map-root-user",
                        "--mount",
                        "--propagation",
                        "private",
                        "sh",
                        "-c",
                        "mount --bind " + proc + " " + proc + " && exec sleep 120")
                .start();
        // unshare execs sleep once the namespace exists: wait for that, not for a fixed time.
        while (namespaceHolder.isAlive()
                && !ProcessHandle.of(namespaceHolder.pid())
                        .flatMap(p -> p.info().command())
                        .orElse("")
                        .endsWith("sleep")) {
            Thread.onSpinWait();
        }
        assertTrue(namespaceHolder.isAlive());
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (namespaceHolder != null) {
            namespaceHolder.destroyForcibly().waitFor();
        }
        if (tmp != null) {
            NoFollowTree.delete(tmp.getParent(), tmp.getFileName().toString());
        }
    }

    @Test
    void mountsOnlyInsideTheNamespaceAndSkipsMissingDestinations() throws Exception {
        Map<String, Path> files = new LinkedHashMap<>();
        files.put("/proc/meminfo", tmp.resolve("source"));
        files.put("/proc/absent", tmp.resolve("source"));
        assertEquals(
                1,
                VirtualFileMounts.mount(
                        namespaceHolder.pid(), tmp.resolve("root").toString(), files, true));
        assertEquals("virtual\n", readInNamespace(tmp.resolve("root/proc/meminfo")));
        assertEquals("real\n", Files.readString(tmp.resolve("root/proc/meminfo")), "the host's namespace is untouched");
        String umount = inNamespace("umount", tmp.resolve("root/proc/meminfo").toString());
        // EINVAL, which umount(8) words "not mounted" (the file still reads virtual, below).
        assertTrue(
                umount.contains("Invalid argument") || umount.contains("not mounted"),
                "the kernel locked the file's mount: " + umount);
        assertEquals("virtual\n", readInNamespace(tmp.resolve("root/proc/meminfo")));
    }

    @Test
    void refusesSymlinksOnTheWayToADestination() {
        var link = assertThrows(
                IOException.class,
                () -> VirtualFileMounts.mount(
                        namespaceHolder.pid(),
                        tmp.resolve("root").toString(),
                        Map.of("/proc/link", tmp.resolve("source")),
                        true));
        assertTrue(
                link.getMessage().contains("openat2(") && link.getMessage().contains("proc/link"), link.getMessage());
        var escape = assertThrows(
                IOException.class,
                () -> VirtualFileMounts.mount(
                        namespaceHolder.pid(),
                        tmp.resolve("root").toString(),
                        Map.of("/escape/hostname", tmp.resolve("source")),
                        true));
        assertTrue(
                escape.getMessage().contains("openat2(") && escape.getMessage().contains("escape/hostname"),
                escape.getMessage());
    }

    private String readInNamespace(Path file) throws Exception {
        return inNamespace("cat", file.toString());
    }

    /** Runs {@code command} as the namespace's root (in its user namespace too); its output, whatever its status. */
    private String inNamespace(String... command) throws Exception {
        List<String> line = new ArrayList<>(List.of(
                "nsenter",
                "--target",
                Long.toString(namespaceHolder.pid()),
                "--user",
                "--mount",
                "--preserve-credentials"));
        line.addAll(List.of(command));
        Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes());
        process.waitFor();
        return out;
    }
}
