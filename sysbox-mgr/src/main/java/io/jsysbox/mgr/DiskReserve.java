package io.jsysbox.mgr;

import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What the manager leaves free on a filesystem it copies a container's or an image's tree to: max(1 GiB, 5% of the
 * filesystem). The container decides how big that tree is (an inner image store it filled), and the manager writes it
 * as root, past any quota the container has: so each such copy is measured first ({@link TreeCopy#diskUsage}, which is
 * what a hole-keeping copy writes) and refused when it would eat into the reserve, which the host's services and the
 * other containers keep to write in.
 */
public final class DiskReserve {
    static final long MINIMUM_BYTES = 1L << 30;
    static final int PERCENT_OF_FILESYSTEM = 5;

    /** The size and free space of the filesystem a directory is on: statvfs, or what a test says. */
    @FunctionalInterface
    interface FilesystemSpace {
        Linux.FilesystemSpace of(Fd dir) throws LinuxException;
    }

    /** The host's filesystems, as statvfs tells. */
    public static final DiskReserve HOST = new DiskReserve(Linux::filesystemSpace);

    private final FilesystemSpace space;

    DiskReserve(FilesystemSpace space) {
        this.space = space;
    }

    /** The bytes to leave free on a filesystem of {@code totalBytes}. */
    static long reserveOf(long totalBytes) {
        return Math.max(MINIMUM_BYTES, totalBytes / 100 * PERCENT_OF_FILESYSTEM);
    }

    /**
     * Fails with a one-line IOException when writing {@code bytes} into {@code destination} (open on {@code path})
     * would
     * leave its filesystem less free than the reserve. {@code what}: what was to be copied, {@code instead}: what
     * happens since it is not (both for the message).
     */
    void ensureRoom(long bytes, Fd destination, Path path, String what, String instead) throws IOException {
        Linux.FilesystemSpace filesystem = space.of(destination);
        long reserve = reserveOf(filesystem.totalBytes());
        long left = filesystem.availableBytes() - bytes;
        if (left >= reserve) {
            return;
        }
        throw new IOException("not copying " + what + " (" + size(bytes) + ") into " + path + ": it would leave "
                + size(Math.max(0, left))
                + " of the filesystem's " + size(filesystem.totalBytes()) + " free, less than the reserve of "
                + size(reserve)
                + " (max(1 GiB, " + PERCENT_OF_FILESYSTEM + "%)); " + instead);
    }

    /** "4.99 GiB", "16.3 MiB", "512 bytes". */
    private static String size(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        }
        if (bytes >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        }
        return bytes + " bytes";
    }
}
