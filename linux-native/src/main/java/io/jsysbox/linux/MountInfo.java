package io.jsysbox.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The mount table of /proc/self/mountinfo, in kernel order (a later entry at the same point is on top). */
public record MountInfo(List<Entry> entries) {
    /**
     * One line: mount point, the root of the mount within its filesystem, the mount's own options (ro, nosuid…),
     * fs type, and super-block options.
     */
    public record Entry(
            int id,
            int parentId,
            String root,
            Path mountPoint,
            String mountOptions,
            String fsType,
            String source,
            String superOptions) {
        public boolean hasSuperOption(String option) {
            return List.of(superOptions.split(",")).contains(option);
        }

        public boolean hasMountOption(String option) {
            return List.of(mountOptions.split(",")).contains(option);
        }
    }

    public static MountInfo read() throws IOException {
        return parse(Files.readString(Path.of("/proc/self/mountinfo")));
    }

    public static MountInfo parse(String text) {
        List<Entry> entries = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(" ");
            int separator = List.of(f).indexOf("-");
            if (separator < 6 || f.length < separator + 4) {
                throw new IllegalArgumentException("malformed mountinfo line: " + line);
            }
            entries.add(new Entry(
                    Integer.parseInt(f[0]),
                    Integer.parseInt(f[1]),
                    unescape(f[3]),
                    Path.of(unescape(f[4])),
                    f[5],
                    f[separator + 1],
                    unescape(f[separator + 2]),
                    unescape(f[separator + 3])));
        }
        return new MountInfo(List.copyOf(entries));
    }

    /** The mounts whose mount point is exactly {@code path}, bottom to top. */
    public List<Entry> at(Path path) {
        return entries.stream().filter(e -> e.mountPoint().equals(path)).toList();
    }

    /** The topmost mount whose mount point is exactly {@code path}. */
    public Optional<Entry> topmostAt(Path path) {
        Optional<Entry> found = Optional.empty();
        for (Entry e : entries) {
            if (e.mountPoint().equals(path)) {
                found = Optional.of(e);
            }
        }
        return found;
    }

    /**
     * Whether {@code mount} sits on {@code under}: mounted on it, or on mounts stacked at its own mount point that are.
     * A mount whose parent was covered later (a new procfs over /proc hides what was mounted inside the old one) does
     * not.
     */
    public boolean sitsOn(Entry mount, Entry under) {
        Entry current = mount;
        for (int hops = 0; hops <= entries.size(); hops++) {
            if (current.parentId() == under.id()) {
                return true;
            }
            int parentId = current.parentId();
            Optional<Entry> parent =
                    entries.stream().filter(e -> e.id() == parentId).findFirst();
            if (parent.isEmpty() || !parent.get().mountPoint().equals(mount.mountPoint())) {
                return false;
            }
            current = parent.get();
        }
        return false;
    }

    /** Every mount at or below {@code dir}, deepest (and latest) first: the order to unmount them in. */
    public List<Path> mountPointsUnder(Path dir) {
        List<Path> under = new ArrayList<>();
        for (Entry e : entries) {
            if (e.mountPoint().startsWith(dir)) {
                under.add(e.mountPoint());
            }
        }
        List<Path> ordered = new ArrayList<>(under.reversed());
        ordered.sort((a, b) -> Integer.compare(b.getNameCount(), a.getNameCount()));
        return ordered;
    }

    /** The topmost mount that {@code path} lies in (the deepest mount point above or at it). */
    public Optional<Entry> containing(Path path) {
        Optional<Entry> found = Optional.empty();
        for (Entry e : entries) {
            if (path.startsWith(e.mountPoint())
                    && (found.isEmpty()
                            || e.mountPoint().getNameCount()
                                    >= found.get().mountPoint().getNameCount())) {
                found = Optional.of(e);
            }
        }
        return found;
    }

    /** Mounts of one filesystem type, e.g. "cgroup". */
    public List<Entry> ofType(String fsType) {
        return entries.stream().filter(e -> e.fsType().equals(fsType)).toList();
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
    static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1) && isOctal(field, i + 2) && isOctal(field, i + 3)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int i) {
        return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7';
    }
}
