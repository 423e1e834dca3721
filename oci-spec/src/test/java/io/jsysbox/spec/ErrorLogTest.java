package io.jsysbox.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Log entries as containerd-shim reads runc's. */
class ErrorLogTest {
    @Test
    void errorLogEntriesInRuncsFormats() {
        assertEquals(
                "{\"level\":\"error\",\"msg\":\"jsysbox: a \\\"b\\\"\\\\c\",\"time\":\"2025-01-02T03:04:05Z\"}",
                ErrorLog.entry("error", "jsysbox: a \"b\"\\c", "2025-01-02T03:04:05Z", true));
        assertEquals(
                "time=\"2025-01-02T03:04:05Z\" level=error msg=\"jsysbox: x\"",
                ErrorLog.entry("error", "jsysbox: x", "2025-01-02T03:04:05Z", false));
        assertEquals("first; second", ErrorLog.oneLine("first\n  second\n"));
    }

    @Test
    void appendWritesOnlyTheLogFilesEntry() throws Exception {
        Path file = Files.createTempFile("runtime", ".log");
        try {
            new ErrorLog(file.toString(), true).append("error", "no\nway");
            String entry = Files.readString(file);
            assertTrue(entry.startsWith("{\"level\":\"error\",\"msg\":\"jsysbox: no; way\",\"time\":\""), entry);
            assertTrue(entry.endsWith("\"}\n"), entry);
            new ErrorLog(null, true).append("error", "nowhere to go: no failure");
        } finally {
            Files.delete(file);
        }
    }
}
