package io.jsysbox.mgr;

import io.jsysbox.spec.HostRange;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Hands out exclusive 65536-wide slots of the uid and gid pools, one per live container. A container id gets
 * its previous slot back when that is free (a restarted container keeps its files' ownership); otherwise slots
 * go round-robin, so a just-freed range is not reused at once. The containers of a Kubernetes pod share their
 * sandbox's slot ({@link #share}): a slot is free when no container id holds it any more.
 */
public final class IdRangeAllocator {
    public static final long RANGE_SIZE = 65_536;

    private final HostRange uidPool;
    private final HostRange gidPool;
    private final int slots;
    private final Map<String, Integer> live = new HashMap<>();
    /** Slot a released container id last had, oldest first; bounded so it cannot grow forever. */
    private final LinkedHashMap<String, Integer> previous = new LinkedHashMap<>();

    private int cursor;

    public IdRangeAllocator(HostRange uidPool, HostRange gidPool) {
        this.uidPool = uidPool;
        this.gidPool = gidPool;
        this.slots = (int) (Math.min(uidPool.size(), gidPool.size()) / RANGE_SIZE);
    }

    public HostRange uidPool() {
        return uidPool;
    }

    public HostRange gidPool() {
        return gidPool;
    }

    public int slots() {
        return slots;
    }

    public synchronized int freeSlots() {
        return slots - (int) live.values().stream().distinct().count();
    }

    public HostRange uidRange(int slot) {
        return new HostRange(uidPool.start() + slot * RANGE_SIZE, RANGE_SIZE);
    }

    public HostRange gidRange(int slot) {
        return new HostRange(gidPool.start() + slot * RANGE_SIZE, RANGE_SIZE);
    }

    /** The slot of {@code id}: its current one, else its previous one if free, else the next free one. */
    public synchronized int allocate(String id) throws PoolExhaustedException {
        Integer current = live.get(id);
        if (current != null) {
            return current;
        }
        Integer before = previous.get(id);
        int slot = before != null && before < slots && !live.containsValue(before) ? before : nextFree();
        live.put(id, slot);
        previous.remove(id);
        return slot;
    }

    /** {@code id} shares the slot {@code owner} holds (a pod's container, its sandbox's); empty if owner holds none. */
    public synchronized Optional<Integer> share(String id, String owner) {
        Integer slot = live.get(owner);
        if (slot == null) {
            return Optional.empty();
        }
        live.put(id, slot);
        previous.remove(id);
        return Optional.of(slot);
    }

    /** Restores an allocation from persisted state; {@code shared}: the slot is a pod's, held by other ids too. */
    public synchronized void restore(String id, int slot, boolean shared) {
        if (slot < 0 || slot >= slots) {
            throw new IllegalArgumentException("slot " + slot + " of " + id + " is outside the pool");
        }
        if (!shared && live.containsValue(slot)) {
            throw new IllegalArgumentException("slot " + slot + " of " + id + " is already in use");
        }
        live.put(id, slot);
    }

    /** Whether some container id still holds {@code slot}. */
    public synchronized boolean inUse(int slot) {
        return live.containsValue(slot);
    }

    public synchronized void release(String id) {
        Integer slot = live.remove(id);
        if (slot == null) {
            return;
        }
        previous.remove(id);
        previous.put(id, slot);
        while (previous.size() > Math.max(slots, 1) * 4) {
            previous.remove(previous.keySet().iterator().next());
        }
    }

    /** The container is gone for good: its previous slot need not be kept for it. */
    public synchronized void forgetPrevious(String id) {
        previous.remove(id);
    }

    public synchronized Optional<Integer> slotOf(String id) {
        return Optional.ofNullable(live.get(id));
    }

    public synchronized Map<String, Integer> previousSlots() {
        return new LinkedHashMap<>(previous);
    }

    public synchronized void restorePrevious(Map<String, Integer> slotsById, int nextCursor) {
        previous.putAll(slotsById);
        cursor = slots == 0 ? 0 : Math.floorMod(nextCursor, slots);
    }

    public synchronized int cursor() {
        return cursor;
    }

    /** The slot a new container id would get now (none when the pool is exhausted); the cursor stays. */
    public synchronized OptionalInt upcoming() {
        return firstFree();
    }

    private OptionalInt firstFree() {
        for (int i = 0; i < slots; i++) {
            int slot = (cursor + i) % slots;
            if (!live.containsValue(slot)) {
                return OptionalInt.of(slot);
            }
        }
        return OptionalInt.empty();
    }

    private int nextFree() throws PoolExhaustedException {
        OptionalInt free = firstFree();
        if (free.isPresent()) {
            cursor = (free.getAsInt() + 1) % slots;
            return free.getAsInt();
        }
        throw new PoolExhaustedException("pool exhausted: " + live.size()
                + " ranges in use; enlarge the jsysbox entry in /etc/subuid and /etc/subgid");
    }

    public static final class PoolExhaustedException extends Exception {
        PoolExhaustedException(String message) {
            super(message);
        }
    }
}
