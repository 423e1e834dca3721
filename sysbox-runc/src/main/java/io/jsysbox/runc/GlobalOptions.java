package io.jsysbox.runc;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** runc's global flags (all passed on to runc) and the verb with its arguments, untouched. */
@Command(name = "jsysbox-runc", usageHelpAutoWidth = true,
        description = "OCI runtime for system containers: Docker, systemd and other system software run inside an "
                + "unprivileged container. A drop-in for runc, which it drives: see 'runc --help' for every verb's flags.",
        parameterListHeading = "%nArguments:%n", optionListHeading = "%nGlobal options (passed on to runc):%n",
        footer = {"", "create, run and exec prepare the container with jsysbox-mgr, which releases it when its init exits; the other "
                + "verbs (start, state, kill, delete, ps, pause, resume, events, update, features, spec, list, ...) are runc's own."})
final class GlobalOptions {
    static final String ROOT = "--root", LOG = "--log", LOG_FORMAT = "--log-format", CRIU = "--criu", ROOTLESS = "--rootless";
    static final String SYSTEMD_CGROUP = "--systemd-cgroup", DEBUG = "--debug";
    /** runc's global flags, by whether they take a value; what the hot path in {@link Main} recognizes. */
    static final Set<String> VALUE_FLAGS = Set.of(ROOT, LOG, LOG_FORMAT, CRIU, ROOTLESS);
    static final Set<String> BOOLEAN_FLAGS = Set.of(SYSTEMD_CGROUP, DEBUG);

    @Option(names = ROOT, paramLabel = "DIR", description = "root directory for the containers' state (runc's default: /run/runc)")
    String root;

    @Option(names = LOG, paramLabel = "FILE", description = "log file (runc's and jsysbox's errors)")
    String log;

    @Option(names = LOG_FORMAT, paramLabel = "FORMAT", description = "log format: text or json (default: text)")
    String logFormat;

    @Option(names = SYSTEMD_CGROUP, description = "use systemd to manage cgroups")
    boolean systemdCgroup;

    @Option(names = DEBUG, description = "debug logging (runc's)")
    boolean debug;

    @Option(names = CRIU, paramLabel = "PATH", description = "path to criu (checkpoint/restore)")
    String criu;

    @Option(names = ROOTLESS, paramLabel = "true|false|auto", description = "ignore cgroup permission errors")
    String rootless;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    @Option(names = {"-v", "--version"}, versionHelp = true, description = "print the version of jsysbox-runc and runc")
    boolean version;

    @Parameters(paramLabel = "COMMAND", description = "a runc verb and its flags and arguments")
    List<String> verbAndArguments = new ArrayList<>();

    /** The global flags as runc takes them, in a fixed order. */
    List<String> runcArguments() {
        List<String> arguments = new ArrayList<>();
        if (root != null) arguments.addAll(List.of(ROOT, root));
        if (log != null) arguments.addAll(List.of(LOG, log));
        if (logFormat != null) arguments.addAll(List.of(LOG_FORMAT, logFormat));
        if (systemdCgroup) arguments.add(SYSTEMD_CGROUP);
        if (debug) arguments.add(DEBUG);
        if (criu != null) arguments.addAll(List.of(CRIU, criu));
        if (rootless != null) arguments.addAll(List.of(ROOTLESS, rootless));
        return arguments;
    }

    boolean jsonLog() {
        return "json".equals(logFormat);
    }
}
