package io.jsysbox.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HostFilesTest {
    @Test
    void subIdRangeReadsTheUsersLineAndIgnoresOthers() {
        String subuid = "# pools\nalice:100000:65536\njsysbox:231072:268435456\njsysbox:1:2\n";
        assertEquals(Optional.of(new IdRange(231072, 268435456)), HostFiles.subIdRange(subuid, "jsysbox"));
        assertEquals(Optional.empty(), HostFiles.subIdRange(subuid, "jsysbo"));
        assertEquals(Optional.empty(), HostFiles.subIdRange("", "jsysbox"));
    }

    @Test
    void realUidIsTheFirstFieldOfTheUidLine() {
        String status =
                "Name:\tbash\nUmask:\t0022\nUid:\t165536\t165537\t165538\t165539\nGid:\t165536\t165536\t165536\t165536\n";
        assertEquals(165536, HostFiles.realUid(status));
        assertThrows(IllegalArgumentException.class, () -> HostFiles.realUid("Name:\tx\n"));
    }

    @Test
    void idMapLinesParseWithAnySpacing() {
        List<IdMapping> map = IdMapping.parseMap("         0     165536      65536\n");
        assertEquals(List.of(new IdMapping(0, 165536, 65536)), map);
        assertEquals(new IdRange(165536, 65536), map.getFirst().outsideRange());
        assertEquals(List.of(new IdMapping(0, 0, 4294967295L)), IdMapping.parseMap("0 0 4294967295"));
        assertThrows(IllegalArgumentException.class, () -> IdMapping.parseMap("0 1"));
    }

    @Test
    void mountPointsAreUnescaped() {
        String mountinfo = """
                22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
                98 22 0:50 / /run/jsysbox/mnt/3/a\\040b rw - overlay overlay rw,lowerdir=/x
                99 22 0:51 / /tmp/back\\134slash\\011tab rw - tmpfs tmpfs rw
                """;
        assertEquals(List.of("/", "/run/jsysbox/mnt/3/a b", "/tmp/back\\slash\ttab"), HostFiles.mountPoints(mountinfo));
        assertEquals("a\\08", HostFiles.unescapeOctal("a\\08"), "not an octal escape: kept as is");
        assertEquals("x\\04", HostFiles.unescapeOctal("x\\04"), "cut short: kept as is");
    }

    @Test
    void entriesNotOwnedByListsOnlyForeignOwners() {
        String ls = """
                total 64
                lrwxrwxrwx   1     0     0    7 Nov 22 23:59 bin -> usr/bin
                drwxr-xr-x   5     0     0  340 Nov 23 00:40 dev
                dr-xr-xr-x 170 65534 65534    0 Nov 23 00:40 proc
                drwxr-xr-x   2 65534     0 4096 Nov 22 23:59 home
                drwxrwxrwt   2     0    42 4096 Nov 22 23:59 tmp
                """;
        assertEquals(
                List.of(
                        "drwxr-xr-x   2 65534     0 4096 Nov 22 23:59 home",
                        "drwxrwxrwt   2     0    42 4096 Nov 22 23:59 tmp"),
                HostFiles.entriesNotOwnedBy(ls, 0, 0, List.of("proc")));
    }

    @Test
    void idRangesKnowContainmentAndOverlap() {
        IdRange pool = new IdRange(100000, 65536 * 4);
        IdRange first = new IdRange(100000, 65536);
        IdRange second = new IdRange(165536, 65536);
        assertTrue(pool.contains(first) && pool.contains(second));
        assertFalse(first.overlaps(second), "adjacent ranges do not overlap");
        assertTrue(first.overlaps(new IdRange(165535, 2)));
        assertTrue(first.contains(165535));
        assertFalse(first.contains(165536));
        assertFalse(pool.contains(new IdRange(99999, 2)));
    }

    @Test
    void meminfoAndFreeTotalsParse() {
        String meminfo = "MemTotal:         262144 kB\nMemFree:          200000 kB\nHugePages_Total:       0\n";
        assertEquals(262144, HostFiles.meminfoKb(meminfo, "MemTotal"));
        assertEquals(200000, HostFiles.meminfoKb(meminfo, "MemFree"));
        assertThrows(IllegalArgumentException.class, () -> HostFiles.meminfoKb(meminfo, "Mem"));
        String free = """
                               total        used        free      shared  buff/cache   available
                Mem:       268435456     1048576   267386880           0           0   267386880
                Swap:              0           0           0
                """;
        assertEquals(268435456L, HostFiles.freeTotal(free));
        assertThrows(IllegalArgumentException.class, () -> HostFiles.freeTotal("Swap: 0 0 0\n"));
    }

    @Test
    void cpuCountsSkipTheTotalLineAndOtherFields() {
        String cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\n\nprocessor\t: 1\nprocessors_x\t: 9\n";
        assertEquals(2, HostFiles.cpuinfoProcessors(cpuinfo));
        String stat =
                "cpu  10 0 5 100 0 0 0 0 0 0\ncpu0 10 0 5 100 0 0 0 0 0 0\nintr 1 2\ncpu12 1 0 0 0 0 0 0 0 0 0\nctxt "
                        + "5\n";
        assertEquals(2, HostFiles.statCpuLines(stat));
    }

    @Test
    void uptimeIsTheFirstOfTwoNumbers() {
        assertEquals(12.34, HostFiles.uptimeSeconds("12.34 20.00\n"));
        assertThrows(IllegalArgumentException.class, () -> HostFiles.uptimeSeconds(""));
        assertThrows(IllegalArgumentException.class, () -> HostFiles.uptimeSeconds("12.34"));
    }
}
