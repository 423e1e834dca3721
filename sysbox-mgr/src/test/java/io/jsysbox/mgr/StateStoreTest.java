package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
                        1_700_000_000_000L,
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
}
