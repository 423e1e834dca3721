package io.jsysbox.api;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Replacing a file whole: the new version is written to a temp file beside it, given its final mode, and renamed over
 * it, so a reader (or a daemon that restarts) sees the old version or the new one, never half of one. The temp file is
 * never looser than {@code mode}: it is created with it (the umask can only take bits away, and the mode is set
 * exactly before the rename).
 */
public final class AtomicFiles {
    /** Whether the new version must also survive a power cut or a kernel crash. */
    public enum Durability {
        /**
         * The file is fsynced before the rename and its dir after: for what a daemon reads at its next start (state it
         * refuses when it cannot read it) and what outlives a reboot (host configuration, the inner image cache).
         */
        DURABLE,
        /**
         * The rename alone: for files on tmpfs, which a reboot empties anyway (a bundle's config.json, /run), and files
         * their reader ignores when they were written before the last boot (jsysbox-fs's state).
         */
        UNTIL_REBOOT
    }

    private AtomicFiles() {}

    /** Replaces {@code file} with {@code content}, mode {@code mode}, owned by this process's user. */
    public static void replace(Path file, byte[] content, Set<PosixFilePermission> mode, Durability durability)
            throws IOException {
        // Unique to this thread: two writers of one file each rename a whole version of their own.
        Path temp = file.resolveSibling("." + file.getFileName() + ".new-"
                + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId());
        try {
            Files.deleteIfExists(temp); // a leftover of a writer that died with our pid and thread id
            try (FileChannel out = FileChannel.open(
                    temp,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(mode))) {
                ByteBuffer bytes = ByteBuffer.wrap(content);
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                if (durability == Durability.DURABLE) {
                    out.force(true);
                }
            }
            Files.setPosixFilePermissions(temp, mode);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // the write's own error is the one to report
            }
            throw e;
        }
        if (durability == Durability.DURABLE) {
            try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
                dir.force(true); // the rename itself, in the dir's entries
            }
        }
    }
}
