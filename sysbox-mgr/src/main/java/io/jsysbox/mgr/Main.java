package io.jsysbox.mgr;

import io.grpc.BindableService;
import io.grpc.Server;
import io.jsysbox.api.ListenerIndex;
import io.jsysbox.api.RuntimeDirs;
import io.jsysbox.api.UnixChannels;
import io.jsysbox.linux.Systemd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** jsysbox-mgr: the manager daemon, and the {@code check-idmap} probe the doctor runs. */
@Command(
        name = "jsysbox-mgr",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description =
                "Allocates uid/gid ranges, ID-maps rootfs and bind mounts, delegates cgroups for jsysbox containers.",
        subcommands = Main.CheckIdmap.class)
public final class Main implements Callable<Integer> {
    @Option(names = "--socket", description = "gRPC unix socket (default: ${DEFAULT-VALUE})")
    Path socket = UnixChannels.MANAGER_SOCKET;

    @Option(
            names = "--state-dir",
            description = "state.json and non-persistent special-mount dirs (default: ${DEFAULT-VALUE})")
    Path stateDir = Path.of("/var/lib/jsysbox");

    @Option(names = "--mount-dir", description = "where ID-mapped mounts are attached (default: ${DEFAULT-VALUE})")
    Path mountDir = Path.of("/run/jsysbox/mnt");

    @Option(names = "--fs-socket", description = "jsysbox-fs's gRPC socket (default: ${DEFAULT-VALUE})")
    Path fsSocket = UnixChannels.FS_SOCKET;

    @Option(
            names = "--subid-user",
            description = "the /etc/subuid and /etc/subgid entry that is the pool (default: ${DEFAULT-VALUE})")
    String subidUser = "jsysbox";

    @Option(names = "--subuid-file", hidden = true)
    Path subuidFile = Path.of("/etc/subuid");

    @Option(names = "--subgid-file", hidden = true)
    Path subgidFile = Path.of("/etc/subgid");

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    System.err.println("jsysbox-mgr: " + e.getMessage());
                    return 1;
                })
                .execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Logger log = LoggerFactory.getLogger(Main.class);
        IdRangeAllocator allocator;
        try {
            allocator =
                    new IdRangeAllocator(SubIdFile.read(subuidFile, subidUser), SubIdFile.read(subgidFile, subidUser));
        } catch (ConfigurationException e) {
            System.err.println("jsysbox-mgr: " + e.getMessage());
            return 2;
        }
        Path pidFile = socket.resolveSibling("mgr.pid");
        if (UnixChannels.answers(socket)) {
            System.err.println("jsysbox-mgr: another manager is serving " + socket + "; stop it first");
            return 1;
        }
        String version = new Version().getVersion()[0];
        ListenerCopies listenerCopies =
                new ListenerCopies(fsSocket.getParent(), socket.resolveSibling(ListenerIndex.MANAGER));
        FilesystemDaemon filesystem = new FilesystemDaemon(fsSocket, listenerCopies);
        ContainerManager manager = new ContainerManager(
                allocator, new StateStore(stateDir.resolve("state.json")), stateDir, mountDir, filesystem, version);
        manager.start();
        // Docker removes a container without telling its runtime: notice removals by their rootfs disappearing.
        every("forget-removed", Duration.ofSeconds(2), manager::forgetRemoved);
        every("inner-image-cache-gc", Duration.ofMinutes(1), manager::collectGarbage);
        Bundles bundles = new Bundles(manager);
        Server server = UnixChannels.serve(
                socket, List.<BindableService>of(new ManagerService(manager, bundles)), UnixChannels.Handlers.POOLED);
        LauncherEndpoint launcher = new LauncherEndpoint(bundles);
        launcher.serve(socket.resolveSibling(UnixChannels.LAUNCHER_SOCKET.getFileName()));
        RuntimeDirs.writePrivately(pidFile, ProcessHandle.current().pid() + "\n");
        listenerCopies.start();
        log.info(
                "jsysbox-mgr {} listening on {} (pool: {} ranges of {} from uid {} / gid {})",
                version,
                socket,
                allocator.slots(),
                IdRangeAllocator.RANGE_SIZE,
                allocator.uidPool().start(),
                allocator.gidPool().start());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // Containers keep running across a manager restart: stop serving, leave every mount alone.
            server.shutdown();
            launcher.close();
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException ignored) {
                // the next start overwrites it
            }
        }));
        // Under systemd (a Type=notify unit): the start job ends only now, so `systemctl start` returns a manager that
        // answers.
        Systemd.notify(Systemd.Notification.ready("listening on " + socket + ", " + allocator.slots() + " ranges"));
        server.awaitTermination();
        return 0;
    }

    /**
     * Runs {@code task} on a thread of its own every {@code period}. A failure is logged and the next run still comes
     * (a scheduled task that throws is otherwise cancelled without a word).
     */
    private static void every(String name, Duration period, Runnable task) {
        Logger log = LoggerFactory.getLogger(Main.class);
        Executors.newSingleThreadScheduledExecutor(
                        Thread.ofPlatform().daemon().name(name).factory())
                .scheduleWithFixedDelay(
                        () -> {
                            try {
                                task.run();
                            } catch (Throwable t) {
                                log.error(
                                        "{} failed (runs again in {} s): {}",
                                        name,
                                        period.toSeconds(),
                                        t.toString(),
                                        t);
                            }
                        },
                        period.toMillis(),
                        period.toMillis(),
                        TimeUnit.MILLISECONDS);
    }

    @Command(
            name = "check-idmap",
            description =
                    "Prints 'ok' if ID-mapped mounts and overlays over ID-mapped layers work here, else the reason.")
    static final class CheckIdmap implements Callable<Integer> {
        @Option(names = "--dir", description = "a dir on the filesystem to probe (default: ${DEFAULT-VALUE})")
        Path dir = Path.of("/var/lib/jsysbox");

        @Override
        public Integer call() {
            String problem = IdmapCheck.run(dir);
            System.out.println(problem == null ? "ok" : problem);
            return problem == null ? 0 : 1;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {v == null ? "dev" : v};
        }
    }
}
