package io.jsysbox.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A process as told apart from a later one that got the same pid: its pid and when it started, in clock ticks after
 * boot (field 22 of /proc/PID/stat). A pid alone names whatever process has it now: one recorded before a daemon
 * restart can name another process after it. {@code startTicks} 0: not known (a record made before it was kept).
 */
public record ProcessIdentity(long pid, long startTicks) {
    /** USER_HZ, the unit of /proc's process times: 100 on every architecture Linux runs jsysbox on. */
    public static final long CLOCK_TICKS_PER_SECOND = 100;

    /** The process that has {@code pid} now; empty when none has. */
    public static Optional<ProcessIdentity> of(long pid) {
        long ticks = startTicks(pid);
        return ticks < 0 ? Optional.empty() : Optional.of(new ProcessIdentity(pid, ticks));
    }

    /** When the process that has {@code pid} now started, in clock ticks after boot; -1 when none has. */
    public static long startTicks(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            return parseStartTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
        } catch (IOException e) {
            return -1;
        }
    }

    /** Whether this process still runs: its pid is taken, by this process (when its start is known). */
    public boolean isRunning() {
        return of(pid).map(this::sameProcessAs).orElse(false);
    }

    /** Whether {@code now} (a process as read now) is this one: the same pid, and start when this start is known. */
    public boolean sameProcessAs(ProcessIdentity now) {
        return pid == now.pid && (startTicks == 0 || startTicks == now.startTicks);
    }

    /** /proc/PID/stat: the command may hold spaces and parentheses, so fields are counted after the last ')'. */
    static long parseStartTicks(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[19]); // field 22 overall; fields after ')' start at field 3
    }
}
