package io.jsysbox.fs;

import io.jsysbox.api.RuntimeDirs;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the seccomp notifications this daemon received were, written where the next daemon finds them. A daemon that
 * dies between receiving a notification and answering it leaves the caller waiting in its syscall: the kernel has
 * marked the notification sent, and no later receive returns it. The next daemon answers those EINTR on each listener
 * of the container it takes back.
 *
 * <p>The record is a file in the agent's run dir (tmpfs), mapped shared: per supervisor thread one slot of two longs,
 * its container's key and the id of the last notification it received (0: the slot is free). A store into the mapping
 * is in the page cache at once, so it outlives a SIGKILL, and costs no system call on the notification's path. The
 * store follows the receive, so a daemon killed in between (a safepoint there can make that milliseconds) had
 * received the id after the one recorded. A filter counts its ids up by one per notification, from a random 64-bit
 * start, so the next daemon answers the recorded id and the {@value #SWEEP} after it: one still held gets EINTR; one
 * answered already gets ENOENT, one not yet received EINPROGRESS, and both are left as they are; so is any id of
 * another filter (another of the container's listeners). Not covered: a daemon killed in that gap on a listener's
 * first notification (nothing recorded yet).
 */
final class HeldNotifications {
    static final String FILE = "seccomp.held";
    /** More supervisors than this at once (containers plus live execs) record nothing: their losses stay possible. */
    static final int SLOTS = 4096;
    /**
     * How many ids after the last recorded one are answered. More than one: notifications whose callers were
     * interrupted before the receive also took ids.
     */
    static final int SWEEP = 16;

    private static final int KEY = 0;
    private static final int LAST_ID = 1;
    private static final int LONGS_PER_SLOT = 2;

    private final MemorySegment slots;
    private final Map<Long, Set<Long>> leftBehind;
    private final ConcurrentLinkedQueue<Integer> free = new ConcurrentLinkedQueue<>();

    private HeldNotifications(MemorySegment slots, Map<Long, Set<Long>> leftBehind) {
        this.slots = slots;
        this.leftBehind = leftBehind;
        for (int i = 0; i < SLOTS; i++) {
            free.add(i);
        }
    }

    /** Maps {@code file} (made host root's alone if missing), takes what a previous daemon recorded and clears it. */
    static HeldNotifications open(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(
                file,
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(RuntimeDirs.permissions(RuntimeDirs.HOST_ROOT_ONLY_FILE)))) {
            // The mapping outlives the channel; it grows the file to its size. A file of the one-long-per-slot
            // layout before it (half this size, read here as key/id pairs) is at worst a few ENOENTs.
            MemorySegment slots = channel.map(
                    FileChannel.MapMode.READ_WRITE, 0, (long) SLOTS * LONGS_PER_SLOT * Long.BYTES, Arena.global());
            // Read once here, never changed after: the map needs no copy or lock.
            Map<Long, Set<Long>> leftBehind = new HashMap<>();
            for (int i = 0; i < SLOTS; i++) {
                long last = slots.getAtIndex(ValueLayout.JAVA_LONG, index(i, LAST_ID));
                if (last != 0) {
                    Set<Long> ids = leftBehind.computeIfAbsent(
                            slots.getAtIndex(ValueLayout.JAVA_LONG, index(i, KEY)), key -> new HashSet<>());
                    for (int next = 0; next <= SWEEP; next++) {
                        ids.add(last + next);
                    }
                }
            }
            slots.fill((byte) 0);
            return new HeldNotifications(slots, leftBehind);
        }
    }

    /** The ids a previous daemon may have held for {@code containerId} when it ended, to answer on its listeners. */
    Set<Long> leftBehind(String containerId) {
        return leftBehind.getOrDefault(key(containerId), Set.of());
    }

    /** A slot for one supervisor thread of {@code containerId}; -1 when all are taken. */
    int claim(String containerId) {
        Integer slot = free.poll();
        if (slot == null) {
            return -1;
        }
        slots.setAtIndex(ValueLayout.JAVA_LONG, index(slot, KEY), key(containerId));
        return slot;
    }

    /** Records that {@code slot}'s supervisor received notification {@code id}. */
    void received(int slot, long id) {
        if (slot >= 0) {
            slots.setAtIndex(ValueLayout.JAVA_LONG, index(slot, LAST_ID), id);
        }
    }

    /** Frees {@code slot}: its supervisor ended, having answered all it received. */
    void release(int slot) {
        if (slot >= 0) {
            slots.setAtIndex(ValueLayout.JAVA_LONG, index(slot, LAST_ID), 0L);
            free.add(slot);
        }
    }

    /** The long of {@code slot} that holds {@code field} (KEY or LAST_ID). */
    private static long index(int slot, int field) {
        return (long) slot * LONGS_PER_SLOT + field;
    }

    /** 64 bits of the id's MD5: two containers that share a key only make each other's sweep longer. */
    private static long key(String containerId) {
        return UUID.nameUUIDFromBytes(containerId.getBytes(StandardCharsets.UTF_8))
                .getMostSignificantBits();
    }
}
