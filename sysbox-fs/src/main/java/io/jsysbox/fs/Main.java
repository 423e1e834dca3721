package io.jsysbox.fs;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.jsysbox.api.RuntimeDirs;
import io.jsysbox.api.UnixChannels;
import io.jsysbox.api.v1.FilesystemGrpc;
import io.jsysbox.api.v1.FsStatusRequest;
import io.jsysbox.api.v1.RegisterRequest;
import io.jsysbox.api.v1.UnregisterRequest;
import io.jsysbox.linux.Fd;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.LinuxException;
import io.jsysbox.linux.MountInfo;
import io.jsysbox.linux.Systemd;
import io.jsysbox.procfs.VirtualFileRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** jsysbox-fs: mounts the virtual /proc and /sys files and serves container registration over gRPC. */
@Command(
        name = "jsysbox-fs",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Serves per-container /proc and /sys files (meminfo, cpuinfo, uptime, sysctls…) over FUSE.",
        subcommands = {Main.Register.class, Main.Unregister.class, Main.Status.class})
public final class Main implements Callable<Integer> {
    static final Path SOCKET = UnixChannels.FS_SOCKET;
    /** The name of the /dev/fuse descriptor in systemd's file descriptor store (FDNAME, LISTEN_FDNAMES). */
    static final String FUSE_FD_NAME = "fuse";

    @Option(names = "--socket", description = "gRPC unix socket (default: ${DEFAULT-VALUE})")
    Path socket = SOCKET;

    @Option(names = "--mount-dir", description = "where the virtual files are mounted (default: ${DEFAULT-VALUE})")
    Path mountDir = Path.of("/var/lib/jsysbox-fs");

    @Option(names = "--state-file", description = "registered containers and their sysctls (default: ${DEFAULT-VALUE})")
    Path stateFile = Path.of("/var/lib/jsysbox/fs-state.json");

    @Option(
            names = "--fuse-fd",
            paramLabel = "FD",
            description = "serve this inherited /dev/fuse descriptor, which "
                    + "the supervisor holds across restarts: a mount already using it is taken over as it is (running "
                    + "containers keep their files), else it is mounted; the mount then stays when the daemon exits. "
                    + "Under systemd, the unit's file descriptor store holds it instead (no option needed)")
    Integer fuseFd;

    @Option(
            names = "--seccomp-socket",
            paramLabel = "PATH",
            description = "the seccomp agent's socket, the "
                    + "listenerPath jsysbox-runc gives system containers for sysinfo(2) (default: seccomp.sock beside "
                    + "--socket, /run/jsysbox/seccomp.sock)")
    Path seccompSocket;

