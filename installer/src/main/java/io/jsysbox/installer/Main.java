package io.jsysbox.installer;

import io.jsysbox.api.v1.ContainerStatus;
import io.jsysbox.api.v1.IdRange;
import io.jsysbox.api.v1.StatusResponse;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

/** {@code jsysbox}: install, uninstall, supervise and diagnose jsysbox on this host. */
@Command(name = "jsysbox", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Installs jsysbox on this host and reports on it. installer/install.sh builds the binaries and runs 'jsysbox install'.")
public final class Main {
    private final PrintStream out = System.out;

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            String message = e instanceof InstallException || e instanceof IllegalArgumentException || e instanceof IllegalStateException
                    ? e.getMessage() : e.toString();
            command.getErr().println("jsysbox " + command.getCommandName() + ": " + message);
            return 1;
        });
        System.exit(cli.execute(args));
    }

    @Command(description = "Add the subuid/subgid pool, register the runtime with Docker, start the supervised manager.")
    int install() {
        new Installer(out).install();
        return 0;
    }

    @Command(description = "Stop the manager and undo what install did (binaries are removed by install.sh --uninstall).")
    int uninstall(@Option(names = "--force", description = "remove running jsysbox containers instead of refusing") boolean force) {
        new Installer(out).uninstall(force);
        return 0;
    }

    @Command(description = "Start the manager under supervision (no-op when it runs).")
    int start() {
        new Installer(out).start();
        return 0;
    }

    @Command(description = "Stop the manager and its supervisor.")
    int stop() {
        new Installer(out).stop();
        return 0;
    }

    @Command(description = "Stop, then start the manager.")
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

    @Command(description = "Show the manager, its uid/gid pool and the live containers with their ranges.")
    int status() {
        StatusResponse status;
        try {
            status = ManagerClient.status(Duration.ofSeconds(5));
        } catch (InstallException down) {
            out.println("manager: down (" + down.getMessage() + "; log: " + HostLayout.MGR_LOG + ")");
            return 1;
        }
        out.println("manager: up (version " + status.getVersion() + ", " + Supervision.forHost().describe() + ")");
        out.println("pool: uid " + range(status.getUidPool()) + ", gid " + range(status.getGidPool()) + ", " + status.getFreeRanges() + " free ranges");
        out.println("containers: " + status.getContainersCount());
        for (ContainerStatus c : status.getContainersList()) {
            out.printf("  %s  uid %s  gid %s  pid %d  rootfs %s%n", c.getId(), range(c.getUidRange()), range(c.getGidRange()),
                    c.getPid(), c.getRootfsShift());
        }
        return 0;
    }

    private static String range(IdRange r) {
        return r.getHostStart() + "-" + (r.getHostStart() + r.getSize() - 1);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"jsysbox " + (version == null ? "(development build)" : version)};
        }
    }
}
