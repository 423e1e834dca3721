package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiscardsTest {
    @TempDir
    Path tmp;

    @Test
    void aDiscardedDirLeavesItsPathAtOnceAndIsRemovedInTheBackground() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("c1/var-lib-containerd/deep/er"));
        for (int i = 0; i < 1000; i++) {
            Files.writeString(dir.resolve("f" + i), "x");
        }
        Path home = tmp.resolve("c1");

        new Discards().discard(home);

        assertFalse(Files.exists(home), "still at its path");
        awaitEmpty(tmp);
    }

    @Test
    void aDirThatIsGoneIsNothingToDiscard() throws Exception {
        new Discards().discard(tmp.resolve("never-made"));
        assertEquals(List.of(), list(tmp));
    }

    @Test
    void whatAStoppedManagerDiscardedIsRemovedAfterTheNextStart() throws Exception {
        Files.createDirectories(tmp.resolve(".discarded-c2-1-1/inner"));
        Files.createDirectories(tmp.resolve("c3"));

        new Discards().resume(tmp);

        long deadline = System.nanoTime() + 10_000_000_000L;
        while (Files.exists(tmp.resolve(".discarded-c2-1-1")) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(List.of("c3"), list(tmp), "a leftover stays, or a live container's dir went");
    }

    private static void awaitEmpty(Path dir) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!list(dir).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(list(dir).isEmpty(), "not removed: " + list(dir));
    }

    private static List<String> list(Path dir) throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
