package io.jsysbox.fs;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Answers FUSE requests over a {@link FsTree}: the host's view at the mount root, and each registered
 * container's (as the {@link FileBackend} names them) at {@code containers/<id>}, with content from the backend
 * rendered for the view's owner, whoever reads it. Safe to call from several reader threads at once. Pure apart
 * from the backend: requests and replies are byte buffers.
 *
 * <p>An open file renders at a READ at offset 0 and keeps that text for reads further on, as procfs's
 * seq_file does: one open+read loop sees one consistent text, and a pread at 0 sees fresh values.
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

    private static final int ENOENT = 2;
    private static final int EIO = 5;
    private static final int EBADF = 9;
    private static final int ENOTDIR = 20;
    private static final int EISDIR = 21;
    private static final int ENOSYS = 38;
    private static final int EPROTO = 71;
    private static final int O_ACCMODE = 3;

    private static final class Handle {
        final FileBackend.OpenFile file;
        volatile byte[] content;

        Handle(FileBackend.OpenFile file) {
            this.file = file;
        }
    }

    /** A node of the mount: template node {@code node} in {@code owner}'s view, or the containers directory. */
    private record Located(FileBackend.Owner owner, FsTree.Node node) {
        long id() {
            return FsTree.nodeId(owner.slot(), node.id);
        }

        Attr attr() {
            return owner.slot() == 0 ? node.attr : node.attr.as(id(), owner.uid(), owner.gid());
        }
    }

    private final FsTree tree;
    private final FileBackend backend;
    private final Map<Long, Handle> handles = new ConcurrentHashMap<>();
    /**
     * File nodes whose size in the kernel is {@link #SIZE_WHILE_OPEN}: grown since the kernel last learned a size
     * from us (LOOKUP, GETATTR: 0) or shrank it after a short page-cache READ. Empty at start, also after taking
     * over a connection: unknown means grow.
     */
    private final java.util.Set<Long> grownInKernel = ConcurrentHashMap.newKeySet();
    /**
     * File handles start at this daemon's start time in the high bits: a daemon that took over a connection meets
     * its predecessor's handles, and must not hand out the same numbers.
     */
    private final AtomicLong nextHandle = new AtomicLong(System.currentTimeMillis() << 20);

    private final long nextHandleAtStart = nextHandle.get();

    FuseFileSystem(FsTree tree, FileBackend backend) {
        this.tree = tree;
        this.backend = backend;
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
                    grownInKernel.remove(located.id());
                    FuseReply.attr(out, unique, located.attr(), VALID_SECONDS);
                }
                case FuseProtocol.OPEN -> open(request, out, notification);
                case FuseProtocol.READ -> read(request, out);
                case FuseProtocol.WRITE -> write(request, out);
                case FuseProtocol.RELEASE -> {
                    handles.remove(request.body().getLong(0));
                    FuseReply.ok(out, unique);
                }
                case FuseProtocol.FLUSH, FuseProtocol.RELEASEDIR, FuseProtocol.DESTROY -> FuseReply.ok(out, unique);
                case FuseProtocol.OPENDIR -> {
                    directory(request);
                    FuseReply.open(out, unique, 0, 0);
                }
                case FuseProtocol.READDIR -> {
                    Located dir = directory(request);
                    List<FuseReply.Dirent> entries = dir.node == tree.containers() ? containerDirents()
                            : tree.dirents(dir.node, dir.owner.slot());
                    FuseReply.dirents(out, unique, entries, request.body().getLong(8), request.body().getInt(16));
                }
                case FuseProtocol.STATFS -> FuseReply.statfs(out, unique, tree.size());
                case FuseProtocol.FORGET, FuseProtocol.BATCH_FORGET, FuseProtocol.INTERRUPT -> {
                    // Nodes live as long as the mount; requests finish too fast to be worth interrupting.
                    return false;
                }
                // ENOSYS to xattr and access calls makes the kernel stop sending them for the mount's life.
                default -> throw new FsError(ENOSYS, "not implemented");
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
            throw new FsError(EPROTO, "kernel FUSE protocol " + major + "." + minor + " is older than 7");
        }
        if (major > FuseProtocol.KERNEL_VERSION) {
            // The kernel then sends INIT again with our major version.
            FuseReply.init(out, request.unique(), FuseProtocol.KERNEL_MINOR_VERSION, 0, 0, 0);
            return;
        }
        int wanted = FuseProtocol.FUSE_ATOMIC_O_TRUNC | FuseProtocol.FUSE_PARALLEL_DIROPS;
        FuseReply.init(out, request.unique(), Math.min(minor, FuseProtocol.KERNEL_MINOR_VERSION), in.getInt(8),
                in.getInt(12) & wanted, FuseProtocol.MAX_WRITE);
    }

    private void lookup(FuseRequest request, ByteBuffer out) throws FsError {
        Located parent = directory(request);
        String name = request.name();
        if (parent.node == tree.containers()) {
            FileBackend.Owner owner = backend.owner(name);
            if (owner == null) {
                throw new FsError(ENOENT, "no registered container " + name);
            }
            FuseReply.entry(out, request.unique(), new Located(owner, tree.root()).attr(), 0, VALID_SECONDS);
            return;
        }
        FsTree.Node child = parent.owner.slot() == 0 && parent.node == tree.root() && name.equals(FsTree.CONTAINERS)
                ? tree.containers() : parent.node.child(name);
        if (child == null) {
            throw new FsError(ENOENT, "no such entry");
        }
        Located located = new Located(parent.owner, child);
        grownInKernel.remove(located.id());
        FuseReply.entry(out, request.unique(), located.attr(), VALID_SECONDS, VALID_SECONDS);
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
            entries.add(new FuseReply.Dirent(FsTree.nodeId(owner.slot(), FuseProtocol.ROOT_ID), owner.id(),
                    FuseProtocol.DT_DIR, owner.slot() + 2));
        }
        return entries;
    }

    private void open(FuseRequest request, ByteBuffer out, ByteBuffer notification) throws FsError {
        Located located = locate(request);
        if (located.node.isDirectory()) {
            throw new FsError(EISDIR, "is a directory");
        }
        boolean forWriting = (request.body().getInt(0) & O_ACCMODE) != 0;
        FileBackend.OpenFile file = backend.open(located.owner, located.node, caller(request), forWriting);
        long fh = nextHandle.getAndIncrement();
        handles.put(fh, new Handle(file));
        // Grows this view's inode: each view has its own, so its page cache only ever holds this view's content.
        if (forWriting) {
            grownInKernel.remove(located.id()); // `echo 1 > f` opens with O_TRUNC: the kernel sets the size to 0
        } else if (grownInKernel.add(located.id())) {
            FuseReply.growSize(notification, located.id(), SIZE_WHILE_OPEN);
        }
        FuseReply.open(out, request.unique(), fh,
                FuseProtocol.FOPEN_DIRECT_IO | (forWriting ? 0 : FuseProtocol.FOPEN_NOFLUSH));
    }

    private void read(FuseRequest request, ByteBuffer out) throws FsError {
        ByteBuffer in = request.body();
        Handle handle = handle(request, in.getLong(0), false);
        long offset = in.getLong(8);
        byte[] content = handle.content;
        if (offset == 0 || content == null) {
            content = handle.file.render();
            handle.content = content;
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
            throw new FsError(EIO, "WRITE of " + size + " bytes carries fewer");
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
            throw new FsError(ENOENT, "unknown node " + nodeId);
        }
        return new Located(owner, node);
    }

    private Located directory(FuseRequest request) throws FsError {
        Located located = locate(request);
        if (!located.node.isDirectory()) {
            throw new FsError(ENOTDIR, "not a directory");
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
            throw new FsError(EBADF, "file handle " + fh + " was released");
        }
        Located located = locate(request);
        if (located.node.isDirectory()) {
            throw new FsError(EBADF, "file handle " + fh + " names a directory");
        }
        Handle reopened = new Handle(backend.open(located.owner, located.node, caller(request), forWriting));
        Handle raced = handles.putIfAbsent(fh, reopened);
        return raced == null ? reopened : raced;
    }

    private static Caller caller(FuseRequest request) {
        return new Caller(request.pid(), request.uid(), request.gid());
    }

    /** Open files, for tests and status. */
    int openFiles() {
        return handles.size();
    }
}
