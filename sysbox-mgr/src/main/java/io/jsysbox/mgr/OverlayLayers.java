package io.jsysbox.mgr;

import io.jsysbox.linux.MountInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The layers of an overlayfs mount, from its super-block options. Relative layer paths (Docker's overlay2
 * mounts with short {@code l/XXXX} paths from its driver root when the option string would be too long) are
 * resolved against {@code relativeTo}.
 */
public record OverlayLayers(List<Path> lowerDirs, Optional<Path> upperDir, Optional<Path> workDir) {

    /** The layers of the overlayfs mounted at {@code rootfs}, if that is what is mounted there. */
    public static Optional<OverlayLayers> of(MountInfo mounts, Path rootfs) {
        return mounts.topmostAt(rootfs)
                .filter(top -> top.fsType().equals("overlay"))
                .map(top -> parse(top.superOptions(), overlayDriverRoot(rootfs)));
    }

    /** Docker's overlay2 passes layer paths relative to its driver root ({@code <root>/<layer>/merged}). */
    private static Path overlayDriverRoot(Path rootfs) {
        Path layer = rootfs.getParent();
        return layer == null || layer.getParent() == null ? Path.of("/") : layer.getParent();
    }

    public static OverlayLayers parse(String superOptions, Path relativeTo) {
        List<Path> lowers = new ArrayList<>();
        Path upper = null;
        Path work = null;
        for (String option : splitUnescaped(superOptions, ',')) {
            int eq = option.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String key = option.substring(0, eq);
            String value = option.substring(eq + 1);
            switch (key) {
                case "lowerdir" -> {
                    // "::" separates data-only lower layers; they are lower layers all the same.
                    for (String dir : splitUnescaped(value, ':')) {
                        if (!dir.isEmpty()) {
                            lowers.add(resolve(relativeTo, dir));
                        }
                    }
                }
                case "lowerdir+", "datadir+" -> lowers.add(resolve(relativeTo, unescape(value)));
                case "upperdir" -> upper = resolve(relativeTo, unescape(value));
                case "workdir" -> work = resolve(relativeTo, unescape(value));
                default -> {}
            }
        }
        if (lowers.isEmpty()) {
            throw new IllegalArgumentException("overlay options name no lowerdir: " + superOptions);
        }
        if ((upper == null) != (work == null)) {
            throw new IllegalArgumentException("overlay has upperdir without workdir or the reverse: " + superOptions);
        }
        return new OverlayLayers(List.copyOf(lowers), Optional.ofNullable(upper), Optional.ofNullable(work));
    }

    /** The directory holding both upperdir and workdir, which must stay on one mount; empty for a read-only overlay. */
    public Optional<Path> upperLayerDir() {
        if (upperDir.isEmpty()) {
            return Optional.empty();
        }
        Path parent = upperDir.get().getParent();
        if (parent == null || !parent.equals(workDir.get().getParent())) {
            throw new IllegalArgumentException(
                    "upperdir " + upperDir.get() + " and workdir " + workDir.get() + " are not siblings");
        }
        return Optional.of(parent);
    }

    private static Path resolve(Path relativeTo, String dir) {
        Path p = Path.of(dir);
        return p.isAbsolute() ? p : relativeTo.resolve(p).normalize();
    }

    /** Splits on {@code separator} not preceded by a backslash, unescaping each part. */
    private static List<String> splitUnescaped(String s, char separator) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                current.append(c).append(s.charAt(++i));
            } else if (c == separator) {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        parts.add(current.toString());
        return parts.stream().map(p -> separator == ',' ? p : unescape(p)).toList();
    }

    private static String unescape(String s) {
        return s.replaceAll("\\\\(.)", "$1");
    }
}
