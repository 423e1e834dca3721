package io.jsysbox.fs;

import io.jsysbox.procfs.VirtualFile;
import io.jsysbox.procfs.VirtualFileRegistry;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The served tree: every path of a {@link VirtualFileRegistry} at the same place under the mount (so
 * {@code <mount>/proc/meminfo} serves /proc/meminfo), with the directories leading to them. Fixed for the
 * daemon's life: node ids never change and are never freed, so FORGET has nothing to do.
 */
final class FsTree {
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

        /** ".", ".." and the children, with cookies 1, 2, 3…. */
        List<FuseReply.Dirent> dirents() {
            return Collections.unmodifiableList(dirents);
        }
    }

    private final List<Node> byId = new ArrayList<>();

    FsTree(VirtualFileRegistry registry, long timeSeconds) {
        byId.add(null); // node ids start at 1 (FUSE_ROOT_ID)
        Node root = add("", null, timeSeconds);
        for (String path : new java.util.TreeSet<>(registry.paths())) {
            Node dir = root;
            String[] parts = path.substring(1).split("/");
            for (int i = 0; i < parts.length - 1; i++) {
                Node parent = dir;
                String dirPath = parent.path + "/" + parts[i];
                dir = parent.children.computeIfAbsent(parts[i], name -> add(dirPath, null, timeSeconds));
            }
            dir.children.put(parts[parts.length - 1], add(path, registry.lookup(path).orElseThrow(), timeSeconds));
        }
        fillDirents(root, root);
    }

    private Node add(String path, VirtualFile file, long timeSeconds) {
        long id = byId.size();
        int mode = file == null ? FuseProtocol.S_IFDIR | 0555
                : FuseProtocol.S_IFREG | (file instanceof VirtualFile.Sysctl(var key) && key.writable() ? 0644 : 0444);
        // procfs reports size 0, sysfs one page; with direct I/O the size is never used to cut a read short.
        long size = file != null && path.startsWith("/sys/") ? Attr.BLOCK_SIZE : 0;
        Node node = new Node(id, path, file, new Attr(id, mode, 1, size, timeSeconds));
        byId.add(node);
        return node;
    }

    private static void fillDirents(Node dir, Node parent) {
        dir.dirents.add(new FuseReply.Dirent(dir.id, ".", FuseProtocol.DT_DIR, 1));
        dir.dirents.add(new FuseReply.Dirent(parent.id, "..", FuseProtocol.DT_DIR, 2));
        for (Node child : dir.children.values()) {
            dir.dirents.add(new FuseReply.Dirent(child.id, child.path.substring(child.path.lastIndexOf('/') + 1),
                    child.isDirectory() ? FuseProtocol.DT_DIR : FuseProtocol.DT_REG, dir.dirents.size() + 1));
            if (child.isDirectory()) {
                fillDirents(child, dir);
            }
        }
    }

    Node root() {
        return byId.get((int) FuseProtocol.ROOT_ID);
    }

    /** The node with FUSE node id {@code id}, or null. */
    Node node(long id) {
        return id > 0 && id < byId.size() ? byId.get((int) id) : null;
    }

    int size() {
        return byId.size() - 1;
    }
}
