package io.jsysbox.installer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsysbox.api.UnixChannels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The daemons' order and host paths, and the supervision files (units, supervisor script) that must agree with them.
 */
class DaemonTest {
    @Test
    void theFileSystemStartsBeforeTheManagerAndStopsAfterIt() {
        assertEquals(List.of(Daemon.FS, Daemon.MGR), Daemon.startOrder());
        assertEquals(List.of(Daemon.MGR, Daemon.FS), Daemon.stopOrder());
    }

    @Test
    void everyPathFollowsTheShortName() {
        Daemon fs = Daemon.FS;
        assertEquals("jsysbox-fs", fs.binary());
        assertEquals(Path.of("/usr/local/bin/jsysbox-fs"), fs.launcher());
        assertEquals(Path.of("/usr/local/lib/jsysbox/fs"), fs.installDir());
        assertEquals(Path.of("/run/jsysbox/fs.sock"), fs.socket());
        assertEquals(Path.of("/run/jsysbox/fs.pid"), fs.pidFile());
        assertEquals(Path.of("/run/jsysbox/fs-supervisor.pid"), fs.supervisorPidFile());
        assertEquals(Path.of("/var/log/jsysbox/fs.log"), fs.log());
        assertEquals(Path.of("/etc/systemd/system/jsysbox-fs.service"), fs.unitFile());
    }

    @Test
    void theManagerKeepsThePathsItsClientsUse() {
        assertEquals(UnixChannels.MANAGER_SOCKET, Daemon.MGR.socket());
        assertEquals(Path.of("/usr/local/bin/jsysbox-mgr"), Daemon.MGR.launcher());
        assertEquals(Path.of("/var/log/jsysbox/mgr.log"), Daemon.MGR.log());
    }

    @Test
    void eachSupervisorIsToldItsDaemonsPaths() {
        assertEquals(
                List.of(
                        "/usr/local/lib/jsysbox/jsysbox-supervise",
                        "/run/jsysbox/fs-supervisor.pid",
                        "/run/jsysbox/fs.pid",
                        "/var/log/jsysbox/fs.log",
                        "/usr/local/bin/jsysbox-fs",
                        "--hold-dev-fuse"),
                Daemon.FS.supervisorCommand());
        // Each supervisor is found by its own pid file in its command line: no two daemons may share one.
        assertEquals(
                Daemon.values().length,
                Daemon.startOrder().stream()
                        .map(Daemon::supervisorPidFile)
                        .distinct()
                        .count());
    }

    @Test
    void unitFilesRunTheLaunchersAndLogWhereTheCliLooks() {
        for (Daemon daemon : Daemon.values()) {
            String unit = HostFiles.resource(daemon.unit());
            assertTrue(unit.contains("\nExecStart=" + daemon.launcher() + "\n"), daemon.unit());
            assertTrue(unit.contains("\nStandardOutput=append:" + daemon.log() + "\n"), daemon.unit());
            assertTrue(unit.contains("\nStandardError=append:" + daemon.log() + "\n"), daemon.unit());
            assertTrue(unit.contains("\nRestart=always\n"), daemon.unit());
        }
    }

    @Test
    void unitsCountADaemonStartedWhenItSaysSoAndWaitForASlowHost() {
        for (Daemon daemon : Daemon.values()) {
            String unit = HostFiles.resource(daemon.unit());
            assertTrue(unit.contains("\nType=notify\n"), daemon.unit());
            // The installer's systemctl waits longer than this (Supervision.Systemd), so systemd reports a failed
            // start.
            assertTrue(unit.contains("\nTimeoutStartSec=300\n"), daemon.unit());
        }
    }

    @Test
    void theFuseConnectionAndSeccompListenersOutliveARestartButNotAStop() {
        String fs = HostFiles.resource(Daemon.FS.unit());
        assertTrue(
                fs.contains("\nFileDescriptorStoreMax=16384\n"),
                "the FUSE fd and a seccomp listener per container process");
        assertFalse(fs.contains("\nFileDescriptorStorePreserve="), "a stop must end the connection");
        String stopPost = fs.lines()
                .filter(l -> l.startsWith("ExecStopPost="))
                .findFirst()
                .orElseThrow();
        assertTrue(stopPost.contains("\"" + Daemon.FS.unit() + " stop\""), stopPost);
        assertTrue(stopPost.contains("umount --lazy " + HostLayout.FS_MOUNT + ";"), stopPost);
    }

    @Test
    void eitherDaemonRestartsWithoutTheOther() {
        String mgr = HostFiles.resource(Daemon.MGR.unit());
        for (String propagating : List.of("Requires=", "BindsTo=", "PartOf=", "Requisite=")) {
            assertFalse(mgr.contains("\n" + propagating), "jsysbox-mgr.service " + propagating);
        }
    }

    @Test
    void systemdStartsTheFileSystemFirst() {
        String mgr = HostFiles.resource(Daemon.MGR.unit());
        assertTrue(mgr.contains("\nAfter=" + Daemon.FS.unit() + "\n"));
        assertTrue(mgr.contains("\nWants=" + Daemon.FS.unit() + "\n"));
        assertTrue(HostFiles.resource(Daemon.FS.unit()).contains("Before=" + Daemon.MGR.unit()));
    }

    @Test
    void theSupervisorScriptNamesNoDaemon() {
        String script = HostFiles.resource("jsysbox-supervise");
        for (Daemon daemon : Daemon.values()) {
            assertFalse(script.contains(daemon.binary()), "jsysbox-supervise hard-codes " + daemon.binary());
        }
    }
}
