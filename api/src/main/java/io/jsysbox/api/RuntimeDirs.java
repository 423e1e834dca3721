package io.jsysbox.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * The modes and owners of the runtime's host dirs and files (/run/jsysbox, /var/lib/jsysbox, /var/lib/jsysbox-fs),
 * after Docker's userns-remap layout: host users (not root) can neither list nor open anything of a container or of
 * the runtime's state through them, at any moment.
 * <ul>
 *   <li>A dir that one container's root must pass (runc, inside the user namespace, reaches the rootfs view, the
 *       ID-mapped bind sources, the device nodes and special dirs by path) is {@link #ONE_CONTAINERS} and belongs to
 *       root:<that container's root gid on the host>: only that container's root passes (Docker:
 *       /var/lib/docker/&lt;uid&gt;.&lt;gid&gt;, 0710 root:&lt;remapped root gid&gt;). Containers of one pod share a
 *       range, hence the gid.</li>
 *   <li>A dir above such dirs, passed by every container's root, is {@link #PASSED_BY_CONTAINERS}: passable by a path
 *       one knows, never listed, and holding nothing else a host user could open.</li>
 *   <li>Everything else is host root's alone: {@link #HOST_ROOT_ONLY} dirs and {@link #HOST_ROOT_ONLY_FILE} files.</li>
 * </ul>
 * Dirs are created at mode {@link #HOST_ROOT_ONLY} and only then given their group and mode, so none is ever looser
 * than it ends up; an existing dir (from an older install) gets the same owner and mode when its daemon starts.
 */
public final class RuntimeDirs {
    public static final int HOST_ROOT_ONLY = 0700;
    public static final int PASSED_BY_CONTAINERS = 0711;
    public static final int ONE_CONTAINERS = 0710;
    public static final int HOST_ROOT_ONLY_FILE = 0600;

    private static final int HOST_ROOT = 0;

    private RuntimeDirs() {}

    /** The permissions of {@code mode}'s low nine bits (rwx for owner, group, others). */
    public static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] inBitOrder = PosixFilePermission.values(); // OWNER_READ (0400) ... OTHERS_EXECUTE (0001)
        for (int i = 0; i < inBitOrder.length; i++) {
            if ((mode & (0400 >> i)) != 0) {
                permissions.add(inBitOrder[i]);
            }
        }
        return permissions;
    }

    private static FileAttribute<Set<PosixFilePermission>> attribute(int mode) {
        return PosixFilePermissions.asFileAttribute(permissions(mode));
    }

    /**
     * Makes (or re-owns) {@code dir} root:root with {@code mode}: {@link #HOST_ROOT_ONLY} or {@link
     * #PASSED_BY_CONTAINERS}.
     */
    public static Path ensure(Path dir, int mode) throws IOException {
        return ensure(dir, mode, HOST_ROOT);
    }

    /**
     * Makes (or re-owns) {@code dir} as owner root, group {@code gid} (a container's root gid for
     * {@link #ONE_CONTAINERS}), {@code mode}. Missing parents are made with the process's umask: the runtime's
     * parents (/run, /var/lib) exist, so that happens in tests only. A symlink is refused, not followed.
     */
    public static Path ensure(Path dir, int mode, int gid) throws IOException {
        Files.createDirectories(dir.getParent());
        try {
            Files.createDirectory(dir, attribute(HOST_ROOT_ONLY));
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(dir + " exists and is not a directory");
            }
        }
        // Owner first, then mode: between the two, the dir is never more open than before or after.
        Files.setAttribute(dir, "unix:uid", HOST_ROOT, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(dir, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        Files.setPosixFilePermissions(dir, permissions(mode));
        return dir;
    }

    /**
     * Makes {@code dir} root:root with {@code mode} if it does not exist; leaves an existing one alone. For dirs a
     * daemon merely needs (a socket's, a state file's), whose mode the daemon that owns them sets: a path given on
     * the command line may be a shared dir such as /tmp.
     */
    public static Path createIfMissing(Path dir, int mode) throws IOException {
        if (Files.isDirectory(dir)) {
            return dir;
        }
        Files.createDirectories(dir.getParent());
        try {
            Files.createDirectory(dir, attribute(HOST_ROOT_ONLY));
        } catch (FileAlreadyExistsException raced) {
            return dir;
        }
        Files.setPosixFilePermissions(dir, permissions(mode));
        return dir;
    }

    /** Makes an existing file {@link #HOST_ROOT_ONLY_FILE} (a state file an older install wrote 0644). */
    public static void restrictFile(Path file) throws IOException {
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            Files.setPosixFilePermissions(file, permissions(HOST_ROOT_ONLY_FILE));
        }
    }

    /** Replaces {@code file} with {@code text} as a {@link #HOST_ROOT_ONLY_FILE} file (a pid file, in /run). */
    public static void writePrivately(Path file, String text) throws IOException {
        AtomicFiles.replace(
                file,
                text.getBytes(StandardCharsets.UTF_8),
                permissions(HOST_ROOT_ONLY_FILE),
                AtomicFiles.Durability.UNTIL_REBOOT);
    }
}
