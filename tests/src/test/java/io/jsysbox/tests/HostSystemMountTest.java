package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host system tree bind-mounted into a jsysbox container is not ID-mapped: the container's root must not own
 * the host root's files (root in the container is never root on the host).
 */
@EndToEnd
class HostSystemMountTest {
    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void hostEtcShowsAsNobodyAndStaysReadOnlyToContainerRoot() throws Exception {
        String before = Files.readString(Path.of("/etc/hostname"));
        String id =
                docker.runDetached("--runtime=jsysbox", "-v", "/etc:/hostetc", Docker.BUSYBOX_IMAGE, "sleep", "600");

        assertEquals(
                "65534",
                Docker.execOk(id, "stat", "-c", "%u", "/hostetc/hostname").strip(),
                "host root's files must show as the overflow uid, not as the container's root");
        Command.Result write = Docker.exec(id, "sh", "-c", "echo pwned >> /hostetc/hostname");
        assertFalse(write.ok(), "container root could write a host root file: " + write);
        assertEquals(before, Files.readString(Path.of("/etc/hostname")));
    }

    /**
     * A read-only volume from a nosuid,nodev,noexec mount (as /dev/shm and /run often are) starts, and keeps those
     * flags.
     */
    @Test
    void aReadOnlyVolumeFromARestrictedMountStarts(@TempDir Path dir) throws Exception {
        Command.run(
                        Duration.ofSeconds(30),
                        "mount",
                        "-t",
                        "tmpfs",
                        "-o",
                        "nosuid,nodev,noexec,size=1m",
                        "tmpfs",
                        dir.toString())
                .assertOk();
        try {
            Files.writeString(dir.resolve("data"), "shared\n");
            String options = docker.runOnce(
                    Docker.BUSYBOX_IMAGE,
                    List.of("-v", dir + ":/data:ro"),
                    "sh",
                    "-c",
                    "cat /data/data; grep ' /data ' /proc/self/mountinfo | cut -d' ' -f6");
            assertEquals("shared", options.lines().findFirst().orElse(""));
            assertTrue(
                    options.contains("ro")
                            && options.contains("nosuid")
                            && options.contains("nodev")
                            && options.contains("noexec"),
                    options);
        } finally {
            docker.removeAll();
            Command.run(Duration.ofSeconds(30), "umount", "-l", dir.toString()).assertOk();
        }
    }

    /**
     * A read-only volume stays read-only: the ID-mapped clone is made read-only on the host, so the container's root
     * (who owns the files through the mapping) cannot remount it writable inside its user namespace.
     */
    @Test
    void readOnlyVolumeCannotBeRemountedWritable(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("data"), "original");
        String id =
                docker.runDetached("--runtime=jsysbox", "-v", dir + ":/data:ro", Docker.BUSYBOX_IMAGE, "sleep", "600");

        assertEquals("0", Docker.execOk(id, "stat", "-c", "%u", "/data/data").strip(), "the volume is ID-mapped");
        Docker.exec(id, "mount", "-o", "remount,rw,bind", "/data");
        Command.Result write = Docker.exec(id, "sh", "-c", "echo pwned > /data/data");
        assertFalse(write.ok(), "container root wrote through a read-only volume: " + write);
        assertEquals("original", Files.readString(file));
    }
}
