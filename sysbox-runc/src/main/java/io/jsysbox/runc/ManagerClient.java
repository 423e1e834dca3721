package io.jsysbox.runc;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.jsysbox.api.UnixChannels;
import io.jsysbox.api.v1.ManagerGrpc;
import io.jsysbox.api.v1.PrepareRequest;
import io.jsysbox.api.v1.PrepareResponse;
import io.jsysbox.api.v1.ReleaseRequest;
import io.jsysbox.api.v1.StartedRequest;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The client side of jsysbox-mgr's gRPC contract, with deadlines and one-line errors. */
final class ManagerClient implements AutoCloseable {
    /** Prepare may mount a rootfs and many bind sources, and copy a preloaded image's inner images. */
    private static final long PREPARE_SECONDS = 600;
    /** Sync copies the container's inner images into its rootfs. */
    private static final long SYNC_SECONDS = 600;
    private static final long OTHER_SECONDS = 30;
    private final Path socket;
    private final ManagedChannel channel;
    private final ManagerGrpc.ManagerBlockingStub stub;

    private ManagerClient(Path socket) {
        this.socket = socket;
        this.channel = UnixChannels.connect(socket);
        this.stub = ManagerGrpc.newBlockingStub(channel);
    }

    /** The manager at JSYSBOX_MGR_SOCKET or the default socket; fails at once when no socket file is there. */
    static ManagerClient connect() throws JsysboxException {
        String override = System.getenv("JSYSBOX_MGR_SOCKET");
        Path socket = override == null || override.isEmpty() ? UnixChannels.MANAGER_SOCKET : Path.of(override);
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) throw unreachable(socket, "no socket file");
        return new ManagerClient(socket);
    }

    /**
     * Connects on another thread. Why: setting up the channel (netty, gRPC) costs about as much as reading and
     * checking the spec, which the caller does meanwhile; on a 2-core host that halves the wait.
     */
    static CompletableFuture<ManagerClient> connectInBackground() {
        return CompletableFuture.supplyAsync(() -> {
            try {
                ManagerClient client = connect();
                client.channel.getState(true);
                return client;
            } catch (JsysboxException e) {
                throw new CompletionException(e);
            }
        }, task -> Thread.ofPlatform().daemon().name("mgr-connect").start(task));
    }

    /** The client {@link #connectInBackground} made, or the reason it could not. */
    static ManagerClient await(CompletableFuture<ManagerClient> connecting) throws JsysboxException {
        try {
            return connecting.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof JsysboxException cause) throw cause;
            throw e;
        }
    }

    PrepareResponse prepare(PrepareRequest request) throws JsysboxException {
        return call("prepare", request.getId(), PREPARE_SECONDS,
                () -> stub.withDeadlineAfter(PREPARE_SECONDS, TimeUnit.SECONDS).prepare(request));
    }

    /**
     * {@code rootPath}: where the container's root is in its mount namespace, "" once runc has pivoted into it;
     * {@code networkToAdopt}: a pod sandbox's CRI-made network namespace, or ""; {@code mountInterceptionOff}: leave
     * its virtual files unlocked and its mounts unprotected.
     */
    void started(String id, long pid, String rootPath, String networkToAdopt, boolean mountInterceptionOff)
            throws JsysboxException {
        call("set up", id, OTHER_SECONDS, () -> stub.withDeadlineAfter(OTHER_SECONDS, TimeUnit.SECONDS)
                .started(StartedRequest.newBuilder().setId(id).setPid(pid).setRootPath(rootPath)
                        .setAdoptNetworkNamespace(networkToAdopt).setMountInterceptionOff(mountInterceptionOff)
                        .build()));
    }

    void release(String id) throws JsysboxException {
        call("release", id, OTHER_SECONDS, () -> stub.withDeadlineAfter(OTHER_SECONDS, TimeUnit.SECONDS)
                .release(ReleaseRequest.newBuilder().setId(id).build()));
    }

    /** Copies the (frozen) container's special-mount content into its rootfs; returns the destinations copied. */
    java.util.List<String> sync(String id) throws JsysboxException {
        return call("copy the inner images of", id, SYNC_SECONDS, () -> stub.withDeadlineAfter(SYNC_SECONDS, TimeUnit.SECONDS)
                .sync(io.jsysbox.api.v1.SyncRequest.newBuilder().setId(id).build())).getSyncedList();
    }

    private <T> T call(String action, String id, long seconds, Supplier<T> rpc) throws JsysboxException {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            Status status = e.getStatus();
            String description = status.getDescription() == null ? status.getCode().toString() : status.getDescription();
            throw switch (status.getCode()) {
                case UNAVAILABLE -> unreachable(socket, description);
                case DEADLINE_EXCEEDED -> new JsysboxException("jsysbox-mgr did not " + action + " container " + id
                        + " within " + seconds + "s: see /var/log/jsysbox/mgr.log, or 'jsysbox doctor'", e);
                default -> new JsysboxException("jsysbox-mgr could not " + action + " container " + id + ": " + description, e);
            };
        }
    }

    private static JsysboxException unreachable(Path socket, String why) {
        return new JsysboxException("cannot reach jsysbox-mgr at " + socket + " (" + ErrorLog.oneLine(why)
                + "): start it with 'jsysbox start' or check 'jsysbox doctor'");
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
