package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
    @Test
    void roundTrip(@TempDir Path dir) throws Exception {
        StateStore store = new StateStore(dir.resolve("sub/state.json"));
        assertEquals(ManagerState.empty(), store.load());
        ManagerState state = new ManagerState(
                ManagerState.CURRENT_VERSION,
                List.of(new ContainerState(
                        "c1",
                        3,
                        "/r",
                        "idmapped-overlay",
                        "/run/jsysbox/mnt/3/rootfs",
                        42,
                        123_456L,
                        List.of("/run/jsysbox/mnt/3/rootfs"),
                        List.of("/run/jsysbox/mnt/3"),
                        List.of("/l/jsysbox/var-lib-docker"),
                        List.of("0123456789abcdef0123456789abcdef"),
                        "sandbox-1")),
                Map.of("old", 7),
                4,
                Map.of("old", "/var/lib/docker/overlay2/old/merged"));
        store.save(state);
        assertEquals(state, store.load());
        try (var left = Files.list(dir.resolve("sub"))) {
            assertEquals(
                    List.of("state.json"),
                    left.map(p -> p.getFileName().toString()).toList(),
                    "no temp file left");
        }
    }

    @Test
    void corruptStateSaysWhatToDo(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("state.json"), "{not json");
        var e = assertThrows(IOException.class, () -> new StateStore(dir.resolve("state.json")).load());
        assertEquals(true, e.getMessage().contains("move it away"));
    }

    /** A state a version-1 manager saved (its inits' starts in epoch ms) loads; the starts are not known. */
    @Test
    void versionOneStateLoadsWithItsInitsStartsUnknown(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("state.json"), """
                {"version": 1, "containers": [{"id": "c1", "slot": 3, "rootfs": "/r", "rootfsShift": "none",
                  "rootfsPath": "/r", "pid": 42, "pidStartMillis": 1700000000000, "mounts": [], "dirs": [],
                  "keptDirs": [], "innerImageCacheKeys": [], "sharesRangeOf": ""}],
                 "previousSlots": {}, "nextSlot": 4, "stoppedRootfs": {}}
                """);
        ManagerState state = new StateStore(dir.resolve("state.json")).load();
        assertEquals(ManagerState.CURRENT_VERSION, state.version());
        assertEquals(42, state.containers().getFirst().pid());
        assertEquals(0, state.containers().getFirst().pidStartTicks());
    }

    @Test
    void aNewerManagersStateIsRefusedSayingWhatToDo(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("state.json"), "{\"version\": 99, \"containers\": []}");
        var e = assertThrows(IOException.class, () -> new StateStore(dir.resolve("state.json")).load());
        assertTrue(e.getMessage().contains("unsupported state version 99"), e.getMessage());
        assertTrue(e.getMessage().contains("move it away"), e.getMessage());
    }
}
