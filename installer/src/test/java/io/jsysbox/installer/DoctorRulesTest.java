package io.jsysbox.installer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pure parts of jsysbox doctor: kernel version rules, line format, overall verdict, mount table. */
class DoctorRulesTest {
    @Test
    void kernelReleaseStringsParse() {
        assertEquals(new KernelVersion(6, 18), KernelVersion.parse("6.18.44-fc-v669"));
        assertEquals(new KernelVersion(5, 4), KernelVersion.parse("5.4.0-150-generic\n"));
        assertThrows(IllegalArgumentException.class, () -> KernelVersion.parse("linux"));
    }

    @Test
    void versionsCompareNumericallyNotAsText() {
        assertTrue(new KernelVersion(5, 19).atLeast(5, 12));
        assertTrue(new KernelVersion(6, 1).atLeast(5, 19));
        assertFalse(new KernelVersion(5, 9).atLeast(5, 12));
        assertTrue(new KernelVersion(5, 12).atLeast(5, 12));
    }

    @Test
    void kernelVerdicts() {
        assertEquals(Finding.Verdict.OK, Finding.kernel(new KernelVersion(6, 18)).verdict());
        assertEquals(Finding.Verdict.NOTE, Finding.kernel(new KernelVersion(5, 15)).verdict());
        assertEquals(Finding.Verdict.FIX, Finding.kernel(new KernelVersion(5, 10)).verdict());
    }

    @Test
    void userNamespaceLimits() {
        assertEquals(Finding.Verdict.FIX, Finding.userNamespaces("0").verdict());
        assertEquals(Finding.Verdict.FIX, Finding.userNamespaces("").verdict());
        assertEquals(Finding.Verdict.NOTE, Finding.userNamespaces("9").verdict());
        assertEquals(Finding.Verdict.OK, Finding.userNamespaces("63434").verdict());
    }

    @Test
    void linesAndOverallVerdict() {
        assertEquals("root: ok", Finding.ok("root", "").line());
        assertEquals("runc: ok (runc version 1.1.5)", Finding.ok("runc", "runc version 1.1.5").line());
        assertEquals("runc: FIX: apt-get install runc", Finding.fix("runc", "apt-get install runc").line());
        assertTrue(Finding.allFine(List.of(Finding.ok("a", ""), Finding.note("b", "x"))));
        assertFalse(Finding.allFine(List.of(Finding.ok("a", ""), Finding.fix("b", "x"))));
    }

    @Test
    void mountPointsBelowADirectoryAreFoundAndUnescaped() {
        String mountinfo = """
                22 1 0:21 / /run rw - tmpfs tmpfs rw
                40 22 0:33 / /run/jsysbox/mnt/1 rw - ext4 /dev/sda rw
                41 22 0:34 / /run/jsysbox/mnt/a\\040b rw - ext4 /dev/sda rw
                42 22 0:35 / /run/jsysboxother rw - tmpfs tmpfs rw
                """;
        assertEquals(List.of("/run/jsysbox/mnt/1", "/run/jsysbox/mnt/a b"), MountTable.mountPointsBelow(mountinfo, "/run/jsysbox"));
    }
}
