package io.jsysbox.runc;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/** runc's global flags (all passed on to runc) and the verb with its arguments, untouched. */
@Command(name = "jsysbox-runc", usageHelpAutoWidth = true,
        description = "OCI runtime for system containers: Docker, systemd and other system software run inside an "
                + "unprivileged container. A drop-in for runc, which it drives: see 'runc --help' for every verb's flags.",
        parameterListHeading = "%nArguments:%n", optionListHeading = "%nGlobal options (passed on to runc):%n",
        footer = {"", "create, run, delete and exec prepare or release the container with jsysbox-mgr; the other verbs "
                + "(start, state, kill, ps, pause, resume, events, update, features, spec, list, ...) are runc's own."})
final class GlobalOptions {
    @Option(names = "--root", paramLabel = "DIR", description = "root directory for the containers' state (runc's default: /run/runc)")
    String root;

    @Option(names = "--log", paramLabel = "FILE", description = "log file (runc's and jsysbox's errors)")
    String log;

    @Option(names = "--log-format", paramLabel = "FORMAT", description = "log format: text or json (default: text)")
    String logFormat;

    @Option(names = "--systemd-cgroup", description = "use systemd to manage cgroups")
    boolean systemdCgroup;

    @Option(names = "--debug", description = "debug logging (runc's)")
    boolean debug;

    @Option(names = "--criu", paramLabel = "PATH", description = "path to criu (checkpoint/restore)")
    String criu;

    @Option(names = "--rootless", paramLabel = "true|false|auto", description = "ignore cgroup permission errors")
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
        if (root != null) arguments.addAll(List.of("--root", root));
        if (log != null) arguments.addAll(List.of("--log", log));
        if (logFormat != null) arguments.addAll(List.of("--log-format", logFormat));
        if (systemdCgroup) arguments.add("--systemd-cgroup");
        if (debug) arguments.add("--debug");
        if (criu != null) arguments.addAll(List.of("--criu", criu));
        if (rootless != null) arguments.addAll(List.of("--rootless", rootless));
        return arguments;
    }

    boolean jsonLog() {
        return "json".equals(logFormat);
    }
}
