package io.jsysbox.installer;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Plans the {@code jsysbox} line of /etc/subuid and /etc/subgid. Pure: text in, text out.
 * The same start is used in both files so a container's uid and gid ranges line up.
 */
public final class SubIdPlan {
    public static final String OWNER = "jsysbox";
    /** One container range; the pool is a whole number of them. */
    public static final long RANGE = 65536;
    /** 4096 container ranges: 2^28 ids, far below the 2^32 id space. */
    public static final long POOL_SIZE = RANGE * 4096;
    /** Below this, ids belong to the host's ordinary users (useradd hands out 100000-165535 first). */
    static final long LOWEST_START = 165536;

    public record Entry(String owner, long start, long count) {
        long end() {
            return start + count;
        }

        boolean overlaps(long otherStart, long otherCount) {
            return start < otherStart + otherCount && otherStart < end();
        }

        String line() {
            return owner + ":" + start + ":" + count;
        }
    }

    /** The pool and the new file texts (equal to the inputs when nothing had to change). */
    public record Result(Entry pool, String subuid, String subgid) {}

    private SubIdPlan() {}

    /** Adds the jsysbox entry where it is missing; keeps an existing one. */
    public static Result plan(String subuid, String subgid) {
        List<Entry> uids = parse(subuid);
        List<Entry> gids = parse(subgid);
        Optional<Entry> uid = find(uids);
        Optional<Entry> gid = find(gids);
        Entry pool;
        if (uid.isPresent() && gid.isPresent()) {
            if (!uid.get().equals(gid.get())) {
                throw new IllegalStateException(
                        "the jsysbox entries of /etc/subuid (" + uid.get().line() + ") and /etc/subgid ("
                                + gid.get().line() + ") differ: make them equal or delete both and install again");
            }
            return new Result(uid.get(), subuid, subgid);
        } else if (uid.isPresent() || gid.isPresent()) {
            pool = uid.orElseGet(gid::get);
            List<Entry> other = uid.isPresent() ? gids : uids;
            for (Entry e : other) {
                if (e.overlaps(pool.start(), pool.count())) {
                    throw new IllegalStateException("the existing jsysbox range " + pool.line() + " overlaps "
                            + e.line() + " in /etc/sub" + (uid.isPresent() ? "gid" : "uid")
                            + ": remove the jsysbox line and install again");
                }
            }
        } else {
            List<Entry> all = new ArrayList<>(uids);
            all.addAll(gids);
            pool = new Entry(OWNER, nextStart(all), POOL_SIZE);
        }
        return new Result(
                pool, uid.isPresent() ? subuid : append(subuid, pool), gid.isPresent() ? subgid : append(subgid, pool));
    }

    /** The file text without jsysbox lines. */
    public static String withoutEntry(String text) {
        return text.lines()
                .filter(line -> !line.trim().startsWith(OWNER + ":"))
                .map(line -> line + "\n")
                .collect(Collectors.joining());
    }

    /** Lowest RANGE-aligned start at or above LOWEST_START and above every existing entry. */
    static long nextStart(List<Entry> entries) {
        long floor = Math.max(
                LOWEST_START, entries.stream().mapToLong(Entry::end).max().orElse(0));
        return (floor + RANGE - 1) / RANGE * RANGE;
    }

    /**
     * Well-formed {@code name:start:count} lines; comments and malformed lines are kept in the text but ignored here.
     */
    static List<Entry> parse(String text) {
        List<Entry> entries = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split(":");
            if (f.length != 3 || f[0].isEmpty() || f[0].startsWith("#")) {
                continue;
            }
            try {
                entries.add(new Entry(f[0], Long.parseLong(f[1]), Long.parseLong(f[2])));
            } catch (NumberFormatException malformed) {
                // not an entry the kernel tools would use either
            }
        }
        return entries;
    }

    static Optional<Entry> find(List<Entry> entries) {
        return entries.stream().filter(e -> e.owner().equals(OWNER)).findFirst();
    }

    private static String append(String text, Entry entry) {
        String base = text.isEmpty() || text.endsWith("\n") ? text : text + "\n";
        return base + entry.line() + "\n";
    }
}
