package io.jsysbox.fs;

import io.jsysbox.linux.Libc;
import io.jsysbox.linux.Linux;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What jsysbox-fs reads about host processes under /proc: pid namespace, root uid and gid. */
final class Processes {
    /** NS_GET_PARENT = _IO(0xb7, 0x2): a descriptor of the parent of a pid namespace. */
    private static final long NS_GET_PARENT = 0xb702;

    private Processes() {}

    /** The inode number of {@code pid}'s pid namespace; -1 when the process is gone. */
    static long pidNamespace(long pid) {
        try {
            return parseNamespaceLink(
                    Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/pid")).toString());
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * The pid namespaces {@code pid}'s own one is nested in, innermost first, up to (not including) the
     * daemon's, which the kernel refuses to go above. Empty when the process is gone.
     */
    static List<Long> parentPidNamespaces(long pid) {
        List<Long> parents = new ArrayList<>();
        int fd = Libc.open("/proc/" + pid + "/ns/pid", Linux.O_RDONLY | Linux.O_CLOEXEC);
        while (fd >= 0) {
            int parent = Libc.ioctl(fd, NS_GET_PARENT);
            Libc.close(fd);
            fd = parent;
            if (fd >= 0) {
                try {
                    parents.add(parseNamespaceLink(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd))
                            .toString()));
                } catch (IOException e) {
                    Libc.close(fd);
                    break;
                }
            }
        }
        return parents;
    }

    /**
     * The host uid that is uid 0 in {@code pid}'s user namespace (0 outside a user namespace); -1 when gone or
     * unmapped.
     */
    static long rootUid(long pid) {
        return rootId(pid, "uid_map");
    }

    /**
     * The host gid that is gid 0 in {@code pid}'s user namespace (0 outside a user namespace); -1 when gone or
     * unmapped.
     */
    static long rootGid(long pid) {
        return rootId(pid, "gid_map");
    }

    /** How many host uids {@code pid}'s user namespace maps from uid 0 on (its range); -1 when gone or unmapped. */
    static long rootUidCount(long pid) {
        try {
            return parseRootIdCount(Files.readString(Path.of("/proc/" + pid + "/uid_map")));
        } catch (IOException e) {
            return -1;
        }
    }

    private static long rootId(long pid, String map) {
        try {
            return parseRootId(Files.readString(Path.of("/proc/" + pid + "/" + map)));
        } catch (IOException e) {
            return -1;
        }
    }

    /** "pid:[4026531836]" → 4026531836. */
    static long parseNamespaceLink(String link) {
        int open = link.indexOf('[');
        int close = link.indexOf(']');
        if (open < 0 || close < open) {
            throw new IllegalArgumentException("not a namespace link: " + link);
        }
        return Long.parseLong(link.substring(open + 1, close));
    }

    /** uid_map and gid_map lines "INSIDE OUTSIDE COUNT": the OUTSIDE of the range holding inside id 0, or -1. */
    static long parseRootId(String idMap) {
        String[] line = rootLine(idMap);
        return line == null ? -1 : Long.parseLong(line[1]);
    }

    /** uid_map lines "INSIDE OUTSIDE COUNT": the COUNT of the range holding inside id 0, or -1. */
    static long parseRootIdCount(String idMap) {
        String[] line = rootLine(idMap);
        return line == null ? -1 : Long.parseLong(line[2]);
    }

    private static String[] rootLine(String idMap) {
        for (String line : idMap.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && Long.parseLong(f[0]) == 0) {
                return f;
            }
        }
        return null;
    }
}
