package io.jsysbox.fs;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.jsysbox.api.v1.FilesystemGrpc;
import io.jsysbox.api.v1.FsContainer;
import io.jsysbox.api.v1.FsStatusRequest;
import io.jsysbox.api.v1.FsStatusResponse;
import io.jsysbox.api.v1.ProtectRequest;
import io.jsysbox.api.v1.ProtectResponse;
import io.jsysbox.api.v1.RegisterRequest;
import io.jsysbox.api.v1.RegisterResponse;
import io.jsysbox.api.v1.UnregisterRequest;
import io.jsysbox.api.v1.UnregisterResponse;
import io.jsysbox.api.v1.VirtualPath;
import io.jsysbox.procfs.VirtualFileRegistry;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gRPC edge of jsysbox-fs: registration of containers by the runtime, and status. */
final class FilesystemService extends FilesystemGrpc.FilesystemImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(FilesystemService.class);

    private final ContainerRegistry registry;
    private final VirtualFileRegistry files;
    private final Path mountDir;
    private final String version;

    FilesystemService(ContainerRegistry registry, VirtualFileRegistry files, Path mountDir, String version) {
        this.registry = registry;
        this.files = files;
        this.mountDir = mountDir;
        this.version = version;
    }

    @Override
    public void register(RegisterRequest request, StreamObserver<RegisterResponse> response) {
        answer(response, "register " + request.getId(), () -> {
            Container container = registry.register(
                    request.getId(), request.getInitPid(), request.getInitStartTicks(), request.getProtectionFollows());
            RegisterResponse.Builder reply =
                    RegisterResponse.newBuilder().setCgroupVersion(container.cgroups.version());
            for (String path : files.paths()) {
                String source = FsTree.source(mountDir, container.id, path).toString();
                reply.addPaths(VirtualPath.newBuilder().setContainerPath(path).setSource(source));
            }
            LOG.info(
                    "registered {} in slot {} (init {}, cgroup {})",
                    container.id,
                    container.slot,
                    container.initPid,
                    container.cgroups.version());
            return reply.build();
        });
    }

    @Override
    public void protect(ProtectRequest request, StreamObserver<ProtectResponse> response) {
        answer(response, "protect " + request.getId(), () -> {
            registry.protect(
                    request.getId(),
                    new ProtectedMounts(
                            request.getMountNamespaceDev(),
                            request.getMountNamespaceIno(),
                            new HashSet<>(request.getMountIdsList()),
                            new HashSet<>(request.getReadOnlyMountIdsList())));
            LOG.debug("{}: {} mounts protected", request.getId(), request.getMountIdsCount());
            return ProtectResponse.getDefaultInstance();
        });
    }

    @Override
    public void unregister(UnregisterRequest request, StreamObserver<UnregisterResponse> response) {
        answer(response, "unregister " + request.getId(), () -> {
            boolean known = registry.unregister(request.getId());
            if (known) {
                LOG.info("unregistered {}", request.getId());
            }
            return UnregisterResponse.newBuilder().setWasKnown(known).build();
        });
    }

    /** A registry call's answer: its reply, NOT_FOUND for what the registry refuses, INTERNAL (logged) for a bug. */
    private interface RegistryCall<T> {
        T reply() throws ContainerRegistry.RegistrationException;
    }

    private static <T> void answer(StreamObserver<T> response, String action, RegistryCall<T> call) {
        T reply;
        try {
            reply = call.reply();
        } catch (ContainerRegistry.RegistrationException e) {
            response.onError(Status.NOT_FOUND.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (RuntimeException e) {
            LOG.error(action, e);
            response.onError(Status.INTERNAL
                    .withDescription("jsysbox-fs internal error: " + e)
                    .asRuntimeException());
            return;
        }
        response.onNext(reply);
        response.onCompleted();
    }

    @Override
    public void status(FsStatusRequest request, StreamObserver<FsStatusResponse> response) {
        FsStatusResponse.Builder reply =
                FsStatusResponse.newBuilder().setVersion(version).setMountDir(mountDir.toString());
        registry.containers().stream()
                .sorted(Comparator.comparing(c -> c.id))
                .forEach(c -> reply.addContainers(FsContainer.newBuilder()
                        .setId(c.id)
                        .setInitPid(c.initPid)
                        .setCgroupVersion(c.cgroups.version())
                        .putAllSysctls(c.writtenSysctls())));
        response.onNext(reply.build());
        response.onCompleted();
    }
}
