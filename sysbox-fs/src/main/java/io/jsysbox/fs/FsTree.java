package io.jsysbox.fs;

import io.jsysbox.procfs.VirtualFile;
import io.jsysbox.procfs.VirtualFileRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The served tree. A template holds every path of a {@link VirtualFileRegistry} at the same place (so
 * {@code <view>/proc/meminfo} serves /proc/meminfo), with the directories leading to them; the mount shows it
 * once per view: the host's at the mount root, and each registered container's at {@code containers/<id>},
 * under the synthetic {@link #CONTAINERS} directory of the mount root.
 *
 * <p>Each view has its own node ids, hence its own kernel inodes and page cache: a node id is the view's slot
 * above {@link #SLOT_SHIFT} and the template node's id below (slot 0 is the host's view, whose ids are the
 * template's). Why not one inode per file for all containers: sendfile(2) and splice(2) read a FUSE file
 * through its inode's page cache even in direct I/O mode, so a container could be handed the page another
 * container's read just filled. The template is fixed for the daemon's life and its ids never change, so
 * FORGET has nothing to do.
 */
final class FsTree {
    /** Node ids keep the template node's id in their low 20 bits, the view's slot above them. */
    static final int SLOT_SHIFT = 20;
    /** The mount root's directory of container views; the largest id slot 0 has, out of the template's range. */
    static final long CONTAINERS_ID = (1L << SLOT_SHIFT) - 1;

    static final String CONTAINERS = "containers";

    /**
     * Where file {@code path} of container {@code id} is served, under jsysbox-fs's mount {@code mountDir}: the
     * container's own view (own inodes, own page cache), e.g. MOUNT/containers/ID/proc/meminfo.
     */
    static Path source(Path mountDir, String id, String path) {
        return mountDir.resolve(CONTAINERS).resolve(id).resolve(path.substring(1));
    }
    /**
     * The mount root and {@link #CONTAINERS}: host root's alone (as the runtime's other dirs, see RuntimeDirs). Host
     * users must neither list the containers nor read the host's view, which serves files root-only on the host.
     * Nobody else needs them: the manager, as host root, clones each file of a container's view and attaches it
     * inside the container, whose processes then reach the file itself, never these dirs.
     */
    static final int HOST_ROOT_ONLY_DIR_MODE = 0700;
    /**
     * Files that are root-only (0400) on the host, so in a container only its root reads them: the DMI product uuid,
     * which software takes for a machine's identity.
     */
    private static final Set<String> ROOT_ONLY_FILES = Set.of("/sys/devices/virtual/dmi/id/product_uuid");

    /** A directory ({@code file} null) or a virtual file; {@code path} is the path the container sees. */
    static final class Node {
        final long id;
        final String path;
        final VirtualFile file;
        final Attr attr;
        private final Map<String, Node> children = new TreeMap<>();
        private final List<FuseReply.Dirent> dirents = new ArrayList<>();

        private Node(long id, String path, VirtualFile file, Attr attr) {
            this.id = id;
            this.path = path;
            this.file = file;
            this.attr = attr;
        }

        boolean isDirectory() {
            return file == null;
        }

        Node child(String name) {
            return children.get(name);
        }
    }

    private final List<Node> byId = new ArrayList<>();
    private final Node containers;
    /** The template root's attributes as the host's view shows them: the mount root. */
    private final Attr mountRootAttr;
    /** The template root's entries and {@link #CONTAINERS}: the mount root's listing. */
    private final List<FuseReply.Dirent> mountRootDirents;

    FsTree(VirtualFileRegistry registry, long timeSeconds) {
        byId.add(null); // node ids start at 1 (FUSE_ROOT_ID)
        Node root = add("", null, timeSeconds);
        for (String path : new TreeSet<>(registry.paths())) {
            Node dir = root;
            String[] parts = path.substring(1).split("/");
            for (int i = 0; i < parts.length - 1; i++) {
                Node parent = dir;
                String dirPath = parent.path + "/" + parts[i];
                dir = parent.children.computeIfAbsent(parts[i], name -> add(dirPath, null, timeSeconds));
            }
            dir.children.put(
                    parts[parts.length - 1], add(path, registry.lookup(path).orElseThrow(), timeSeconds));
        }
        if (byId.size() > CONTAINERS_ID) {
            throw new IllegalStateException(byId.size() + " nodes do not fit below node id " + CONTAINERS_ID);
        }
        fillDirents(root, root);
        containers = new Node(
                CONTAINERS_ID,
                "/" + CONTAINERS,
                null,
                new Attr(CONTAINERS_ID, FuseProtocol.S_IFDIR | HOST_ROOT_ONLY_DIR_MODE, 1, 0, timeSeconds, 0, 0));
        mountRootAttr = new Attr(root.id, FuseProtocol.S_IFDIR | HOST_ROOT_ONLY_DIR_MODE, 1, 0, timeSeconds, 0, 0);
        List<FuseReply.Dirent> rootDirents = new ArrayList<>(root.dirents);
        rootDirents.add(new FuseReply.Dirent(CONTAINERS_ID, CONTAINERS, FuseProtocol.DT_DIR, rootDirents.size() + 1));
        mountRootDirents = List.copyOf(rootDirents);
    }

    private Node add(String path, VirtualFile file, long timeSeconds) {
        long id = byId.size();
        Attr attr;
        if (file == null) {
            attr = directoryAttr(id, timeSeconds);
        } else {
            int permissions = file instanceof VirtualFile.Sysctl(var key) && key.writable()
                    ? 0644
                    : ROOT_ONLY_FILES.contains(path) ? 0400 : 0444;
            int mode = FuseProtocol.S_IFREG | permissions;
            // procfs reports size 0, sysfs one page; with direct I/O the size is never used to cut a read short.
            attr = new Attr(id, mode, 1, path.startsWith("/sys/") ? Attr.BLOCK_SIZE : 0, timeSeconds, 0, 0);
        }
        Node node = new Node(id, path, file, attr);
        byId.add(node);
        return node;
    }

    private static Attr directoryAttr(long id, long timeSeconds) {
        return new Attr(id, FuseProtocol.S_IFDIR | 0555, 1, 0, timeSeconds, 0, 0);
    }

    private static void fillDirents(Node dir, Node parent) {
        dir.dirents.add(new FuseReply.Dirent(dir.id, ".", FuseProtocol.DT_DIR, 1));
        dir.dirents.add(new FuseReply.Dirent(parent.id, "..", FuseProtocol.DT_DIR, 2));
        for (Node child : dir.children.values()) {
            dir.dirents.add(new FuseReply.Dirent(
                    child.id,
                    child.path.substring(child.path.lastIndexOf('/') + 1),
                    child.isDirectory() ? FuseProtocol.DT_DIR : FuseProtocol.DT_REG,
                    dir.dirents.size() + 1));
            if (child.isDirectory()) {
                fillDirents(child, dir);
            }
        }
    }

    /**
     * The attributes of template node {@code node} in {@code owner}'s view: the host's (the template's, but for the
     * mount root) or a container's, whose files belong to its root.
     */
    Attr attr(Node node, FileBackend.Owner owner) {
        if (owner.slot() == 0) {
            return node == root() ? mountRootAttr : node.attr;
        }
        return node.attr.as(nodeId(owner.slot(), node.id), owner.uid(), owner.gid());
    }

    /** The node id of template node {@code templateId} in the view of slot {@code slot}. */
    static long nodeId(long slot, long templateId) {
        return slot << SLOT_SHIFT | templateId;
    }

    /** The slot of the view node id {@code nodeId} belongs to (0: the host's). */
    static long slot(long nodeId) {
        return nodeId >>> SLOT_SHIFT;
    }

    Node root() {
        return byId.get((int) FuseProtocol.ROOT_ID);
    }

    /** The synthetic directory of container views (slot 0 only). */
    Node containers() {
        return containers;
    }

    /** The template node of node id {@code nodeId} (of any slot), or null. */
    Node node(long nodeId) {
        long id = nodeId & ((1L << SLOT_SHIFT) - 1);
        return id > 0 && id < byId.size() ? byId.get((int) id) : null;
    }

    /**
     * The entries of template directory {@code dir} in the view of {@code slot}, with ".", ".." and the children
     * at cookies 1, 2, 3…: the mount root also lists {@link #CONTAINERS}, and a container's root has it as "..".
     */
    List<FuseReply.Dirent> dirents(Node dir, long slot) {
        if (slot == 0) {
            return dir == root() ? mountRootDirents : Collections.unmodifiableList(dir.dirents);
        }
        List<FuseReply.Dirent> view = new ArrayList<>(dir.dirents.size());
        for (FuseReply.Dirent entry : dir.dirents) {
            long ino = dir == root() && entry.name().equals("..") ? CONTAINERS_ID : nodeId(slot, entry.ino());
            view.add(new FuseReply.Dirent(ino, entry.name(), entry.type(), entry.offset()));
        }
        return view;
    }

    /** Template nodes (files and directories). */
    int size() {
        return byId.size() - 1;
    }
}
