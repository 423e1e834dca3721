package io.jsysbox.spec;

import io.jsysbox.api.UnixChannels;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;

/**
 * jsysbox-fs's seccomp agent, to which runc hands a system container's seccomp notify descriptor at create and at
 * every exec (the spec's listenerPath, see {@link SpecTransformer#NOTIFIED_SYSCALLS}). runc fails when nothing listens
 * there, late and with a message about a "seccomp agent" the user never heard of; these checks come first.
 */
public final class SeccompAgentSocket {
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);

    private SeccompAgentSocket() {}

    /**
     * Refuses a create while jsysbox-fs has no agent socket: a jsysbox-fs older than this runtime (not restarted
     * since the update) or none at all. A daemon that does not answer is the manager's Prepare to report.
     */
    static void require() throws JsysboxException {
        Path socket = UnixChannels.SECCOMP_AGENT_SOCKET;
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            throw new JsysboxException("jsysbox-fs has no seccomp agent socket at " + socket + " (it is older than "
                    + "this jsysbox-runc, or not running): restart it with 'jsysbox restart', "
                    + "or check 'jsysbox doctor'");
        }
    }

    /**
     * Waits up to {@code limit} for the agent to accept connections: a jsysbox-fs being restarted (its supervisor waits
     * a second, the JVM starts) would otherwise fail an exec made meanwhile. Past the limit the exec goes on, and runc
     * reports why it fails.
     */
    public static void awaitListening(Duration limit) throws JsysboxException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!UnixChannels.answers(UnixChannels.SECCOMP_AGENT_SOCKET)) {
            if (System.nanoTime() - deadline > 0) {
                return;
            }
            try {
                Thread.sleep(POLL_INTERVAL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new JsysboxException("interrupted while waiting for jsysbox-fs's seccomp agent", e);
            }
        }
    }
}
