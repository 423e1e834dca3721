package io.jsysbox.mgr;

import io.jsysbox.linux.Errno;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongUnaryOperator;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies, digests and measures directory trees a container made (an inner engine's image store), by descriptors, with
 * {@link NoFollowTree}'s steps: each child is opened relative to its parent's fd with no symlinks and no mount
 * crossing, and everything else is done to a single name relative to a directory fd, never following it. So a
 * symlink in the tree, planted or swapped in mid-walk, is copied as a symlink and never followed, and nothing outside
 * the tree is read or written. Owners are shifted as they are copied (between a container's host range and the
 * image's on-disk ids), with what else carries ids: file capabilities (the v3 root id) and POSIX ACLs.
 */
public final class TreeCopy {
    private static final Logger LOG = LoggerFactory.getLogger(TreeCopy.class);
    private static final byte[] ITSELF = {};
    private static final byte[] CAPABILITY = ascii("security.capability");
    private static final byte[] ACL_ACCESS = ascii("system.posix_acl_access");
    private static final byte[] ACL_DEFAULT = ascii("system.posix_acl_default");
    /** Until its metadata is copied, an entry is its owner's (root's) alone. */
    private static final int PRIVATE = 0600;

    private static final int PERMISSIONS = 07777;

    /** What a copy did. */
    public record Result(long entries, long bytes) {}

    private TreeCopy() {}

    /**
     * Copies everything below directory {@code from} into the existing, empty directory {@code to}, and gives {@code
     * to}
     * the owner, mode, xattrs and times of {@code from}. Each uid u becomes {@code uids.applyAsLong(u)}, each gid g
     * {@code gids.applyAsLong(g)}: in owners, in POSIX ACLs and in file capabilities' root id (a v2 capability has
     * root id 0; one whose shifted root id is 0 is written as v2, any other as v3). Directories whose path relative to
     * {@code from} ("a/b/c", no leading slash) satisfies {@code contentsSkipped} are created (with their metadata) but
     * nothing below them is copied. Regular files hard-linked within the tree stay hard-linked; symlinks are copied
     * verbatim and never followed; devices, fifos and overlay whiteouts (char 0/0) are made anew; sockets and mount
     * points are skipped (a mount point with a warning). Returns the entries made (all but {@code to}) and the bytes of
     * file contents copied (once per inode). Errors name the entry's path below {@code from}. Files keep their holes
     * (only data is written), and a tree deeper than {@link NoFollowTree#MAX_DEPTH} fails the copy, leaving in
     * {@code to} what was copied so far: the caller copies into a directory of its own and removes it on failure.
     * So does a copy still running at {@code deadline} (checked before each entry and each chunk of a file's data).
     */
    public static Result copy(
            Fd from,
            Fd to,
            LongUnaryOperator uids,
            LongUnaryOperator gids,
            Predicate<String> contentsSkipped,
            Deadline deadline)
            throws IOException {
        Copier copier = new Copier(to, uids, gids, contentsSkipped, deadline);
        try {
            NoFollowTree.walk(from, "copied", copier);
        } finally {
            copier.closeTargets();
        }
        try {
            copier.metadata(from, ITSELF, Linux.stat(from), to, ITSELF, to);
        } catch (LinuxException e) {
            throw new IOException("cannot copy the metadata of the tree's root: " + e.getMessage(), e);
        }
        return new Result(copier.entries, copier.bytes);
    }

    /**
     * A digest of the tree's shape and metadata: for {@code dir} itself and each entry below it, in the byte order of
     * names, its relative path, type, mode, uid, gid, size (not for directories: their size tells how many entries they
     * ever held, and differs between a tree and its copy), mtime in ns, symlink target and device number. Contents
     * (and xattrs) are not read. Equal digests: nothing changed, for practical purposes; a tree and its copy with ids
     * left alone have equal digests. {@code contentsSkipped} as for {@link #copy}.
     */
    public static String fingerprint(Fd dir, Predicate<String> contentsSkipped) throws IOException {
        return survey(dir, contentsSkipped).fingerprint();
    }

    /** A tree's {@link #fingerprint} and {@link #diskUsage(Fd, Predicate)}, from one walk. */
    public record Survey(String fingerprint, long diskUsage) {}

    /** {@link #fingerprint} and {@link #diskUsage(Fd, Predicate)} of the tree in one walk (a copy-out needs both). */
    public static Survey survey(Fd dir, Predicate<String> contentsSkipped) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Linux.Stat root = Linux.stat(dir);
        digest(digest, dir, ITSELF, ITSELF, root);
        Usage usage = new Usage(root);
        NoFollowTree.walk(dir, "fingerprinted", entry -> {
            digest(digest, entry.parent(), entry.name(), entry.rawPath(), entry.stat());
            usage.add(entry.stat());
            return into(entry, contentsSkipped);
        });
        return new Survey(HexFormat.of().formatHex(digest.digest()), usage.bytes);
    }

    /** One record per entry, its fields after its path (bytes as the kernel has them: no NUL in them). */
    private static void digest(MessageDigest digest, Fd parent, byte[] name, byte[] path, Linux.Stat stat)
            throws LinuxException {
        digest.update(path);
        String fields = "\0" + Integer.toOctalString(stat.mode()) + ' ' + stat.uid() + ':' + stat.gid() + ' '
                + (stat.type() == Linux.S_IFDIR ? 0 : stat.size()) + ' ' + stat.mtimeNanos() + ' ' + stat.rdev() + '\0';
        digest.update(fields.getBytes(StandardCharsets.US_ASCII));
        if (stat.type() == Linux.S_IFLNK) {
            digest.update(Linux.readlinkAt(parent, name));
        }
        digest.update((byte) '\n');
    }

    /**
     * Bytes of disk the tree uses, {@code dir} included: st_blocks * 512, each inode counted once however many links
     * it has. Mount points below {@code dir} are not counted. As {@link #copy} keeps holes, what a copy of the tree
     * writes.
     */
    public static long diskUsage(Fd dir) throws IOException {
        return diskUsage(dir, relative -> false);
    }

    /**
     * As {@link #diskUsage(Fd)}, not counting what is below the directories {@code contentsSkipped} names (as for
     * {@link #copy}).
     */
    public static long diskUsage(Fd dir, Predicate<String> contentsSkipped) throws IOException {
        Usage usage = new Usage(Linux.stat(dir));
        NoFollowTree.walk(dir, "measured", entry -> {
            usage.add(entry.stat());
            return into(entry, contentsSkipped);
        });
        return usage.bytes;
    }

    /**
     * Disk a walk has met so far: st_blocks * 512, each inode once however many links it has, mount points not at all.
     */
    private static final class Usage {
        private final Set<Inode> linked = new HashSet<>();
        long bytes;

        Usage(Linux.Stat root) {
            bytes = root.blocks() * 512;
        }

        void add(Linux.Stat stat) {
            if (stat.mountRoot()) {
                return;
            }
            if (stat.type() == Linux.S_IFDIR || stat.nlink() == 1 || linked.add(new Inode(stat.dev(), stat.ino()))) {
                bytes += stat.blocks() * 512;
            }
        }
    }

    /**
     * The directory {@code entry} opened for a walk into it; null if it is not a directory, is a mount point or
     * skipped.
     */
    private static Fd into(NoFollowTree.Entry entry, Predicate<String> contentsSkipped) throws LinuxException {
        if (entry.stat().type() != Linux.S_IFDIR || entry.stat().mountRoot() || contentsSkipped.test(entry.path())) {
            return null;
        }
        return NoFollowTree.openChildDirectory(entry.parent(), entry.name());
    }

    /** A file's identity: device and inode number. */
    private record Inode(long dev, long ino) {}

    /**
     * The copy of one tree, as a walk of the source: destination root, id maps, files with several links (source
     * inode → first copy's path below the root), and the destination directories being filled, one per level the walk
     * is in (their metadata is copied when the walk leaves them: what is made in a directory moves its times).
     */
    private static final class Copier implements NoFollowTree.EntryAction {
        final Fd root;
        final LongUnaryOperator uids;
        final LongUnaryOperator gids;
        final Predicate<String> contentsSkipped;
        final Deadline deadline;
        final Map<Inode, byte[]> links = new HashMap<>();
        final Deque<Target> targets = new ArrayDeque<>();
        long entries;
        long bytes;

        Copier(
                Fd root,
                LongUnaryOperator uids,
                LongUnaryOperator gids,
                Predicate<String> contentsSkipped,
                Deadline deadline) {
            this.root = root;
            this.uids = uids;
            this.gids = gids;
            this.contentsSkipped = contentsSkipped;
            this.deadline = deadline;
        }

        /** A destination directory being filled, and the stat of its source, whose metadata it gets when full. */
        record Target(Fd dir, Linux.Stat source) {}

        @Override
        public Fd visit(NoFollowTree.Entry entry) throws IOException {
            deadline.check("copying at " + entry.path() + " (" + entries + " entries, " + bytes + " bytes copied)");
            try {
                return entry(entry, targets.isEmpty() ? root : targets.peek().dir());
            } catch (LinuxException e) {
                throw new IOException("cannot copy " + entry.path() + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void leave(NoFollowTree.Entry entry, Fd source) throws IOException {
            Target target = targets.pop();
            try (Fd dir = target.dir()) {
                metadata(source, ITSELF, target.source(), dir, ITSELF, dir);
            } catch (LinuxException e) {
                throw new IOException("cannot copy " + entry.path() + ": " + e.getMessage(), e);
            }
        }

        /** Closes the destination directories a failed walk left open. */
        void closeTargets() {
            while (!targets.isEmpty()) {
                targets.pop().dir().close();
            }
        }

        /**
         * Copies one entry into {@code to}; for a directory whose contents are to be copied, returns its source, open,
         * for the walk to go into. One that changes type between the listing's stat and its open (a directory swapped
         * for a symlink, say) is copied as what it has become: nothing of it is made before its source is open.
         */
        private Fd entry(NoFollowTree.Entry listed, Fd to) throws IOException {
            NoFollowTree.Entry entry = listed;
            for (int attempt = 1; ; attempt++) {
                try {
                    return copyEntry(entry, to);
                } catch (Changed changed) {
                    if (attempt == 3) {
                        throw new IOException(entry.path() + " keeps changing during the copy");
                    }
                    Linux.Stat now;
                    try {
                        now = Linux.statNoFollow(entry.parent(), entry.name());
                    } catch (LinuxException e) {
                        if (e.errno() == Errno.ENOENT) {
                            return null;
                        }
                        throw e;
                    }
                    entry = entry.withStat(now);
                }
            }
        }

        /**
         * Copies {@code entry} as its stat says it is (counting what it makes); returns the source directory to walk
         * into, or null. Nothing is made for a socket, a mount point or an entry gone.
         */
        private Fd copyEntry(NoFollowTree.Entry entry, Fd to) throws IOException, Changed {
            Fd from = entry.parent();
            byte[] name = entry.name();
            Linux.Stat stat = entry.stat();
            if (stat.mountRoot()) {
                LOG.warn("not copying {}: a mount point", entry.path());
                return null;
            }
            switch (stat.type()) {
                case Linux.S_IFDIR -> {
                    Fd source;
                    try {
                        source = NoFollowTree.openChildDirectory(from, name);
                    } catch (LinuxException e) {
                        throw Changed.ifSo(e, Errno.ELOOP, Errno.ENOTDIR);
                    }
                    if (source == null) {
                        LOG.warn("not copying {}: a mount point, or gone", entry.path());
                        return null;
                    }
                    try {
                        Linux.Stat opened =
                                Linux.stat(source); // what was opened, should it have been swapped since the listing
                        boolean skipped = contentsSkipped.test(entry.path());
                        Linux.mkdirAt(to, name, 0700);
                        entries++;
                        Fd target = Linux.openat2(to, name, NoFollowTree.DIRECTORY, NoFollowTree.BENEATH);
                        if (skipped) {
                            try (source;
                                    target) {
                                metadata(source, ITSELF, opened, target, ITSELF, target);
                            }
                            return null;
                        }
                        targets.push(new Target(target, opened));
                        return source;
                    } catch (IOException | RuntimeException e) {
                        source.close();
                        throw e;
                    }
                }
                case Linux.S_IFREG -> {
                    byte[] first = stat.nlink() > 1 ? links.get(new Inode(stat.dev(), stat.ino())) : null;
                    if (first == null) {
                        if (copyFile(entry, to)) {
                            entries++;
                        }
                        return null;
                    }
                    link(first, to, name);
                    entries++;
                    return null;
                }
                case Linux.S_IFLNK -> {
                    byte[] target;
                    try {
                        target = Linux.readlinkAt(from, name);
                    } catch (LinuxException e) {
                        throw Changed.ifSo(e, Errno.EINVAL);
                    }
                    Linux.symlinkAt(target, to, name);
                    entries++;
                    metadata(from, name, stat, to, name, null);
                    return null;
                }
                case Linux.S_IFSOCK -> {
                    return null; // a socket is its process's: nothing to copy
                }
                default -> { // character and block devices (overlay whiteouts are char 0/0), fifos
                    Linux.mknodAt(to, name, stat.type() | PRIVATE, stat.rdev());
                    entries++;
                    metadata(from, name, stat, to, name, null);
                    return null;
                }
            }
        }

        /**
         * Copies a regular file's contents in the kernel, then its metadata; false if it was gone or had become a
         * mount.
         */
        private boolean copyFile(NoFollowTree.Entry entry, Fd to) throws IOException, Changed {
            Fd found;
            try {
                found = NoFollowTree.openEntry(entry.parent(), entry.name());
            } catch (LinuxException e) {
                if (e.errno() == Errno.EXDEV) {
                    LOG.warn("not copying {}: a mount point", entry.path());
                    return false;
                }
                if (e.errno() == Errno.ENOENT) {
                    return false; // removed since the listing
                }
                throw Changed.ifSo(e, Errno.ELOOP);
            }
            try (found) {
                Linux.Stat opened = Linux.stat(found);
                // Opened for reading only once proven a regular file: a device swapped in is never opened.
                if (opened.type() != Linux.S_IFREG) {
                    throw new Changed();
                }
                try (Fd source = Linux.reopen(found, Linux.O_RDONLY | Linux.O_NONBLOCK);
                        Fd target = Linux.createFile(to, entry.name(), PRIVATE)) {
                    Linux.copyContents(source, target, opened.size(), deadline::passed);
                    deadline.check("copying " + entry.path() + " (" + opened.size() + " bytes)");
                    metadata(entry.parent(), entry.name(), opened, to, entry.name(), target);
                }
                bytes += opened.size();
                if (opened.nlink() > 1) {
                    links.put(new Inode(opened.dev(), opened.ino()), entry.rawPath());
                }
            }
            return true;
        }

        /**
         * A hard link {@code to/name} to the first copy, at {@code first} below the root (reached with no symlinks).
         */
        private void link(byte[] first, Fd to, byte[] name) throws LinuxException {
            int slash = first.length - 1;
            while (slash >= 0 && first[slash] != '/') {
                slash--;
            }
            byte[] firstName = Arrays.copyOfRange(first, slash + 1, first.length);
            if (slash < 0) {
                Linux.linkAt(root, firstName, to, name);
                return;
            }
            try (Fd firstDir = Linux.openat2(
                    root, Arrays.copyOf(first, slash), Linux.O_PATH | Linux.O_DIRECTORY, NoFollowTree.BENEATH)) {
                Linux.linkAt(firstDir, firstName, to, name);
            }
        }

        /**
         * Gives {@code toName} in {@code toDir} (or {@code toSelf}, an fd open on it, if not null) the metadata of
         * {@code fromName} in {@code fromDir} (empty names: the fds themselves): owner (shifted), then xattrs (a chown
         * clears file capabilities), then mode (a chown clears setuid and setgid, an ACL sets the group bits), then
         * times (which every other change would move).
         */
        void metadata(Fd fromDir, byte[] fromName, Linux.Stat stat, Fd toDir, byte[] toName, Fd toSelf)
                throws LinuxException {
            boolean symlink = stat.type() == Linux.S_IFLNK;
            int uid = (int) uids.applyAsLong(stat.uid());
            int gid = (int) gids.applyAsLong(stat.gid());
            if (toSelf != null) {
                Linux.chownNoFollow(toSelf, ITSELF, uid, gid);
            } else {
                Linux.chownNoFollow(toDir, toName, uid, gid);
            }
            copyXattrs(fromDir, fromName, toDir, toName, symlink);
            if (toSelf != null) {
                Linux.fchmod(toSelf, stat.mode() & PERMISSIONS);
            } else if (!symlink) {
                Linux.chmodNoFollow(toDir, toName, stat.mode() & PERMISSIONS);
            }
            if (toSelf != null) {
                Linux.setTimesNoFollow(toSelf, ITSELF, stat.atimeNanos(), stat.mtimeNanos());
            } else {
                Linux.setTimesNoFollow(toDir, toName, stat.atimeNanos(), stat.mtimeNanos());
            }
        }

        private void copyXattrs(Fd fromDir, byte[] fromName, Fd toDir, byte[] toName, boolean symlink)
                throws LinuxException {
            List<byte[]> names;
            try {
                names = Linux.listXattrs(fromDir, fromName);
            } catch (LinuxException e) {
                if (e.errno() == Errno.EOPNOTSUPP) {
                    return;
                }
                throw e;
            }
            for (byte[] xattr : names) {
                Optional<byte[]> value = Linux.getXattr(fromDir, fromName, xattr);
                if (value.isEmpty()) {
                    continue; // removed since the listing
                }
                try {
                    Linux.setXattr(toDir, toName, xattr, shiftIds(xattr, value.get()));
                } catch (LinuxException e) {
                    // The kernel takes only some namespaces (trusted.*, security.*) on a symlink, and not on every
                    // filesystem.
                    if (!symlink) {
                        throw e;
                    }
                    LOG.debug(
                            "not copying xattr {} of a symlink: {}",
                            new String(xattr, StandardCharsets.UTF_8),
                            e.getMessage());
                }
            }
        }

        /** Ids inside xattr values: the root id of a v3 file capability, and the ids of POSIX ACL entries. */
        byte[] shiftIds(byte[] xattr, byte[] value) {
            if (Arrays.equals(xattr, CAPABILITY)) {
                return shiftCapabilityRoot(value);
            }
            if (Arrays.equals(xattr, ACL_ACCESS) || Arrays.equals(xattr, ACL_DEFAULT)) {
                return shiftAcl(value);
            }
            return value;
        }

        /**
         * struct vfs_ns_cap_data: le32 magic_etc (revision in the top byte, flags below), 2 × (permitted, inheritable),
         * and in v3 a le32 rootid, the uid whose user namespace the capabilities are for; a v2 capability is for the
         * filesystem's root, uid 0. The root id is shifted as an owner is: one that becomes 0 is written as v2, and a
         * v2 capability whose 0 becomes another uid as v3 (else, copied into a container's range, it would stay the
         * host root's, which the kernel does not grant the container's processes).
         */
        private byte[] shiftCapabilityRoot(byte[] value) {
            final int revisionMask = 0xff000000;
            final int revision3 = 0x03000000;
            final int revision2 = 0x02000000;
            final int sizeV3 = 24;
            final int sizeV2 = 20;
            final int rootIdAt = 20;
            ByteBuffer caps = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
            if (value.length < 4) {
                return value;
            }
            int revision = caps.getInt(0) & revisionMask;
            int flags = caps.getInt(0) & ~revisionMask;
            long rootId;
            if (revision == revision3 && value.length == sizeV3) {
                rootId = uids.applyAsLong(Integer.toUnsignedLong(caps.getInt(rootIdAt)));
            } else if (revision == revision2 && value.length == sizeV2) {
                rootId = uids.applyAsLong(0);
            } else {
                return value; // v1 (obsolete, 32-bit sets) or malformed: as it is
            }
            if (rootId == 0) {
                byte[] v2 = Arrays.copyOf(value, sizeV2);
                ByteBuffer.wrap(v2).order(ByteOrder.LITTLE_ENDIAN).putInt(0, revision2 | flags);
                return v2;
            }
            byte[] v3 = Arrays.copyOf(value, sizeV3);
            ByteBuffer.wrap(v3)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(0, revision3 | flags)
                    .putInt(rootIdAt, (int) rootId);
            return v3;
        }

        /** The xattr form of a POSIX ACL: le32 version (2), then 8-byte entries: le16 tag, le16 perm, le32 id. */
        private byte[] shiftAcl(byte[] value) {
            final int version2 = 2;
            final int aclUser = 0x02;
            final int aclGroup = 0x08;
            byte[] shifted = value.clone();
            ByteBuffer acl = ByteBuffer.wrap(shifted).order(ByteOrder.LITTLE_ENDIAN);
            if (shifted.length < 4 || acl.getInt(0) != version2) {
                return value;
            }
            for (int entry = 4; entry + 8 <= shifted.length; entry += 8) {
                int tag = acl.getShort(entry) & 0xffff;
                long id = Integer.toUnsignedLong(acl.getInt(entry + 4));
                if (tag == aclUser) {
                    acl.putInt(entry + 4, (int) uids.applyAsLong(id));
                }
                if (tag == aclGroup) {
                    acl.putInt(entry + 4, (int) gids.applyAsLong(id));
                }
            }
            return shifted;
        }
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** The entry being copied is no longer of the type its stat said (swapped since): stat it again. */
    private static final class Changed extends Exception {
        Changed() {
            super(null, null, false, false);
        }

        /**
         * A Changed to throw if {@code e} failed with one of {@code errnos} (what a swapped entry gives); else throws
         * {@code e}.
         */
        static Changed ifSo(LinuxException e, int... errnos) throws LinuxException {
            for (int errno : errnos) {
                if (e.errno() == errno) {
                    return new Changed();
                }
            }
            throw e;
        }
    }
}
