package io.jsysbox.installer;

import java.nio.file.Path;

/** Where jsysbox lives on the host (docs/ARCHITECTURE.md, "Host layout"). */
final class HostLayout {
    static final Path LIB = Path.of("/usr/local/lib/jsysbox");
    static final Path BIN = Path.of("/usr/local/bin");
    static final Path RUNC = BIN.resolve("jsysbox-runc");
    static final Path RUN_DIR = Path.of("/run/jsysbox");
    /**
     * The plain supervisor script, written by {@code jsysbox install}. Not among the installer's jars: install.sh
     * replaces that directory on every update, and a new file there would look like a new script to every running
     * supervisor, restarting the daemons for nothing.
     */
    static final Path SUPERVISOR = LIB.resolve("jsysbox-supervise");
    /** Where installs before jsysbox-fs kept the pid of their one supervisor (of jsysbox-mgr alone). */
    static final Path LEGACY_SUPERVISOR_PID = RUN_DIR.resolve("supervisor.pid");

    static final Path LOG_DIR = Path.of("/var/log/jsysbox");
    /** jsysbox-fs's FUSE mount (its --mount-dir default): the sources of the containers' virtual files. */
    static final Path FS_MOUNT = Path.of("/var/lib/jsysbox-fs");

    static final Path DEV_FUSE = Path.of("/dev/fuse");
    /** The kernel's list of this CPU's features: what an AOT cache's code depends on (install.sh records it). */
    static final Path CPU_MODALIAS = Path.of("/sys/devices/system/cpu/modalias");

    static final Path SUBUID = Path.of("/etc/subuid");
    static final Path SUBGID = Path.of("/etc/subgid");
    static final Path DAEMON_JSON = Path.of("/etc/docker/daemon.json");
    /** containerd's config, where the CRI runtime handler jsysbox is registered (install --containerd). */
    static final Path CONTAINERD_CONFIG = Path.of("/etc/containerd/config.toml");
    /** The daemon.json found before the first install, kept once and never overwritten. */
    static final Path DAEMON_JSON_BACKUP = Path.of("/etc/docker/daemon.json.before-jsysbox");

    static final Path SYSTEMD_DIR = Path.of("/etc/systemd/system");
    static final String RUNTIME_NAME = "jsysbox";

    private HostLayout() {}
}
