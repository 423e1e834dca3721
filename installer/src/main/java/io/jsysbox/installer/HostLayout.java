package io.jsysbox.installer;

import java.nio.file.Path;

/** Where jsysbox lives on the host (docs/ARCHITECTURE.md, "Host layout"). */
final class HostLayout {
    static final Path LIB = Path.of("/usr/local/lib/jsysbox");
    static final Path RUNC = Path.of("/usr/local/bin/jsysbox-runc");
    static final Path MGR = Path.of("/usr/local/bin/jsysbox-mgr");
    static final Path RUN_DIR = Path.of("/run/jsysbox");
    static final Path MGR_SOCKET = RUN_DIR.resolve("mgr.sock");
    static final Path MGR_PID = RUN_DIR.resolve("mgr.pid");
    static final Path SUPERVISOR_PID = RUN_DIR.resolve("supervisor.pid");
    /** The plain supervisor script, written by {@code jsysbox install} next to the installer's jars. */
    static final Path SUPERVISOR = LIB.resolve("installer/jsysbox-supervise");
    static final Path LOG_DIR = Path.of("/var/log/jsysbox");
    static final Path MGR_LOG = LOG_DIR.resolve("mgr.log");
    static final Path SUBUID = Path.of("/etc/subuid");
    static final Path SUBGID = Path.of("/etc/subgid");
    static final Path DAEMON_JSON = Path.of("/etc/docker/daemon.json");
    /** The daemon.json found before the first install, kept once and never overwritten. */
    static final Path DAEMON_JSON_BACKUP = Path.of("/etc/docker/daemon.json.before-jsysbox");
    static final Path SYSTEMD_UNIT = Path.of("/etc/systemd/system/jsysbox-mgr.service");
    static final String RUNTIME_NAME = "jsysbox";

    private HostLayout() {}
}
