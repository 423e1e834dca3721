package io.jsysbox.mgr;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.jsysbox.api.v1.ContainerStatus;
import io.jsysbox.api.v1.CreateRequest;
import io.jsysbox.api.v1.CreateResponse;
import io.jsysbox.api.v1.IdRange;
import io.jsysbox.api.v1.InnerImageCacheEntry;
import io.jsysbox.api.v1.InnerImageCacheStatus;
import io.jsysbox.api.v1.ManagerGrpc;
import io.jsysbox.api.v1.ReleaseRequest;
import io.jsysbox.api.v1.ReleaseResponse;
import io.jsysbox.api.v1.StartedRequest;
import io.jsysbox.api.v1.StartedResponse;
import io.jsysbox.api.v1.StatusRequest;
import io.jsysbox.api.v1.StatusResponse;
import io.jsysbox.api.v1.SyncRequest;
import io.jsysbox.api.v1.SyncResponse;
import io.jsysbox.spec.ErrorLog;
import io.jsysbox.spec.HostRange;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gRPC edge: turns requests into {@link ContainerManager} calls and failures into one-line statuses. */
final class ManagerService extends ManagerGrpc.ManagerImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(ManagerService.class);

    private final ContainerManager manager;
    private final Bundles bundles;

    ManagerService(ContainerManager manager, Bundles bundles) {
        this.manager = manager;
        this.bundles = bundles;
    }

    @Override
    public void create(CreateRequest request, StreamObserver<CreateResponse> response) {
        answer(
                response,
                () -> CreateResponse.newBuilder()
                        .setWarning(bundles.create(
                                request.getId(),
                                Path.of(request.getBundle()),
                                request.getCapabilityBoundingSet(),
                                request.getStartedHookList(),
                                request.getStartedHookEnvList()))
                        .build());
    }

    @Override
    public void started(StartedRequest request, StreamObserver<StartedResponse> response) {
        answer(
                response,
                () -> StartedResponse.newBuilder()
                        .addAllDelegatedCgroups(bundles.started(
                                request.getId(), request.getPid(), request.getRootPath(), Path.of(request.getBundle())))
                        .build());
    }

    @Override
    public void release(ReleaseRequest request, StreamObserver<ReleaseResponse> response) {
        answer(
                response,
                () -> ReleaseResponse.newBuilder()
                        .setWasKnown(bundles.release(request.getId()))
                        .build());
    }

    @Override
    public void sync(SyncRequest request, StreamObserver<SyncResponse> response) {
        answer(
                response,
                () -> SyncResponse.newBuilder()
                        .addAllSynced(manager.sync(request.getId()))
                        .build());
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> response) {
        answer(response, () -> statusResponse(manager.status()));
    }

    /** The wire form of a Status snapshot. */
    static StatusResponse statusResponse(ManagerStatus status) {
        InnerImageCache.Usage cache = status.innerImageCache();
        InnerImageCacheStatus.Builder cacheStatus = InnerImageCacheStatus.newBuilder()
                .setDir(cache.dir().toString())
                .setBytes(cache.bytes());
        for (InnerImageCache.EntryUsage entry : cache.entries()) {
            cacheStatus.addEntries(InnerImageCacheEntry.newBuilder()
                    .setKey(entry.key())
                    .setSource(entry.source().toString())
                    .setSharedLayers(entry.sharedLayers())
                    .setUsers(entry.users())
                    .setLastUsedEpochSeconds(entry.lastUsedEpochSeconds()));
        }
        StatusResponse.Builder response = StatusResponse.newBuilder()
                .setVersion(status.version())
                .setUidPool(idRange(status.uidPool()))
                .setGidPool(idRange(status.gidPool()))
                .setFreeRanges(status.freeRanges())
                .setInnerImageCache(cacheStatus);
        for (ManagerStatus.Container container : status.containers()) {
            response.addContainers(ContainerStatus.newBuilder()
                    .setId(container.id())
                    .setUidRange(idRange(container.uids()))
                    .setGidRange(idRange(container.gids()))
                    .setRootfs(container.rootfs())
                    .setRootfsShift(container.rootfsShift())
                    .setPid(container.pid())
                    .setSharesRangeOf(container.sharesRangeOf())
                    .addAllMounts(container.mounts())
                    .addAllDirs(container.dirs()));
        }
        return response.build();
    }

    private static IdRange idRange(HostRange range) {
        return IdRange.newBuilder()
                .setHostStart(range.start())
                .setSize(range.size())
                .build();
    }

    private interface Call<T> {
        T run() throws ManagerException;
    }

    private static <T> void answer(StreamObserver<T> response, Call<T> call) {
        try {
            response.onNext(call.run());
            response.onCompleted();
        } catch (ManagerException e) {
            response.onError(status(e.kind())
                    .withDescription(ErrorLog.oneLine(e.getMessage()))
                    .asRuntimeException());
        } catch (RuntimeException e) {
            LOG.error("internal error", e);
            response.onError(Status.INTERNAL
                    .withDescription(ErrorLog.oneLine("jsysbox-mgr internal error: " + e))
                    .asRuntimeException());
        }
    }

    /** The gRPC status of a failure of {@code kind}: what the CLI and tests branch on. */
    static Status status(ManagerException.Kind kind) {
        return switch (kind) {
            case BAD_REQUEST -> Status.INVALID_ARGUMENT;
            case NOT_FOUND -> Status.NOT_FOUND;
            case NOT_POSSIBLE -> Status.FAILED_PRECONDITION;
            case EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
            case INTERNAL -> Status.INTERNAL;
        };
    }
}
