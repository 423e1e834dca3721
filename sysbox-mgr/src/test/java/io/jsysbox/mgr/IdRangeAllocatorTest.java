package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsysbox.spec.HostRange;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdRangeAllocatorTest {
    private static IdRangeAllocator pool(int ranges) {
        return new IdRangeAllocator(
                new HostRange(1_000_000, ranges * IdRangeAllocator.RANGE_SIZE),
                new HostRange(2_000_000, ranges * IdRangeAllocator.RANGE_SIZE));
    }

    @Test
    void liveContainersNeverShareARange() throws Exception {
        IdRangeAllocator allocator = pool(3);
        int a = allocator.allocate("a");
        int b = allocator.allocate("b");
        int c = allocator.allocate("c");
        assertEquals(3, Set.of(a, b, c).size());
        assertEquals(0, allocator.freeSlots());
        assertEquals(a, allocator.allocate("a"), "a known id keeps its range");
    }

    @Test
    void upcomingIsTheSlotTheNextNewIdGetsAndMovesNothing() throws Exception {
        IdRangeAllocator allocator = pool(2);
        int first = allocator.upcoming().orElseThrow();
        assertEquals(first, allocator.upcoming().orElseThrow(), "asking does not move the cursor");
        assertEquals(first, allocator.allocate("a"));
        int second = allocator.upcoming().orElseThrow();
        assertEquals(second, allocator.allocate("b"));
        assertTrue(allocator.upcoming().isEmpty(), "none when the pool is exhausted");
    }

    @Test
    void rangesMapSlotsIntoBothPools() throws Exception {
        IdRangeAllocator allocator = pool(2);
        int slot = allocator.allocate("a");
        assertEquals(1_000_000 + slot * 65_536L, allocator.uidRange(slot).start());
        assertEquals(2_000_000 + slot * 65_536L, allocator.gidRange(slot).start());
        assertEquals(65_536, allocator.uidRange(slot).size());
    }

    @Test
    void exhaustedPoolSaysHowToFixIt() throws Exception {
        IdRangeAllocator allocator = pool(1);
        allocator.allocate("a");
        var e = assertThrows(IdRangeAllocator.PoolExhaustedException.class, () -> allocator.allocate("b"));
        assertEquals(
                "pool exhausted: 1 ranges in use; enlarge the jsysbox entry in /etc/subuid and /etc/subgid",
                e.getMessage());
    }

    @Test
    void restartedContainerGetsItsPreviousRangeBack() throws Exception {
        IdRangeAllocator allocator = pool(4);
        allocator.allocate("x");
        int a = allocator.allocate("a");
        allocator.release("a");
        allocator.allocate("y");
        assertEquals(a, allocator.allocate("a"));
    }

    @Test
    void previousRangeTakenMeansAnotherOne() throws Exception {
        IdRangeAllocator allocator = pool(2);
        int a = allocator.allocate("a");
        allocator.release("a");
        allocator.allocate("b"); // round robin: slot 1
        allocator.release("b");
        int c = allocator.allocate("c"); // round robin wraps to slot 0, a's old slot
        assertEquals(a, c);
        assertNotEquals(a, allocator.allocate("a"));
    }

    @Test
    void roundRobinDoesNotReuseTheJustFreedRange() throws Exception {
        IdRangeAllocator allocator = pool(3);
        int a = allocator.allocate("a");
        allocator.release("a");
        assertNotEquals(a, allocator.allocate("b"));
    }

    @Test
    void restoreRejectsDoubleAllocation() throws Exception {
        IdRangeAllocator allocator = pool(2);
        allocator.restore("a", 1, false);
        assertThrows(IllegalArgumentException.class, () -> allocator.restore("b", 1, false));
        assertThrows(IllegalArgumentException.class, () -> allocator.restore("b", 2, false));
        assertTrue(allocator.allocate("b") == 0);
    }

    @Test
    void aPodsContainersHoldTheSandboxsSlotUntilTheLastIsReleased() throws Exception {
        IdRangeAllocator allocator = pool(3);
        int sandbox = allocator.allocate("sandbox");
        assertEquals(Optional.of(sandbox), allocator.share("main", "sandbox"));
        assertEquals(Optional.empty(), allocator.share("stray", "no-such-sandbox"));
        assertEquals(2, allocator.freeSlots());
        allocator.release("sandbox");
        assertTrue(allocator.inUse(sandbox));
        assertNotEquals(sandbox, allocator.allocate("other"));
        allocator.release("main");
        assertFalse(allocator.inUse(sandbox));
        assertEquals(2, allocator.freeSlots());
    }

    @Test
    void restoredPodMembersShareTheirSlot() {
        IdRangeAllocator allocator = pool(2);
        allocator.restore("sandbox", 1, false);
        allocator.restore("main", 1, true);
        assertEquals(1, allocator.freeSlots());
    }
}
