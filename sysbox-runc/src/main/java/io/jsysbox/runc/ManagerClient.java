package io.jsysbox.runc;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.jsysbox.api.UnixChannels;
import io.jsysbox.api.v1.CreateRequest;
import io.jsysbox.api.v1.ManagerGrpc;
import io.jsysbox.api.v1.ReleaseRequest;
import io.jsysbox.api.v1.StartedRequest;
import io.jsysbox.api.v1.SyncRequest;
import io.jsysbox.spec.Capabilities;
import io.jsysbox.spec.ErrorLog;
import io.jsysbox.spec.JsysboxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
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
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            throw unreachable(socket, "no socket file");
        }
        return new ManagerClient(socket);
    }

    /** Has the manager check, prepare and rewrite {@code bundle} (see the Create RPC); returns a warning, or "". */
    String create(String id, Path bundle, List<String> startedHook, List<String> hookEnvironment)
            throws JsysboxException {
        // runc runs as this process's child: it can grant what this process's bounding set holds.
        String boundingMask = Long.toHexString(Capabilities.ownBoundingMask());
        return call(
                        "prepare",
                        id,
                        PREPARE_SECONDS,
                        () -> stub.withDeadlineAfter(PREPARE_SECONDS, TimeUnit.SECONDS)
                                .create(CreateRequest.newBuilder()
                                        .setId(id)
                                        .setBundle(bundle.toString())
                                        .setCapabilityBoundingSet(boundingMask)
                                        .addAllStartedHook(startedHook)
                                        .addAllStartedHookEnv(hookEnvironment)
                                        .build()))
                .getWarning();
    }

    /** {@code rootPath}: where the container's root is in its mount namespace, "" once runc has pivoted into it. */
    void started(String id, long pid, String rootPath, Path bundle) throws JsysboxException {
        call(
                "set up",
                id,
                OTHER_SECONDS,
                () -> stub.withDeadlineAfter(OTHER_SECONDS, TimeUnit.SECONDS)
                        .started(StartedRequest.newBuilder()
                                .setId(id)
                                .setPid(pid)
                                .setRootPath(rootPath)
                                .setBundle(bundle.toString())
                                .build()));
    }

    void release(String id) throws JsysboxException {
        call(
                "release",
                id,
                OTHER_SECONDS,
                () -> stub.withDeadlineAfter(OTHER_SECONDS, TimeUnit.SECONDS)
                        .release(ReleaseRequest.newBuilder().setId(id).build()));
    }

    /** Copies the (frozen) container's special-mount content into its rootfs; returns the destinations copied. */
    List<String> sync(String id) throws JsysboxException {
        return call(
                        "copy the inner images of",
                        id,
                        SYNC_SECONDS,
                        () -> stub.withDeadlineAfter(SYNC_SECONDS, TimeUnit.SECONDS)
                                .sync(SyncRequest.newBuilder().setId(id).build()))
                .getSyncedList();
    }

    private <T> T call(String action, String id, long seconds, Supplier<T> rpc) throws JsysboxException {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            Status status = e.getStatus();
            String description =
                    status.getDescription() == null ? status.getCode().toString() : status.getDescription();
            throw switch (status.getCode()) {
                case UNAVAILABLE -> unreachable(socket, description);
                // What the user can fix, said for the user (e.g. a spec the runtime refuses).
                case INVALID_ARGUMENT -> new JsysboxException(description, e);
                case DEADLINE_EXCEEDED ->
                    new JsysboxException(
                            "jsysbox-mgr did not " + action + " container " + id + " within " + seconds
                                    + "s: see /var/log/jsysbox/mgr.log, or 'jsysbox doctor'",
                            e);
                default ->
                    new JsysboxException(
                            "jsysbox-mgr could not " + action + " container " + id + ": " + description, e);
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
