package io.jsysbox.mgr;

import io.jsysbox.linux.LinuxException;
import io.jsysbox.spec.HostRange;
import io.jsysbox.spec.Prepare.BindMount;
import io.jsysbox.spec.Prepare.MountReplacement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ID-mapped clones of bind-mount sources, so host uid 1000 shows as 1000 inside the container. A source is
 * never chowned: when its filesystem cannot be ID-mapped (proc, sysfs, some tmpfs…) it is left as it is.
 * Host system trees are never ID-mapped: through such a mount the container's root would own the host root's
 * files there (/etc/shadow, setuid binaries); unmapped they show as nobody and stay out of its reach.
 */
public final class BindMountMapper {
    private static final Logger LOG = LoggerFactory.getLogger(BindMountMapper.class);
    /** Sources that are, or lie under, one of these stay unmapped. "/" itself is checked separately. */
    private static final List<Path> HOST_SYSTEM_TREES = List.of(
                    "/etc",
                    "/usr",
                    "/bin",
                    "/sbin",
                    "/lib",
                    "/lib32",
                    "/lib64",
                    "/libx32",
                    "/boot",
                    "/root",
                    "/dev",
                    "/proc",
                    "/sys",
                    "/run/jsysbox",
                    "/var/lib/jsysbox")
            .stream()
            .map(Path::of)
            .toList();

    /** Whether ID-mapping {@code source} would hand host-root-owned system files to the container's root (pure). */
    static boolean isHostSystemTree(Path source) {
        Path normal = source.normalize();
        return normal.getNameCount() == 0 || HOST_SYSTEM_TREES.stream().anyMatch(normal::startsWith);
    }

    private final IdMappedMounts idmapped;

    public BindMountMapper(IdMappedMounts idmapped) {
        this.idmapped = idmapped;
    }

    public List<MountReplacement> map(
            String id, List<BindMount> binds, HostRange uids, HostRange gids, Path slotDir, ContainerState.Builder made)
            throws IOException {
        List<MountReplacement> replacements = new ArrayList<>();
        for (int i = 0; i < binds.size(); i++) {
            BindMount bind = binds.get(i);
            Path source = Path.of(bind.source());
            // A host path (the user's -v), not a container's: resolving its symlinks is safe and needed here.
            if (isHostSystemTree(source) || Files.exists(source) && isHostSystemTree(source.toRealPath())) {
                LOG.warn(
                        "{}: bind source {} (for {}) is a host system tree: mounted without ID mapping",
                        id,
                        source,
                        bind.destination());
                continue;
            }
            if (!Files.exists(source)) {
                LOG.info("{}: bind source {} does not exist; left to the runtime", id, source);
                continue;
            }
            Path target = slotDir.resolve("b" + i);
            if (Files.isDirectory(source)) {
                Files.createDirectory(target);
            } else {
                Files.createFile(target);
            }
            try {
                idmapped.attach(source, target, uids, gids, true, bind.readOnly());
            } catch (LinuxException e) {
                if (!IdMappedMounts.unsupported(e)) {
                    throw e;
                }
                LOG.info(
                        "{}: not ID-mapping bind source {} (for {}): {}",
                        id,
                        source,
                        bind.destination(),
                        e.getMessage());
                Files.delete(target);
                continue;
            }
            made.mounts.add(target.toString());
            replacements.add(new MountReplacement(bind.index(), target.toString()));
        }
        return replacements;
    }
}
