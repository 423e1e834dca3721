package io.jsysbox.runc;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** runc's global flags (all passed on to runc) and the verb with its arguments, untouched. */
final class GlobalOptions {
    static final String ROOT = "--root",
            LOG = "--log",
            LOG_FORMAT = "--log-format",
            CRIU = "--criu",
            ROOTLESS = "--rootless";
    static final String SYSTEMD_CGROUP = "--systemd-cgroup", DEBUG = "--debug", VERSION = "--version";
    /** runc's global flags, by whether they take a value; what the hot path in {@link Main} recognizes. */
    static final Set<String> VALUE_FLAGS = Set.of(ROOT, LOG, LOG_FORMAT, CRIU, ROOTLESS);

    static final Set<String> BOOLEAN_FLAGS = Set.of(SYSTEMD_CGROUP, DEBUG);

    static final CommandSyntax SYNTAX = new CommandSyntax(
                    "jsysbox-runc",
                    "OCI runtime for system containers: Docker, systemd and other system software run inside an "
                            + "unprivileged container. A drop-in for runc, which it drives: see 'runc --help' for "
                            + "every verb's flags. Global options other than help and version are passed on to runc.")
            .value(ROOT, "DIR", "root directory for the containers' state (runc's default: /run/runc)")
            .value(LOG, "FILE", "log file (runc's and jsysbox's errors)")
            .value(LOG_FORMAT, "FORMAT", "log format: text or json (default: text)")
            .flag(SYSTEMD_CGROUP, "use systemd to manage cgroups")
            .flag(DEBUG, "debug logging (runc's)")
            .value(CRIU, "PATH", "path to criu (checkpoint/restore)")
            .value(ROOTLESS, "true|false|auto", "ignore cgroup permission errors")
            .flag("-v, " + VERSION, "print the version of jsysbox-runc and runc")
            .remaining("COMMAND")
            .footer("create, run and exec prepare the container with jsysbox-mgr, which releases it when its init "
                    + "exits; the other verbs (start, state, kill, delete, ps, pause, resume, events, update, "
                    + "features, spec, list, ...) are runc's own.");

    String root;
    String log;
    String logFormat;
    boolean systemdCgroup;
    boolean debug;
    String criu;
    String rootless;
    boolean help;
    boolean version;
    /** The verb, its flags and arguments, verbatim. */
    List<String> verbAndArguments = List.of();

    void set(CommandSyntax.Parsed parsed) {
        root = parsed.value(ROOT);
        log = parsed.value(LOG);
        logFormat = parsed.value(LOG_FORMAT);
        systemdCgroup = parsed.has(SYSTEMD_CGROUP);
        debug = parsed.has(DEBUG);
        criu = parsed.value(CRIU);
        rootless = parsed.value(ROOTLESS);
        help = parsed.help();
        version = parsed.has(VERSION);
        verbAndArguments = parsed.operands();
    }

    /** The global flags as runc takes them, in a fixed order. */
    List<String> runcArguments() {
        List<String> arguments = new ArrayList<>();
        if (root != null) {
            arguments.addAll(List.of(ROOT, root));
        }
        if (log != null) {
            arguments.addAll(List.of(LOG, log));
        }
        if (logFormat != null) {
            arguments.addAll(List.of(LOG_FORMAT, logFormat));
        }
        if (systemdCgroup) {
            arguments.add(SYSTEMD_CGROUP);
        }
        if (debug) {
            arguments.add(DEBUG);
        }
        if (criu != null) {
            arguments.addAll(List.of(CRIU, criu));
        }
        if (rootless != null) {
            arguments.addAll(List.of(ROOTLESS, rootless));
        }
        return arguments;
    }

    boolean jsonLog() {
        return "json".equals(logFormat);
    }
}
