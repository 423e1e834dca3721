package io.jsysbox.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeDirsTest {
    @TempDir
    Path temp;

    @Test
    void modesAreTheirPermissionBits() {
        assertEquals("rwx------", PosixFilePermissions.toString(RuntimeDirs.permissions(RuntimeDirs.HOST_ROOT_ONLY)));
        assertEquals(
                "rwx--x--x", PosixFilePermissions.toString(RuntimeDirs.permissions(RuntimeDirs.PASSED_BY_CONTAINERS)));
        assertEquals("rwx--x---", PosixFilePermissions.toString(RuntimeDirs.permissions(RuntimeDirs.ONE_CONTAINERS)));
        assertEquals(
                "rw-------", PosixFilePermissions.toString(RuntimeDirs.permissions(RuntimeDirs.HOST_ROOT_ONLY_FILE)));
    }

    @Test
    void aContainersDirBelongsToRootAndItsRootGidAndAnOldOneIsReowned() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "chown needs root");
        Path dir = RuntimeDirs.ensure(temp.resolve("1-c1"), RuntimeDirs.ONE_CONTAINERS, 165536);
        assertEquals("rwx--x---", mode(dir));
        assertEquals(0, Files.getAttribute(dir, "unix:uid"));
        assertEquals(165536, Files.getAttribute(dir, "unix:gid"));
        Path old = Files.createDirectory(temp.resolve("state"));
        Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rwxr-xr-x"));
        RuntimeDirs.ensure(old, RuntimeDirs.PASSED_BY_CONTAINERS);
        assertEquals("rwx--x--x", mode(old), "an older install's 0755 dir is re-moded");
        assertEquals(0, Files.getAttribute(old, "unix:gid"));
        Files.createSymbolicLink(temp.resolve("link"), old);
        assertThrows(IOException.class, () -> RuntimeDirs.ensure(temp.resolve("link"), RuntimeDirs.HOST_ROOT_ONLY));
    }

    @Test
    void stateFilesAreHostRootsAlone() throws Exception {
        Path file = temp.resolve("state.json");
        Files.writeString(file, "{}");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        RuntimeDirs.restrictFile(file);
        assertEquals("rw-------", mode(file));
        Path pidFile = temp.resolve("fs.pid");
        Files.writeString(pidFile, "left by an older install");
        Files.setPosixFilePermissions(pidFile, PosixFilePermissions.fromString("rw-r--r--"));
        RuntimeDirs.writePrivately(pidFile, "42\n");
        assertEquals("rw-------", mode(pidFile), "replaced, not truncated with its old mode");
        assertEquals("42\n", Files.readString(pidFile));
        Path shared = Files.createDirectory(temp.resolve("tmp"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        RuntimeDirs.createIfMissing(shared, RuntimeDirs.HOST_ROOT_ONLY);
        assertEquals("rwxrwxrwx", mode(shared), "a dir that exists is not the daemon's to re-mode");
        assertEquals(
                "rwx--x--x", mode(RuntimeDirs.createIfMissing(temp.resolve("run"), RuntimeDirs.PASSED_BY_CONTAINERS)));
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }
}
