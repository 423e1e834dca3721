package io.jsysbox.mgr;

import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where a container's image keeps what it carries at a special-mount destination (the inner {@code /var/lib/docker}
 * of a preloaded image), found without trusting the image: each layer is probed with descriptor-relative opens that
 * refuse symlinks, and overlay semantics (whiteouts, opaque directories) decide which layer's copy the container sees.
 * <p>
 * {@code shareable}: the content is one image layer's directory, read raw. Image layers never change, so every
 * container of the image can share one cached copy; and read raw, the inner engine's own whiteouts (char 0/0 files
 * inside its layers) stay files, where Docker's merged view would hide them. Otherwise {@code dir} is the merged view.
 */
public record InnerStoreSource(Path base, String relative, boolean shareable) {
    static final String OPAQUE_XATTR = "trusted.overlay.opaque";

    /** What one layer holds at the destination. */
    private enum Probe {
        ABSENT,
        HIDDEN,
        PARTIAL,
        COMPLETE
    }

    /**
     * The content the container's image has at {@code destination}, if any. {@code layers}: the rootfs's overlay layers
     * (empty when the rootfs is a plain directory, whose content is then read directly).
     */
    public static Optional<InnerStoreSource> find(Path rootfs, Optional<OverlayLayers> layers, String destination)
            throws IOException {
        String relative = destination.replaceAll("^/+", "");
        if (layers.isEmpty()) {
            return nonEmptyDir(rootfs, relative)
                    ? Optional.of(new InnerStoreSource(rootfs, relative, false))
                    : Optional.empty();
        }
        OverlayLayers overlay = layers.get();
        List<Path> stack = new ArrayList<>();
        overlay.upperDir().ifPresent(stack::add);
        // Host-owned paths (Docker's l/ links point at ../<layer>/diff): resolving them is safe, and gives the layer's
        // stable path, which keys the cache.
        for (Path lower : overlay.lowerDirs()) {
            stack.add(lower.toRealPath());
        }
        for (int i = 0; i < stack.size(); i++) {
            Probe probe = probe(stack.get(i), relative);
            switch (probe) {
                case ABSENT -> {}
                case HIDDEN -> {
                    return Optional.empty();
                }
                case COMPLETE -> {
                    // The container's own upper layer (a copy it made at its last stop) changes: never shared.
                    boolean upper = i == 0 && overlay.upperDir().isPresent();
                    return Optional.of(new InnerStoreSource(stack.get(i), relative, !upper));
                }
                case PARTIAL -> {
                    // Content here and maybe below: only a layer that is the whole of it can be read raw.
                    boolean upper = i == 0 && overlay.upperDir().isPresent();
                    boolean more = false;
                    for (int j = i + 1; j < stack.size() && !more; j++) {
                        more = probe(stack.get(j), relative) != Probe.ABSENT;
                    }
                    return Optional.of(
                            upper || more
                                    ? merged(rootfs, relative)
                                    : new InnerStoreSource(stack.get(i), relative, true));
                }
            }
        }
        return Optional.empty();
    }

    /** The directory, for logs and as the cache's key. */
    public Path dir() {
        return base.resolve(relative).normalize();
    }

    /** Opens the directory: {@code base} is the host's, every step below it refuses symlinks and mount crossings. */
    public Fd open() throws IOException {
        try (Fd root = Linux.openDirectoryNoSymlinks(base)) {
            return NoFollowTree.openDirectoryBelow(root, relative);
        }
    }

    private static InnerStoreSource merged(Path rootfs, String relative) {
        return new InnerStoreSource(rootfs, relative, false);
    }

    /**
     * ABSENT: nothing here, look below. HIDDEN: a whiteout, a non-directory or an opaque parent hides every layer
     * below.
     * COMPLETE: a non-empty directory that hides the layers below (it or a parent is opaque). PARTIAL: a non-empty
     * directory merged with whatever lies below. An empty directory that is not opaque is ABSENT (runc makes one for
     * the mount point).
     */
    private static Probe probe(Path layer, String relative) throws IOException {
        String[] names = relative.split("/");
        boolean opaque = false;
        Fd dir;
        try {
            dir = Linux.openDirectoryNoSymlinks(layer);
        } catch (LinuxException e) {
            return Probe.ABSENT;
        }
        try {
            for (String name : names) {
                Map<String, Object> attrs;
                try {
                    attrs = Files.readAttributes(
                            dir.procPath().resolve(name), "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException absent) {
                    return opaque ? Probe.HIDDEN : Probe.ABSENT;
                }
                int type = (Integer) attrs.get("mode") & 0170000;
                if (type != 0040000) {
                    return Probe.HIDDEN; // a whiteout, a file or a symlink: the path ends here
                }
                Fd child;
                try {
                    child = NoFollowTree.openDirectoryBelow(dir, name);
                } catch (LinuxException e) {
                    return Probe.HIDDEN;
                }
                dir.close();
                dir = child;
                opaque |= isOpaque(dir);
            }
            boolean empty;
            try (var entries = Files.newDirectoryStream(dir.procPath())) {
                empty = !entries.iterator().hasNext();
            }
            if (empty) {
                return opaque ? Probe.HIDDEN : Probe.ABSENT;
            }
            return opaque ? Probe.COMPLETE : Probe.PARTIAL;
        } finally {
            dir.close();
        }
    }

    private static boolean isOpaque(Fd dir) throws IOException {
        return Linux.getXattr(dir, "", OPAQUE_XATTR)
                .map(value -> value.length == 1 && value[0] == 'y')
                .orElse(false);
    }

    private static boolean nonEmptyDir(Path rootfs, String relative) throws IOException {
        try (Fd dir = new InnerStoreSource(rootfs, relative, false).open();
                var entries = Files.newDirectoryStream(dir.procPath())) {
            return entries.iterator().hasNext();
        } catch (LinuxException e) {
            return false;
        }
    }
}
