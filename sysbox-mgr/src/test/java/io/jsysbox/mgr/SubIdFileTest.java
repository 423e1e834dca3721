package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsysbox.spec.HostRange;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SubIdFileTest {
    private static final Path FILE = Path.of("/etc/subuid");

    @Test
    void findsTheUsersEntry() throws Exception {
        String text = "# comment\nalice:100000:65536\njsysbox:1000000000:67108864\n";
        assertEquals(new HostRange(1_000_000_000L, 67_108_864L), SubIdFile.parse(text, FILE, "jsysbox"));
    }

    @Test
    void missingEntryNamesTheFileAndTheFix() {
        var e = assertThrows(
                ConfigurationException.class, () -> SubIdFile.parse("alice:100000:65536\n", FILE, "jsysbox"));
        assertTrue(e.getMessage().contains("/etc/subuid"), e.getMessage());
        assertTrue(e.getMessage().contains("jsysbox:1000000000:67108864"), e.getMessage());
    }

    @Test
    void rejectsMalformedAndTooSmallEntries() {
        assertThrows(ConfigurationException.class, () -> SubIdFile.parse("jsysbox:abc:65536\n", FILE, "jsysbox"));
        assertThrows(ConfigurationException.class, () -> SubIdFile.parse("jsysbox:100000:1000\n", FILE, "jsysbox"));
        assertThrows(
                ConfigurationException.class, () -> SubIdFile.parse("jsysbox:4294967000:65536\n", FILE, "jsysbox"));
    }

    @Test
    void missingFileIsAMissingEntry() {
        var e = assertThrows(
                ConfigurationException.class, () -> SubIdFile.read(Path.of("/nonexistent/subuid"), "jsysbox"));
        assertTrue(e.getMessage().contains("/nonexistent/subuid"), e.getMessage());
    }
}
