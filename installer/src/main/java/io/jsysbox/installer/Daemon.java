package io.jsysbox.installer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The long-running jsysbox programs, in the order they start: jsysbox-fs first, because the manager refuses to
 * prepare a container while jsysbox-fs does not answer. Every host path of a daemon follows from its short name,
 * so the supervisor, the systemd units and the CLI cannot disagree about them. Pure.
 */
enum Daemon {
    FS("fs", "io.jsysbox.fs.Main", true),
    MGR("mgr", "io.jsysbox.mgr.Main", false);

    private final String id;
    private final String mainClass;
    private final boolean holdsFuseConnection;

    Daemon(String id, String mainClass, boolean holdsFuseConnection) {
        this.id = id;
        this.mainClass = mainClass;
        this.holdsFuseConnection = holdsFuseConnection;
    }

    static List<Daemon> startOrder() {
        return List.of(values());
    }

    /** Reverse start order: the manager goes before the file system it relies on. */
    static List<Daemon> stopOrder() {
        return startOrder().reversed();
    }

    String binary() {
        return "jsysbox-" + id;
    }

    /** The main class, which the daemon's command line names (pid files outlive their process; pids get reused). */
    String mainClass() {
        return mainClass;
    }

    Path launcher() {
        return HostLayout.BIN.resolve(binary());
    }

    /** Where install.sh copies the jars; its modification time is when this daemon was last updated. */
    Path installDir() {
        return HostLayout.LIB.resolve(id);
    }

    Path socket() {
        return HostLayout.RUN_DIR.resolve(id + ".sock");
    }

    /** Written by the daemon once it serves (and by the plain supervisor when it spawns it). */
    Path pidFile() {
        return HostLayout.RUN_DIR.resolve(id + ".pid");
    }

    Path supervisorPidFile() {
        return HostLayout.RUN_DIR.resolve(id + "-supervisor.pid");
    }

    Path log() {
        return HostLayout.LOG_DIR.resolve(id + ".log");
    }

    /** The systemd unit's name, also the name of its template among the installer's resources. */
    String unit() {
        return binary() + ".service";
    }

    Path unitFile() {
        return HostLayout.SYSTEMD_DIR.resolve(unit());
    }

    /**
     * Whether the daemon serves a FUSE connection its supervisor keeps open across the daemon's restarts (so running
     * containers keep their files): restarting it must then restart the daemon alone, never its supervisor.
     */
    boolean holdsFuseConnection() {
        return holdsFuseConnection;
    }

    /**
     * How the plain supervisor is started for this daemon: everything it needs comes from here, not from the script.
     */
    List<String> supervisorCommand() {
        List<String> command = new ArrayList<>(List.of(
                HostLayout.SUPERVISOR.toString(),
                supervisorPidFile().toString(),
                pidFile().toString(),
                log().toString(),
                launcher().toString()));
        if (holdsFuseConnection) {
            command.add("--hold-dev-fuse");
        }
        return List.copyOf(command);
    }
}
