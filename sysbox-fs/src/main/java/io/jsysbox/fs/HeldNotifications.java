package io.jsysbox.fs;

import io.jsysbox.api.RuntimeDirs;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The seccomp notifications this daemon holds — received, not yet answered — written where the next daemon finds them.
 * A daemon that dies between receiving a notification and answering it leaves the caller waiting in its syscall: the
 * kernel has marked the notification sent, and no later receive returns it. The next daemon answers those ids EINTR on
 * each listener it takes back. Ids are unique per filter (counted from a random 64-bit start), so an id sent to another
 * filter's listener just gets ENOENT.
 *
 * <p>The record is a file in the agent's run dir (tmpfs), mapped shared: one 8-byte slot per supervisor thread, 0 when
 * it holds nothing. A store into the mapping is in the page cache at once, so it outlives a SIGKILL; it costs no
 * system call on the notification's path.
 */
final class HeldNotifications {
    static final String FILE = "seccomp.held";
    /** More supervisors than this at once (containers plus live execs) record nothing: their losses stay possible. */
    static final int SLOTS = 4096;

    private final MemorySegment slots;
    private final Set<Long> leftBehind;
    private final ConcurrentLinkedQueue<Integer> free = new ConcurrentLinkedQueue<>();

    private HeldNotifications(MemorySegment slots, Set<Long> leftBehind) {
        this.slots = slots;
        this.leftBehind = leftBehind;
        for (int i = 0; i < SLOTS; i++) {
            free.add(i);
        }
    }

    /** Maps {@code file} (made host root's alone if missing), takes the ids a previous daemon held and clears them. */
    static HeldNotifications open(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(
                file,
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(RuntimeDirs.permissions(RuntimeDirs.HOST_ROOT_ONLY_FILE)))) {
            // The mapping outlives the channel; it grows the file to its size.
            MemorySegment slots =
                    channel.map(FileChannel.MapMode.READ_WRITE, 0, (long) SLOTS * Long.BYTES, Arena.global());
            Set<Long> leftBehind = new HashSet<>();
            for (int i = 0; i < SLOTS; i++) {
                long id = slots.getAtIndex(ValueLayout.JAVA_LONG, i);
                if (id != 0) {
                    leftBehind.add(id);
                }
            }
            slots.fill((byte) 0);
            return new HeldNotifications(slots, Set.copyOf(leftBehind));
        }
    }

    /** The ids a previous daemon held when it ended, to answer on the listeners it left. */
    Set<Long> leftBehind() {
        return leftBehind;
    }

    /** A slot for one supervisor thread; -1 when all are taken. */
    int claim() {
        Integer slot = free.poll();
        return slot == null ? -1 : slot;
    }

    void release(int slot) {
        if (slot >= 0) {
            answered(slot);
            free.add(slot);
        }
    }

    void holding(int slot, long id) {
        if (slot >= 0) {
            slots.setAtIndex(ValueLayout.JAVA_LONG, slot, id);
        }
    }

    void answered(int slot) {
        if (slot >= 0) {
            slots.setAtIndex(ValueLayout.JAVA_LONG, slot, 0L);
        }
    }
}