    @Option(names = "--threads", description = "threads reading FUSE requests (default: ${DEFAULT-VALUE})")
    int threads = 2;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    System.err.println("jsysbox-fs: " + e.getMessage());
                    return 1;
                })
                .execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Logger log = LoggerFactory.getLogger(Main.class);
        if (threads < 1 || threads > 64) {
            System.err.println("jsysbox-fs: --threads must be between 1 and 64, got " + threads);
            return 2;
        }
        if (UnixChannels.answers(socket)) {
            System.err.println("jsysbox-fs: another jsysbox-fs is serving " + socket + "; stop it first");
            return 1;
        }
        ContainerRegistry registry = new ContainerRegistry(stateFile);
        registry.restore();
        VirtualFileRegistry files = VirtualFileRegistry.standard();
        ContainerFiles content = new ContainerFiles(registry);
        FuseFileSystem fs = new FuseFileSystem(new FsTree(files, System.currentTimeMillis() / 1000), content);
        OptionalInt heldConnection = heldConnection();
        FuseSession session = session(fs, heldConnection);
        String version = new Version().getVersion()[0];
        Server server;
        Path agentSocket = seccompSocket != null
                ? seccompSocket
                : socket.resolveSibling(UnixChannels.SECCOMP_AGENT_SOCKET.getFileName());
        try {
            // Before the gRPC socket: once jsysbox-fs answers there (the manager checks at each create), runc finds
            // the agent too.
            // The sockets' directory is covered, in a private namespace, while a procfs or sysfs is made there.
            KernelFsMounter mounts = KernelFsMounter.using(
                    agentSocket.getParent(),
                    (id, kind) -> registry.named(id) == null
                            ? Optional.empty()
                            : Optional.of(filesBelow(files, id, kind.prefix)));
            MountGuard guard = new MountGuard(
                    id -> Optional.ofNullable(registry.named(id)).map(Container::awaitProtectedMounts),
                    virtualFileDevice(mountDir));
            SeccompAgent.serve(agentSocket, content::sysinfo, mounts, guard);
            server = UnixChannels.serve(
                    socket,
                    List.<BindableService>of(new FilesystemService(registry, files, mountDir, version)),
                    UnixChannels.Handlers.ON_EVENT_LOOP);
        } catch (IOException | RuntimeException e) {
            session.close();
            throw e;
        }
        Path pidFile = socket.resolveSibling("fs.pid");
        RuntimeDirs.writePrivately(pidFile, ProcessHandle.current().pid() + "\n");
        log.info(
                "jsysbox-fs {} serving {} files at {}, registration on {}, seccomp agent on {} "
                        + "({} containers restored)",
                version,
                files.paths().size(),
                mountDir,
                socket,
                agentSocket,
                registry.containers().size());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            session.close();
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException ignored) {
                // the next start overwrites it
            }
        }));
        // Under systemd (a Type=notify unit): ready, so the start job ends and the manager's unit may start. A
        // connection
        // opened here goes into the unit's file descriptor store with it; one systemd passed back is there already (a
        // second copy would overflow FileDescriptorStoreMax=1).
        answerOnce();
        Systemd.Notification ready = Systemd.Notification.ready(
                "serving " + mountDir + ", " + registry.containers().size() + " containers");
        Systemd.notify(heldConnection.isPresent() ? ready : ready.storing(FUSE_FD_NAME, session.deviceFd()));
        server.awaitTermination();
        return 0;
    }

    /** Container {@code id}'s virtual files below {@code prefix} (/proc/, /sys/), by the path it sees them at. */
    private Map<String, Path> filesBelow(VirtualFileRegistry files, String id, String prefix) {
        Map<String, Path> below = new LinkedHashMap<>();
        for (String path : files.paths()) {
            if (path.startsWith(prefix)) {
                below.put(path, FsTree.source(mountDir, id, path));
            }
        }
        return below;
    }

    /**
     * Under systemd, READY=1 lets the manager's unit start and containers be created at once: first answer one Status
     * call through the socket, so that ready means answering. A cold JVM's first call loads the whole gRPC server path;
     * on an emulated host (no AOT cache) that took over the manager's 10 s deadline, and the first container created
     * after a start failed with "jsysbox-fs does not answer". Elsewhere the starter polls Status itself.
     */
    private void answerOnce() {
        if (!Systemd.expectsNotifications()) {
            return;
        }
        ManagedChannel channel = UnixChannels.connect(socket);
        try {
            FilesystemGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(5, TimeUnit.MINUTES)
                    .status(FsStatusRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            LoggerFactory.getLogger(Main.class)
                    .warn("jsysbox-fs did not answer its own Status call: {}", e.getStatus());
        } finally {
            channel.shutdownNow();
        }
    }

    /**
     * A /dev/fuse connection kept open across this daemon's restarts by someone else, to serve instead of opening one:
     * the plain supervisor's ({@code --fuse-fd}), or the one systemd stored for the unit and passes back at start.
     */
    private OptionalInt heldConnection() {
        return fuseFd != null ? OptionalInt.of(fuseFd) : Systemd.passedDescriptor(FUSE_FD_NAME);
    }

    /**
     * Mounts, or takes over the held connection. Nothing may touch the mount dir before a takeover: its requests wait
     * for this very daemon. The mount outlives this daemon (its exit leaves it in place for the next one) when the
     * connection is held elsewhere, or is about to be: under systemd it goes into the file descriptor store.
     */
    private FuseSession session(FuseFileSystem fs, OptionalInt heldConnection) throws IOException {
        FuseDevice device =
                heldConnection.isPresent() ? FuseDevice.inherited(heldConnection.getAsInt()) : FuseDevice.open();
        if (heldConnection.isPresent() && device.isMounted()) {
            LoggerFactory.getLogger(Main.class)
                    .info(
                            "taking over the FUSE connection on fd {} ({}, mounted at {})",
                            device.fd(),
                            fuseFd != null ? "from the supervisor" : "from systemd's file descriptor store",
                            mountDir);
            return FuseSession.takeOver(mountDir, device, fs, threads);
        }
        unmountStale(mountDir); // first: a dead mount fails every access to the dir, even this mkdir
        // Host root's alone, also while nothing is mounted there (the mount root we serve is 0700 too): only the
        // manager, as host root, reaches the containers' views, to attach their files inside each container.
        RuntimeDirs.ensure(mountDir, RuntimeDirs.HOST_ROOT_ONLY);
        boolean outlivesDaemon = heldConnection.isPresent() || Systemd.expectsNotifications();
        return FuseSession.mount(mountDir, device, fs, threads, !outlivesDaemon);
    }

    /** The device of the mount at {@code mountDir}: each virtual file, wherever it is bound, is on it. */
    private static long virtualFileDevice(Path mountDir) throws IOException {
        try (Fd root =
                Linux.openat2(null, mountDir.toString(), Linux.O_PATH | Linux.O_DIRECTORY, Linux.RESOLVE_NO_SYMLINKS)) {
            return Linux.stat(root).dev();
        }
    }

    /** A mount left by a daemon that died answers ENOTCONN: detach it before mounting afresh. */
    private static void unmountStale(Path mountDir) throws IOException {
        for (MountInfo.Entry mount : MountInfo.read().at(mountDir)) {
            if (mount.fsType().equals(FuseSession.FS_TYPE)) {
                try {
                    Linux.umountDetach(mountDir);
                } catch (LinuxException e) {
                    throw new IOException(
                            "cannot detach the stale jsysbox-fs mount at " + mountDir + ": " + e.getMessage(), e);
                }
            }
        }
    }

    /** A call to a running daemon; a failed call prints its one-line status and exits 1. */
    abstract static class ClientCommand implements Callable<Integer> {
        @Option(names = "--socket", description = "the daemon's gRPC socket (default: ${DEFAULT-VALUE})")
        Path socket = SOCKET;

        abstract String call(FilesystemGrpc.FilesystemBlockingStub daemon);

        @Override
        public Integer call() {
            io.grpc.ManagedChannel channel = UnixChannels.connect(socket);
            try {
                System.out.print(call(FilesystemGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)));
                return 0;
            } catch (io.grpc.StatusRuntimeException e) {
                System.err.println("jsysbox-fs: "
                        + (e.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE
                                ? "no daemon answers on " + socket + " (start jsysbox-fs first)"
                                : e.getStatus().getDescription()));
                return 1;
            } finally {
                channel.shutdownNow();
            }
        }
    }

    @Command(
            name = "register",
            description =
                    "Registers a container by its init's host pid (for tests and by hand; the runtime uses gRPC).")
    static final class Register extends ClientCommand {
        @Option(names = "--id", required = true, description = "container id")
        String id;

        @Option(names = "--pid", required = true, description = "host pid of the container's init")
        long pid;

        @Override
        String call(FilesystemGrpc.FilesystemBlockingStub daemon) {
            var reply = daemon.register(
                    RegisterRequest.newBuilder().setId(id).setInitPid(pid).build());
            return "registered " + id + " (cgroup " + reply.getCgroupVersion() + ", " + reply.getPathsCount()
                    + " files)\n";
        }
    }

    @Command(name = "unregister", description = "Forgets a container and its sysctl values.")
    static final class Unregister extends ClientCommand {
        @Option(names = "--id", required = true, description = "container id")
        String id;

        @Override
        String call(FilesystemGrpc.FilesystemBlockingStub daemon) {
            boolean known = daemon.unregister(
                            UnregisterRequest.newBuilder().setId(id).build())
                    .getWasKnown();
            return (known ? "unregistered " : "not registered: ") + id + "\n";
        }
    }

    @Command(
            name = "status",
            description = "Prints the mount dir and the registered containers with their written sysctls.")
    static final class Status extends ClientCommand {
        @Override
        String call(FilesystemGrpc.FilesystemBlockingStub daemon) {
            var reply = daemon.status(FsStatusRequest.getDefaultInstance());
            StringBuilder out =
                    new StringBuilder("jsysbox-fs " + reply.getVersion() + " at " + reply.getMountDir() + "\n");
            for (var c : reply.getContainersList()) {
                out.append(c.getId())
                        .append(" init=")
                        .append(c.getInitPid())
                        .append(" cgroup=")
                        .append(c.getCgroupVersion());
                c.getSysctlsMap()
                        .forEach((path, value) ->
                                out.append(' ').append(path).append('=').append(value.strip()));
                out.append('\n');
            }
            return out.toString();
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
