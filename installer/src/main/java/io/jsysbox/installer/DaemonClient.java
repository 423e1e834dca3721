package io.jsysbox.installer;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.jsysbox.api.UnixChannels;
import io.jsysbox.api.v1.FilesystemGrpc;
import io.jsysbox.api.v1.FsStatusRequest;
import io.jsysbox.api.v1.FsStatusResponse;
import io.jsysbox.api.v1.ManagerGrpc;
import io.jsysbox.api.v1.StatusRequest;
import io.jsysbox.api.v1.StatusResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/** The installer's view of the daemons: their Status RPCs. */
final class DaemonClient {
    /**
     * How long a daemon that listens may take to answer one call. The deadline runs while this JVM's first call loads
     * gRPC and protobuf classes, well under a second here but over 5 s on an emulated host (doctor failed there at 5
     * s).
     * A daemon that does not listen fails a call at once, whatever the deadline.
     */
    private static final Duration CALL_DEADLINE = Duration.ofSeconds(30);

    private DaemonClient() {}

    /** jsysbox-mgr's status; throws InstallException with the reason when it does not answer. */
    static StatusResponse managerStatus() {
        return call(
                Daemon.MGR,
                channel -> ManagerGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                        .status(StatusRequest.getDefaultInstance()));
    }

    /** jsysbox-fs's status; throws InstallException with the reason when it does not answer. */
    static FsStatusResponse fsStatus() {
        return call(
                Daemon.FS,
                channel -> FilesystemGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                        .status(FsStatusRequest.getDefaultInstance()));
    }

    /** Polls {@code status} until {@code daemon} answers, for a freshly started daemon. */
    static <T> T awaitUp(Daemon daemon, Duration timeout, Supplier<T> status) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                return status.get();
            } catch (InstallException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new InstallException(daemon.binary() + " did not answer on " + daemon.socket() + " within "
                            + timeout.toSeconds() + "s (" + notYet.getMessage() + "): see " + daemon.log());
                }
                DockerEngine.sleep(Duration.ofMillis(200));
            }
        }
    }

    private static <T> T call(Daemon daemon, Function<ManagedChannel, T> rpc) {
        if (!Files.exists(daemon.socket())) {
            throw new InstallException("no " + daemon.binary() + " socket at " + daemon.socket());
        }
        ManagedChannel channel = UnixChannels.connect(daemon.socket());
        try {
            return rpc.apply(channel);
        } catch (StatusRuntimeException e) {
            throw new InstallException(daemon.binary() + " at " + daemon.socket() + " does not answer: "
                    + e.getStatus().getCode()
                    + (e.getStatus().getDescription() == null
                            ? ""
                            : " " + e.getStatus().getDescription()));
        } finally {
            channel.shutdownNow();
        }
    }
}
