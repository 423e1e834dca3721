package io.jsysbox.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path temp;

    private List<String> names() throws IOException {
        try (var entries = Files.list(temp)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aFileIsReplacedWholeWithExactlyItsModeAndNoTempFileLeft() throws IOException {
        Path file = temp.resolve("state.json");
        Files.writeString(file, "old, and longer than the new version");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        AtomicFiles.replace(
                file,
                "new".getBytes(StandardCharsets.UTF_8),
                RuntimeDirs.permissions(RuntimeDirs.HOST_ROOT_ONLY_FILE),
                AtomicFiles.Durability.DURABLE);
        assertEquals("new", Files.readString(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        AtomicFiles.replace(
                file,
                "newer".getBytes(StandardCharsets.UTF_8),
                PosixFilePermissions.fromString("rwxr-xr-x"),
                AtomicFiles.Durability.UNTIL_REBOOT);
        assertEquals("newer", Files.readString(file));
        assertEquals(
                "rwxr-xr-x",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
                "beyond the umask too");
        assertEquals(List.of("state.json"), names());
    }

    @Test
    void aFailedRenameLeavesTheOldVersionAndNoTempFile() throws IOException {
        Path dir = Files.createDirectory(temp.resolve("taken"));
        Files.writeString(dir.resolve("inside"), "a dir that is not empty cannot be replaced");
        assertThrows(
                IOException.class,
                () -> AtomicFiles.replace(
                        dir,
                        new byte[] {1},
                        RuntimeDirs.permissions(RuntimeDirs.HOST_ROOT_ONLY_FILE),
                        AtomicFiles.Durability.DURABLE));
        assertEquals(List.of("taken"), names());
        assertEquals(
                List.of("inside"),
                Files.list(dir).map(p -> p.getFileName().toString()).toList());
    }
}
