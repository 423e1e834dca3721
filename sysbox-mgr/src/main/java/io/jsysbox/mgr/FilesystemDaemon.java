package io.jsysbox.mgr;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.jsysbox.api.UnixChannels;
import io.jsysbox.api.v1.FilesystemGrpc;
import io.jsysbox.api.v1.FsStatusRequest;
import io.jsysbox.api.v1.ProtectRequest;
import io.jsysbox.api.v1.ProtectResponse;
import io.jsysbox.api.v1.RegisterRequest;
import io.jsysbox.api.v1.RegisterResponse;
import io.jsysbox.api.v1.UnregisterRequest;
import io.jsysbox.api.v1.VirtualPath;
import io.jsysbox.linux.Linux;
import io.jsysbox.linux.MountInfo;
import io.jsysbox.linux.ProcessIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * jsysbox-fs as the manager uses it: gRPC on its socket for registration, {@link VirtualFileMounts} for the mounts,
 * {@link ListenerCopies} for copies of its seccomp listeners.
 */
final class FilesystemDaemon implements VirtualFiles, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FilesystemDaemon.class);
    private static final long DEADLINE_SECONDS = 10;

    private final Path socket;
    private final ManagedChannel channel;
    private final FilesystemGrpc.FilesystemBlockingStub stub;
    private final FilesystemGrpc.FilesystemStub asyncStub;

    private final ListenerCopies listenerCopies;

    /** jsysbox-fs on {@code socket}; its seccomp listeners are copied into {@code listenerCopies}. */
    FilesystemDaemon(Path socket, ListenerCopies listenerCopies) {
        this.socket = socket;
        this.listenerCopies = listenerCopies;
        this.channel = UnixChannels.connect(socket);
        this.stub = FilesystemGrpc.newBlockingStub(channel);
        this.asyncStub = FilesystemGrpc.newStub(channel);
    }

    /**
     * A connected channel is taken as an answer: a jsysbox-fs that dies closes its socket, and the channel leaves
     * READY at once. Otherwise one call (which also reconnects). Why not always the call: it is on every create's
     * critical path, and a jsysbox-fs that stopped answering on a live connection still fails the create at Started.
     */
    @Override
    public void checkAvailable() throws ManagerException {
        if (channel.getState(false) == ConnectivityState.READY) {
            return;
        }
        call("answer", stub -> stub.status(FsStatusRequest.getDefaultInstance()));
    }

    @Override
    public int attach(String id, ProcessIdentity init, String rootPath, boolean guardMounts) throws ManagerException {
        long pid = init.pid();
        RegisterResponse registered = call(
                "register container " + id,
                stub -> stub.register(RegisterRequest.newBuilder()
                        .setId(id)
                        .setInitPid(pid)
                        .setInitStartTicks(init.startTicks())
                        .setProtectionFollows(guardMounts)
                        .build()));
        Map<String, Path> sources = new LinkedHashMap<>();
        for (VirtualPath path : registered.getPathsList()) {
            sources.put(path.getContainerPath(), Path.of(path.getSource()));
        }
        try {
            int mounted = VirtualFileMounts.mount(pid, rootPath, sources, guardMounts);
            if (guardMounts) {
                protect(id, pid);
            }
            listenerCopies.takeLater(id);
            return mounted;
        } catch (IOException e) {
            throw new ManagerException(
                    ManagerException.Kind.NOT_POSSIBLE,
                    "cannot mount the virtual /proc and /sys files of " + id + " (pid " + pid + "): " + e.getMessage(),
                    e);
        }
    }

    /**
     * Has jsysbox-fs keep the mounts of {@code id}'s mount namespace as they are now, runc's and the virtual files:
     * its processes may no longer unmount them, move them or make them writable ({@code Protect}). Sent, not waited
     * for (4-6 ms less on every create): the registration announced it, and jsysbox-fs holds the container's
     * guarded mount calls until it arrives. A Protect that fails leaves the guard's policy off for that container (the
     * kernel's locks on its virtual files stay): said in the log.
     */
    private void protect(String id, long pid) throws IOException {
        Path process = Path.of("/proc", Long.toString(pid));
        Linux.Stat namespace = Linux.namespace(process.resolve("ns/mnt"));
        ProtectRequest.Builder request = ProtectRequest.newBuilder()
                .setId(id)
                .setMountNamespaceDev(namespace.dev())
                .setMountNamespaceIno(namespace.ino());
        for (MountInfo.Entry mount :
                MountInfo.parse(Files.readString(process.resolve("mountinfo"))).entries()) {
            request.addMountIds(mount.id());
            if (mount.hasMountOption("ro")) {
                request.addReadOnlyMountIds(mount.id());
            }
        }
        asyncStub
                .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                .protect(request.build(), new StreamObserver<>() {
                    @Override
                    public void onNext(ProtectResponse response) {}

                    @Override
                    public void onError(Throwable failure) {
                        LOG.error(
                                "{}: jsysbox-fs did not take its mounts to protect ({}): its processes may unmount "
                                        + "runc's mounts",
                                id,
                                Status.fromThrowable(failure));
                    }

                    @Override
                    public void onCompleted() {}
                });
    }

    @Override
    public void detach(String id) {
        listenerCopies.release(id);
        try {
            call(
                    "unregister container " + id,
                    stub -> stub.unregister(
                            UnregisterRequest.newBuilder().setId(id).build()));
        } catch (ManagerException e) {
            LOG.warn("{}: {}", id, e.getMessage());
        }
    }

    /**
     * One call; when the daemon is unreachable, one retry after resetting the reconnect backoff, so a jsysbox-fs
     * that just restarted is found at once rather than after gRPC's backoff (up to two minutes). The retry gets the
     * full deadline too: on an emulated host a restarted jsysbox-fs took over a second to connect and answer its first
     * call, and a 1 s retry failed the first container created after `systemctl restart jsysbox-fs`.
     */
    private <T> T call(String action, Function<FilesystemGrpc.FilesystemBlockingStub, T> rpc) throws ManagerException {
        try {
            try {
                return rpc.apply(stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS));
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
                    throw e;
                }
                channel.resetConnectBackoff();
                return rpc.apply(stub.withWaitForReady().withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS));
            }
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
                throw new ManagerException(
                        ManagerException.Kind.NOT_POSSIBLE,
                        "jsysbox-fs does not answer on " + socket + " (" + code
                                + "), so containers cannot get their virtual /proc and /sys: start it with 'jsysbox "
                                + "start' (see 'jsysbox doctor')");
            }
            throw new ManagerException(
                    ManagerException.Kind.NOT_POSSIBLE,
                    "jsysbox-fs could not " + action + ": " + e.getStatus().getDescription());
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
