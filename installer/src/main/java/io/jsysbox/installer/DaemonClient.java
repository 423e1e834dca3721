package io.jsysbox.installer;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.jsysbox.api.UnixChannels;
import io.jsysbox.api.v1.ManagerGrpc;
import io.jsysbox.api.v1.StatusRequest;
import io.jsysbox.api.v1.StatusResponse;

import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The installer's view of jsysbox-mgr: its Status RPC. */
final class ManagerClient {
    private ManagerClient() {}

    /** The manager's status; throws InstallException with the reason when it does not answer. */
    static StatusResponse status(Duration timeout) {
        if (!Files.exists(HostLayout.MGR_SOCKET)) {
            throw new InstallException("no manager socket at " + HostLayout.MGR_SOCKET);
        }
        ManagedChannel channel = UnixChannels.connect(HostLayout.MGR_SOCKET);
        try {
            return ManagerGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .status(StatusRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            throw new InstallException("the manager at " + HostLayout.MGR_SOCKET + " does not answer: " + e.getStatus().getCode()
                    + (e.getStatus().getDescription() == null ? "" : " " + e.getStatus().getDescription()));
        } finally {
            channel.shutdownNow();
        }
    }

    /** Polls until the manager answers, for a freshly started manager. */
    static StatusResponse awaitUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                return status(Duration.ofSeconds(2));
            } catch (InstallException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new InstallException("jsysbox-mgr did not answer on " + HostLayout.MGR_SOCKET + " within "
                            + timeout.toSeconds() + "s (" + notYet.getMessage() + "): see " + HostLayout.MGR_LOG);
                }
                DockerEngine.sleep(Duration.ofMillis(200));
            }
        }
    }
}
