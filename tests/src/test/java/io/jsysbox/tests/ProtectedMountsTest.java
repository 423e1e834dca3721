package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mounts the runtime made for a system container (runc's, its volumes, the special mounts, the virtual files) stay
 * as they were made: root inside can neither unmount nor move them, nor make a read-only one writable, and is told so
 * (EPERM). Its own mounts, and the copies in mount namespaces it makes, are its to change.
 */
@EndToEnd
class ProtectedMountsTest {
    private static final String EPERM = "Operation not permitted";
    /** busybox says EPERM so for a remount: it takes any EPERM of mount(2) for a missing privilege. */
    private static final String MOUNT_EPERM = "permission denied";

    @RegisterExtension
    static final Docker docker = new Docker();

    @Test
    void rootInsideCannotUnmountMoveOrMakeWritableWhatTheRuntimeMounted(@TempDir Path volume) throws IOException {
        Files.writeString(volume.resolve("f"), "host");
        String id = docker.startIdle(Docker.BUSYBOX_IMAGE, "-v", volume + ":/ro:ro", "-v", volume + ":/rw");
        List<String> before = HostFiles.mountPoints(Docker.execOk(id, "cat", "/proc/self/mountinfo"));
        for (String mount : List.of(
                "/etc/hosts",
                "/etc/resolv.conf",
                "/etc/hostname",
                "/ro",
                "/rw",
                "/var/lib/docker",
                "/dev/shm",
                "/dev/fuse",
                "/proc/meminfo",
                "/proc/sys/kernel/panic",
                "/proc",
                "/sys")) {
            assertTrue(before.contains(mount), mount + " is mounted: " + before);
            Command.Result umount = Docker.exec(id, "umount", mount);
            Command.Result lazy = Docker.exec(id, "umount", "-l", mount);
            assertAll(
                    mount,
                    () -> assertTrue(!umount.ok() && umount.stderr().contains(EPERM), "umount: " + umount),
                    () -> assertTrue(!lazy.ok() && lazy.stderr().contains(EPERM), "umount -l: " + lazy));
        }
        Command.Result move = Docker.exec(id, "sh", "-c", "mkdir -p /moved && mount --move /rw /moved");
        assertTrue(!move.ok() && move.stderr().contains(MOUNT_EPERM), "mount --move: " + move);

        Command.Result writable = Docker.exec(id, "mount", "-o", "remount,bind,rw", "/ro");
        assertTrue(
                !writable.ok() && writable.stderr().contains(MOUNT_EPERM),
                "remount rw of a read-only volume: " + writable);
        assertFalse(Docker.exec(id, "sh", "-c", "echo inside > /ro/f").ok(), "the read-only volume stays read-only");

        Docker.execOk(id, "mount", "-o", "remount,bind,ro", "/rw");
        assertFalse(Docker.exec(id, "sh", "-c", "echo inside > /rw/f").ok(), "made read-only by root inside");
        Docker.execOk(id, "mount", "-o", "remount,bind,rw", "/rw");
        Docker.execOk(id, "sh", "-c", "echo inside > /rw/f");
        assertEquals("inside\n", Files.readString(volume.resolve("f")), "a writable volume can be made writable again");

        assertEquals(before, HostFiles.mountPoints(Docker.execOk(id, "cat", "/proc/self/mountinfo")), "nothing went");
    }

    /**
     * The manager does not wait for jsysbox-fs to take the mount list (Protect): a container whose first act is an
     * umount is refused all the same (held until jsysbox-fs has the list, if it comes first: ContainerRegistryTest).
     */
    @Test
    void theFirstCallsOfAContainerAreGuardedToo() {
        String out = docker.runOnce(
                Docker.BUSYBOX_IMAGE,
                List.of(),
                "sh",
                "-c",
                "umount /etc/hostname 2>&1; umount -l /etc/hosts 2>&1; grep -c ' /etc/host' /proc/self/mountinfo");
        assertEquals(
                List.of(
                        "umount: can't unmount /etc/hostname: " + EPERM,
                        "umount: can't unmount /etc/hosts: " + EPERM,
                        "2"),
                out.lines().toList());
    }

    @Test
    void itsOwnMountsAndTheCopiesInItsOwnNamespacesAreItsToChange() {
        String id = docker.startIdle(Docker.BUSYBOX_IMAGE, "--memory", "160m");
        Docker.execOk(
                id,
                "sh",
                "-c",
                "mkdir -p /a /b && mount -t tmpfs t /a && mount --move /a /b && "
                        + "mount -o remount,bind,ro /b && mount -o remount,bind,rw /b && umount /b");
        assertEquals(
                "gone",
                Docker.execOk(
                        id,
                        "unshare",
                        "-m",
                        "sh",
                        "-c",
                        "umount /etc/hosts /var/lib/docker && grep -q ' /etc/hosts ' /proc/self/mountinfo || echo gone"),
                "in a mount namespace of its own, the copies are its own");
        Command.Result virtual = Docker.exec(id, "unshare", "-m", "umount", "/proc/meminfo");
        assertTrue(
                !virtual.ok() && virtual.stderr().contains(EPERM),
                "a virtual file stays, whatever the namespace: " + virtual);
        assertEquals(
                "MemTotal:         163840 kB",
                Docker.execOk(
                        id,
                        "sh",
                        "-c",
                        "mkdir -p /p && mount -t proc proc /p && umount /p/meminfo; head -1 /p/meminfo"),
                "nor can the virtual files of a procfs made inside be taken off");
    }

    /** JSYSBOX_MOUNT_INTERCEPTION=off: mount and umount go to the kernel unseen; sysinfo is still the container's. */
    @Test
    void aContainerThatOptsOutMayUnmountWhatTheRuntimeMounted() {
        String id = docker.startIdle(Docker.BUSYBOX_IMAGE, "--memory", "144m", "-e", "JSYSBOX_MOUNT_INTERCEPTION=off");
        assertEquals(144 * 1024, HostFiles.freeTotal(Docker.execOk(id, "free")), "sysinfo is still answered");
        Docker.execOk(id, "umount", "/etc/hosts");
        Docker.execOk(id, "umount", "/proc/meminfo");
        assertFalse(HostFiles.mountPoints(Docker.execOk(id, "cat", "/proc/self/mountinfo"))
                .contains("/proc/meminfo"));
    }
}
