package io.jsysbox.installer;

import java.io.PrintStream;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jsysbox}: install, uninstall, supervise and diagnose jsysbox on this host. */
@Command(
        name = "jsysbox",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description =
                "Installs jsysbox on this host and reports on it. installer/install.sh builds the binaries and runs "
                        + "'jsysbox install'.")
public final class Main {
    private final PrintStream out = System.out;

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            String message = e instanceof InstallException
                            || e instanceof IllegalArgumentException
                            || e instanceof IllegalStateException
                    ? e.getMessage()
                    : e.toString();
            command.getErr().println("jsysbox " + command.getCommandName() + ": " + message);
            return 1;
        });
        System.exit(cli.execute(args));
    }

    @Command(
            description =
                    "Load jsysbox's AppArmor profile where AppArmor is on, add the subuid/subgid pool, register the "
                            + "runtime with Docker, start the supervised daemons (jsysbox-fs, jsysbox-mgr).")
    int install(
            @Option(
                            names = "--default-runtime",
                            description = "also make jsysbox Docker's default runtime "
                                    + "(classic docker build RUN steps then run in system containers)")
                    boolean defaultRuntime,
            @Option(
                            names = "--containerd",
                            description = "also add the CRI runtime handler 'jsysbox' to containerd's "
                                    + "config.toml (for a Kubernetes RuntimeClass), keeping the rest, and "
                                    + "restart containerd")
                    boolean containerd) {
        new Installer(out).install(defaultRuntime, containerd);
        return 0;
    }

    @Command(
            name = "default-runtime",
            description = "Set Docker's default runtime (jsysbox or runc) in daemon.json and reload dockerd.")
    int defaultRuntime(
            @picocli.CommandLine.Parameters(paramLabel = "RUNTIME", description = "jsysbox or runc") String name) {
        if (!List.of(HostLayout.RUNTIME_NAME, "runc").contains(name)) {
            throw new IllegalArgumentException("default runtime must be jsysbox or runc, got '" + name + "'");
        }
        new Installer(out).setDefaultRuntime(name);
        return 0;
    }

    @Command(
            description =
                    "Stop the daemons and undo what install did (binaries are removed by install.sh --uninstall).")
    int uninstall(
            @Option(names = "--force", description = "remove running jsysbox containers instead of refusing")
                    boolean force) {
        new Installer(out).uninstall(force);
        return 0;
    }

    @Command(description = "Start jsysbox-fs, then jsysbox-mgr, under supervision (no-op for a daemon that runs).")
    int start() {
        new Installer(out).start();
        return 0;
    }

    @Command(description = "Stop jsysbox-mgr, then jsysbox-fs (detaching its mount), and their supervision.")
    int stop() {
        new Installer(out).stop();
        return 0;
    }

    @Command(description = "Stop, then start both daemons.")
    int restart() {
        Installer installer = new Installer(out);
        installer.stop();
        installer.start();
        return 0;
    }

    @Command(description = "Check every host prerequisite; exit 1 if any needs a fix.")
    int doctor() {
        List<Finding> findings = Doctor.examine();
        findings.forEach(f -> out.println(f.line()));
        return Finding.allFine(findings) ? 0 : 1;
    }

    @Command(
            description =
                    "Show the manager, its uid/gid pool, the live containers with their ranges, and jsysbox-fs with "
                            + "the containers it serves.")
    int status() {
        Supervision supervision = Supervision.forHost();
        boolean managerUp = report(
                "manager",
                Daemon.MGR,
                () -> StatusReport.manager(DaemonClient.managerStatus(), supervision.describe(Daemon.MGR)));
        boolean filesystemUp = report(
                "jsysbox-fs",
                Daemon.FS,
                () -> StatusReport.filesystem(DaemonClient.fsStatus(), supervision.describe(Daemon.FS)));
        return managerUp && filesystemUp ? 0 : 1;
    }

    /** Prints a daemon's status lines, or one line saying it is down; whether it is up. */
    private boolean report(String what, Daemon daemon, Supplier<List<String>> lines) {
        try {
            lines.get().forEach(out::println);
            return true;
        } catch (InstallException down) {
            out.println(StatusReport.down(what, down.getMessage(), daemon));
            return false;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"jsysbox " + (version == null ? "(development build)" : version)};
        }
    }
}
