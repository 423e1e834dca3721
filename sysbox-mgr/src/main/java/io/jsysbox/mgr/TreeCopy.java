package io.jsysbox.mgr;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;
import java.util.function.Predicate;

/**
 * Copies, digests and measures directory trees a container made (an inner engine's image store), by descriptors:
 * each step opens a child relative to its parent's fd with no symlinks and no mount crossing, so a symlink in the
 * tree — planted, or swapped in mid-walk — is copied as a symlink and never followed. Owners are shifted as they
 * are copied (between a container's host range and the image's on-disk ids), with what carries ids besides the
 * owner: file capabilities (v3 root id) and POSIX ACLs.
 */
public final class TreeCopy {
    private static final Logger LOG = LoggerFactory.getLogger(TreeCopy.class);
    private static final long BENEATH = Linux.RESOLVE_BENEATH | Linux.RESOLVE_NO_SYMLINKS | Linux.RESOLVE_NO_XDEV;
    private static final String ATTRIBUTES = "unix:mode,uid,gid,ino,dev,nlink,size,rdev,lastModifiedTime,lastAccessTime";
    private static final int TYPE = 0170000;
    private static final int DIRECTORY = 0040000;
    private static final int REGULAR = 0100000;
    private static final int SYMLINK = 0120000;
    private static final int SOCKET = 0140000;
    private static final int PRIVATE = 0600;
    private static final long BLOCK = 4096;

    /** What a copy did. */
    public record Result(long entries, long bytes) {}

    private TreeCopy() {}

    /**
     * Copies everything below directory {@code from} into the existing, empty directory {@code to}, and gives {@code to}
     * the owner, mode, xattrs and times of {@code from}. Each uid u becomes {@code uids.applyAsLong(u)}, each gid g
     * {@code gids.applyAsLong(g)}. Directories whose path relative to {@code from} ("a/b/c") satisfies
     * {@code contentsSkipped} are created with their metadata, nothing below them is copied. Hard links within the
     * tree stay hard links; sockets and mount points are skipped.
     */
    public static Result copy(Fd from, Fd to, LongUnaryOperator uids, LongUnaryOperator gids, Predicate<String> contentsSkipped) throws IOException {
        Copier copier = new Copier(to, uids, gids, contentsSkipped);
        copier.children(from, to, "");
        copier.metadata(from, "", to, "", Files.readAttributes(from.procPath(), ATTRIBUTES));
        return new Result(copier.entries, copier.bytes);
    }

    /**
     * A digest of the tree's shape and metadata (relative path, type, mode, owner, size, mtime, symlink target, device
     * number) in name order; contents are not read. Equal digests: nothing changed, for practical purposes.
     * {@code contentsSkipped} as for {@link #copy}.
     */
    public static String fingerprint(Fd dir, Predicate<String> contentsSkipped) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        walk(dir, "", contentsSkipped, (parent, name, relative, attrs) -> {
            int mode = (Integer) attrs.get("mode");
            StringBuilder line = new StringBuilder(relative).append('\0').append(Integer.toOctalString(mode))
                    .append(' ').append(attrs.get("uid")).append(':').append(attrs.get("gid"))
                    .append(' ').append(attrs.get("size")).append(' ').append(nanos(attrs.get("lastModifiedTime")))
                    .append(' ').append(attrs.get("rdev"));
            if ((mode & TYPE) == SYMLINK) line.append(" -> ").append(new String(Linux.readlinkAt(parent, name), StandardCharsets.UTF_8));
            digest.update(line.append('\n').toString().getBytes(StandardCharsets.UTF_8));
        });
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Disk the tree takes: each inode once, its size rounded up to 4 KiB blocks (directories one block). */
    public static long diskUsage(Fd dir) throws IOException {
        Set<String> seen = new HashSet<>();
        long[] total = {BLOCK};
        walk(dir, "", relative -> false, (parent, name, relative, attrs) -> {
            if (!seen.add(attrs.get("dev") + ":" + attrs.get("ino"))) return;
            long size = (Long) attrs.get("size");
            total[0] += Math.max(BLOCK, (size + BLOCK - 1) / BLOCK * BLOCK);
        });
        return total[0];
    }

    private interface Visitor {
        void visit(Fd parent, String name, String relative, Map<String, Object> attrs) throws IOException;
    }

