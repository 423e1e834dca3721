package io.jsysbox.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsysbox.linux.ProcessIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Slots: given at registration, never twice, kept across a restart. This JVM and a sleep stand in for inits. */
class ContainerRegistryTest {
    @TempDir
    Path temp;

    private final long self = ProcessHandle.current().pid();
    private Process other;

    @AfterEach
    void stop() {
        if (other != null) {
            other.destroyForcibly();
        }
    }

    private long otherInit() throws Exception {
        other = new ProcessBuilder("sleep", "60").start();
        return other.pid();
    }

    @Test
    void slotsAreNeverGivenTwiceAndSurviveARestart() throws Exception {
        Path state = temp.resolve("fs-state.json");
        ContainerRegistry registry = new ContainerRegistry(state);
        Container a = registry.register("a", self, 0, false);
        Container b = registry.register("b", otherInit(), 0, false);
        assertEquals(1, a.slot);
        assertEquals(2, b.slot);
        assertSame(a, registry.register("a", self, 0, false), "the same init: the same registration");
        assertSame(b, registry.inSlot(2));
        assertSame(a, registry.named("a"));
        assertEquals(0, a.rootUid, "no user namespace: host root");
        assertEquals(0, a.rootGid);

        assertTrue(registry.unregister("b"));
        assertNull(registry.inSlot(2));
        Container restarted = registry.register("a", other.pid(), 0, false);
        assertEquals(3, restarted.slot, "another init: a new slot, never a freed one");
        assertNull(registry.inSlot(1));

        ContainerRegistry restored = new ContainerRegistry(state);
        restored.restore();
        assertEquals(3, restored.named("a").slot);
        assertSame(restored.named("a"), restored.inSlot(3));
        assertEquals(4, restored.register("b", self, 0, false).slot, "after every slot given before the restart");
    }

    @Test
    void restoreKeepsLiveSlotsAndGivesSlotsToEntriesSavedBeforeSlots() throws Exception {
        Path state = temp.resolve("fs-state.json");
        long ticks = ProcessIdentity.startTicks(self);
        Files.writeString(state, """
                {"version": 1, "nextSlot": 7, "containers": [
                  {"id": "live", "slot": 5, "initPid": %d, "startTicks": %d, "bootId": "%s", "sysctls": {}},
                  {"id": "gone", "slot": 9, "initPid": %d, "startTicks": %d, "bootId": "%s", "sysctls": {}},
                  {"id": "old", "initPid": %d, "startTicks": %d, "bootId": "%s", "sysctls": {}}
                ]}
                """.formatted(
                        self,
                        ticks,
                        UUID.randomUUID(),
                        self,
                        ticks + 1,
                        UUID.randomUUID(),
                        otherInit(),
                        ProcessIdentity.startTicks(other.pid()),
                        UUID.randomUUID()));
        ContainerRegistry registry = new ContainerRegistry(state);
        registry.restore();
        assertEquals(5, registry.named("live").slot);
        assertNull(registry.named("gone"), "its init no longer runs");
        assertEquals(10, registry.named("old").slot, "saved before slots: a new one, after the highest named");
        assertEquals(11, registry.register("new", self, 0, false).slot);
        assertTrue(Files.readString(state).contains("\"nextSlot\" : 12"), Files.readString(state));
    }

    @Test
    void protectedMountsSurviveARestartAndAreTheirNamespacesOnly() throws Exception {
        Path state = temp.resolve("fs-state.json");
        ContainerRegistry registry = new ContainerRegistry(state);
        registry.register("a", self, 0, false);
        assertEquals(ProtectedMounts.NONE, registry.named("a").protectedMounts(), "nothing until the runtime says");
        registry.protect("a", new ProtectedMounts(4, 4026531841L, Set.of(21L, 22L, 30L), Set.of(22L)));
        assertThrows(
                ContainerRegistry.RegistrationException.class, () -> registry.protect("unknown", ProtectedMounts.NONE));

        ContainerRegistry restored = new ContainerRegistry(state);
        restored.restore();
        ProtectedMounts mounts = restored.named("a").protectedMounts();
        assertTrue(mounts.contains(4, 4026531841L, 30));
        assertTrue(mounts.containsReadOnly(4, 4026531841L, 22));
        assertFalse(mounts.containsReadOnly(4, 4026531841L, 21), "made writable by the runtime");
        assertFalse(mounts.contains(4, 4026532000L, 30), "the same id in another namespace is another mount");
        assertFalse(mounts.contains(4, 4026531841L, 23));
    }

    @Test
    void aGuardedCallWaitsForTheProtectItsRegistrationAnnounced() throws Exception {
        ContainerRegistry registry = new ContainerRegistry(temp.resolve("fs-state.json"));
        Container announced = registry.register("a", self, 0, true);
        ProtectedMounts mounts = new ProtectedMounts(4, 4026531841L, Set.of(21L), Set.of());
        CompletableFuture<ProtectedMounts> guarded = CompletableFuture.supplyAsync(announced::awaitProtectedMounts);
        Thread.sleep(200);
        assertFalse(guarded.isDone(), "the guard waits while the Protect is on its way");
        assertEquals(ProtectedMounts.NONE, announced.protectedMounts(), "saving the state does not wait");
        registry.protect("a", mounts);
        assertSame(mounts, guarded.get(5, TimeUnit.SECONDS));

        Container released = registry.register("b", otherInit(), 0, true);
        CompletableFuture<ProtectedMounts> waiting = CompletableFuture.supplyAsync(released::awaitProtectedMounts);
        registry.unregister("b");
        assertEquals(ProtectedMounts.NONE, waiting.get(5, TimeUnit.SECONDS), "a forgotten container holds no call");
        assertEquals(
                ProtectedMounts.NONE,
                registry.register("c", self, 0, false).awaitProtectedMounts(),
                "nothing announced: nothing to wait for");
    }

    @Test
    void aStateFileOfAnEarlierBootIsIgnoredEvenTorn() throws Exception {
        Path state = temp.resolve("fs-state.json");
        ContainerRegistry registry = new ContainerRegistry(state);
        registry.register("a", self, 0, false);
        Instant written = Files.getLastModifiedTime(state).toInstant();
        assertEquals(
                1, FsState.load(state, written.minusSeconds(60)).containers().size(), "written in this boot");
        assertTrue(FsState.load(state, written.plusSeconds(60)).containers().isEmpty(), "before the boot");

        Files.writeString(state, "{\"version\": 1, \"contai"); // a power cut's tear
        FileTime beforeBoot = FileTime.from(written.minusSeconds(3600));
        Files.setLastModifiedTime(state, beforeBoot);
        assertTrue(FsState.load(state, written).containers().isEmpty());
        Files.setLastModifiedTime(state, FileTime.from(written.plusSeconds(1)));
        assertThrows(IOException.class, () -> FsState.load(state, written), "torn in this boot: refused");
    }

    @Test
    void anIdMustNameADirectory() {
        ContainerRegistry registry = new ContainerRegistry(temp.resolve("fs-state.json"));
        for (String id : new String[] {"a/b", ".", "..", "nul\0", "x".repeat(256)}) {
            assertThrows(
                    ContainerRegistry.RegistrationException.class, () -> registry.register(id, self, 0, false), id);
        }
    }
}
