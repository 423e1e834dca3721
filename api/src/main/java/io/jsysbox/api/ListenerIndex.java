package io.jsysbox.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which seccomp listeners a daemon holds, by descriptor number: one "FD CONTAINER-ID" line each, in a file beside its
 * pid file. Where systemd's file descriptor store is missing (the plain supervisor), jsysbox-fs and the manager keep
 * copies of each other's listeners this way: the manager takes jsysbox-fs's (pidfd_getfd) as containers start, and a
 * jsysbox-fs that restarts after a crash takes them back from the manager. A listener no process holds any more is gone
 * for good: the kernel fails the container's notified calls (mount, sysinfo) with ENOSYS until it restarts.
 */
public final class ListenerIndex {
    /** jsysbox-fs's listeners, beside fs.pid. */
    public static final String FILESYSTEM = "fs.listeners";
    /** The manager's copies, beside mgr.pid. */
    public static final String MANAGER = "mgr.listeners";

    /** What /proc/PID/fd/N reads as for a seccomp listener: a number read from an index may name anything by now. */
    public static final String NOTIFY_LINK = "anon_inode:seccomp notify";

    private ListenerIndex() {}

    /** The index in {@code text}; lines that are not "FD ID" are skipped. */
    public static Map<Integer, String> parse(String text) {
        Map<Integer, String> index = new TreeMap<>();
        for (String line : text.split("\n")) {
            String[] fields = line.strip().split(" ");
            if (fields.length == 2 && fields[0].matches("\\d{1,9}") && !fields[1].isEmpty()) {
                index.put(Integer.parseInt(fields[0]), fields[1]);
            }
        }
        return index;
    }

    public static String format(Map<Integer, String> index) {
        StringBuilder text = new StringBuilder();
        new TreeMap<>(index)
                .forEach((fd, id) -> text.append(fd).append(' ').append(id).append('\n'));
        return text.toString();
    }

    /** The index in {@code file}; empty when there is none. */
    public static Map<Integer, String> read(Path file) throws IOException {
        try {
            return parse(Files.readString(file));
        } catch (NoSuchFileException e) {
            return Map.of();
        }
    }

    /** Replaces {@code file} with {@code index} at once (a reader never sees half of it), host root's alone. */
    public static void write(Path file, Map<Integer, String> index) throws IOException {
        AtomicFiles.replace(
                file,
                format(index).getBytes(StandardCharsets.UTF_8),
                RuntimeDirs.permissions(RuntimeDirs.HOST_ROOT_ONLY_FILE),
                AtomicFiles.Durability.UNTIL_REBOOT);
    }
}
