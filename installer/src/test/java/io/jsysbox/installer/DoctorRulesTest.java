package io.jsysbox.installer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The pure parts of jsysbox doctor: kernel version rules, line format, overall verdict, mount table, jsysbox-fs checks.
 */
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
    void aotCachesTrainedOnAnotherCpuAreANoteNamingThem() {
        String here = "cpu:type:x86,ven0002:feature:,0000,0001";
        var trained = new TreeMap<String, Optional<String>>(
                Map.of("fs", Optional.of(here), "runc", Optional.of("cpu:type:x86,ven0000:feature:,0000,0094")));
        Finding finding = Finding.aotCaches(trained, here);
        assertEquals(Finding.Verdict.NOTE, finding.verdict());
        assertTrue(finding.text().startsWith("runc trained on another CPU"), finding.line());

        trained.put("mgr", Optional.empty());
        assertTrue(
                Finding.aotCaches(trained, here).text().contains("; none for mgr;"),
                Finding.aotCaches(trained, here).line());

        trained.put("runc", Optional.of(here));
        trained.put("mgr", Optional.of(here));
        assertEquals(Finding.Verdict.OK, Finding.aotCaches(trained, here).verdict());
    }

    @Test
    void kernelVerdicts() {
        assertEquals(
                Finding.Verdict.OK, Finding.kernel(new KernelVersion(6, 18)).verdict());
        assertEquals(
                Finding.Verdict.NOTE, Finding.kernel(new KernelVersion(5, 15)).verdict());
        assertEquals(
                Finding.Verdict.FIX, Finding.kernel(new KernelVersion(5, 10)).verdict());
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
        assertEquals(
                "runc: ok (runc version 1.1.5)",
                Finding.ok("runc", "runc version 1.1.5").line());
        assertEquals(
                "runc: FIX: apt-get install runc",
                Finding.fix("runc", "apt-get install runc").line());
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
        assertEquals(
                List.of("/run/jsysbox/mnt/a b", "/run/jsysbox/mnt/1"),
                Installer.mountPointsBelow(mountinfo, Path.of("/run/jsysbox")),
                "deepest and latest first: the order to detach them in");
    }

    @Test
    void typesAtAPointAreListedBottomToTop() {
        String mountinfo = """
                22 1 0:21 / /var/lib rw - ext4 /dev/vda rw
                90 22 0:60 / /var/lib/jsysbox-fs rw,nosuid shared:5 - fuse.jsysbox-fs jsysbox-fs rw,user_id=0
                91 90 0:61 / /var/lib/jsysbox-fs rw master:1 shared:7 - tmpfs tmpfs rw
                92 22 0:62 / /var/lib/jsysbox-fs/proc rw - tmpfs tmpfs rw
                """;
        assertEquals(List.of("fuse.jsysbox-fs", "tmpfs"), FsMount.typesAt(mountinfo, Path.of("/var/lib/jsysbox-fs")));
        assertEquals(List.of(), FsMount.typesAt(mountinfo, Path.of("/var/lib/jsysbox")));
        assertEquals(
                List.of("fuse.jsysbox-fs"),
                FsMount.typesAt("7 1 0:1 / /a\\040b rw - fuse.jsysbox-fs x rw\n", Path.of("/a b")));
    }

    @Test
    void devFuseIsRequired() {
        assertEquals(Finding.Verdict.OK, Finding.devFuse(true).verdict());
        Finding missing = Finding.devFuse(false);
        assertEquals(Finding.Verdict.FIX, missing.verdict());
        assertTrue(missing.text().contains("modprobe fuse"), missing.text());
    }

    @Test
    void aSysctlIsReadWhole() throws Exception {
        String value = Doctor.read("/proc/sys/kernel/pid_max");
        assertEquals(
                Files.readAllLines(Path.of("/proc/sys/kernel/pid_max"))
                        .getFirst()
                        .strip(),
                value);
        assertTrue(value.length() > 1, "Files.readString gives a sysctl's first byte only: " + value);
    }

    @Test
    void withoutNetcatContainersStillStartThroughTheJavaCli() {
        assertEquals(Finding.Verdict.OK, Finding.launcher(true).verdict());
        assertEquals(Finding.Verdict.NOTE, Finding.launcher(false).verdict());
        assertTrue(Finding.launcher(false).text().contains("apt-get install netcat-openbsd"));
    }

    @Test
    void kubernetesNeedsIpOnlyWhereContainerdHasTheHandler() {
        assertEquals(Finding.Verdict.NOTE, Finding.kubernetes(false, false).verdict());
        assertEquals(Finding.Verdict.OK, Finding.kubernetes(true, true).verdict());
        Finding noIp = Finding.kubernetes(true, false);
        assertEquals(Finding.Verdict.FIX, noIp.verdict());
        assertTrue(noIp.text().contains("apt-get install iproute2"), noIp.text());
    }

    private static final Path MOUNT = Path.of("/var/lib/jsysbox-fs");
    private static final Commands.Result READ_OK = new Commands.Result(0, "123.45 67.89\n", "");

    @Test
    void aServingJsysboxFsMountIsFine() {
        assertEquals(
                Finding.Verdict.OK,
                Finding.fsMount(MOUNT, List.of("fuse.jsysbox-fs"), READ_OK).verdict());
    }

    @Test
    void aMountLeftByADeadDaemonSaysHowToClearIt() {
        Commands.Result enotconn = new Commands.Result(
                1, "", "cat: /var/lib/jsysbox-fs/proc/uptime: Transport endpoint is not connected\n");
        Finding stale = Finding.fsMount(MOUNT, List.of("fuse.jsysbox-fs"), enotconn);
        assertEquals(Finding.Verdict.FIX, stale.verdict());
        assertTrue(stale.text().contains("ENOTCONN"), stale.text());
        assertTrue(
                stale.text().contains("jsysbox start") && stale.text().contains("umount -l /var/lib/jsysbox-fs"),
                stale.text());
    }

    @Test
    void everyOtherMountProblemNeedsAFixOnOneLine() {
        List<Finding> findings = List.of(
                Finding.fsMount(MOUNT, List.of(), new Commands.Result(1, "", "not mounted")),
                Finding.fsMount(MOUNT, List.of("fuse.jsysbox-fs", "tmpfs"), READ_OK),
                Finding.fsMount(
                        MOUNT, List.of("fuse.jsysbox-fs"), new Commands.Result(124, "", "cat: no answer within 5s")),
                Finding.fsMount(
                        MOUNT, List.of("fuse.jsysbox-fs"), new Commands.Result(1, "", "cat: Permission denied")));
        for (Finding finding : findings) {
            assertEquals(Finding.Verdict.FIX, finding.verdict(), finding.line());
            assertFalse(finding.line().contains("\n"), finding.line());
        }
        assertTrue(
                findings.get(0).text().contains("jsysbox start"),
                findings.get(0).text());
        assertTrue(findings.get(1).text().contains("tmpfs"), findings.get(1).text());
        assertTrue(findings.get(2).text().contains("hangs"), findings.get(2).text());
        assertTrue(
                findings.get(3).text().contains("Permission denied"),
                findings.get(3).text());
    }

    @Test
    void appArmorVerdicts() {
        var enforce = Optional.of("enforce");
        var current = AppArmorSetup.ProfileFile.CURRENT;
        assertEquals(
                Finding.Verdict.OK,
                Finding.appArmor(false, false, AppArmorSetup.ProfileFile.MISSING, Optional.empty())
                        .verdict());
        assertEquals(
                Finding.Verdict.OK,
                Finding.appArmor(true, true, current, enforce).verdict());
        Finding noParser = Finding.appArmor(true, false, AppArmorSetup.ProfileFile.MISSING, Optional.empty());
        assertEquals(Finding.Verdict.NOTE, noParser.verdict());
        assertTrue(noParser.text().contains("apt-get install apparmor"), noParser.text());
        assertEquals(
                Finding.Verdict.FIX,
                Finding.appArmor(true, true, AppArmorSetup.ProfileFile.MISSING, Optional.empty())
                        .verdict());
        assertEquals(
                Finding.Verdict.FIX,
                Finding.appArmor(true, true, AppArmorSetup.ProfileFile.OUTDATED, enforce)
                        .verdict());
        Finding notLoaded = Finding.appArmor(true, true, current, Optional.empty());
        assertEquals(Finding.Verdict.FIX, notLoaded.verdict());
        assertTrue(
                notLoaded.text().contains("apparmor_parser -r -W /etc/apparmor.d/jsysbox-container"), notLoaded.text());
        assertEquals(
                Finding.Verdict.NOTE,
                Finding.appArmor(true, true, current, Optional.of("complain")).verdict());
    }

    @Test
    void selinuxVerdicts() {
        assertEquals(Finding.Verdict.OK, Finding.selinux("").verdict());
        assertEquals(Finding.Verdict.NOTE, Finding.selinux("0").verdict());
        Finding enforcing = Finding.selinux("1\n");
        assertEquals(Finding.Verdict.FIX, enforcing.verdict());
        assertTrue(enforcing.text().contains("not support"), enforcing.text());
    }
}
