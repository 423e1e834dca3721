package io.jsysbox.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListenerIndexTest {
    @TempDir
    Path temp;

    @Test
    void writtenIndexReadsBack() throws Exception {
        Path file = temp.resolve(ListenerIndex.FILESYSTEM);
        assertEquals(Map.of(), ListenerIndex.read(file), "none yet");
        ListenerIndex.write(file, Map.of(57, "c1", 9, "c2"));
        assertEquals(Map.of(9, "c2", 57, "c1"), ListenerIndex.read(file));
        assertEquals("9 c2\n57 c1\n", ListenerIndex.format(Map.of(57, "c1", 9, "c2")), "by descriptor");
    }

    @Test
    void malformedLinesAreSkipped() {
        assertEquals(Map.of(3, "ok"), ListenerIndex.parse("3 ok\nx y\n4\n5 a b\n-1 neg\n\n"));
    }
}
