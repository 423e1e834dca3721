package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A container's init process as the host sees it. */
public record InitProcess(long pid, long hostUid, List<IdMapping> uidMap, List<IdMapping> gidMap) {
    /** The size of the range every system container gets. */
    public static final long RANGE_SIZE = 65536;

    public static InitProcess of(String container) {
        long pid = Docker.pid(container);
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            return new InitProcess(
                    pid,
                    HostFiles.realUid(Files.readString(proc.resolve("status"))),
                    IdMapping.parseMap(Files.readString(proc.resolve("uid_map"))),
                    IdMapping.parseMap(Files.readString(proc.resolve("gid_map"))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/" + pid + " of container " + container, e);
        }
    }

    /** The host uids of the container: its uid_map must be the single line {@code 0 <start> 65536}. */
    public IdRange uidRange() {
        return singleRange("uid_map", uidMap);
    }

    public IdRange gidRange() {
        return singleRange("gid_map", gidMap);
    }

    private IdRange singleRange(String file, List<IdMapping> map) {
        assertEquals(1, map.size(), "/proc/" + pid + "/" + file + " should have one line: " + map);
        IdMapping only = map.getFirst();
        assertEquals(0, only.inside(), "/proc/" + pid + "/" + file + " should map container id 0: " + only);
        assertEquals(RANGE_SIZE, only.count(), "/proc/" + pid + "/" + file + " should map 65536 ids: " + only);
        return only.outsideRange();
    }
}
