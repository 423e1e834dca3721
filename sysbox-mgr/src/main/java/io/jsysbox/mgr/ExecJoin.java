package io.jsysbox.mgr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsysbox.spec.Capabilities;
import io.jsysbox.spec.ConfigFile;
import io.jsysbox.spec.ExecProcess;
import io.jsysbox.spec.JsysboxException;
import io.jsysbox.spec.SeccompAgentSocket;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The launcher's {@code exec}: a process joining a jsysbox container gets the container's capabilities and AppArmor
 * profile ({@link ExecProcess}) in its process.json, then the launcher runs {@code runc exec} itself. The same work as
 * the Java CLI's exec, without a JVM start per {@code docker exec}; the container's annotations come from runc's
 * state file rather than a {@code runc state} process.
 */
final class ExecJoin {
    /** How long an exec waits for a restarting jsysbox-fs's seccomp agent (runc hands it the process's filter). */
    private static final Duration AGENT_WAIT = Duration.ofSeconds(10);

    private ExecJoin() {}

    /**
     * Rewrites {@code process} when runc's state file {@code runcState} is a jsysbox container's; {@code boundingMask}:
     * the launcher's CapBnd in hex (runc, its child, grants no more). Any failure is NOT_POSSIBLE: the launcher then
     * leaves the exec to the Java CLI, whose runc reports it as runc would.
     */
    static void join(Path process, Path runcState, String boundingMask) throws ManagerException {
        try {
            JsonNode annotations = ExecProcess.annotationsOfRuncState(
                    ConfigFile.parse(Files.readString(runcState), runcState.toString()));
            if (!ExecProcess.ofSystemContainer(annotations)) {
                return;
            }
            ObjectNode spec = ConfigFile.read(process);
            ExecProcess.joinSystemContainer(spec, Capabilities.boundingSet(boundingMask), annotations);
            ConfigFile.write(process, spec);
            SeccompAgentSocket.awaitListening(AGENT_WAIT);
        } catch (JsysboxException | IOException e) {
            throw new ManagerException(ManagerException.Kind.NOT_POSSIBLE, e.getMessage(), e);
        }
    }
}
