package io.jsysbox.fs;

import io.jsysbox.linux.Errno;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Answers FUSE requests over a {@link FsTree}: the host's view at the mount root, and each registered
 * container's (as the {@link FileBackend} names them) at {@code containers/<id>}, with content from the backend
 * rendered for the view's owner, whoever reads it. Safe to call from several reader threads at once. Pure apart
 * from the backend: requests and replies are byte buffers.
 *
 * <p>An open file renders at a READ at offset 0 and keeps that text for reads further on, as procfs's
 * seq_file does: one open+read loop sees one consistent text, and a pread at 0 sees fresh values. What is kept is
 * bounded ({@link Limits}): past the bounds, a file renders again at each read.
 *
 * <p>Who may do what is checked twice. The mount has {@code default_permissions}: the kernel checks the modes and
 * owners we report, as for procfs (a container's files belong to its root; the mount root and the containers
 * directory are host root's alone, 0700). Here, the same rule is checked on each request's caller, because a
 * mount taken over from an older daemon may lack that option: a node of the host's view is host root's, a node of a
 * container's view is its processes' (host uids in its range) and host root's, and a root-only file (0400) is its
 * root's. Why both: the kernel's check covers every path walk and open without a request reaching us; ours holds
 * whatever the mount options, and caps how many files each view's callers hold open.
 */
final class FuseFileSystem {
    /**
     * Names, attributes and the tree never change while mounted: let the kernel cache them for an hour. Except
     * the names in {@code containers}: one names another view (other node ids) once its container is registered
     * again with another init, so the kernel looks them up at each path walk.
     */
    static final long VALID_SECONDS = 3600;
    /**
     * The size a file has from its open on. Why not 0, as procfs says: sendfile(2) and splice(2) read a FUSE file
     * through the page cache, up to its size, even in direct I/O mode (busybox's cat uses sendfile), so a size of
     * 0 reads as empty. The first short read there shrinks the size to the content's; the next open grows it
     * back. Growing (a FUSE_NOTIFY_STORE) costs about as much as the rest of an open, so it is done only for a
     * node whose size in the kernel may be short: see {@link #grownInKernel}.
     */
    static final long SIZE_WHILE_OPEN = 1 << 20;
    /** fuse_read_in.read_flags: set on every direct-I/O READ, never on a page-cache READ (readahead, read_folio). */
    private static final int FUSE_READ_LOCKOWNER = 2;

    private static final int O_ACCMODE = 3;

    /**
     * What callers may hold: open files per view (a container's callers open their own view only; past the limit,
     * ENFILE, as a full file table), and the rendered text kept for open files, per file and in all (past either, the
     * file renders again at each read). Bounded so that no container's callers can pin the daemon's memory.
     */
    record Limits(int openFilesPerView, int keptBytesPerFile, long keptBytesTotal) {
        /** 1024 open files, as a process's default RLIMIT_NOFILE; text up to the size a file has while open. */
        static final Limits DEFAULT = new Limits(1024, (int) SIZE_WHILE_OPEN, 32L << 20);
    }

    private static final class Handle {
        final long slot;
        final FileBackend.OpenFile file;
        /** The text last rendered, while {@link #keep} keeps it (guarded by this). */
        volatile byte[] content;
        /** Released: nothing is kept for it any more (guarded by this). */
        boolean released;

        Handle(long slot, FileBackend.OpenFile file) {
            this.slot = slot;
            this.file = file;
        }
    }

    /** A node of the mount: template node {@code node} in {@code owner}'s view, or the containers directory. */
    private record Located(FileBackend.Owner owner, FsTree.Node node) {
        long id() {
            return FsTree.nodeId(owner.slot(), node.id);
        }
    }

    private final FsTree tree;
    private final FileBackend backend;
    private final Limits limits;
    private final Map<Long, Handle> handles = new ConcurrentHashMap<>();
    /** Open files by view slot; a slot without any has no entry. */
    private final Map<Long, Integer> openPerView = new ConcurrentHashMap<>();
    /** Bytes of rendered text the open files keep. */
    private final AtomicLong keptBytes = new AtomicLong();
    /**
     * File nodes whose size in the kernel is {@link #SIZE_WHILE_OPEN}: grown since the kernel last learned a size
     * from us (LOOKUP, GETATTR: 0) or shrank it after a short page-cache READ. Empty at start, also after taking
     * over a connection: unknown means grow.
     */
    private final Set<Long> grownInKernel = ConcurrentHashMap.newKeySet();
    /**
     * File handles start at this daemon's start time in the high bits: a daemon that took over a connection meets
     * its predecessor's handles, and must not hand out the same numbers.
     */
    private final AtomicLong nextHandle = new AtomicLong(System.currentTimeMillis() << 20);

    private final long nextHandleAtStart = nextHandle.get();

    FuseFileSystem(FsTree tree, FileBackend backend) {
        this(tree, backend, Limits.DEFAULT);
    }

    FuseFileSystem(FsTree tree, FileBackend backend, Limits limits) {
        this.tree = tree;
        this.backend = backend;
        this.limits = limits;
    }

    /**
     * Fills {@code out} with the reply to {@code request}; false when the request takes no reply. When the
     * kernel must get a notification first, it is in {@code notification} (flipped; otherwise its limit is 0).
     */
    boolean handle(FuseRequest request, ByteBuffer out, ByteBuffer notification) {
        notification.clear().limit(0);
        long unique = request.unique();
        try {
            switch (request.opcode()) {
                case FuseProtocol.INIT -> init(request, out);
                case FuseProtocol.LOOKUP -> lookup(request, out);
                case FuseProtocol.GETATTR, FuseProtocol.SETATTR -> {
                    // SETATTR (a truncate by a write with O_TRUNC on older kernels) changes nothing, as in procfs.
                    Located located = locate(request);
                    if (located.owner.slot() != 0 || located.node != tree.root()) {
                        permitReach(located, caller(request)); // the mount root's mode and owner are no secret
                    }
                    grownInKernel.remove(located.id());
                    FuseReply.attr(out, unique, tree.attr(located.node, located.owner), VALID_SECONDS);
                }
                case FuseProtocol.OPEN -> open(request, out, notification);
                case FuseProtocol.READ -> read(request, out);
                case FuseProtocol.WRITE -> write(request, out);
                case FuseProtocol.RELEASE -> {
                    release(request.body().getLong(0));
                    FuseReply.ok(out, unique);
                }
                case FuseProtocol.FLUSH, FuseProtocol.RELEASEDIR, FuseProtocol.DESTROY -> FuseReply.ok(out, unique);
                case FuseProtocol.OPENDIR -> {
                    permitReach(directory(request), caller(request));
                    FuseReply.open(out, unique, 0, 0);
                }
                case FuseProtocol.READDIR -> {
                    Located dir = directory(request);
                    permitReach(dir, caller(request));
                    List<FuseReply.Dirent> entries = dir.node == tree.containers()
                            ? containerDirents()
                            : tree.dirents(dir.node, dir.owner.slot());
                    FuseReply.dirents(
                            out,
                            unique,
                            entries,
                            request.body().getLong(8),
                            request.body().getInt(16));
                }
                case FuseProtocol.STATFS -> FuseReply.statfs(out, unique, tree.size());
                case FuseProtocol.FORGET, FuseProtocol.BATCH_FORGET, FuseProtocol.INTERRUPT -> {
                    // Nodes live as long as the mount; requests finish too fast to be worth interrupting.
                    return false;
                }
                // ENOSYS to xattr and access calls makes the kernel stop sending them for the mount's life.
                default -> throw new FsError(Errno.ENOSYS, "not implemented");
            }
        } catch (FsError e) {
            FuseReply.error(out, unique, e.errno);
        }
        return true;
    }

    private void init(FuseRequest request, ByteBuffer out) throws FsError {
        ByteBuffer in = request.body();
        int major = in.getInt(0);
        int minor = in.getInt(4);
        if (major < FuseProtocol.KERNEL_VERSION) {
            throw new FsError(Errno.EPROTO, "kernel FUSE protocol " + major + "." + minor + " is older than 7");
        }
        if (major > FuseProtocol.KERNEL_VERSION) {
            // The kernel then sends INIT again with our major version.
            FuseReply.init(out, request.unique(), FuseProtocol.KERNEL_MINOR_VERSION, 0, 0, 0);
            return;
        }
        int wanted = FuseProtocol.FUSE_ATOMIC_O_TRUNC | FuseProtocol.FUSE_PARALLEL_DIROPS;
        FuseReply.init(
                out,
                request.unique(),
                Math.min(minor, FuseProtocol.KERNEL_MINOR_VERSION),
                in.getInt(8),
                in.getInt(12) & wanted,
                FuseProtocol.MAX_WRITE);
    }

    private void lookup(FuseRequest request, ByteBuffer out) throws FsError {
        Located parent = directory(request);
        permitReach(parent, caller(request));
        String name = request.name();
        if (parent.node == tree.containers()) {
            FileBackend.Owner owner = backend.owner(name);
            if (owner == null) {
                throw new FsError(Errno.ENOENT, "no registered container " + name);
            }
            FuseReply.entry(out, request.unique(), tree.attr(tree.root(), owner), 0, VALID_SECONDS);
            return;
        }
        FsTree.Node child = parent.owner.slot() == 0 && parent.node == tree.root() && name.equals(FsTree.CONTAINERS)
                ? tree.containers()
                : parent.node.child(name);
        if (child == null) {
            throw new FsError(Errno.ENOENT, "no such entry");
        }
        Located located = new Located(parent.owner, child);
        grownInKernel.remove(located.id());
        FuseReply.entry(out, request.unique(), tree.attr(child, parent.owner), VALID_SECONDS, VALID_SECONDS);
    }

    /**
     * The containers directory: ".", ".." and each registered container's root at cookie slot + 2, so a listing
     * resumes at the right place while containers come and go.
     */
    private List<FuseReply.Dirent> containerDirents() {
        List<FuseReply.Dirent> entries = new ArrayList<>();
        entries.add(new FuseReply.Dirent(FsTree.CONTAINERS_ID, ".", FuseProtocol.DT_DIR, 1));
        entries.add(new FuseReply.Dirent(FuseProtocol.ROOT_ID, "..", FuseProtocol.DT_DIR, 2));
        for (FileBackend.Owner owner : backend.owners()) {
            entries.add(new FuseReply.Dirent(
                    FsTree.nodeId(owner.slot(), FuseProtocol.ROOT_ID),
                    owner.id(),
                    FuseProtocol.DT_DIR,
                    owner.slot() + 2));
        }
        return entries;
    }

    private void open(FuseRequest request, ByteBuffer out, ByteBuffer notification) throws FsError {
        Located located = locate(request);
        if (located.node.isDirectory()) {
            throw new FsError(Errno.EISDIR, "is a directory");
        }
        boolean forWriting = (request.body().getInt(0) & O_ACCMODE) != 0;
        Handle handle = openHandle(located, caller(request), forWriting);
        long fh = nextHandle.getAndIncrement();
        handles.put(fh, handle);
        // Grows this view's inode: each view has its own, so its page cache only ever holds this view's content.
        if (forWriting) {
            grownInKernel.remove(located.id()); // `echo 1 > f` opens with O_TRUNC: the kernel sets the size to 0
        } else if (grownInKernel.add(located.id())) {
            FuseReply.growSize(notification, located.id(), SIZE_WHILE_OPEN);
        }
        FuseReply.open(
                out,
                request.unique(),
                fh,
                FuseProtocol.FOPEN_DIRECT_IO | (forWriting ? 0 : FuseProtocol.FOPEN_NOFLUSH));
    }

    private void read(FuseRequest request, ByteBuffer out) throws FsError {
        ByteBuffer in = request.body();
        Handle handle = handle(request, in.getLong(0), false);
        long offset = in.getLong(8);
        byte[] content = handle.content;
        if (offset == 0 || content == null) {
            content = handle.file.render();
            keep(handle, content);
        }
        if ((in.getInt(20) & FUSE_READ_LOCKOWNER) == 0) {
            grownInKernel.remove(request.nodeId()); // a page-cache read: its short reply shrinks the size
        }
        FuseReply.data(out, request.unique(), content, offset, in.getInt(16));
    }

    private void write(FuseRequest request, ByteBuffer out) throws FsError {
        ByteBuffer in = request.body();
        Handle handle = handle(request, in.getLong(0), true);
        int size = in.getInt(16);
        if (size < 0 || size > in.limit() - FuseProtocol.WRITE_IN_SIZE) {
            throw new FsError(Errno.EIO, "WRITE of " + size + " bytes carries fewer");
        }
        byte[] data = new byte[size];
        in.get(FuseProtocol.WRITE_IN_SIZE, data);
        FuseReply.written(out, request.unique(), handle.file.write(data, in.getLong(8)));
    }

    /** The request's node; ENOENT for a node of a slot no container holds (never registered, or no longer). */
    private Located locate(FuseRequest request) throws FsError {
        long nodeId = request.nodeId();
        if (nodeId == FsTree.CONTAINERS_ID) {
            return new Located(FileBackend.Owner.HOST, tree.containers());
        }
        long slot = FsTree.slot(nodeId);
        FsTree.Node node = tree.node(nodeId);
        FileBackend.Owner owner = slot == 0 ? FileBackend.Owner.HOST : backend.owner(slot);
        if (node == null || owner == null) {
            throw new FsError(Errno.ENOENT, "unknown node " + nodeId);
        }
        return new Located(owner, node);
    }

    private Located directory(FuseRequest request) throws FsError {
        Located located = locate(request);
        if (!located.node.isDirectory()) {
            throw new FsError(Errno.ENOTDIR, "not a directory");
        }
        return located;
    }

    /**
     * The open file {@code fh}. A handle this daemon never gave out was opened before it took over the
     * connection (see Main's --fuse-fd): it is opened again for the request's node and caller, as at OPEN (the
     * slots it restored are the previous daemon's, so the node is of the same view).
     */
    private Handle handle(FuseRequest request, long fh, boolean forWriting) throws FsError {
        Handle handle = handles.get(fh);
        if (handle != null) {
            return handle;
        }
        if (fh >= nextHandleAtStart) {
            throw new FsError(Errno.EBADF, "file handle " + fh + " was released");
        }
        Located located = locate(request);
        if (located.node.isDirectory()) {
            throw new FsError(Errno.EBADF, "file handle " + fh + " names a directory");
        }
        Handle reopened = openHandle(located, caller(request), forWriting);
        Handle raced = handles.putIfAbsent(fh, reopened);
        if (raced != null) {
            forget(reopened);
            return raced;
        }
        return reopened;
    }

    /**
     * EACCES unless {@code caller} may reach {@code located}: host root reaches every node; a container's process
     * (a host uid of its range) the nodes of its container's view; nobody else any.
     */
    private static void permitReach(Located located, Caller caller) throws FsError {
        if (caller.uid() != 0 && !located.owner.runs(caller.uid())) {
            throw new FsError(
                    Errno.EACCES,
                    "uid " + Integer.toUnsignedString(caller.uid()) + " is not of "
                            + (located.owner.slot() == 0 ? "host root" : "container " + located.owner.id()));
        }
    }

    /** Opens {@code located} for {@code caller}, counted against its view's open files. */
    private Handle openHandle(Located located, Caller caller, boolean forWriting) throws FsError {
        permitReach(located, caller);
        boolean rootOnly = (located.node.attr.mode() & 0044) == 0;
        if (rootOnly && caller.uid() != 0 && caller.uid() != located.owner.uid()) {
            throw new FsError(Errno.EACCES, located.node.path + " is for the root of " + located.owner.id() + " only");
        }
        long slot = located.owner.slot();
        if (openPerView.merge(slot, 1, Integer::sum) > limits.openFilesPerView()) {
            closed(slot);
            throw new FsError(
                    Errno.ENFILE,
                    limits.openFilesPerView() + " files of " + (slot == 0 ? "the host's view" : located.owner.id())
                            + " are open already");
        }
        try {
            return new Handle(slot, backend.open(located.owner, located.node, caller, forWriting));
        } catch (Throwable e) {
            closed(slot);
            throw e;
        }
    }

    private void release(long fh) {
        Handle handle = handles.remove(fh);
        if (handle != null) {
            forget(handle);
        }
    }

    /** Drops what {@code handle} keeps and its count: it is released, or lost a race to be the one reopened. */
    private void forget(Handle handle) {
        synchronized (handle) {
            if (handle.released) {
                return;
            }
            handle.released = true;
            byte[] content = handle.content;
            if (content != null) {
                keptBytes.addAndGet(-content.length);
                handle.content = null;
            }
        }
        closed(handle.slot);
    }

    private void closed(long slot) {
        openPerView.computeIfPresent(slot, (s, open) -> open == 1 ? null : open - 1);
    }

    /**
     * Keeps {@code content} for the handle's reads further on, in place of what it kept, if it fits the limits;
     * else the handle keeps nothing and renders at each read.
     */
    private void keep(Handle handle, byte[] content) {
        synchronized (handle) {
            if (handle.released) {
                return;
            }
            byte[] previous = handle.content;
            long freed = previous == null ? 0 : previous.length;
            // Checked, then added: readers keeping at once may pass the total by a file each, a bounded excess.
            boolean fits = content.length <= limits.keptBytesPerFile()
                    && keptBytes.get() - freed + content.length <= limits.keptBytesTotal();
            keptBytes.addAndGet((fits ? content.length : 0) - freed);
            handle.content = fits ? content : null;
        }
    }

    private static Caller caller(FuseRequest request) {
        return new Caller(request.pid(), request.uid(), request.gid());
    }

    /** Open files, for tests and status. */
    int openFiles() {
        return handles.size();
    }

    /** Bytes of rendered text kept for open files, for tests and status. */
    long keptBytes() {
        return keptBytes.get();
    }
}
