package io.jsysbox.runc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsysbox.spec.Capabilities;
import io.jsysbox.spec.ConfigFile;
import io.jsysbox.spec.ExecProcess;
import io.jsysbox.spec.JsysboxException;
import io.jsysbox.spec.SeccompAgentSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code exec}: a root process joining a system container gets the capabilities its init has (Docker's exec
 * process.json lists only Docker's default set) and its AppArmor profile (Docker's names docker-default); then runc's
 * exec, with the arguments as given, once jsysbox-fs's seccomp agent listens (runc hands it the process's filter).
 */
final class ExecCommand implements VerbOptions {
    /** How long an exec waits for a restarting jsysbox-fs's seccomp agent: its supervisor's pause plus a JVM start. */
    private static final Duration AGENT_WAIT = Duration.ofSeconds(10);
    /** runc's exec flags: all go to runc as given; jsysbox reads only the process file and the id. */
    private static final CommandSyntax SYNTAX = new CommandSyntax(
                    "jsysbox-runc exec", "Run a process in a container (see 'runc exec --help').")
            .value("--console-socket", "PATH", "unix socket that receives the pty master of a terminal process")
            .value("--cwd", "DIR", "the working directory of the process")
            .values("-e, --env", "NAME=VALUE", "an environment variable of the process")
            .flag("-t, --tty", "allocate a pseudo-terminal")
            .value("-u, --user", "UID[:GID]", "the user of the process")
            .values("-g, --additional-gids", "GID", "an additional group of the process")
            .value(
                    "-p, --process",
                    "FILE",
                    "the process.json; a root process in a jsysbox container gets all of the host's capabilities and "
                            + "the container's AppArmor profile")
            .flag("-d, --detach", "detach from the process")
            .value("--pid-file", "FILE", "file to write the process's pid to")
            .value("--process-label", "LABEL", "the SELinux label of the process")
            .value("--apparmor", "PROFILE", "the AppArmor profile of the process")
            .flag("--no-new-privs", "set no_new_privs for the process")
            .values("-c, --cap", "CAP", "a capability to add to the process")
            .value("--preserve-fds", "N", "not supported: runc runs as a child, which only inherits stdio")
            .values("--cgroup", "[CONTROLLER:]CGROUP", "the sub-cgroup to run the process in")
            .flag("--ignore-paused", "run the process even if the container is paused")
            .operand("ID")
            .remaining("COMMAND");

    Path process;
    int preserveFds;
    String id;
    /** The command and its arguments (without --process). */
    List<String> command = List.of();

    @Override
    public CommandSyntax syntax() {
        return SYNTAX;
    }

    @Override
    public void set(CommandSyntax.Parsed parsed) throws JsysboxException {
        process = parsed.value("--process") == null ? null : Path.of(parsed.value("--process"));
        preserveFds = parsed.integer("--preserve-fds", 0);
        id = parsed.operands().getFirst();
        command = parsed.operands().subList(1, parsed.operands().size());
    }

    static int main(Runc runc, List<String> arguments) throws JsysboxException {
        ExecCommand exec = new ExecCommand();
        if (VerbOptions.parse(exec, arguments)) {
            return 0;
        }
        if (exec.preserveFds > 0) {
            throw new JsysboxException("--preserve-fds is not supported: jsysbox-runc starts runc as a child process, "
                    + "which inherits only stdin, stdout and stderr");
        }
        if (exec.process != null) {
            RuncState state = RuncState.of(runc, exec.id);
            if (state.isSystemContainer()) {
                ObjectNode process = ConfigFile.read(exec.process);
                ExecProcess.joinSystemContainer(process, Capabilities.hostBoundingSet(), state.annotations());
                ConfigFile.write(exec.process, process);
                SeccompAgentSocket.awaitListening(AGENT_WAIT);
            }
        }
        return runc.run("exec", arguments);
    }
}