    /** Visits every entry below {@code dir} (parents first, names sorted), never entering a symlink or a mount. */
    private static void walk(Fd dir, String relative, Predicate<String> contentsSkipped, Visitor visitor) throws IOException {
        forEachEntry(dir, relative, (parent, name, path, attrs) -> {
            visitor.visit(parent, name, path, attrs);
            if (((Integer) attrs.get("mode") & TYPE) != DIRECTORY || contentsSkipped.test(path)) return;
            try (Fd child = openChildDirectory(parent, name, path)) {
                if (child != null) walk(child, path, contentsSkipped, visitor);
            }
        });
    }

    /** Calls {@code action} for each entry of {@code dir} in name order, with its path below the tree's root and its attributes. */
    private static void forEachEntry(Fd dir, String relative, Visitor action) throws IOException {
        for (String name : sortedNames(dir)) {
            Map<String, Object> attrs;
            try {
                attrs = Files.readAttributes(dir.procPath().resolve(name), ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
            } catch (java.nio.file.NoSuchFileException gone) {
                continue; // removed meanwhile
            }
            action.visit(dir, name, relative.isEmpty() ? name : relative + "/" + name, attrs);
        }
    }

    /** The copy of one tree: destination root, id maps, hard links seen (source inode → path below the root). */
    private static final class Copier {
        final Fd root;
        final LongUnaryOperator uids;
        final LongUnaryOperator gids;
        final Predicate<String> contentsSkipped;
        final Map<String, String> links = new HashMap<>();
        long entries;
        long bytes;

        Copier(Fd root, LongUnaryOperator uids, LongUnaryOperator gids, Predicate<String> contentsSkipped) {
            this.root = root;
            this.uids = uids;
            this.gids = gids;
            this.contentsSkipped = contentsSkipped;
        }

        void children(Fd from, Fd to, String relative) throws IOException {
            forEachEntry(from, relative, (parent, name, path, attrs) -> {
                try {
                    entry(parent, to, name, path, attrs);
                } catch (LinuxException e) {
                    throw new IOException("cannot copy " + path + ": " + e.getMessage(), e);
                }
            });
        }

        private void entry(Fd from, Fd to, String name, String path, Map<String, Object> attrs) throws IOException {
            int mode = (Integer) attrs.get("mode");
            switch (mode & TYPE) {
                case DIRECTORY -> {
                    try (Fd source = openChildDirectory(from, name, path)) {
                        if (source == null) return;
                        Linux.mkdirAt(to, name, 0700);
                        try (Fd target = Linux.openat2(to, name, Linux.O_RDONLY | Linux.O_DIRECTORY | Linux.O_NOFOLLOW, BENEATH)) {
                            if (!contentsSkipped.test(path)) children(source, target, path);
                        }
                        metadata(from, name, to, name, attrs);
                    }
                }
                case REGULAR -> {
                    String inode = attrs.get("dev") + ":" + attrs.get("ino");
                    String first = (Integer) attrs.get("nlink") > 1 ? links.get(inode) : null;
                    if (first != null) {
                        Linux.linkAt(root, first, to, name);
                    } else {
                        long size = (Long) attrs.get("size");
                        try (Fd source = Linux.openat2(from, name, Linux.O_RDONLY | Linux.O_NOFOLLOW | Linux.O_NONBLOCK, BENEATH);
                             Fd target = Linux.createFile(to, name, PRIVATE)) {
                            Linux.copyContents(source, target, size);
                        }
                        bytes += size;
                        metadata(from, name, to, name, attrs);
                        if ((Integer) attrs.get("nlink") > 1) links.put(inode, path);
                    }
                }
                case SYMLINK -> {
                    Linux.symlinkAt(new String(Linux.readlinkAt(from, name), StandardCharsets.UTF_8), to, name);
                    metadata(from, name, to, name, attrs);
                }
                case SOCKET -> {
                    return;
                }
                default -> { // character and block devices (overlay whiteouts are char 0/0), fifos
                    Linux.mknodAt(to, name, (mode & TYPE) | PRIVATE, (Long) attrs.get("rdev"));
                    metadata(from, name, to, name, attrs);
                }
            }
            entries++;
        }

        /** Owner (shifted), then mode (chown clears setuid), then xattrs (chown clears file capabilities), then times. */
        void metadata(Fd fromDir, String fromName, Fd toDir, String toName, Map<String, Object> attrs) throws IOException {
            int mode = (Integer) attrs.get("mode");
            boolean symlink = (mode & TYPE) == SYMLINK;
            long uid = uids.applyAsLong(Integer.toUnsignedLong((Integer) attrs.get("uid")));
            long gid = gids.applyAsLong(Integer.toUnsignedLong((Integer) attrs.get("gid")));
            Linux.chownNoFollow(toDir, toName, (int) uid, (int) gid);
            if (toName.isEmpty()) {
                Linux.fchmod(toDir, mode & 07777);
            } else if (!symlink) {
                Linux.chmodAt(toDir, toName, mode & 07777);
            }
            copyXattrs(fromDir, fromName, toDir, toName, symlink);
            Linux.setTimesNoFollow(toDir, toName, nanos(attrs.get("lastAccessTime")), nanos(attrs.get("lastModifiedTime")));
        }

        private void copyXattrs(Fd fromDir, String fromName, Fd toDir, String toName, boolean symlink) throws LinuxException {
            List<String> names;
            try {
                names = Linux.listXattrs(fromDir, fromName);
            } catch (LinuxException e) {
                if (e.errno() == Errno.EOPNOTSUPP) return;
                throw e;
            }
            for (String xattr : names) {
                var value = Linux.getXattr(fromDir, fromName, xattr);
                if (value.isEmpty()) continue;
                try {
                    Linux.setXattr(toDir, toName, xattr, shiftIds(xattr, value.get()));
                } catch (LinuxException e) {
                    // Only trusted.* and security.* xattrs exist on symlinks; anything else the kernel refuses there.
                    if (!symlink) throw e;
                }
            }
        }

        /** Ids inside xattr values: the root id of a v3 file capability, and the ids of POSIX ACL entries. */
        byte[] shiftIds(String xattr, byte[] value) {
            return switch (xattr) {
                case "security.capability" -> shiftCapabilityRoot(value);
                case "system.posix_acl_access", "system.posix_acl_default" -> shiftAcl(value);
                default -> value;
            };
        }

        private byte[] shiftCapabilityRoot(byte[] value) {
            final int revision3 = 0x03000000;
            final int revision2 = 0x02000000;
            final int sizeV3 = 24;
            final int sizeV2 = 20;
            ByteBuffer caps = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
            if (value.length < sizeV3 || (caps.getInt(0) & 0xff000000) != revision3) return value;
            long rootId = uids.applyAsLong(Integer.toUnsignedLong(caps.getInt(20)));
            if (rootId == 0) { // a capability of the host's root: the plain v2 form
                byte[] v2 = java.util.Arrays.copyOf(value, sizeV2);
                ByteBuffer.wrap(v2).order(ByteOrder.LITTLE_ENDIAN).putInt(0, revision2 | (caps.getInt(0) & 0x00ffffff));
                return v2;
            }
            byte[] shifted = value.clone();
            ByteBuffer.wrap(shifted).order(ByteOrder.LITTLE_ENDIAN).putInt(20, (int) rootId);
            return shifted;
        }

        private byte[] shiftAcl(byte[] value) {
            final int aclUser = 0x02;
            final int aclGroup = 0x08;
            byte[] shifted = value.clone();
            ByteBuffer acl = ByteBuffer.wrap(shifted).order(ByteOrder.LITTLE_ENDIAN);
            for (int entry = 4; entry + 8 <= shifted.length; entry += 8) {
                int tag = acl.getShort(entry) & 0xffff;
                long id = Integer.toUnsignedLong(acl.getInt(entry + 4));
                if (tag == aclUser) acl.putInt(entry + 4, (int) uids.applyAsLong(id));
                if (tag == aclGroup) acl.putInt(entry + 4, (int) gids.applyAsLong(id));
            }
            return shifted;
        }
    }

    /** The child directory, or null for a mount point (not ours to copy) or one that vanished. */
    private static Fd openChildDirectory(Fd dir, String name, String path) throws LinuxException {
        try {
            return Linux.openat2(dir, name, Linux.O_RDONLY | Linux.O_DIRECTORY | Linux.O_NOFOLLOW, BENEATH);
        } catch (LinuxException e) {
            if (e.errno() == Errno.EXDEV) {
                LOG.warn("not copying {}: a mount point", path);
                return null;
            }
            if (e.errno() == Errno.ENOENT) return null;
            throw e;
        }
    }

    private static List<String> sortedNames(Fd dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir.procPath())) {
            for (Path entry : entries) names.add(entry.getFileName().toString());
        }
        names.sort(null);
        return names;
    }

    private static long nanos(Object time) {
        return ((FileTime) time).to(TimeUnit.NANOSECONDS);
    }
}
